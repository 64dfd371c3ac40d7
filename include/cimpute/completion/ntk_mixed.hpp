/// @file ntk_mixed.hpp
/// @brief `NtkMixedPriorCompletion` (formerly `MixedPriorNtk`): NTK completion with the mixed prior
/// (a baseline's predictions as the features of test pairs), its hyper-parameters chosen by an
/// honest inner K-fold.
#pragma once

#include "cimpute/completion/ntk_cv.hpp"
#include "cimpute/completion/ntk_grid.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/kernels/ntk.hpp"
#include "cimpute/solvers/exact_kernel_solver.hpp"
#include "cimpute/stats/metrics.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// The search space and rules of `NtkMixedPriorCompletion`: the hyper-parameter grid (`NtkGrid`:
/// depths {1, 2}, identity weights {0.5, 1.5}, scales {0.75, 1.5}, ridges {0, 0.1} by default),
/// the rich-context threshold and the inner K-fold.
struct MixedPriorOptions : NtkGrid {
  /// The default search: the grid above, 5 inner folds over at most 2000 pairs.
  MixedPriorOptions() : NtkGrid{{1, 2}, {0.5, 1.5}, {0.75, 1.5}, {0.0, 0.1}} {}

  /// A context is "rich" when it has at least this many training perturbations (the reference
  /// code's rule: 150); its pairs get signature features. Other contexts get the
  /// train-context-average features.
  Eigen::Index min_training_perturbations = 150;
  /// Folds of the inner cross-validation (dealt within each context).
  int inner_folds = 5;
  /// The inner cross-validation holds out and trains the NTK on a seeded subset of at most this
  /// many training pairs; the baselines of the inner folds are fitted on all other training
  /// pairs. Bounds the cost on large screens.
  Eigen::Index max_pairs = 2000;
  SelectionCriterion criterion = SelectionCriterion::Mean;
  unsigned seed = 0;
  /// Throws `invalid_argument` naming the bad value (see `NtkGrid::validate` for the grid).
  void validate() const {
    const char* fn = "MixedPriorOptions::validate";
    if (min_training_perturbations < 1)
      detail::throw_invalid(fn, "min_training_perturbations must be >= 1, got ",
                            min_training_perturbations);
    NtkGrid::validate(fn);
    if (inner_folds < 2) detail::throw_invalid(fn, "inner_folds must be >= 2, got ", inner_folds);
    if (max_pairs < 2 * Eigen::Index(inner_folds))
      detail::throw_invalid(fn, "max_pairs must be >= 2 inner_folds (", 2 * inner_folds, "), got ",
                            max_pairs);
  }
};

/// The hyper-parameters of one kernel of the mixed prior.
struct MixedPriorSettings {
  int depth = 1;
  double identity_weight = 1.5;
  double scale = 0.75;
  double ridge = 0.0;
};

/// One evaluated point of the inner search.
struct MixedPriorPoint {
  MixedPriorSettings settings;
  CompletionScores scores; ///< of the inner K-fold predictions
  double criterion = 0;
};

