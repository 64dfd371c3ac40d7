/// @file connectivity.hpp
/// @brief Umbrella header of the connectivity module: signature alignment, pairwise and
/// set-based connectivity scores (cosine, Pearson, Spearman, Lamb KS, CLUE WTCS / NCS / tau) and
/// drug repurposing against a disease signature.
#pragma once

#include "cimpute/connectivity/alignment.hpp"
#include "cimpute/connectivity/gene_set_query.hpp"
#include "cimpute/connectivity/gene_signature.hpp"
#include "cimpute/connectivity/ks_score.hpp"
#include "cimpute/connectivity/pairwise_scores.hpp"
#include "cimpute/connectivity/ranking.hpp"
#include "cimpute/connectivity/repurposing.hpp"
#include "cimpute/connectivity/wtcs.hpp"
