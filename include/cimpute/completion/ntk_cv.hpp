/// @file ntk_cv.hpp
/// @brief `NtkCompletionCV`: NTK completion whose prior and hyper-parameters are chosen by
/// closed-form leave-one-out on the training pairs only.
#pragma once

#include "cimpute/completion/ntk_completion.hpp"
#include "cimpute/stats/metrics.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace cimpute {

/// What inner cross-validation maximises.
enum class SelectionCriterion {
  Pearson, ///< pooled Pearson r
  R2,      ///< mean per-signature R^2
  Cosine,  ///< mean per-signature cosine
  Mean     ///< the mean of the three
};

/// The value of `scores` that `criterion` maximises.
inline double selection_value(SelectionCriterion criterion, const CompletionScores& s) {
  switch (criterion) {
  case SelectionCriterion::Pearson:
    return s.pearson;
  case SelectionCriterion::R2:
    return s.r2;
  case SelectionCriterion::Cosine:
    return s.cosine;
  default:
    return (s.pearson + s.r2 + s.cosine) / 3;
  }
}

/// How `NtkCompletionCV` holds training pairs out to score a point of its search.
enum class InnerProtocol {
  /// Closed-form leave-one-pair-out (cheap; for completing contexts that have training pairs).
  LeaveOnePairOut,
  /// Leave-one-context-out: refit without each training context in turn and predict it whole
  /// (for predicting contexts that have no training pair at all).
  LeaveOneContextOut
};

namespace detail {
/// Throws `invalid_argument` (from `fn`) for a depth < 1 or a negative or non-finite identity
/// weight, scale or ridge in an NTK search grid.
inline void check_ntk_grid(const char* fn, const std::vector<int>& depths,
                           const std::vector<double>& identity_weights,
                           const std::vector<double>& scales, const std::vector<double>& ridges) {
  for (int d : depths)
    if (d < 1) throw_invalid(fn, "depth ", d, " < 1");
  for (const auto* v : {&identity_weights, &scales, &ridges})
    for (double x : *v)
      if (!(x >= 0) || !std::isfinite(x)) throw_invalid(fn, "bad value ", x);
}
} // namespace detail

/// The search space and rules of `NtkCompletionCV`.
struct NtkSearchOptions {
  /// Priors tried; TrainContextAverage only when the training set has a reference context,
  /// UserFeatures only when the base options hold perturbation or context features.
  /// TrainAverages is not in the default list: the held-out pair enters its perturbation's
  /// training mean, which makes the closed-form leave-one-out of that prior optimistic (by about
  /// 0.01 Pearson on the L1000 subset) and biases the choice towards it.
  std::vector<NtkPrior> priors{NtkPrior::OneHot, NtkPrior::TrainContextAverage,
                               NtkPrior::UserFeatures};
  InnerProtocol inner = InnerProtocol::LeaveOnePairOut;
  std::vector<int> depths{1, 2, 5};
  std::vector<double> identity_weights{0.5, 1.5};
  std::vector<double> scales{0.75, 1.5, 3.0};
  std::vector<double> ridges{0.0, 0.1};
  SelectionCriterion criterion = SelectionCriterion::Mean;
  /// Inner leave-one-out on a random subset of at most this many training pairs (the
  /// features still come from all of them); bounds the cost on large screens.
  Eigen::Index max_pairs = 1000;
  /// Inner leave-one-context-out holds out at most this many training contexts (a seeded random
  /// subset); each costs one refit per point of the grid.
  Eigen::Index max_contexts = 30;
  unsigned seed = 0;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "NtkSearchOptions::validate";
    if (priors.empty() || depths.empty() || identity_weights.empty() || scales.empty() ||
        ridges.empty())
      detail::throw_invalid(fn, "every list of the search space needs a value");
    if (max_pairs < 2) detail::throw_invalid(fn, "max_pairs must be >= 2, got ", max_pairs);
    if (max_contexts < 2)
      detail::throw_invalid(fn, "max_contexts must be >= 2, got ", max_contexts);
    detail::check_ntk_grid(fn, depths, identity_weights, scales, ridges);
  }
};

/// One evaluated point of the search.
struct NtkSearchPoint {
  NtkCompletionOptions options;
  CompletionScores scores; ///< of the closed-form leave-one-out predictions
  double criterion = 0;
};

/// NTK completion with its prior and hyper-parameters (depth, identity weight, prior scale,
/// ridge) chosen by inner cross-validation on the training pairs only: for every point of the
/// grid, the closed-form leave-one-out predictions of kernel ridge regression,
/// \f$ \hat y_{-i} = y_i - \alpha_i / [(K + \lambda I)^{-1}]_{ii} \f$ (Rasmussen & Williams 2006,
/// sec. 5.4.2), are scored with the completion metrics, and the best point is refitted on the
/// whole training set. Test pairs are never seen. The features of the train-context-average
/// prior (context means) are computed once from all training pairs, so the held-out pair's own
/// signature enters its context's mean: a mild optimism of the inner estimate that affects
/// only the choice, never the reported evaluation. With `InnerProtocol::LeaveOneContextOut`
/// each point is instead scored by refitting without each training context (features
/// recomputed without it) and predicting that context whole: the criterion for contexts with no
/// training pair, where leave-one-pair-out would favour priors that need the context's own data.
template <class Scalar_ = double>
class NtkCompletionCV {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  explicit NtkCompletionCV(NtkSearchOptions search = {}, NtkCompletionOptions base = {})
      : m_search(std::move(search)), m_base(std::move(base)), m_model(m_base) {
    m_search.validate();
  }
  std::string name() const { return "ntk"; }

