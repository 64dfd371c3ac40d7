/// @file completion.hpp
/// @brief Umbrella header of the completion module: mean baselines, DNPP, NTK completion, and the
/// evaluation protocols.
#pragma once

#include "cimpute/completion/cross_validation.hpp"
#include "cimpute/completion/dnpp.hpp"
#include "cimpute/completion/means.hpp"
#include "cimpute/completion/ntk_completion.hpp"
#include "cimpute/completion/training_set.hpp"
