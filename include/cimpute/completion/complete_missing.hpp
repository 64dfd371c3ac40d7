/// @file complete_missing.hpp
/// @brief `impute_pairs` and `complete_missing`: fit a completion method on every observed pair
/// and predict the requested (or every missing) (perturbation, context) pair, as a labelled
/// features x pairs matrix with the NTK's posterior variance per pair.
#pragma once

#include "cimpute/completion/any_completion.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/completion/workflow.hpp"
#include "cimpute/core/communicator.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

namespace detail {
/// The labelled matrix of `impute_pairs`: `values` (features x pairs), column ids
/// `perturbation:context`, column fields `perturbation`, `context` and, when `variance` has no
/// NaN (and is not empty), `variance`.
template <class Scalar>
LabeledMatrix<Scalar>
imputed_matrix(const PerturbationTensor<Scalar>& t, const std::vector<PairIndex>& pairs,
               typename LabeledMatrix<Scalar>::Matrix values, const Eigen::VectorXd& variance) {
  std::vector<std::string> ids, pert, cell, var;
  for (const PairIndex& q : pairs) {
    pert.push_back(t.perturbations()[q.perturbation]);
    cell.push_back(t.contexts()[q.context]);
    ids.push_back(pert.back() + ":" + cell.back());
  }
  MetadataTable meta(Eigen::Index(pairs.size()));
  meta.add_field("perturbation", std::move(pert));
  meta.add_field("context", std::move(cell));
  if (variance.size() > 0 && !variance.hasNaN()) {
    char buf[32];
    for (Eigen::Index k = 0; k < variance.size(); ++k) {
      std::snprintf(buf, sizeof buf, "%.6g", variance[k]);
      var.push_back(buf);
    }
    meta.add_field("variance", std::move(var));
  }
  return LabeledMatrix<Scalar>(std::move(values), t.features().ids(), std::move(ids),
                               MetadataTable(t.num_features()), std::move(meta));
}
} // namespace detail

/// The pairs `pairs` imputed: `method` is fitted on every observed pair outside
/// `reference_context` (which reaches it as side information, as in the protocols) and predicts
/// each pair (an observed one too: its in-sample fit). Returns a features x pairs matrix with
/// column ids `perturbation:context` and column metadata `perturbation`, `context` and, for a
/// method with a kernel posterior (the NTK methods), `variance`: the fraction of the prior
/// variance left for the pair (`NtkCompletion::posterior_variance` / `prior_variance`; near 0:
/// like the training pairs, 1: nothing learned). `with_cmap_fields` (cimpute/io/cmap.hpp) renames
/// the first two to CMap's `pert_id` and `cell_id` before writing a GCT / GCTX. With
/// `MpiCommunicator` (every process calls it alike), every process fits the method, predicts a
/// contiguous share of the pairs, and returns all the predictions.
template <class Method, class Scalar, class Comm = SingleProcess>
LabeledMatrix<Scalar> impute_pairs(Method method, const PerturbationTensor<Scalar>& t,
                                   const std::vector<PairIndex>& pairs,
                                   const std::string& reference_context = "",
                                   const Comm& comm = Comm{}) {
  const char* fn = "impute_pairs";
  const Eigen::Index ref = reference_index(t, reference_context, fn);
  detail::check_pairs(fn, t, pairs);
  const std::vector<Eigen::Index> rows = rows_outside_context(t, ref);
  typename LabeledMatrix<Scalar>::Matrix values(t.num_features(), Eigen::Index(pairs.size()));
  Eigen::VectorXd var;
  if (!pairs.empty()) {
    if (rows.empty()) detail::throw_invalid(fn, "no observed pair to fit on");
    method.fit(TrainingSet<Scalar>(t, rows, ref));
    if (comm.size() == 1) {
      values = method.predict(pairs).transpose();
      var = detail::relative_posterior_variance(method, pairs);
    } else {
      // Every process has the fit; each predicts a contiguous share of the pairs, and the
      // predictions (with the variance as a last column) are shared.
      const std::vector<Eigen::Index> counts = even_split(Eigen::Index(pairs.size()), comm.size());
      const std::vector<int> owner = block_owners(counts);
      const auto first = std::find(owner.begin(), owner.end(), comm.rank()) - owner.begin();
      const std::vector<PairIndex> mine(pairs.begin() + first,
                                        pairs.begin() + first + counts[std::size_t(comm.rank())]);
      typename LabeledMatrix<Scalar>::Matrix both(Eigen::Index(pairs.size()), t.num_features() + 1);
      collectively(comm, [&] {
        if (mine.empty()) return;
        both.middleRows(first, Eigen::Index(mine.size())).leftCols(t.num_features()) =
            method.predict(mine);
        both.middleRows(first, Eigen::Index(mine.size())).col(t.num_features()) =
            detail::relative_posterior_variance(method, mine).template cast<Scalar>();
      });
      comm.share_rows(both, owner);
      values = both.leftCols(t.num_features()).transpose();
      var = both.col(t.num_features()).template cast<double>();
    }
  }
  return detail::imputed_matrix(t, pairs, std::move(values), var);
}