/// NTK completion with the **mixed prior** of the reference code: a pair (d, c) has the features
/// f = [s |e| m_c, e] of the train-context-average prior (m_c the unit-normalised mean of context
/// c's training signatures), where e is
/// - in a context with at least `min_training_perturbations` training perturbations, the pair's
///   own signature for a training pair and the `Baseline`'s prediction for any other pair;
/// - elsewhere, perturbation d's signature in the training-only reference context (the mean
///   reference signature when d is missing there), or, without a reference context, the mean
///   of d's training signatures.
///
/// In the rich contexts the NTK thus maps a baseline's prediction onto the measured signatures
/// it resembles. The closed-form leave-one-out of `NtkCvCompletion` would be dishonest here (the
/// held-out pair's feature would be its own signature), so depth, identity weight, prior scale
/// and ridge are chosen by an inner K-fold on the training pairs: for every fold the baseline is
/// refitted without the fold, and the held-out pairs get its predictions as features, exactly
/// as test pairs do. `Baseline` is any completion method (`fit(TrainingSet)`,
/// `predict(pairs)`), e.g. `DnppCompletion` or `FalrtcCompletion`; it is fitted once per inner
/// fold plus once on all training pairs, and only when some context is rich.
template <class Scalar_, class Baseline>
class NtkMixedPriorCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  explicit NtkMixedPriorCompletion(Baseline baseline, MixedPriorOptions opt = {})
      : m_opt(std::move(opt)), m_baseline(std::move(baseline)) {
    m_opt.validate();
  }
  std::string name() const { return "ntk-mixed"; }
  const MixedPriorOptions& options() const noexcept { return m_opt; }

  NtkMixedPriorCompletion& fit(const TrainingSet<Scalar>& train) {
    const auto& t = train.tensor();
    m_rich.assign(std::size_t(t.num_contexts()), 0);
    m_any_rich = false;
    for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
      if (Eigen::Index(train.context_rows(c).size()) >= m_opt.min_training_perturbations) {
        m_rich[std::size_t(c)] = 1;
        m_any_rich = true;
      }
    search(train);
    if (m_any_rich) m_baseline.fit(train);
    m_space = feature_space(train);
    m_train = train.pairs();
    const Eigen::MatrixXd Y = train.signatures().template cast<double>();
    m_F = pair_features(m_space, m_train, Y);
    m_norms = m_F.rowwise().norm();
    Eigen::MatrixXd dot = m_F * m_F.transpose();
    const MixedPriorSettings& s = selected();
    Eigen::MatrixXd K = gram(dot, m_norms, m_train, m_norms, m_train, m_space.R, s, true);
    dot.resize(0, 0);
    ExactKernelSolver<double> solver;
    solver.compute_in_place(K, s.ridge);
    if (solver.info() != ComputationInfo::Success)
      detail::throw_invalid("NtkMixedPriorCompletion::fit",
                            "the training kernel matrix is not positive definite even with "
                            "jitter (add a ridge or raise the identity weight)");
    m_alpha = solver.solve(Y);
    m_tensor = &t;
    return *this;
  }

  Matrix predict(const std::vector<PairIndex>& pairs) const {
    const char* fn = "NtkMixedPriorCompletion::predict";
    if (!m_tensor) detail::throw_logic(fn, "call fit() first");
    detail::check_pairs(fn, *m_tensor, pairs);
    const Eigen::MatrixXd F = pair_features(m_space, pairs, baseline_values(m_baseline, pairs));
    const Eigen::VectorXd norms = F.rowwise().norm();
    const Eigen::MatrixXd dot = F * m_F.transpose();
    return (gram(dot, norms, pairs, m_norms, m_train, m_space.R, selected(), false) * m_alpha)
        .template cast<Scalar>();
  }

  /// The settings chosen by the last fit.
  const MixedPriorSettings& selected() const {
    if (m_points.empty())
      detail::throw_logic("NtkMixedPriorCompletion::selected", "call fit() first");
    return m_points[m_best].settings;
  }
  /// Every evaluated point of the last fit's search.
  const std::vector<MixedPriorPoint>& search_points() const noexcept { return m_points; }
  /// Per context: 1 when its pairs had signature / baseline features in the last fit.
  const std::vector<char>& rich_contexts() const noexcept { return m_rich; }

