/// @file completion.hpp
/// @brief Umbrella header of the completion module: mean baselines, DNPP, FaLRTC, SoftImpute,
/// synthetic interventions, autoencoder transfer, NTK completion (fixed, cross-validated or with
/// the mixed prior), ensembles, methods by name, the evaluation protocols and their parser, and
/// `complete_missing`, `design_pairs` (the pairs to measure next), and the run-time rules the
/// front ends share (`workflow.hpp`).
#pragma once

#include "cimpute/completion/any_completion.hpp"
#include "cimpute/completion/autoencoder_transfer.hpp"
#include "cimpute/completion/combinations.hpp"
#include "cimpute/completion/complete_missing.hpp"
#include "cimpute/completion/dnpp.hpp"
#include "cimpute/completion/ensemble.hpp"
#include "cimpute/completion/falrtc.hpp"
#include "cimpute/completion/linear_model.hpp"
#include "cimpute/completion/means.hpp"
#include "cimpute/completion/method_table.hpp"
#include "cimpute/completion/ntk_completion.hpp"
#include "cimpute/completion/ntk_cv.hpp"
#include "cimpute/completion/ntk_grid.hpp"
#include "cimpute/completion/ntk_mixed.hpp"
#include "cimpute/completion/ntk_pcg_completion.hpp"
#include "cimpute/completion/pair_design.hpp"
#include "cimpute/completion/perturbation_features.hpp"
#include "cimpute/completion/protocol.hpp"
#include "cimpute/completion/protocols.hpp"
#include "cimpute/completion/registry.hpp"
#include "cimpute/completion/response_evaluation.hpp"
#include "cimpute/completion/singular_value_shrinkage.hpp"
#include "cimpute/completion/soft_impute.hpp"
#include "cimpute/completion/synthetic_interventions.hpp"
#include "cimpute/completion/target_design.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/completion/workflow.hpp"
