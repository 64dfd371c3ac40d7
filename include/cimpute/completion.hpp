/// @file completion.hpp
/// @brief Umbrella header of the completion module: mean baselines, DNPP, FaLRTC, SoftImpute,
/// synthetic interventions, NTK completion (fixed or cross-validated), and the evaluation
/// protocols.
#pragma once

#include "cimpute/completion/any_completion.hpp"
#include "cimpute/completion/autoencoder_transfer.hpp"
#include "cimpute/completion/cross_validation.hpp"
#include "cimpute/completion/dnpp.hpp"
#include "cimpute/completion/ensemble.hpp"
#include "cimpute/completion/falrtc.hpp"
#include "cimpute/completion/means.hpp"
#include "cimpute/completion/ntk_completion.hpp"
#include "cimpute/completion/ntk_cv.hpp"
#include "cimpute/completion/ntk_mixed.hpp"
#include "cimpute/completion/registry.hpp"
#include "cimpute/completion/singular_value_shrinkage.hpp"
#include "cimpute/completion/soft_impute.hpp"
#include "cimpute/completion/synthetic_interventions.hpp"
#include "cimpute/completion/training_set.hpp"
