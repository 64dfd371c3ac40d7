/// @file protocols.hpp
/// @brief Evaluation protocols for completion methods: leave-one-pair-out, K-fold within each
/// context, the sparse regime (B training perturbations per context), leave-one-context-out,
/// summaries over seeds, and `evaluate_protocol`, which runs a parsed `CompletionProtocol`.
#pragma once

#include "cimpute/completion/any_completion.hpp"
#include "cimpute/completion/combinations.hpp"
#include "cimpute/completion/protocol.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/completion/workflow.hpp"
#include "cimpute/core/communicator.hpp"
#include "cimpute/core/config.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/core/progress.hpp"
#include "cimpute/stats/metrics.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
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
/// `progress` is told of every finished refit (of the whole closed form at once, for a method
/// that has one).
template <class Method, class Scalar, class Comm = SingleProcess>
CompletionEvaluation leave_one_pair_out(Method method, const PerturbationTensor<Scalar>& t,
                                        const std::string& reference_context = "",
                                        const ProgressCallback& progress = {},
                                        const Comm& comm = Comm{}) {
  const char* fn = "leave_one_pair_out";
  const Eigen::Index ref = reference_index(t, reference_context, fn);
  if (t.num_observed() < 2) detail::throw_invalid(fn, "needs at least two observed pairs");
  CompletionEvaluation ev;
  const std::vector<Eigen::Index> eval = rows_outside_context(t, ref);
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
      if (progress) progress(long(eval.size()), long(eval.size()));
      return ev;
    }
  }
  // The refits are independent: each runs on a fresh copy of the method (on OpenMP threads when
  // built with them) and writes its own row, so the result is the same on any thread count;
  // over several processes, refit k runs on process k % size and its row is shared.
  const std::vector<int> owner = round_robin_owners(long(eval.size()), comm.size());
  const std::vector<long> mine = items_of(owner, comm.rank());
  detail::ProgressCounter counter(progress, long(mine.size()));
  collectively(comm, [&] {
    detail::parallel_for(long(mine.size()), [&](long i) {
      const long k = mine[std::size_t(i)];
      std::vector<Eigen::Index> rows;
      rows.reserve(eval.size() - 1);
      for (Eigen::Index r : eval)
        if (r != eval[std::size_t(k)]) rows.push_back(r);
      Method local = method;
      local.fit(TrainingSet<Scalar>(t, std::move(rows), ref));
      const PairIndex p = t.observed_pairs()[std::size_t(eval[std::size_t(k)])];
      ev.predictions.row(Eigen::Index(k)) = local.predict({p}).row(0).template cast<double>();
      counter.step();
    });
  });
  comm.share_rows(ev.predictions, owner);
  ev.seconds =
      comm.max(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  ev.scores = completion_scores(ev.predictions, ev.truths);
  return ev;
}