/// `impute_pairs` for a method fitted on a tensor split over processes, such as
/// `NtkPcgCompletion<Scalar, MpiCommunicator>`: every process holds a shard (the same labels,
/// its own observed pairs: `read_signatures` with `SignatureReadOptions::shard_index`), the
/// method's `fit` (on the shard's pairs outside `reference_context`) and `predict` (of a
/// contiguous share of `pairs`, which every process passes whole) are collective, and every
/// process returns the whole matrix. A process without a training pair is an error on every
/// process.
template <class Method, class Scalar, class Comm>
LabeledMatrix<Scalar> impute_pairs_sharded(Method& method, const PerturbationTensor<Scalar>& shard,
                                           const std::vector<PairIndex>& pairs,
                                           const std::string& reference_context, const Comm& comm) {
  const char* fn = "impute_pairs_sharded";
  std::vector<Eigen::Index> rows;
  Eigen::Index ref = -1;
  collectively(comm, [&] {
    ref = reference_index(shard, reference_context, fn);
    detail::check_pairs(fn, shard, pairs);
    rows = rows_outside_context(shard, ref);
    if (rows.empty())
      detail::throw_invalid(fn, "process ", comm.rank(), " has no observed pair to fit on ",
                            "(outside the reference context): use fewer processes");
  });
  method.fit(TrainingSet<Scalar>(shard, rows, ref));
  const std::vector<Eigen::Index> counts = even_split(Eigen::Index(pairs.size()), comm.size());
  const std::vector<int> owner = block_owners(counts);
  Eigen::Index first = 0;
  for (int q = 0; q < comm.rank(); ++q) first += counts[std::size_t(q)];
  const std::vector<PairIndex> mine(pairs.begin() + first,
                                    pairs.begin() + first + counts[std::size_t(comm.rank())]);
  typename LabeledMatrix<Scalar>::Matrix values(Eigen::Index(pairs.size()), shard.num_features());
  const auto predicted = method.predict(mine); // collective: every process calls it
  if (!mine.empty()) values.middleRows(first, predicted.rows()) = predicted;
  comm.share_rows(values, owner);
  return detail::imputed_matrix(shard, pairs, values.transpose(), Eigen::VectorXd());
}

/// The missing pairs completed: `impute_pairs` of `missing_pairs(t)`.
template <class Method, class Scalar, class Comm = SingleProcess>
LabeledMatrix<Scalar> complete_missing(Method method, const PerturbationTensor<Scalar>& t,
                                       const std::string& reference_context = "",
                                       const Comm& comm = Comm{}) {
  return impute_pairs(std::move(method), t, missing_pairs(t), reference_context, comm);
}

/// Per-feature variances of imputed signatures in expression units: entry (g, k) is
/// `relative_variance[k]` (the fraction of the prior variance left for pair k, the `variance`
/// field of `impute_pairs`) times feature g's mean square over the training signatures (every
/// observed pair outside `reference_context`), the prior variance of a zero-mean Gaussian process
/// with the NTK as its correlation.
template <class Scalar>
Eigen::MatrixXd expression_variances(const PerturbationTensor<Scalar>& t,
                                     const Eigen::VectorXd& relative_variance,
                                     const std::string& reference_context = "") {
  const char* fn = "expression_variances";
  const Eigen::Index ref = reference_index(t, reference_context, fn);
  const std::vector<Eigen::Index> rows = rows_outside_context(t, ref);
  if (rows.empty()) detail::throw_invalid(fn, "no training signature");
  Eigen::VectorXd ms = Eigen::VectorXd::Zero(t.num_features());
  for (Eigen::Index r : rows)
    ms += t.observed().row(r).transpose().template cast<double>().cwiseAbs2();
  return (ms / double(rows.size())) * relative_variance.transpose();
}

} // namespace cimpute
