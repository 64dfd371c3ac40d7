/// @file falrtc.hpp
/// @brief FaLRTC: fast low-rank tensor completion (Liu, Musialski, Wonka, Ye, TPAMI 2013), and
/// the completion method that applies it to the dense perturbations x genes x contexts tensor
/// (Hodos et al., PSB 2018).
#pragma once

#include "cimpute/completion/singular_value_shrinkage.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/tensor3.hpp"

#include <Eigen/Core>

#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace cimpute {

/// Parameters of `falrtc`. The defaults are the original paper's; `hodos()` gives the settings
/// Hodos et al. used on the CMap drugs x genes x cells tensor.
struct FalrtcOptions {
  /// Weights \f$ \alpha_i \f$ of the nuclear norms of the mode-0, 1 and 2 unfoldings
  /// (perturbations, features, contexts).
  std::array<double, 3> alpha{{1.0 / 3, 1.0 / 3, 1.0 / 3}};
  /// Smoothing floor: \f$ \mu_i = \f$ `mu_scale` \f$ \alpha_i / \sqrt{n_i} \f$ (n_i: size of mode
  /// i).
  double mu_scale = 5.0;
  /// Backtracking factor C in (0, 1): the Lipschitz estimate grows as L <- L / C.
  double shrink = 0.6;
  double initial_lipschitz = 1e-5; ///< L0
  int max_iterations = 500;        ///< outer iterations
  /// Stop when \f$ \|Y_k - Y_{k-1}\|_F / \|T_\Omega\|_F \f$ falls below this.
  double tolerance = 1e-5;

  /// The original paper's defaults (the same as a default-constructed value).
  static FalrtcOptions liu() { return {}; }
  /// Hodos et al.'s settings: alpha = [1, 0.01, 1] / 2.01, mu = 0.01 alpha / sqrt(n), C = 0.5,
  /// L0 = 1e-5, 20 iterations, epsilon = 0.1.
  static FalrtcOptions hodos() {
    FalrtcOptions o;
    o.alpha = {{1.0 / 2.01, 0.01 / 2.01, 1.0 / 2.01}};
    o.mu_scale = 0.01;
    o.shrink = 0.5;
    o.max_iterations = 20;
    o.tolerance = 0.1;
    return o;
  }
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "FalrtcOptions::validate";
    for (double a : alpha)
      if (!(a >= 0) || !std::isfinite(a))
        detail::throw_invalid(fn, "alpha must be finite and >= 0, got ", a);
    if (!(alpha[0] + alpha[1] + alpha[2] > 0)) detail::throw_invalid(fn, "all alpha are 0");
    if (!(mu_scale > 0) || !std::isfinite(mu_scale))
      detail::throw_invalid(fn, "mu_scale must be > 0, got ", mu_scale);
    if (!(shrink > 0 && shrink < 1))
      detail::throw_invalid(fn, "shrink must be in (0, 1), got ", shrink);
    if (!(initial_lipschitz > 0) || !std::isfinite(initial_lipschitz))
      detail::throw_invalid(fn, "initial_lipschitz must be finite and > 0, got ",
                            initial_lipschitz);
    if (max_iterations < 1)
      detail::throw_invalid(fn, "max_iterations must be >= 1, got ", max_iterations);
    if (!(tolerance >= 0)) detail::throw_invalid(fn, "tolerance must be >= 0, got ", tolerance);
  }
};

/// State reported after every outer iteration of `falrtc`.
struct FalrtcProgress {
  int iteration = 0;    ///< 1-based
  double change = 0;    ///< \f$ \|Y_k - Y_{k-1}\|_F / \|T_\Omega\|_F \f$
  double objective = 0; ///< \f$ \sum_i \alpha_i \|Y_{(i)}\|_* \f$
  double lipschitz = 0; ///< current L
};

