/// @file ntk_completion.hpp
/// @brief NTK matrix completion with feature priors on perturbations and contexts
/// (Radhakrishnan, Stefanakis, Belkin, Uhler, PNAS 2022).
#pragma once

#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/config.hpp"
#include "cimpute/kernels/ntk.hpp"
#include "cimpute/solvers/exact_kernel_solver.hpp"

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <vector>

namespace cimpute {

/// The feature prior of the pairs.
enum class NtkPrior {
  /// f = [onehot(c), s onehot(d)]: an additive two-way model in kernel form.
  OneHot,
  /// f = [s |e_d| m_c, e_d]: e_d is perturbation d's signature in a training-only reference
  /// context (the mean reference signature when d is missing there), m_c the unit-normalised
  /// mean of context c's training signatures (the reference code's experiment setting).
  TrainContextAverage,
  /// f = [s r_c, e_d] with user-supplied context features r (rows in context order, e.g. cell-line
  /// baseline expression) and perturbation features e (rows in perturbation order, e.g. drug
  /// fingerprints); a part whose matrix is empty is one-hot.
  UserFeatures,
  /// f = [s |e_d| m_c, e_d] as TrainContextAverage, with e_d the mean of perturbation d's
  /// training signatures (and its reference-context ones) instead of its reference signature;
  /// needs no reference context.
  TrainAverages
};

/// The name of a prior: one-hot, train-context-average, user-features, train-averages.
inline std::string to_string(NtkPrior p) {
  switch (p) {
  case NtkPrior::OneHot:
    return "one-hot";
  case NtkPrior::TrainContextAverage:
    return "train-context-average";
  case NtkPrior::UserFeatures:
    return "user-features";
  default:
    return "train-averages";
  }
}

/// Hyper-parameters of `NtkCompletion`. The defaults are the published settings.
struct NtkCompletionOptions {
  int depth = 1;                ///< hidden layers of the ReLU network
  double bias = 0.0;            ///< bias standard deviation
  double identity_weight = 1.5; ///< beta_id, the private one-hot coordinate of every pair
  double ridge = 0.0;           ///< added to the training Gram's diagonal
  double scale = 0.75;          ///< s in the prior (context part for TrainContextAverage)
  NtkPrior prior = NtkPrior::TrainContextAverage;
  /// For TrainContextAverage: the context whose signatures are the perturbation features; empty
  /// (the default) takes the training set's reference context (the protocol's training-only
  /// context, e.g. MCF7 for the CMap tables).
  std::string reference_context;
  /// For UserFeatures: one row per perturbation of the tensor (empty: one-hot).
  Eigen::MatrixXd perturbation_features;
  /// For UserFeatures: one row per context of the tensor (empty: one-hot).
  Eigen::MatrixXd context_features;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "NtkCompletionOptions::validate";
    if (depth < 1) detail::throw_invalid(fn, "depth must be >= 1, got ", depth);
    for (double v : {bias, identity_weight, ridge, scale})
      if (!(v >= 0) || !std::isfinite(v))
        detail::throw_invalid(fn, "negative or non-finite value ", v);
    for (const Eigen::MatrixXd* f : {&perturbation_features, &context_features})
      if (!f->allFinite()) detail::throw_invalid(fn, "user features have a non-finite entry");
  }
};

namespace detail {
/// Perturbation features from a reference context `ref` (P x G): row d is d's signature there
/// (its training rows, and the protocol's reference rows when `ref` is the training set's
/// reference context), the mean reference signature for perturbations missing there. Empty
/// when the context has no signature.
template <class Scalar>
Eigen::MatrixXd reference_signatures(const TrainingSet<Scalar>& train, Eigen::Index ref) {
  const auto& t = train.tensor();
  std::vector<Eigen::Index> ref_rows = train.context_rows(ref);
  if (ref == train.reference_context())
    for (Eigen::Index r : train.reference_rows()) ref_rows.push_back(r);
  if (ref_rows.empty()) return {};
  const Eigen::RowVectorXd ref_mean = train.mean_of(ref_rows).template cast<double>();
  Eigen::MatrixXd e = ref_mean.replicate(t.num_perturbations(), 1);
  for (Eigen::Index r : ref_rows)
    e.row(t.observed_pairs()[std::size_t(r)].perturbation) =
        t.observed().row(r).template cast<double>();
  return e;
}

/// The unit-normalised mean training signature of every context (C x G; the global training
/// mean's direction for contexts without training rows).
template <class Scalar>
Eigen::MatrixXd unit_context_means(const TrainingSet<Scalar>& train) {
  const auto& t = train.tensor();
  const Eigen::RowVectorXd global = train.global_mean().template cast<double>();
  Eigen::MatrixXd m(t.num_contexts(), t.num_features());
  for (Eigen::Index c = 0; c < m.rows(); ++c) {
    const auto& rows = train.context_rows(c);
    Eigen::RowVectorXd v =
        rows.empty() ? global : Eigen::RowVectorXd(train.mean_of(rows).template cast<double>());
    const double n = v.norm();
    m.row(c) = n > 0 ? Eigen::RowVectorXd(v / n) : v;
  }
  return m;
}
} // namespace detail

