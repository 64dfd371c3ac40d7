/// @file core.hpp
/// @brief Umbrella header of the core module: errors, labels, labelled matrices, tensors.
#pragma once

#include "cimpute/core/blas_threads.hpp"
#include "cimpute/core/config.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/labels.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/core/profile_groups.hpp"
#include "cimpute/core/progress.hpp"
#include "cimpute/core/robust_zscore.hpp"
#include "cimpute/core/signature_selection.hpp"
#include "cimpute/core/sparse_labeled_matrix.hpp"
#include "cimpute/core/tensor3.hpp"
#include "cimpute/core/tensor_transforms.hpp"
