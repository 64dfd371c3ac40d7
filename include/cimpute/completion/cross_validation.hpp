/// @file cross_validation.hpp
/// @brief Evaluation protocols for completion methods: leave-one-pair-out (more to come).
#pragma once

#include "cimpute/completion/training_set.hpp"
#include "cimpute/stats/metrics.hpp"

#include <Eigen/Core>

#include <chrono>
#include <string>
#include <vector>

namespace cimpute {

/// Predictions of a protocol and their scores.
struct CompletionEvaluation {
  std::vector<PairIndex> pairs; ///< the evaluated pairs
  Eigen::MatrixXd predictions;  ///< one predicted signature per evaluated pair
  Eigen::MatrixXd truths;       ///< the measured signatures
  CompletionScores scores;      ///< pooled Pearson, mean R^2, mean cosine
  double seconds = 0;           ///< wall time of all fits and predictions
};

/// Leave-one-pair-out: every observed pair outside `reference_context` (empty: none) is predicted
/// by `method` fitted on all other observed pairs outside it; the reference context's pairs are
/// never evaluated and reach the method as `TrainingSet::reference_rows()` (features for the NTK
/// prior, extra data for DNPP, unused by the means), as in the reference protocol. `Method`
/// needs `fit(const TrainingSet<Scalar>&)` and `predict(const std::vector<PairIndex>&)`.
template <class Method, class Scalar>
CompletionEvaluation leave_one_pair_out(Method method, const PerturbationTensor<Scalar>& t,
                                        const std::string& reference_context = "") {
  const char* fn = "leave_one_pair_out";
  const Eigen::Index ref =
      reference_context.empty() ? -1 : t.contexts().index(reference_context, fn);
  if (t.num_observed() < 2) detail::throw_invalid(fn, "needs at least two observed pairs");
  CompletionEvaluation ev;
  std::vector<Eigen::Index> eval;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != ref) eval.push_back(r);
  if (eval.empty()) detail::throw_invalid(fn, "no pair outside the reference context");
  ev.predictions.resize(static_cast<Eigen::Index>(eval.size()), t.num_features());
  ev.truths.resize(ev.predictions.rows(), t.num_features());
  const auto start = std::chrono::steady_clock::now();
  std::vector<Eigen::Index> rows;
  for (std::size_t k = 0; k < eval.size(); ++k) {
    rows.clear();
    for (Eigen::Index r : eval)
      if (r != eval[k]) rows.push_back(r);
    const TrainingSet<Scalar> train(t, rows, ref);
    const PairIndex p = t.observed_pairs()[std::size_t(eval[k])];
    method.fit(train);
    ev.predictions.row(Eigen::Index(k)) = method.predict({p}).row(0).template cast<double>();
    ev.truths.row(Eigen::Index(k)) = t.observed().row(eval[k]).template cast<double>();
    ev.pairs.push_back(p);
  }
  ev.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ev.scores = completion_scores(ev.predictions, ev.truths);
  return ev;
}

} // namespace cimpute
