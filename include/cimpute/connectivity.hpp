/// @file connectivity.hpp
/// @brief Umbrella header of the connectivity module: signature alignment, pairwise and
/// set-based connectivity scores (cosine, Pearson, Spearman, Lamb KS, CLUE WTCS / NCS / tau) and
/// the ranking of signatures against a disease signature (`rank_by_reversal`). The repurposing
/// workflow that imputes drugs before ranking them is `cimpute/workflow.hpp`.
#pragma once

#include "cimpute/connectivity/alignment.hpp"
#include "cimpute/connectivity/drug_ranking.hpp"
#include "cimpute/connectivity/gene_set_query.hpp"
#include "cimpute/connectivity/gene_signature.hpp"
#include "cimpute/connectivity/ks_score.hpp"
#include "cimpute/connectivity/pairwise_scores.hpp"
#include "cimpute/connectivity/ranking.hpp"
#include "cimpute/connectivity/target_ranking.hpp"
#include "cimpute/connectivity/wtcs.hpp"