private:
  // The fit-set-dependent parts of the features: the fallback e_d (P x G) and the Gram matrix
  // of the unit-normalised context means (C x C).
  struct FeatureSpace {
    Eigen::MatrixXd fallback, R;
  };

  FeatureSpace feature_space(const TrainingSet<Scalar>& fit_set) const {
    FeatureSpace fs;
    if (fit_set.reference_context() >= 0)
      fs.fallback = detail::reference_signatures(fit_set, fit_set.reference_context());
    if (fs.fallback.size() == 0) { // no reference signature: the perturbations' training means
      const auto& t = fit_set.tensor();
      const Eigen::RowVectorXd global = fit_set.global_mean().template cast<double>();
      fs.fallback.resize(t.num_perturbations(), t.num_features());
      for (Eigen::Index d = 0; d < t.num_perturbations(); ++d) {
        const auto& rows = fit_set.perturbation_rows(d);
        fs.fallback.row(d) =
            rows.empty() ? global
                         : Eigen::RowVectorXd(fit_set.mean_of(rows).template cast<double>());
      }
    }
    const Eigen::MatrixXd m = detail::unit_context_means(fit_set);
    fs.R.noalias() = m * m.transpose();
    return fs;
  }

  // The e part of each pair's features: `values` (one row per pair: a signature or a baseline
  // prediction; may be empty when no pair lies in a rich context) in rich contexts, the
  // fallback elsewhere.
  Eigen::MatrixXd pair_features(const FeatureSpace& fs, const std::vector<PairIndex>& pairs,
                                const Eigen::MatrixXd& values) const {
    Eigen::MatrixXd F(Eigen::Index(pairs.size()), fs.fallback.cols());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const Eigen::Index r = Eigen::Index(i);
      if (m_rich[std::size_t(pairs[i].context)])
        F.row(r) = values.row(r);
      else
        F.row(r) = fs.fallback.row(pairs[i].perturbation);
    }
    return F;
  }

  // The baseline's predictions for the pairs in rich contexts (rows aligned with `pairs`, zero
  // elsewhere); an empty matrix when none is rich.
  Eigen::MatrixXd baseline_values(const Baseline& b, const std::vector<PairIndex>& pairs) const {
    std::vector<PairIndex> rich;
    std::vector<Eigen::Index> at;
    for (std::size_t i = 0; i < pairs.size(); ++i)
      if (m_rich[std::size_t(pairs[i].context)]) {
        rich.push_back(pairs[i]);
        at.push_back(Eigen::Index(i));
      }
    if (rich.empty()) return {};
    const Eigen::MatrixXd pred = b.predict(rich).template cast<double>();
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(Eigen::Index(pairs.size()), pred.cols());
    for (std::size_t k = 0; k < at.size(); ++k) out.row(at[k]) = pred.row(Eigen::Index(k));
    return out;
  }

  // The NTK of the pairs a (features with norms na) and b from the e-part inner products
  // `dot` and the context Gram R: <f_p, f_q> = s^2 |e_p| |e_q| R_cc' + <e_p, e_q>, a private
  // identity coordinate of weight beta, unit-normalised; the diagonal of the symmetric (training)
  // Gram is exact.
  Eigen::MatrixXd gram(const Eigen::MatrixXd& dot, const Eigen::VectorXd& na,
                       const std::vector<PairIndex>& a, const Eigen::VectorXd& nb,
                       const std::vector<PairIndex>& b, const Eigen::MatrixXd& R,
                       const MixedPriorSettings& s, bool symmetric) const {
    const NtkKernel<double> kernel(s.depth);
    const double s2 = s.scale * s.scale, id2 = s.identity_weight * s.identity_weight;
    auto sq = [&](const Eigen::VectorXd& n, const std::vector<PairIndex>& p) {
      Eigen::VectorXd out(n.size());
      for (Eigen::Index i = 0; i < n.size(); ++i) {
        const Eigen::Index c = p[std::size_t(i)].context;
        out[i] = std::sqrt((s2 * R(c, c) + 1.0) * n[i] * n[i] + id2);
      }
      return out;
    };
    const Eigen::VectorXd la = sq(na, a), lb = sq(nb, b);
    Eigen::MatrixXd K(dot.rows(), dot.cols());
#if CIMPUTE_HAS_OPENMP
#pragma omp parallel for schedule(dynamic, 16) if (dot.size() > 100000)
#endif
    for (Eigen::Index j = 0; j < K.cols(); ++j)
      for (Eigen::Index i = symmetric ? j : 0; i < K.rows(); ++i) {
        double u = 1.0;
        if (!(symmetric && i == j)) {
          const double ip =
              s2 * na[i] * nb[j] * R(a[std::size_t(i)].context, b[std::size_t(j)].context) +
              dot(i, j);
          u = ip / (la[i] * lb[j]);
        }
        K(i, j) = kernel.on_sphere(u);
      }
    if (symmetric) K.triangularView<Eigen::StrictlyUpper>() = K.transpose();
    return K;
  }

  // The inner K-fold over a seeded subset of at most max_pairs training pairs.
  void search(const TrainingSet<Scalar>& train) {
    const auto& t = train.tensor();
    const Eigen::Index n = train.size();
    std::vector<Eigen::Index> idx(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) idx[std::size_t(i)] = i;
    std::mt19937_64 rng(m_opt.seed);
    if (n > m_opt.max_pairs) {
      std::shuffle(idx.begin(), idx.end(), rng);
      idx.resize(std::size_t(m_opt.max_pairs));
      std::sort(idx.begin(), idx.end());
    }
    // Deal the subset's pairs into folds within each context.
    const int K = m_opt.inner_folds;
    std::vector<std::vector<Eigen::Index>> by_ctx(std::size_t(t.num_contexts()));
    for (Eigen::Index i : idx)
      by_ctx[std::size_t(t.observed_pairs()[std::size_t(train.rows()[std::size_t(i)])].context)]
          .push_back(i);
    std::vector<int> fold_of(std::size_t(n), -1);
    for (auto& v : by_ctx) {
      std::shuffle(v.begin(), v.end(), rng);
      for (std::size_t k = 0; k < v.size(); ++k)
        fold_of[std::size_t(v[k])] = int(k % std::size_t(K));
    }
    // Every kernel of the grid, each with one prediction block per ridge.
    std::vector<MixedPriorSettings> kernels;
    for (double scale : m_opt.scales)
      for (int depth : m_opt.depths)
        for (double id : m_opt.identity_weights) kernels.push_back({depth, id, scale, 0.0});
    const std::size_t nr = m_opt.ridges.size();
    const Eigen::Index total = Eigen::Index(idx.size());
    std::vector<Eigen::MatrixXd> pred(kernels.size() * nr,
                                      Eigen::MatrixXd::Zero(total, t.num_features()));
    std::vector<char> ok(pred.size(), 1);
    Eigen::MatrixXd truth(total, t.num_features());
    Eigen::Index at = 0;
    const auto& rows = train.rows();
    for (int k = 0; k < K; ++k) {
      std::vector<Eigen::Index> fit_rows, ntk_rows, test_rows;
      for (Eigen::Index i = 0; i < n; ++i) {
        const int f = fold_of[std::size_t(i)];
        if (f == k)
          test_rows.push_back(rows[std::size_t(i)]);
        else
          fit_rows.push_back(rows[std::size_t(i)]);
        if (f >= 0 && f != k) ntk_rows.push_back(rows[std::size_t(i)]);
      }
      if (test_rows.empty() || ntk_rows.empty()) continue;
      const TrainingSet<Scalar> fit_set = train.subset(fit_rows);
      std::vector<PairIndex> test, tr;
      for (Eigen::Index r : test_rows) test.push_back(t.observed_pairs()[std::size_t(r)]);
      for (Eigen::Index r : ntk_rows) tr.push_back(t.observed_pairs()[std::size_t(r)]);
      Eigen::MatrixXd test_values;
      if (m_any_rich) {
        Baseline b = m_baseline;
        b.fit(fit_set);
        test_values = baseline_values(b, test);
      }
      const FeatureSpace fs = feature_space(fit_set);
      const Eigen::MatrixXd Y = t.observed()(ntk_rows, Eigen::all).template cast<double>();
      const Eigen::MatrixXd Ftr = pair_features(fs, tr, Y);
      const Eigen::MatrixXd Fte = pair_features(fs, test, test_values);
      const Eigen::VectorXd ntr = Ftr.rowwise().norm(), nte = Fte.rowwise().norm();
      const Eigen::MatrixXd dtr = Ftr * Ftr.transpose(), dte = Fte * Ftr.transpose();
      const Eigen::Index m = Eigen::Index(test.size());
      truth.middleRows(at, m) = t.observed()(test_rows, Eigen::all).template cast<double>();
      for (std::size_t g = 0; g < kernels.size(); ++g) {
        const Eigen::MatrixXd Ktr = gram(dtr, ntr, tr, ntr, tr, fs.R, kernels[g], true);
        const Eigen::MatrixXd Kte = gram(dte, nte, test, ntr, tr, fs.R, kernels[g], false);
        for (std::size_t j = 0; j < nr; ++j) {
          const std::size_t p = g * nr + j;
          if (!ok[p]) continue;
          ExactKernelSolver<double> solver(Ktr, m_opt.ridges[j]);
          if (solver.info() != ComputationInfo::Success) {
            ok[p] = 0;
            continue;
          }
          pred[p].middleRows(at, m) = Kte * solver.solve(Y);
        }
      }
      at += m;
    }
    m_points.clear();
    m_best = 0;
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t g = 0; g < kernels.size(); ++g)
      for (std::size_t j = 0; j < nr; ++j) {
        if (!ok[g * nr + j]) continue;
        MixedPriorPoint pt;
        pt.settings = kernels[g];
        pt.settings.ridge = m_opt.ridges[j];
        pt.scores = at > 0 ? completion_scores(pred[g * nr + j].topRows(at), truth.topRows(at))
                           : CompletionScores{};
        pt.criterion = selection_value(m_opt.criterion, pt.scores);
        if (pt.criterion > best || m_points.empty()) {
          best = pt.criterion;
          m_best = m_points.size();
        }
        m_points.push_back(pt);
      }
    if (m_points.empty())
      detail::throw_invalid("NtkMixedPriorCompletion::fit",
                            "no point of the search space could be fitted (add a ridge)");
  }

  MixedPriorOptions m_opt;
  Baseline m_baseline;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
  std::vector<char> m_rich;
  bool m_any_rich = false;
  FeatureSpace m_space;
  std::vector<PairIndex> m_train;
  Eigen::MatrixXd m_F, m_alpha;
  Eigen::VectorXd m_norms;
  std::vector<MixedPriorPoint> m_points;
  std::size_t m_best = 0;
};

} // namespace cimpute
