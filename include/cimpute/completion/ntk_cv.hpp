/// @file ntk_cv.hpp
/// @brief `NtkCompletionCV`: NTK completion whose prior and hyper-parameters are chosen by
/// closed-form leave-one-out on the training pairs only.
#pragma once

#include "cimpute/completion/ntk_completion.hpp"
#include "cimpute/stats/metrics.hpp"

#include <Eigen/Core>

#include <algorithm>
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

/// The search space and rules of `NtkCompletionCV`.
struct NtkSearchOptions {
  /// Priors tried; TrainContextAverage only when the training set has a reference context.
  /// TrainAverages is not in the default list: the held-out pair enters its perturbation's
  /// training mean, which makes the closed-form leave-one-out of that prior optimistic (by about
  /// 0.01 Pearson on the L1000 subset) and biases the choice towards it.
  std::vector<NtkPrior> priors{NtkPrior::OneHot, NtkPrior::TrainContextAverage};
  std::vector<int> depths{1, 2, 5};
  std::vector<double> identity_weights{0.5, 1.5};
  std::vector<double> scales{0.75, 1.5, 3.0};
  std::vector<double> ridges{0.0, 0.1};
  SelectionCriterion criterion = SelectionCriterion::Mean;
  /// Inner leave-one-out on a random subset of at most this many training pairs (the
  /// features still come from all of them); bounds the cost on large screens.
  Eigen::Index max_pairs = 1000;
  unsigned seed = 0;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "NtkSearchOptions::validate";
    if (priors.empty() || depths.empty() || identity_weights.empty() || scales.empty() ||
        ridges.empty())
      detail::throw_invalid(fn, "every list of the search space needs a value");
    if (max_pairs < 2) detail::throw_invalid(fn, "max_pairs must be >= 2, got ", max_pairs);
    for (int d : depths)
      if (d < 1) detail::throw_invalid(fn, "depth ", d, " < 1");
    for (const auto* v : {&identity_weights, &scales, &ridges})
      for (double x : *v)
        if (!(x >= 0) || !std::isfinite(x)) detail::throw_invalid(fn, "bad value ", x);
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
/// only the choice, never the reported evaluation.
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

    m_points.clear();
    double best = -std::numeric_limits<double>::infinity();
    for (NtkPrior prior : m_search.priors) {
      NtkCompletionOptions o = m_base;
      o.prior = prior;
      if (prior == NtkPrior::TrainContextAverage) {
        if (train.reference_context() < 0) continue;
        o.reference_context = t.contexts()[train.reference_context()];
      }
      for (double scale : m_search.scales)
        for (int depth : m_search.depths)
          for (double id : m_search.identity_weights) {
            o.scale = scale;
            o.depth = depth;
            o.identity_weight = id;
            NtkCompletion<Scalar> m(o);
            m.prepare(train);
            const Eigen::MatrixXd K = m.kernel_matrix(sub, sub, true);
            for (double ridge : m_search.ridges) {
              ExactKernelSolver<double> solver(K, ridge);
              if (solver.info() != ComputationInfo::Success) continue;
              const Eigen::MatrixXd pred = Y - solver.loo_residuals(Y);
              NtkSearchPoint pt;
              pt.options = o;
              pt.options.ridge = ridge;
              pt.scores = completion_scores(pred, Y);
              pt.criterion = value(pt.scores);
              if (pt.criterion > best) {
                best = pt.criterion;
                m_best = m_points.size();
              }
              m_points.push_back(std::move(pt));
            }
          }
    }
    if (m_points.empty())
      detail::throw_invalid("NtkCompletionCV::fit",
                            "no point of the search space could be fitted (add a ridge)");
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
  double value(const CompletionScores& s) const {
    switch (m_search.criterion) {
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

  NtkSearchOptions m_search;
  NtkCompletionOptions m_base;
  NtkCompletion<Scalar> m_model;
  std::vector<NtkSearchPoint> m_points;
  std::size_t m_best = 0;
};

} // namespace cimpute