/// Context features from the contexts' baseline profiles (one row per context, e.g. the log2
/// control expression of each cell line, `read_l1000_baselines`): each feature centred across
/// contexts, then each row scaled to unit length, so that the context part of the NTK prior
/// compares the cell lines' deviations from the average cell. This prior can predict contexts
/// without any training signature.
inline Eigen::MatrixXd context_features_from_baselines(const Eigen::MatrixXd& baselines) {
  const char* fn = "context_features_from_baselines";
  if (baselines.rows() < 2) detail::throw_invalid(fn, "need at least 2 contexts");
  if (!baselines.allFinite()) detail::throw_invalid(fn, "non-finite baseline value");
  Eigen::MatrixXd f = baselines.rowwise() - baselines.colwise().mean();
  for (Eigen::Index c = 0; c < f.rows(); ++c) {
    const double n = f.row(c).norm();
    if (n > 0) f.row(c) /= n;
  }
  return f;
}

/// NTK matrix completion: kernel regression over (perturbation, context) pairs,
/// \f$ \hat Y_{test} = K(test, train) (K(train, train) + \lambda I)^{-1} Y_{train} \f$, with the
/// NTK of the pairs' unit-normalised features (plus a private identity coordinate), all genes
/// sharing one factorisation. Pair inner products are assembled from small perturbation and
/// context Gram matrices; no pairs x features matrix is formed.
template <class Scalar_ = double>
class NtkCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  explicit NtkCompletion(NtkCompletionOptions opt = {}) : m_opt(std::move(opt)), m_kernel(1) {
    m_opt.validate();
    m_kernel = NtkKernel<double>(m_opt.depth, m_opt.bias);
  }
  /// The name in tables: the fixed-settings NTK (`NtkCompletionCV` is "ntk").
  std::string name() const { return "ntk-reference"; }
  const NtkCompletionOptions& options() const noexcept { return m_opt; }

  /// Compute the pair features of the prior from `train` (no solve): afterwards
  /// `kernel_matrix` is available.
  NtkCompletion& prepare(const TrainingSet<Scalar>& train) {
    const char* fn = "NtkCompletion::prepare";
    const auto& t = train.tensor();
    const Eigen::Index P = t.num_perturbations(), C = t.num_contexts();
    if (m_opt.prior == NtkPrior::OneHot) {
      m_R = Eigen::MatrixXd::Identity(C, C);
      m_E = m_opt.scale * m_opt.scale * Eigen::MatrixXd::Identity(P, P);
      m_N = Eigen::MatrixXd::Ones(P, P);
    } else if (m_opt.prior == NtkPrior::UserFeatures) {
      const auto& e = m_opt.perturbation_features;
      const auto& r = m_opt.context_features;
      if (e.size() > 0 && e.rows() != P)
        detail::throw_invalid(fn, "perturbation features have ", e.rows(), " rows, the tensor ", P,
                              " perturbations");
      if (r.size() > 0 && r.rows() != C)
        detail::throw_invalid(fn, "context features have ", r.rows(), " rows, the tensor ", C,
                              " contexts");
      m_E = e.size() > 0 ? Eigen::MatrixXd(e * e.transpose()) : Eigen::MatrixXd::Identity(P, P);
      m_R = r.size() > 0 ? Eigen::MatrixXd(r * r.transpose()) : Eigen::MatrixXd::Identity(C, C);
      m_N = m_opt.scale * m_opt.scale * Eigen::MatrixXd::Ones(P, P);
    } else {
      Eigen::MatrixXd e(P, t.num_features());
      if (m_opt.prior == NtkPrior::TrainContextAverage) {
        const Eigen::Index ref = m_opt.reference_context.empty()
                                     ? train.reference_context()
                                     : t.contexts().index(m_opt.reference_context, fn);
        if (ref < 0)
          detail::throw_invalid(fn,
                                "the train-context-average prior needs a reference context: none "
                                "in the options and none in the training set");
        e = detail::reference_signatures(train, ref);
        if (e.size() == 0)
          detail::throw_invalid(fn, "the reference context '", t.contexts()[ref],
                                "' has no signatures");
      } else { // TrainAverages: the perturbation's mean over training and reference rows
        const TrainingSet<Scalar> all = train.with_reference();
        const Eigen::RowVectorXd global = all.global_mean().template cast<double>();
        for (Eigen::Index d = 0; d < P; ++d) {
          const auto& rows = all.perturbation_rows(d);
          e.row(d) =
              rows.empty() ? global : Eigen::RowVectorXd(all.mean_of(rows).template cast<double>());
        }
      }
      const Eigen::MatrixXd m = detail::unit_context_means(train);
      m_E.noalias() = e * e.transpose();
      const Eigen::VectorXd en = e.rowwise().norm();
      m_N = m_opt.scale * m_opt.scale * en * en.transpose();
      m_R.noalias() = m * m.transpose();
    }
    m_tensor = &t;
    return *this;
  }

  /// Fit: `prepare(train)`, then solve the kernel regression on the training pairs.
  NtkCompletion& fit(const TrainingSet<Scalar>& train) {
    const char* fn = "NtkCompletion::fit";
    prepare(train);
    m_train = train.pairs();
    Eigen::MatrixXd K = kernel_matrix(m_train, m_train, true);
    m_solver.compute_in_place(K, m_opt.ridge); // K's storage is reused: two n x n at peak
    if (m_solver.info() != ComputationInfo::Success)
      detail::throw_invalid(fn,
                            "the training kernel matrix is not positive definite even with jitter "
                            "(raise the ridge or the identity weight)");
    m_Y = train.signatures().template cast<double>();
    return *this;
  }

  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_tensor || m_train.empty())
      detail::throw_logic("NtkCompletion::predict", "call fit() first");
    detail::check_pairs("NtkCompletion::predict", *m_tensor, pairs);
    const Eigen::MatrixXd Kt = kernel_matrix(pairs, m_train, false);
    // K_t K^{-1} Y in the cheaper order: (K^{-1} K_t^T)^T Y costs n^2 m + n m G for m test
    // pairs, K_t (K^{-1} Y) costs n^2 G + n m G.
    if (Kt.rows() < m_Y.cols())
      return (m_solver.solve(Kt.transpose()).transpose() * m_Y).template cast<Scalar>();
    return (Kt * m_solver.solve(m_Y)).template cast<Scalar>();
  }

  /// The prior variance \f$ k(x, x) \f$ of a pair: the same for every pair, whose features are
  /// unit-normalised.
  double prior_variance() const { return m_kernel.from_inner(1.0, 1.0, 1.0); }

  /// The kernel posterior variance of each pair,
  /// \f$ k(x, x) - k_x^\top (K + \lambda I)^{-1} k_x \f$ (Rasmussen & Williams 2006, eq. 2.26),
  /// in kernel units: between 0 and `prior_variance()`, smaller the more the pair resembles the
  /// training pairs. A test pair is a new point (its private identity coordinate is its own),
  /// so even a training pair's variance is positive. Multiply by a per-gene noise scale for
  /// expression units; divide by `prior_variance()` for the fraction of variance left.
  Eigen::VectorXd posterior_variance(const std::vector<PairIndex>& pairs) const {
    const char* fn = "NtkCompletion::posterior_variance";
    if (!m_tensor || m_train.empty()) detail::throw_logic(fn, "call fit() first");
    detail::check_pairs(fn, *m_tensor, pairs);
    const Eigen::MatrixXd Kt = kernel_matrix(pairs, m_train, false);
    const Eigen::MatrixXd V = m_solver.solve(Kt.transpose()); // n x m
    const Eigen::VectorXd explained = (Kt.array() * V.transpose().array()).rowwise().sum();
    return (prior_variance() - explained.array()).max(0.0);
  }

  /// The kernel posterior covariance of the given pairs (each a new point, as for
  /// `posterior_variance`, whose values are its diagonal):
  /// \f$ K_{UU} - K_{UT} (K_{TT} + \lambda I)^{-1} K_{TU} \f$, in kernel units.
  Eigen::MatrixXd posterior_covariance(const std::vector<PairIndex>& pairs) const {
    const char* fn = "NtkCompletion::posterior_covariance";
    if (!m_tensor || m_train.empty()) detail::throw_logic(fn, "call fit() first");
    detail::check_pairs(fn, *m_tensor, pairs);
    const Eigen::MatrixXd Kt = kernel_matrix(pairs, m_train, false);
    Eigen::MatrixXd S = kernel_matrix(pairs, pairs, true);
    S.noalias() -= Kt * m_solver.solve(Kt.transpose());
    return 0.5 * (S + S.transpose()); // exactly symmetric
  }
  /// The ridge added to the training Gram's diagonal (what a newly measured pair adds too).
  double ridge() const noexcept { return m_opt.ridge; }

  /// The NTK between pairs `a` and `b` under the prepared prior; `symmetric` (a = b, the training
  /// Gram) adds the private identity coordinate on the diagonal.
  Eigen::MatrixXd kernel_matrix(const std::vector<PairIndex>& a, const std::vector<PairIndex>& b,
                                bool symmetric) const {
    if (!m_tensor) detail::throw_logic("NtkCompletion::kernel_matrix", "call prepare() first");
    return gram(a, b, symmetric);
  }