/// The result of `falrtc`.
template <class Scalar>
struct FalrtcResult {
  Tensor3<Scalar> tensor;        ///< the completion; observed entries equal the input
  int iterations = 0;            ///< outer iterations run
  bool converged = false;        ///< the change fell below the tolerance
  bool lipschitz_limit = false;  ///< stopped because L exceeded \f$ 10 \sum_i 1 / \mu_i \f$
  std::vector<double> objective; ///< \f$ \sum_i \alpha_i \|Y_{(i)}\|_* \f$ after each iteration
  double initial_objective = 0;  ///< the same for the mean-filled start
};

namespace detail {
/// Smoothed nuclear norm value \f$ \frac{\alpha^2}{2\mu} \sum_j (\sigma_j^2 - (\sigma_j -
/// \mu/\alpha)_+^2) \f$.
template <class Vector>
double falrtc_smoothed(const Vector& sigma, double a2m, double ma) {
  double f = 0;
  for (Eigen::Index j = 0; j < sigma.size(); ++j) {
    const double s = double(sigma[j]), e = std::max(s - ma, 0.0);
    f += s * s - e * e;
  }
  return 0.5 * a2m * f;
}

} // namespace detail

/// FaLRTC (Liu et al. 2013, Algorithm 3 and the authors' code): low-rank completion of a
/// third-order tensor T with missing entries (NaN),
/// \f[ \min_X \sum_{i=0}^{2} \alpha_i \|X_{(i)}\|_* \quad \text{s.t. } X_\Omega = T_\Omega, \f]
/// with every nuclear norm smoothed as \f$ \max_{\|Y\| \le 1} \langle X, Y\rangle -
/// \frac{\mu_i}{2\alpha_i}\|Y\|_F^2 \f$ (weighted by \f$ \alpha_i \f$), whose gradient is
/// \f$ \frac{\alpha_i^2}{\mu_i} \mathrm{fold}_i(U \min(\Sigma, \mu_i / \alpha_i) V^T) \f$.
/// Nesterov's accelerated scheme with backtracking on the Lipschitz constant (L <- L / C until
/// \f$ f(W) - f(W - G/L) \ge \|G\|^2 / (2L) \f$), the gradient zeroed on observed entries, and
/// \f$ \mu \f$ decaying from \f$ 0.3\,\alpha_i \sigma_{max}(X_{(i)}) \f$ as \f$ a k^{-1.15} + b \f$
/// to its floor, reached 15 iterations before the end. Missing entries start at the mean of the
/// observed ones. Singular values come from the Gram matrix of each unfolding's smaller side, as
/// in the authors' code. Throws when T has no observed entry or an infinite one.
template <class Scalar>
FalrtcResult<Scalar> falrtc(const Tensor3<Scalar>& T, const FalrtcOptions& opt = {},
                            const std::function<void(const FalrtcProgress&)>& progress = {}) {
  const char* fn = "falrtc";
  opt.validate();
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  const Eigen::Index d0 = T.dim(0), d1 = T.dim(1), d2 = T.dim(2);
  const Eigen::Array<bool, Eigen::Dynamic, 1> observed = !T.vec().array().isNaN();
  const Eigen::Index n_obs = observed.count();
  if (n_obs == 0) detail::throw_invalid(fn, "the tensor has no observed entry");
  if (!observed.select(T.vec().array(), Scalar(0)).isFinite().all())
    detail::throw_invalid(fn, "the tensor has an infinite entry");
  const double mean = double(observed.select(T.vec().array(), Scalar(0)).sum()) / double(n_obs);
  const double norm_t = double(observed.select(T.vec().array(), Scalar(0)).matrix().norm());

  const std::array<Eigen::Index, 3> dims{{d0, d1, d2}};
  std::array<double, 3> mu0{}, mu{}, peak{};
  double lipschitz_max = 0;
  for (int i = 0; i < 3; ++i) {
    mu0[std::size_t(i)] =
        opt.mu_scale * opt.alpha[std::size_t(i)] / std::sqrt(double(dims[std::size_t(i)]));
    if (mu0[std::size_t(i)] > 0) lipschitz_max += 10.0 / mu0[std::size_t(i)];
  }

  FalrtcResult<Scalar> res;
  // Five working tensors besides the input (Y, Z, W, G and the previous Y); the start (missing
  // entries at the observed mean) is built in Y itself rather than in a sixth copy.
  Tensor3<Scalar> Y = T;
  Y.vec() = observed.select(T.vec().array(), Scalar(mean));
  Tensor3<Scalar> Z = Y, W = Y, G = Y, Ylast = Y;
  Matrix z1(d1, d0 * d2);

  // Singular values of the mode-i unfolding of x and, when g is given, g += w * fold_i(U min(S,
  // tau) V^T) = w * fold_i(X_(i) - excess). Mode 0 is the storage as d0 x (d1 d2), mode 2 the
  // transpose of the storage as (d0 d1) x d2 (singular values and thresholding commute with
  // transposition); mode 1 needs a copy.
  Matrix excess;
  auto singular = [&](const Tensor3<Scalar>& x, int i, Scalar tau, Scalar w, Tensor3<Scalar>* g) {
    using CMap = Eigen::Map<const Matrix>;
    Matrix* e = g ? &excess : nullptr;
    Vector s;
    if (i == 1) {
      for (Eigen::Index k = 0; k < d2; ++k) z1.middleCols(k * d0, d0) = x.slice(k).transpose();
      s = singular_value_shrinkage(z1, tau, e);
      if (g)
        for (Eigen::Index k = 0; k < d2; ++k)
          g->slice(k) += w * (x.slice(k) - excess.middleCols(k * d0, d0).transpose());
      return s;
    }
    const Eigen::Index rows = i == 0 ? d0 : d0 * d1;
    CMap m(x.vec().data(), rows, x.size() / std::max<Eigen::Index>(rows, 1));
    s = singular_value_shrinkage(m, tau, e);
    if (g) Eigen::Map<Matrix>(g->vec().data(), m.rows(), m.cols()) += w * (m - excess);
    return s;
  };
  auto nuclear = [&](const std::array<Vector, 3>& s) {
    double f = 0;
    for (int i = 0; i < 3; ++i) f += opt.alpha[std::size_t(i)] * double(s[std::size_t(i)].sum());
    return f;
  };

  // The decaying smoothing schedule of the authors' code.
  std::array<Vector, 3> sv;
  for (int i = 0; i < 3; ++i) {
    sv[std::size_t(i)] = singular(Y, i, Scalar(0), Scalar(0), nullptr);
    peak[std::size_t(i)] = 0.3 * opt.alpha[std::size_t(i)] * double(sv[std::size_t(i)].maxCoeff());
  }
  res.initial_objective = nuclear(sv);
  const double P = 1.15;
  const int flat = 15;
  const double kp = std::pow(double(std::max(opt.max_iterations - flat, 1)), P);
  std::array<double, 3> slope{}, offset{};
  for (std::size_t i = 0; i < 3; ++i) {
    if (kp > 1) {
      slope[i] = (peak[i] - mu0[i]) / (1 - 1 / kp);
      offset[i] = (mu0[i] * kp - peak[i]) / (kp - 1);
    } else {
      offset[i] = mu0[i];
    }
  }

  double L = opt.initial_lipschitz, B = 0;
  for (int k = 1; k <= opt.max_iterations; ++k) {
    std::array<double, 3> a2m{}, ma{};
    for (std::size_t i = 0; i < 3; ++i) {
      mu[i] = std::max(slope[i] / std::pow(double(k), P) + offset[i], mu0[i]);
      a2m[i] = mu[i] > 0 ? opt.alpha[i] * opt.alpha[i] / mu[i] : 0.0;
      ma[i] = opt.alpha[i] > 0 ? mu[i] / opt.alpha[i] : 0.0;
    }
    Ylast = Y;
    double b = 0;
    for (;;) {
      b = (1 + std::sqrt(1 + 4 * L * B)) / (2 * L);
      W.vec() = Scalar(b / (B + b)) * Z.vec() + Scalar(B / (B + b)) * Ylast.vec();
      double fw = 0;
      G.vec().setZero();
      for (int i = 0; i < 3; ++i) {
        if (opt.alpha[std::size_t(i)] == 0) continue;
        const Vector s =
            singular(W, i, Scalar(ma[std::size_t(i)]), Scalar(a2m[std::size_t(i)]), &G);
        fw += detail::falrtc_smoothed(s, a2m[std::size_t(i)], ma[std::size_t(i)]);
      }
      G.vec() = observed.select(Scalar(0), G.vec().array()).matrix();
      Y.vec() = W.vec() - G.vec() / Scalar(L);
      double fy = 0;
      for (int i = 0; i < 3; ++i) {
        sv[std::size_t(i)] = singular(Y, i, Scalar(0), Scalar(0), nullptr);
        fy += detail::falrtc_smoothed(sv[std::size_t(i)], a2m[std::size_t(i)], ma[std::size_t(i)]);
      }
      const double g2 = double(G.vec().squaredNorm());
      if (2 * (fw - fy) * L >= g2) break;
      if (L > lipschitz_max) {
        res.lipschitz_limit = true;
        break;
      }
      L /= opt.shrink;
    }
    // The gradient is zero on observed entries, so they only drift by rounding: reset them.
    Y.vec() = observed.select(T.vec().array(), Y.vec().array()).matrix();
    res.iterations = k;
    res.objective.push_back(nuclear(sv));
    const double change = norm_t > 0 ? double((Y.vec() - Ylast.vec()).norm()) / norm_t
                                     : double((Y.vec() - Ylast.vec()).norm());
    if (progress) progress(FalrtcProgress{k, change, res.objective.back(), L});
    if (res.lipschitz_limit) break;
    if (change < opt.tolerance) {
      res.converged = true;
      break;
    }
    Z.vec() -= Scalar(b) * G.vec();
    B += b;
  }
  res.tensor = std::move(Y);
  return res;
}

