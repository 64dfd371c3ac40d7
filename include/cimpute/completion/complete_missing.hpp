/// @file complete_missing.hpp
/// @brief `complete_missing`: fit a completion method on every observed pair and predict every
/// missing (perturbation, context) pair, as a labelled features x pairs matrix.
#pragma once

#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>

#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// The missing pairs completed: `method` is fitted on every observed pair outside
/// `reference_context` (which reaches it as side information, as in the protocols) and predicts
/// every unobserved (perturbation, context) pair whose perturbation and context are each observed
/// somewhere (a label with no signature at all, e.g. a dropped control, is skipped). Returns a
/// features x pairs matrix with column ids `perturbation:context` and column metadata
/// `perturbation` and `context` (`with_cmap_fields` in cimpute/io/cmap.hpp renames them to CMap's
/// `pert_id` and `cell_id` before writing a GCT).
template <class Method, class Scalar>
LabeledMatrix<Scalar> complete_missing(Method method, const PerturbationTensor<Scalar>& t,
                                       const std::string& reference_context = "") {
  const char* fn = "complete_missing";
  const Eigen::Index ref =
      reference_context.empty() ? -1 : t.contexts().index(reference_context, fn);
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != ref) rows.push_back(r);
  std::vector<PairIndex> missing;
  std::vector<std::string> ids, pert, cell;
  const Eigen::MatrixXi seen = t.mask().template cast<int>();
  for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
    for (Eigen::Index p = 0; p < t.num_perturbations(); ++p)
      if (!t.is_observed(p, c) && seen.row(p).sum() > 0 && seen.col(c).sum() > 0) {
        missing.push_back({p, c});
        pert.push_back(t.perturbations()[p]);
        cell.push_back(t.contexts()[c]);
        ids.push_back(pert.back() + ":" + cell.back());
      }
  typename LabeledMatrix<Scalar>::Matrix values(t.num_features(), Eigen::Index(missing.size()));
  if (!missing.empty()) {
    method.fit(TrainingSet<Scalar>(t, rows, ref));
    values = method.predict(missing).transpose();
  }
  MetadataTable meta(Eigen::Index(missing.size()));
  meta.add_field("perturbation", std::move(pert));
  meta.add_field("context", std::move(cell));
  return LabeledMatrix<Scalar>(std::move(values), t.features().ids(), std::move(ids),
                               MetadataTable(t.num_features()), std::move(meta));
}

} // namespace cimpute