  NtkCompletionCV& fit(const TrainingSet<Scalar>& train) {
    m_points.clear();
    if (m_search.inner == InnerProtocol::LeaveOneContextOut)
      search_leave_one_context_out(train);
    else
      search_leave_one_pair_out(train);
    if (m_points.empty())
      detail::throw_invalid("NtkCompletionCV::fit",
                            "no point of the search space could be fitted (add a ridge, or "
                            "train on at least two contexts for leave-one-context-out)");
    m_model = NtkCompletion<Scalar>(m_points[m_best].options);
    m_model.fit(train);
    return *this;
  }

  Matrix predict(const std::vector<PairIndex>& pairs) const { return m_model.predict(pairs); }

  /// The options chosen by the last fit.
  const NtkCompletionOptions& selected() const {
    if (m_points.empty()) detail::throw_logic("NtkCompletionCV::selected", "call fit() first");
    return m_points[m_best].options;
  }
  /// Every evaluated point of the last fit, in search order.
  const std::vector<NtkSearchPoint>& search_points() const noexcept { return m_points; }
  /// The refitted model.
  const NtkCompletion<Scalar>& model() const noexcept { return m_model; }

private:
  // Every (prior, scale, depth, identity weight) of the grid that applies to `train`.
  template <class F>
  void for_each_kernel(const TrainingSet<Scalar>& train, F&& f) const {
    const auto& t = train.tensor();
    for (NtkPrior prior : m_search.priors) {
      NtkCompletionOptions o = m_base;
      o.prior = prior;
      if (prior == NtkPrior::TrainContextAverage) {
        if (train.reference_context() < 0) continue;
        o.reference_context = t.contexts()[train.reference_context()];
      }
      if (prior == NtkPrior::UserFeatures && m_base.perturbation_features.size() == 0 &&
          m_base.context_features.size() == 0)
        continue;
      for (double scale : m_search.scales)
        for (int depth : m_search.depths)
          for (double id : m_search.identity_weights) {
            o.scale = scale;
            o.depth = depth;
            o.identity_weight = id;
            f(o);
          }
    }
  }
  void add_point(NtkCompletionOptions o, double ridge, const CompletionScores& scores,
                 double& best) {
    NtkSearchPoint pt;
    pt.options = std::move(o);
    pt.options.ridge = ridge;
    pt.scores = scores;
    pt.criterion = selection_value(m_search.criterion, pt.scores);
    if (pt.criterion > best) {
      best = pt.criterion;
      m_best = m_points.size();
    }
    m_points.push_back(std::move(pt));
  }