/// FaLRTC as a completion method: the training signatures (and the reference context's, as
/// data) fill a dense perturbations x features x contexts tensor, FaLRTC completes it, and a
/// pair's prediction is its completed fibre. Default settings: Hodos et al.'s (`hodos()`); they
/// renormalised completed signatures to unit length for their evaluation, which this method does
/// not (R^2 is not scale-invariant).
template <class Scalar_ = double>
class FalrtcCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  explicit FalrtcCompletion(FalrtcOptions opt = FalrtcOptions::hodos()) : m_opt(opt) {
    m_opt.validate();
  }
  std::string name() const { return "falrtc"; }
  const FalrtcOptions& options() const noexcept { return m_opt; }

  FalrtcCompletion& fit(const TrainingSet<Scalar>& train_only) {
    const TrainingSet<Scalar> train = train_only.with_reference();
    const auto& t = train.tensor();
    Tensor3<Scalar> T(t.num_perturbations(), t.num_features(), t.num_contexts(),
                      std::numeric_limits<Scalar>::quiet_NaN());
    for (Eigen::Index r : train.rows()) {
      const PairIndex& p = t.observed_pairs()[std::size_t(r)];
      T.slice(p.context).row(p.perturbation) = t.observed().row(r);
    }
    m_last = falrtc(T, m_opt);
    m_tensor = &t;
    return *this;
  }
  /// The completed fibres of `pairs`, one per row.
  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_tensor) detail::throw_logic("FalrtcCompletion::predict", "call fit() first");
    detail::check_pairs("FalrtcCompletion::predict", *m_tensor, pairs);
    Matrix out(Eigen::Index(pairs.size()), m_tensor->num_features());
    for (std::size_t i = 0; i < pairs.size(); ++i)
      out.row(Eigen::Index(i)) = m_last.tensor.slice(pairs[i].context).row(pairs[i].perturbation);
    return out;
  }
  /// The result of the last fit (iterations, objective history, the completed tensor).
  const FalrtcResult<Scalar>& result() const noexcept { return m_last; }

private:
  FalrtcOptions m_opt;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
  FalrtcResult<Scalar> m_last;
};

} // namespace cimpute
