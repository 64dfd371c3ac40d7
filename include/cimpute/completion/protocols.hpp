/// @file protocols.hpp
/// @brief Evaluation protocols for completion methods: leave-one-pair-out, K-fold within each
/// context, the sparse regime (B training perturbations per context), leave-one-context-out,
/// summaries over seeds, and `evaluate_protocol`, which runs a parsed `CompletionProtocol`.
#pragma once

#include "cimpute/completion/any_completion.hpp"
#include "cimpute/completion/protocol.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/blas_threads.hpp"
#include "cimpute/core/config.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/stats/metrics.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <random>
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
/// prior, extra data for DNPP, unused by the means), as in the reference protocol. With OpenMP the
/// refits run in parallel on copies of `method` (deterministic on any thread count). `Method`
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
  ev.pairs.resize(eval.size());
  for (std::size_t k = 0; k < eval.size(); ++k) {
    ev.pairs[k] = t.observed_pairs()[std::size_t(eval[k])];
    ev.truths.row(Eigen::Index(k)) = t.observed().row(eval[k]).template cast<double>();
  }
  // A method with a closed form of the whole protocol (NtkCvCompletion) skips the refits.
  if constexpr (detail::has_fast_leave_one_pair_out<Method, Scalar>::value) {
    if (const auto fast =
            method.leave_one_pair_out_predictions(TrainingSet<Scalar>(t, eval, ref))) {
      ev.predictions = fast->template cast<double>();
      ev.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ev.scores = completion_scores(ev.predictions, ev.truths);
      return ev;
    }
  }
  std::exception_ptr error;
  const long n = long(eval.size());
  // The refits are independent: with OpenMP each thread refits its own copy of the method, with
  // BLAS single-threaded meanwhile. Every prediction lands in its own row, so the result is the
  // same on any thread count.
#if CIMPUTE_HAS_OPENMP
  const ScopedSingleThreadedBlas single_blas;
