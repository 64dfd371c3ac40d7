/// @file response_evaluation.hpp
/// @brief The field's response metrics (`score_responses`: pearson-delta, pds, the top-20 gene
/// scores, ...) of a completion protocol's held-out predictions.
#pragma once

#include "cimpute/completion/perturbation_features.hpp"
#include "cimpute/completion/protocols.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/stats/response_metrics.hpp"

#include <Eigen/Core>

#include <vector>

namespace cimpute {

/// Score a protocol run (`run_protocol`) with the field's pseudobulk metrics: context by
/// context, `score_responses` of the evaluated pairs' predicted against measured signatures,
/// taken as changes against the control (both controls zero: the signatures of a tensor built
/// with a control perturbation), the top-20 genes ranked by |measured change|, the perturbed
/// gene's column (`target_gene_columns`) left out of `pds`, which ranks a pair among the
/// evaluated perturbations of its context. Returns the per-pair scores in the order of
/// `ev.pairs` (`mean_scores` averages them). Throws `invalid_argument` when the evaluation and
/// the tensor disagree.
template <class Scalar>
std::vector<ResponseScores> completion_response_scores(const CompletionEvaluation& ev,
                                                       const PerturbationTensor<Scalar>& t,
                                                       ResponseScoreOptions opt = {}) {
  const char* fn = "completion_response_scores";
  const Eigen::Index n = Eigen::Index(ev.pairs.size());
  if (ev.predictions.rows() != n || ev.truths.rows() != n ||
      ev.predictions.cols() != t.num_features() || ev.truths.cols() != t.num_features())
    detail::throw_invalid(fn, "the evaluation's ", n, " pairs, ", ev.predictions.rows(), " x ",
                          ev.predictions.cols(), " predictions and ", ev.truths.rows(), " x ",
                          ev.truths.cols(), " truths do not match a tensor of ", t.num_features(),
                          " features");
  detail::check_pairs(fn, t, ev.pairs);
  const std::vector<Eigen::Index> target = target_gene_columns(t);
  std::vector<std::vector<Eigen::Index>> by_context(std::size_t(t.num_contexts()));
  for (Eigen::Index i = 0; i < n; ++i)
    by_context[std::size_t(ev.pairs[std::size_t(i)].context)].push_back(i);
  const Eigen::RowVectorXd zero = Eigen::RowVectorXd::Zero(t.num_features());
  std::vector<ResponseScores> out(static_cast<std::size_t>(n));
  for (const auto& rows : by_context) {
    if (rows.empty()) continue;
    opt.target_genes.clear();
    for (Eigen::Index i : rows)
      opt.target_genes.push_back(target[std::size_t(ev.pairs[std::size_t(i)].perturbation)]);
    const std::vector<ResponseScores> s = score_responses(
        ev.predictions(rows, Eigen::all), ev.truths(rows, Eigen::all), zero, zero, opt);
    for (std::size_t k = 0; k < rows.size(); ++k) out[std::size_t(rows[k])] = s[k];
  }
  return out;
}

} // namespace cimpute