  void search_leave_one_context_out(const TrainingSet<Scalar>& train) {
    const auto& t = train.tensor();
    std::vector<Eigen::Index> held;
    for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
      if (!train.context_rows(c).empty()) held.push_back(c);
    if (held.size() < 2) return;
    if (Eigen::Index(held.size()) > m_search.max_contexts) {
      std::mt19937_64 rng(m_search.seed);
      std::shuffle(held.begin(), held.end(), rng);
      held.resize(std::size_t(m_search.max_contexts));
      std::sort(held.begin(), held.end());
    }
    // The held-out contexts' training sets and truths, built once.
    std::vector<TrainingSet<Scalar>> subsets;
    std::vector<std::vector<PairIndex>> tests;
    Eigen::Index total = 0;
    for (Eigen::Index c : held) {
      std::vector<Eigen::Index> rows;
      for (Eigen::Index r : train.rows())
        if (t.observed_pairs()[std::size_t(r)].context != c) rows.push_back(r);
      subsets.emplace_back(t, std::move(rows), train.reference_context());
      std::vector<PairIndex> test;
      for (Eigen::Index r : train.context_rows(c))
        test.push_back(t.observed_pairs()[std::size_t(r)]);
      total += Eigen::Index(test.size());
      tests.push_back(std::move(test));
    }
    Eigen::MatrixXd truth(total, t.num_features());
    for (std::size_t k = 0, at = 0; k < held.size(); ++k)
      for (Eigen::Index r : train.context_rows(held[k]))
        truth.row(Eigen::Index(at++)) = t.observed().row(r).template cast<double>();
    // Positions of the held-out contexts' rows within `train.rows()` (for the closed form).
    std::vector<std::vector<Eigen::Index>> blocks(held.size());
    for (std::size_t i = 0; i < train.rows().size(); ++i) {
      const Eigen::Index c = t.observed_pairs()[std::size_t(train.rows()[i])].context;
      const auto it = std::find(held.begin(), held.end(), c);
      if (it != held.end()) blocks[std::size_t(it - held.begin())].push_back(Eigen::Index(i));
    }
    const Eigen::MatrixXd Y_all = train.signatures().template cast<double>();
    double best = -std::numeric_limits<double>::infinity();
    for_each_kernel(train, [&](const NtkCompletionOptions& o) {
      std::vector<Eigen::MatrixXd> pred(m_search.ridges.size(),
                                        Eigen::MatrixXd(total, t.num_features()));
      std::vector<bool> ok(m_search.ridges.size(), true);
      if (o.prior == NtkPrior::OneHot || o.prior == NtkPrior::UserFeatures) {
        // Features that do not depend on the training set: the closed-form leave-block-out of
        // kernel ridge regression, y_B - [(K + lambda I)^-1]_BB^-1 alpha_B, from one
        // factorisation of the whole training Gram (equal to refitting without the block).
        NtkCompletion<Scalar> m(o);
        m.prepare(train);
        const auto pairs = train.pairs();
        const Eigen::MatrixXd K = m.kernel_matrix(pairs, pairs, true);
        for (std::size_t j = 0; j < m_search.ridges.size(); ++j) {
          ExactKernelSolver<double> solver(K, m_search.ridges[j]);
          if (solver.info() != ComputationInfo::Success) {
            ok[j] = false;
            continue;
          }
          const Eigen::MatrixXd Kinv = solver.solve(Eigen::MatrixXd::Identity(K.rows(), K.cols()));
          const Eigen::MatrixXd alpha = Kinv * Y_all;
          Eigen::Index at = 0;
          for (const auto& b : blocks) {
            const Eigen::MatrixXd Kbb = Kinv(b, b);
            const Eigen::MatrixXd r = Kbb.ldlt().solve(Eigen::MatrixXd(alpha(b, Eigen::all)));
            pred[j].middleRows(at, Eigen::Index(b.size())) = Y_all(b, Eigen::all) - r;
            at += Eigen::Index(b.size());
          }
        }
        for (std::size_t j = 0; j < m_search.ridges.size(); ++j)
          if (ok[j]) add_point(o, m_search.ridges[j], completion_scores(pred[j], truth), best);
        return;
      }
      Eigen::Index at = 0;
      for (std::size_t k = 0; k < held.size(); ++k) {
        NtkCompletion<Scalar> m(o);
        m.prepare(subsets[k]);
        const auto pairs = subsets[k].pairs();
        const Eigen::MatrixXd K = m.kernel_matrix(pairs, pairs, true);
        const Eigen::MatrixXd Kt = m.kernel_matrix(tests[k], pairs, false);
        const Eigen::MatrixXd Y = subsets[k].signatures().template cast<double>();
        for (std::size_t j = 0; j < m_search.ridges.size(); ++j) {
          if (!ok[j]) continue;
          ExactKernelSolver<double> solver(K, m_search.ridges[j]);
          if (solver.info() != ComputationInfo::Success) {
            ok[j] = false;
            continue;
          }
          pred[j].middleRows(at, Kt.rows()) = Kt * solver.solve(Y);
        }
        at += Kt.rows();
      }
      for (std::size_t j = 0; j < m_search.ridges.size(); ++j)
        if (ok[j]) add_point(o, m_search.ridges[j], completion_scores(pred[j], truth), best);
    });
  }

  void search_leave_one_pair_out(const TrainingSet<Scalar>& train) {
    const auto& t = train.tensor();
    // The inner leave-one-out subset.
    std::vector<Eigen::Index> idx(std::size_t(train.size()));
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = Eigen::Index(i);
    if (train.size() > m_search.max_pairs) {
      std::mt19937_64 rng(m_search.seed);
      std::shuffle(idx.begin(), idx.end(), rng);
      idx.resize(std::size_t(m_search.max_pairs));
      std::sort(idx.begin(), idx.end());
    }
    const std::vector<PairIndex> all = train.pairs();
    std::vector<PairIndex> sub;
    std::vector<Eigen::Index> sub_rows;
    for (Eigen::Index i : idx) {
      sub.push_back(all[std::size_t(i)]);
      sub_rows.push_back(train.rows()[std::size_t(i)]);
    }
    const Eigen::MatrixXd Y = t.observed()(sub_rows, Eigen::all).template cast<double>();

    double best = -std::numeric_limits<double>::infinity();
    for_each_kernel(train, [&](const NtkCompletionOptions& o) {
      NtkCompletion<Scalar> m(o);
      m.prepare(train);
      const Eigen::MatrixXd K = m.kernel_matrix(sub, sub, true);
      for (double ridge : m_search.ridges) {
        ExactKernelSolver<double> solver(K, ridge);
        if (solver.info() != ComputationInfo::Success) continue;
        add_point(o, ridge, completion_scores(Y - solver.loo_residuals(Y), Y), best);
      }
    });
  }

  NtkSearchOptions m_search;
  NtkCompletionOptions m_base;
  NtkCompletion<Scalar> m_model;
  std::vector<NtkSearchPoint> m_points;
  std::size_t m_best = 0;
};

} // namespace cimpute