namespace detail {
/// The training and test rows of the folds of a protocol; `hidden[k]` (empty: none) flags the
/// perturbations whose reference-context rows fold k hides (`TrainingSet`).
struct Folds {
  std::vector<std::vector<Eigen::Index>> train, test;
  std::vector<std::vector<char>> hidden;
};

/// Fit `method` on every fold's training rows (the reference context as side information) and
/// predict its test rows, fold after fold, each on a fresh copy of `method` (so no fold sees
/// another's fit). The folds run one after another, not as parallel tasks: a fold of a large
/// screen needs gigabytes (an n x n Gram, FaLRTC's dense tensors), and the methods use the
/// threads themselves (BLAS, their own parallel loops). Folds without test rows are skipped;
/// `progress` counts the others (this process's, over several).
template <class Method, class Scalar, class Comm>
CompletionEvaluation run_folds(const Method& method, const PerturbationTensor<Scalar>& t,
                               const Folds& folds, Eigen::Index ref, const char* fn,
                               const ProgressCallback& progress, const Comm& comm) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Eigen::Index> offset(folds.test.size() + 1, 0);
  for (std::size_t k = 0; k < folds.test.size(); ++k)
    offset[k + 1] = offset[k] + Eigen::Index(folds.test[k].size());
  if (offset.back() == 0) throw_invalid(fn, "no pair to evaluate");
  // Over several processes, the non-empty folds go round-robin and their rows are shared.
  std::vector<int> fold_owner(folds.test.size(), -1), row_owner;
  long nonempty = 0, mine = 0;
  for (std::size_t k = 0; k < folds.test.size(); ++k) {
    if (folds.test[k].empty()) continue;
    fold_owner[k] = round_robin_owner(nonempty++, comm.size());
    mine += fold_owner[k] == comm.rank() ? 1 : 0;
    row_owner.insert(row_owner.end(), folds.test[k].size(), fold_owner[k]);
  }
  ProgressCounter counter(progress, mine);
  CompletionEvaluation ev;
  ev.predictions = Eigen::MatrixXd::Zero(offset.back(), t.num_features());
  ev.truths.resize(offset.back(), t.num_features());
  ev.pairs.resize(std::size_t(offset.back()));
  collectively(comm, [&] {
    for (std::size_t k = 0; k < folds.test.size(); ++k) {
      const auto& test = folds.test[k];
      if (test.empty()) continue;
      std::vector<PairIndex> q;
      for (Eigen::Index r : test) q.push_back(t.observed_pairs()[std::size_t(r)]);
      for (std::size_t i = 0; i < test.size(); ++i) {
        const Eigen::Index at = offset[k] + Eigen::Index(i);
        ev.truths.row(at) = t.observed().row(test[i]).template cast<double>();
        ev.pairs[std::size_t(at)] = q[i];
      }
      if (fold_owner[k] != comm.rank()) continue;
      Method local = method;
      local.fit(TrainingSet<Scalar>(t, folds.train[k], ref,
                                    folds.hidden.empty() ? std::vector<char>{} : folds.hidden[k]));
      ev.predictions.middleRows(offset[k], Eigen::Index(test.size())) =
          local.predict(q).template cast<double>();
      counter.step();
    }
  });
  comm.share_rows(ev.predictions, row_owner);
  ev.seconds =
      comm.max(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
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
/// are never tested but always train. Every tested pair is predicted exactly once; `progress` is
/// told of every finished fold.
template <class Method, class Scalar, class Comm = SingleProcess>
CompletionEvaluation
kfold_per_context(Method method, const PerturbationTensor<Scalar>& t, int folds, unsigned seed,
                  const std::string& reference_context = "", int min_per_context = -1,
                  const ProgressCallback& progress = {}, const Comm& comm = Comm{}) {
  const char* fn = "kfold_per_context";
  if (folds < 2) detail::throw_invalid(fn, "folds must be >= 2, got ", folds);
  if (min_per_context < 0) min_per_context = folds;
  const Eigen::Index ref = reference_index(t, reference_context, fn);
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
  detail::Folds f;
  f.train.resize(std::size_t(folds));
  f.test.resize(std::size_t(folds));
  for (const auto& rows : by_ctx)
    for (Eigen::Index r : rows)
      for (int k = 0; k < folds; ++k)
        (fold_of[std::size_t(r)] == k ? f.test : f.train)[std::size_t(k)].push_back(r);
  return detail::run_folds(method, t, f, ref, fn, progress, comm);
}

/// The sparse regime: in every context (outside the reference), `B` perturbations drawn with
/// `seed` are training and all others are test; one fit. Contexts with at most B pairs only
/// train.
template <class Method, class Scalar, class Comm = SingleProcess>
CompletionEvaluation sparse_per_context(Method method, const PerturbationTensor<Scalar>& t, int B,
                                        unsigned seed, const std::string& reference_context = "",
                                        const ProgressCallback& progress = {},
                                        const Comm& comm = Comm{}) {
  const char* fn = "sparse_per_context";
  if (B < 1) detail::throw_invalid(fn, "B must be >= 1, got ", B);
  const Eigen::Index ref = reference_index(t, reference_context, fn);
  std::mt19937_64 rng(seed);
  detail::Folds f;
  f.train.resize(1);
  f.test.resize(1);
  for (auto rows : detail::rows_by_context(t, ref)) {
    std::shuffle(rows.begin(), rows.end(), rng);
    for (std::size_t i = 0; i < rows.size(); ++i)
      (i < std::size_t(B) ? f.train : f.test)[0].push_back(rows[i]);
  }
  return detail::run_folds(method, t, f, ref, fn, progress, comm);
}

/// Leave-one-context-out: each context outside the reference is held out whole and its pairs
/// predicted by `method` fitted on every other context's pairs (the hardest protocol: the
/// held-out context has no training signature at all); `progress` is told of every finished
/// context.
template <class Method, class Scalar, class Comm = SingleProcess>
CompletionEvaluation leave_one_context_out(Method method, const PerturbationTensor<Scalar>& t,
                                           const std::string& reference_context = "",
                                           const ProgressCallback& progress = {},
                                           const Comm& comm = Comm{}) {
  const char* fn = "leave_one_context_out";
  const Eigen::Index ref = reference_index(t, reference_context, fn);
  const auto by_ctx = detail::rows_by_context(t, ref);
  detail::Folds f;
  for (std::size_t c = 0; c < by_ctx.size(); ++c) {
    if (by_ctx[c].empty()) continue;
    std::vector<Eigen::Index> train;
    for (std::size_t o = 0; o < by_ctx.size(); ++o)
      if (o != c) train.insert(train.end(), by_ctx[o].begin(), by_ctx[o].end());
    if (train.empty()) detail::throw_invalid(fn, "only one context outside the reference");
    f.train.push_back(std::move(train));
    f.test.push_back(by_ctx[c]);
  }
  return detail::run_folds(method, t, f, ref, fn, progress, comm);
}

namespace detail {
/// Folds of whole perturbations: the `candidates` (perturbations) with an observed pair outside
/// context `ref` are shuffled with `seed` and dealt into `folds` folds (0: one fold per
/// candidate, in order); fold k tests every non-reference pair of its perturbations, trains on
/// every other non-reference pair, and hides its perturbations' reference rows.
template <class Scalar>
Folds perturbation_folds(const PerturbationTensor<Scalar>& t, Eigen::Index ref,
                         const std::vector<char>& candidate, int folds, unsigned seed,
                         const char* fn) {
  const std::vector<Eigen::Index> rows = rows_outside_context(t, ref);
  std::vector<char> seen(std::size_t(t.num_perturbations()), 0);
  for (Eigen::Index r : rows)
    seen[std::size_t(t.observed_pairs()[std::size_t(r)].perturbation)] = 1;
  std::vector<Eigen::Index> perts;
  for (Eigen::Index p = 0; p < t.num_perturbations(); ++p)
    if (seen[std::size_t(p)] && candidate[std::size_t(p)]) perts.push_back(p);
  const std::size_t K = folds > 0 ? std::size_t(folds) : perts.size();
  if (perts.empty() || perts.size() < K)
    throw_invalid(fn, "only ", perts.size(), " perturbations to hold out outside the reference ",
                  "context for ", K, " folds");
  if (folds > 0) {
    std::mt19937_64 rng(seed);
    std::shuffle(perts.begin(), perts.end(), rng);
  }
  std::vector<int> fold_of(std::size_t(t.num_perturbations()), -1);
  Folds f;
  f.train.resize(K);
  f.test.resize(K);
  f.hidden.assign(K, std::vector<char>(std::size_t(t.num_perturbations()), 0));
  for (std::size_t i = 0; i < perts.size(); ++i) {
    fold_of[std::size_t(perts[i])] = int(i % K);
    f.hidden[i % K][std::size_t(perts[i])] = 1;
  }
  for (Eigen::Index r : rows) {
    const int k = fold_of[std::size_t(t.observed_pairs()[std::size_t(r)].perturbation)];
    for (std::size_t j = 0; j < K; ++j) (int(j) == k ? f.test : f.train)[j].push_back(r);
  }
  if (K == 1 && f.train[0].empty())
    throw_invalid(fn, "holding out the only perturbation leaves no training pair");
  return f;
}
} // namespace detail

/// Unseen perturbations: the perturbations with an observed pair outside the reference context
/// are shuffled with `seed` and dealt into K folds; fold k's test set is every non-reference
/// pair of its perturbations, its training set every non-reference pair of the others, and its
/// perturbations' reference-context signatures are hidden too (`TrainingSet`'s
/// `hidden_perturbations`): a held-out perturbation has no measurement anywhere, so only a
/// method with a prior on perturbations (features, e.g. `pca_perturbation_features`) can tell
/// it from the average perturbation. Every tested pair is predicted exactly once; `progress` is
/// told of every finished fold. Throws when fewer than K perturbations can be tested.
template <class Method, class Scalar, class Comm = SingleProcess>
CompletionEvaluation
unseen_perturbation_folds(Method method, const PerturbationTensor<Scalar>& t, int folds,
                          unsigned seed, const std::string& reference_context = "",
                          const ProgressCallback& progress = {}, const Comm& comm = Comm{}) {
  const char* fn = "unseen_perturbation_folds";
  if (folds < 2) detail::throw_invalid(fn, "folds must be >= 2, got ", folds);
  const Eigen::Index ref = reference_index(t, reference_context, fn);
  const std::vector<char> every(std::size_t(t.num_perturbations()), 1);
  return detail::run_folds(method, t, detail::perturbation_folds(t, ref, every, folds, seed, fn),
                           ref, fn, progress, comm);
}

/// Unseen combinations: the combinations (`combination_parts`: perturbations named `A+B` after
/// perturbations of the tensor) are held out of every context, each alone (`folds` = 0) or in
/// K folds drawn with `seed`, while every single perturbation (and every other combination)
/// trains; the held-out combinations' reference signatures are hidden. The task of predicting a
/// drug pair never tried from its single drugs, against the additive model
/// (`AdditiveCompletion`). Throws when the tensor has no combination, or fewer than K.
template <class Method, class Scalar, class Comm = SingleProcess>
CompletionEvaluation
unseen_combination_folds(Method method, const PerturbationTensor<Scalar>& t, int folds,
                         unsigned seed, const std::string& reference_context = "",
                         const ProgressCallback& progress = {}, const Comm& comm = Comm{}) {
  const char* fn = "unseen_combination_folds";
  if (folds == 1 || folds < 0)
    detail::throw_invalid(fn, "folds must be 0 (one per combination) or >= 2, got ", folds);
  const Eigen::Index ref = reference_index(t, reference_context, fn);
  const auto parts = combination_parts(t);
  std::vector<char> combination(parts.size(), 0);
  for (std::size_t p = 0; p < parts.size(); ++p) combination[p] = parts[p].empty() ? 0 : 1;
  if (std::find(combination.begin(), combination.end(), 1) == combination.end())
    detail::throw_invalid(fn, "no perturbation is a combination (a name A+B whose parts A and B "
                              "are perturbations of the data)");
  return detail::run_folds(method, t,
                           detail::perturbation_folds(t, ref, combination, folds, seed, fn), ref,
                           fn, progress, comm);
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

/// Summarise runs that were each summarised alone (one seed per call of `evaluate_protocol`, as
/// the front ends run them to report progress per seed): the mean and standard error over their
/// means, their seconds added up, as one call with all the seeds computes them.
inline ScoreSummary summarize(const std::vector<ScoreSummary>& per_seed) {
  std::vector<CompletionEvaluation> runs(per_seed.size());
  for (std::size_t k = 0; k < per_seed.size(); ++k) {
    runs[k].scores = per_seed[k].mean;
    runs[k].seconds = per_seed[k].seconds;
  }
  return summarize(runs);
}

/// One run of `protocol` on `method` with the split of `seed` (unused by loo and loco): its
/// predictions, truths and scores (e.g. to score them further with `completion_response_scores`).
template <class Method, class Scalar, class Comm = SingleProcess>
CompletionEvaluation
run_protocol(const Method& method, const PerturbationTensor<Scalar>& t,
             const CompletionProtocol& protocol, const std::string& reference_context,
             unsigned seed, const ProgressCallback& progress = {}, const Comm& comm = Comm{}) {
  using K = CompletionProtocol::Kind;
  switch (protocol.kind) {
  case K::LeaveOnePairOut:
    return leave_one_pair_out(method, t, reference_context, progress, comm);
  case K::LeaveOneContextOut:
    return leave_one_context_out(method, t, reference_context, progress, comm);
  case K::KFold:
    return kfold_per_context(method, t, protocol.value, seed, reference_context, -1, progress,
                             comm);
  case K::Sparse:
    return sparse_per_context(method, t, protocol.value, seed, reference_context, progress, comm);
  case K::UnseenCombination:
    return unseen_combination_folds(method, t, protocol.value, seed, reference_context, progress,
                                    comm);
  case K::UnseenPerturbation:
    return unseen_perturbation_folds(method, t, protocol.value, seed, reference_context, progress,
                                     comm);
  }
  detail::throw_logic("run_protocol", "protocol '", protocol.name, "' has no runner");
}

/// Run `protocol` on `method`: once for the deterministic protocols, once per seed
/// `first_seed`, `first_seed + 1`, ... for the random ones; returns the mean and standard error.
/// `progress` follows the folds (or refits) of each run in turn, counting from 1 in each.
///
/// Every protocol takes a communicator last (default `SingleProcess`): with `MpiCommunicator`
/// every process of the communicator calls it with the same arguments, the refits (loo) or folds
/// go round-robin over the processes, their predictions are shared, and every process returns
/// exactly what one process returns (`seconds`: the slowest process's).
template <class Method, class Scalar, class Comm = SingleProcess>
ScoreSummary evaluate_protocol(const Method& method, const PerturbationTensor<Scalar>& t,
                               const CompletionProtocol& protocol,
                               const std::string& reference_context = "", int seeds = 3,
                               unsigned first_seed = 1000, const ProgressCallback& progress = {},
                               const Comm& comm = Comm{}) {
  if (seeds < 1) detail::throw_invalid("evaluate_protocol", "seeds must be >= 1, got ", seeds);
  std::vector<CompletionEvaluation> runs;
  for (int s = 0; s < (protocol.is_random() ? seeds : 1); ++s)
    runs.push_back(run_protocol(method, t, protocol, reference_context, first_seed + unsigned(s),
                                progress, comm));
  return summarize(runs);
}

} // namespace cimpute