#pragma omp parallel
#endif
  {
    Method local = method;
    std::vector<Eigen::Index> rows;
#if CIMPUTE_HAS_OPENMP
#pragma omp for schedule(dynamic)
#endif
    for (long k = 0; k < n; ++k) {
      try {
        rows.clear();
        for (Eigen::Index r : eval)
          if (r != eval[std::size_t(k)]) rows.push_back(r);
        const TrainingSet<Scalar> train(t, rows, ref);
        const PairIndex p = t.observed_pairs()[std::size_t(eval[std::size_t(k)])];
        local.fit(train);
        ev.predictions.row(Eigen::Index(k)) = local.predict({p}).row(0).template cast<double>();
      } catch (...) {
#if CIMPUTE_HAS_OPENMP
#pragma omp critical(cimpute_loo_error)
#endif
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
  ev.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ev.scores = completion_scores(ev.predictions, ev.truths);
  return ev;
}

namespace detail {
/// Fit `method` on `train_rows` (with the reference context as side information), predict
/// `test_rows`, and append predictions and truths to `ev`.
template <class Method, class Scalar>
void fit_predict_append(Method& method, const PerturbationTensor<Scalar>& t,
                        const std::vector<Eigen::Index>& train_rows,
                        const std::vector<Eigen::Index>& test_rows, Eigen::Index ref,
                        std::vector<Eigen::RowVectorXd>& pred,
                        std::vector<Eigen::RowVectorXd>& truth, std::vector<PairIndex>& pairs) {
  if (test_rows.empty()) return;
  const TrainingSet<Scalar> train(t, train_rows, ref);
  method.fit(train);
  std::vector<PairIndex> q;
  for (Eigen::Index r : test_rows) q.push_back(t.observed_pairs()[std::size_t(r)]);
  const auto P = method.predict(q);
  for (std::size_t i = 0; i < test_rows.size(); ++i) {
    pred.push_back(P.row(Eigen::Index(i)).template cast<double>());
    truth.push_back(t.observed().row(test_rows[i]).template cast<double>());
    pairs.push_back(q[i]);
  }
}

inline CompletionEvaluation collect(std::vector<Eigen::RowVectorXd>& pred,
                                    std::vector<Eigen::RowVectorXd>& truth,
                                    std::vector<PairIndex>& pairs, double seconds) {
  CompletionEvaluation ev;
  if (pred.empty()) throw_invalid("completion protocol", "no pair to evaluate");
  ev.predictions.resize(Eigen::Index(pred.size()), pred.front().size());
  ev.truths.resize(ev.predictions.rows(), ev.predictions.cols());
  for (std::size_t i = 0; i < pred.size(); ++i) {
    ev.predictions.row(Eigen::Index(i)) = pred[i];
    ev.truths.row(Eigen::Index(i)) = truth[i];
  }
  ev.pairs = std::move(pairs);
  ev.seconds = seconds;
  ev.scores = completion_scores(ev.predictions, ev.truths);
  return ev;
}

/// Observed rows of each context outside the reference, in row order.
template <class Scalar>
std::vector<std::vector<Eigen::Index>> rows_by_context(const PerturbationTensor<Scalar>& t,
                                                       Eigen::Index ref) {
  std::vector<std::vector<Eigen::Index>> out(std::size_t(t.num_contexts()));
  for (Eigen::Index r = 0; r < t.num_observed(); ++r) {
    const Eigen::Index c = t.observed_pairs()[std::size_t(r)].context;
    if (c != ref) out[std::size_t(c)].push_back(r);
  }
  return out;
}
} // namespace detail

/// K-fold cross-validation within each context: every context's observed perturbations (outside
/// the training-only `reference_context`) are shuffled with `seed` and dealt into K folds; fold
/// k's test set is the union over contexts, its training set every other non-reference pair.
/// Contexts with fewer than `min_per_context` pairs (default K, the reference protocol's rule)
/// are never tested but always train. Every tested pair is predicted exactly once.
template <class Method, class Scalar>
CompletionEvaluation
kfold_per_context(Method method, const PerturbationTensor<Scalar>& t, int folds, unsigned seed,
                  const std::string& reference_context = "", int min_per_context = -1) {
  const char* fn = "kfold_per_context";
  if (folds < 2) detail::throw_invalid(fn, "folds must be >= 2, got ", folds);
  if (min_per_context < 0) min_per_context = folds;
  const Eigen::Index ref =
      reference_context.empty() ? -1 : t.contexts().index(reference_context, fn);
  auto by_ctx = detail::rows_by_context(t, ref);
  std::vector<int> fold_of(std::size_t(t.num_observed()), -1);
  std::mt19937_64 rng(seed);
  for (auto& rows : by_ctx) {
    if (int(rows.size()) < min_per_context) continue;
    std::vector<Eigen::Index> shuffled = rows;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (std::size_t i = 0; i < shuffled.size(); ++i)
      fold_of[std::size_t(shuffled[i])] = int(i % std::size_t(folds));
  }
  std::vector<Eigen::RowVectorXd> pred, truth;
  std::vector<PairIndex> pairs;
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < folds; ++k) {
    std::vector<Eigen::Index> train, test;
    for (const auto& rows : by_ctx)
      for (Eigen::Index r : rows) (fold_of[std::size_t(r)] == k ? test : train).push_back(r);
    detail::fit_predict_append(method, t, train, test, ref, pred, truth, pairs);
  }
  return detail::collect(
      pred, truth, pairs,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

/// The sparse regime: in every context (outside the reference), `B` perturbations drawn with
/// `seed` are training and all others are test; one fit. Contexts with at most B pairs only
/// train.
template <class Method, class Scalar>
CompletionEvaluation sparse_per_context(Method method, const PerturbationTensor<Scalar>& t, int B,
                                        unsigned seed, const std::string& reference_context = "") {
  const char* fn = "sparse_per_context";
  if (B < 1) detail::throw_invalid(fn, "B must be >= 1, got ", B);
  const Eigen::Index ref =
      reference_context.empty() ? -1 : t.contexts().index(reference_context, fn);
  std::mt19937_64 rng(seed);
  std::vector<Eigen::Index> train, test;
  for (auto rows : detail::rows_by_context(t, ref)) {
    std::shuffle(rows.begin(), rows.end(), rng);
    for (std::size_t i = 0; i < rows.size(); ++i)
      (i < std::size_t(B) ? train : test).push_back(rows[i]);
  }
  std::vector<Eigen::RowVectorXd> pred, truth;
  std::vector<PairIndex> pairs;
  const auto start = std::chrono::steady_clock::now();
  detail::fit_predict_append(method, t, train, test, ref, pred, truth, pairs);
  return detail::collect(
      pred, truth, pairs,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

/// Leave-one-context-out: each context outside the reference is held out whole and its pairs
/// predicted by `method` fitted on every other context's pairs (the hardest protocol: the
/// held-out context has no training signature at all).
template <class Method, class Scalar>
CompletionEvaluation leave_one_context_out(Method method, const PerturbationTensor<Scalar>& t,
                                           const std::string& reference_context = "") {
  const char* fn = "leave_one_context_out";
  const Eigen::Index ref =
      reference_context.empty() ? -1 : t.contexts().index(reference_context, fn);
  const auto by_ctx = detail::rows_by_context(t, ref);
  std::vector<Eigen::RowVectorXd> pred, truth;
  std::vector<PairIndex> pairs;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t c = 0; c < by_ctx.size(); ++c) {
    if (by_ctx[c].empty()) continue;
    std::vector<Eigen::Index> train;
    for (std::size_t o = 0; o < by_ctx.size(); ++o)
      if (o != c) train.insert(train.end(), by_ctx[o].begin(), by_ctx[o].end());
    if (train.empty()) detail::throw_invalid(fn, "only one context outside the reference");
    detail::fit_predict_append(method, t, train, by_ctx[c], ref, pred, truth, pairs);
  }
  return detail::collect(
      pred, truth, pairs,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

/// Mean and standard error of the scores of several evaluations (e.g. one per seed).
struct ScoreSummary {
  CompletionScores mean, standard_error;
  double seconds = 0; ///< total wall time
  int runs = 0;
};

/// Summarise evaluations: mean and standard error (sample s.d. / sqrt(runs); 0 for one run).
inline ScoreSummary summarize(const std::vector<CompletionEvaluation>& runs) {
  if (runs.empty()) detail::throw_invalid("summarize", "no evaluations");
  ScoreSummary s;
  s.runs = int(runs.size());
  auto stat = [&](auto get, double& mean, double& se) {
    double m = 0;
    for (const auto& r : runs) m += get(r.scores);
    m /= double(runs.size());
    double v = 0;
    for (const auto& r : runs) v += (get(r.scores) - m) * (get(r.scores) - m);
    mean = m;
    se = runs.size() > 1 ? std::sqrt(v / double(runs.size() - 1) / double(runs.size())) : 0.0;
  };
  stat([](const CompletionScores& c) { return c.pearson; }, s.mean.pearson,
       s.standard_error.pearson);
  stat([](const CompletionScores& c) { return c.r2; }, s.mean.r2, s.standard_error.r2);
  stat([](const CompletionScores& c) { return c.cosine; }, s.mean.cosine, s.standard_error.cosine);
  for (const auto& r : runs) s.seconds += r.seconds;
  return s;
}

/// Run `protocol` on `method`: once for the deterministic protocols, once per seed
/// `first_seed`, `first_seed + 1`, ... for the random ones; returns the mean and standard error.
template <class Method, class Scalar>
ScoreSummary evaluate_protocol(const Method& method, const PerturbationTensor<Scalar>& t,
                               const CompletionProtocol& protocol,
                               const std::string& reference_context = "", int seeds = 3,
                               unsigned first_seed = 1000) {
  if (seeds < 1) detail::throw_invalid("evaluate_protocol", "seeds must be >= 1, got ", seeds);
  std::vector<CompletionEvaluation> runs;
  using K = CompletionProtocol::Kind;
  switch (protocol.kind) {
  case K::LeaveOnePairOut:
    runs.push_back(leave_one_pair_out(method, t, reference_context));
    break;
  case K::LeaveOneContextOut:
    runs.push_back(leave_one_context_out(method, t, reference_context));
    break;
  default:
    for (int s = 0; s < seeds; ++s) {
      const unsigned seed = first_seed + unsigned(s);
      runs.push_back(protocol.kind == K::KFold
                         ? kfold_per_context(method, t, protocol.value, seed, reference_context)
                         : sparse_per_context(method, t, protocol.value, seed, reference_context));
    }
  }
  return summarize(runs);
}

} // namespace cimpute