private:
  // <f_p, f_q> = N_dd' R_cc' + E_dd' (context part scaled per perturbation), plus beta_id^2 when
  // p = q within the training Gram.
  double inner(const PairIndex& p, const PairIndex& q) const {
    return m_N(p.perturbation, q.perturbation) * m_R(p.context, q.context) +
           m_E(p.perturbation, q.perturbation);
  }
  Eigen::MatrixXd gram(const std::vector<PairIndex>& a, const std::vector<PairIndex>& b,
                       bool symmetric) const {
    const double id2 = m_opt.identity_weight * m_opt.identity_weight;
    auto sq = [&](const PairIndex& p) { return inner(p, p) + id2; };
    Eigen::VectorXd na(static_cast<Eigen::Index>(a.size())),
        nb(static_cast<Eigen::Index>(b.size()));
    for (std::size_t i = 0; i < a.size(); ++i) na[Eigen::Index(i)] = sq(a[i]);
    for (std::size_t j = 0; j < b.size(); ++j) nb[Eigen::Index(j)] = sq(b[j]);
    // The symmetric Gram is computed on its lower triangle and mirrored, so that it is exactly
    // symmetric whatever the rounding of the small Gram matrices.
    Eigen::MatrixXd K(na.size(), nb.size());
#if CIMPUTE_HAS_OPENMP
#pragma omp parallel for schedule(dynamic, 16) if (na.size() * nb.size() > 100000)
#endif
    for (Eigen::Index j = 0; j < nb.size(); ++j)
      for (Eigen::Index i = symmetric ? j : 0; i < na.size(); ++i) {
        const PairIndex& p = a[std::size_t(i)];
        const PairIndex& q = b[std::size_t(j)];
        const bool same = symmetric && i == j;
        const double den = std::sqrt(na[i] * nb[j]);
        const double u = same ? 1.0 : (den > 0 ? inner(p, q) / den : 0.0);
        K(i, j) = m_kernel.from_inner(u, 1.0, 1.0);
      }
    if (symmetric) K.triangularView<Eigen::StrictlyUpper>() = K.transpose();
    return K;
  }

  NtkCompletionOptions m_opt;
  NtkKernel<double> m_kernel;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
  Eigen::MatrixXd m_E, m_N, m_R, m_Y;
  ExactKernelSolver<double> m_solver;
  std::vector<PairIndex> m_train;
};

} // namespace cimpute
