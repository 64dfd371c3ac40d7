/// @file workflow.hpp
/// @brief Umbrella header of the workflows: pipelines above the algorithm modules that combine
/// them (drug repurposing: impute the drugs not measured in the disease's context, then rank;
/// causal drug targets: learn a graph over expressed genes with an interactome, then rank targets).
/// Like the algorithm modules they take data, not files.
#pragma once

#include "cimpute/workflow/causal_targets.hpp"
#include "cimpute/workflow/cell_predictions.hpp"
#include "cimpute/workflow/repurposing.hpp"
