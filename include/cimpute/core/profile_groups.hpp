/// @file
/// @brief `ProfileGroups`: profiles one by one (single cells, or a pair's several signatures)
/// with the (perturbation, context) pair of each, as `read_profile_groups` (io/signature_file.hpp)
/// reads them; the input of cell-level predictions and metrics.
#pragma once

#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/labels.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace cimpute {

/// The profiles of a file one by one, grouped by their pair: single cells, or a pair's several
/// signatures (replicates, doses), as read by `read_signatures` (steps 1-3: sidecars, filters,
/// genes, count normalisation) without merging them and without subtracting a control.
template <class Scalar = double>
struct ProfileGroups {
  LabeledMatrix<Scalar> profiles; ///< features x profiles, the selected columns in file order
  Labels perturbations, contexts; ///< in order of first appearance
  std::vector<PairIndex> pair;    ///< each profile's (perturbation, context)
  std::string symbol_field;       ///< the row field with gene symbols (it may be absent)
  /// The number of profiles of each pair (perturbations x contexts; 0 where a pair is absent).
  Eigen::MatrixXi counts() const {
    Eigen::MatrixXi n = Eigen::MatrixXi::Zero(perturbations.size(), contexts.size());
    for (const PairIndex& p : pair) ++n(p.perturbation, p.context);
    return n;
  }
};

} // namespace cimpute
