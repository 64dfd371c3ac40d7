/// @file attractors.hpp
/// @brief Training examples as attractors of an autoencoder (Radhakrishnan, Belkin, Uhler, PNAS
/// 2020): fixed-point residuals, Jacobian spectral radii, iteration from corrupted inputs, and
/// the cycle test for sequence encoders.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/nn/mlp.hpp"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

namespace cimpute {

/// The spectral radius (largest eigenvalue modulus) of a square matrix, from its eigenvalues
/// (Eigen's real Schur decomposition, in double precision).
template <class Derived>
double spectral_radius(const Eigen::MatrixBase<Derived>& J) {
  if (J.rows() != J.cols() || J.rows() == 0)
    detail::throw_invalid("spectral_radius", "need a non-empty square matrix, got ", J.rows(),
                          " x ", J.cols());
  if (!J.allFinite()) detail::throw_invalid("spectral_radius", "non-finite entry");
  const Eigen::MatrixXd A = J.template cast<double>();
  Eigen::EigenSolver<Eigen::MatrixXd> es(A, false);
  if (es.info() != Eigen::Success)
    detail::throw_invalid("spectral_radius", "the eigenvalue iteration did not converge");
  return es.eigenvalues().cwiseAbs().maxCoeff();
}

/// Options of `spectral_radii`.
struct SpectralRadiusOptions {
  int krylov_dim = 40; ///< Arnoldi steps per cycle (the Krylov subspace dimension)
  int restarts = 6;    ///< explicit restarts from the leading Ritz vector when not converged
  /// Converged when the Ritz residual \f$ \|J y - \theta y\| / |\theta| \f$ of the
  /// largest-modulus Ritz pair is below this.
  double tolerance = 1e-8;
  Eigen::Index batch = 250; ///< points per batch (memory: krylov_dim x batch x input size)
  std::uint64_t seed = 1;   ///< random starting vectors (per point, independent of batching)

  void validate(const char* fn) const {
    if (krylov_dim < 2) detail::throw_invalid(fn, "krylov_dim must be >= 2, got ", krylov_dim);
    if (restarts < 0) detail::throw_invalid(fn, "restarts must be >= 0, got ", restarts);
    if (!(tolerance > 0)) detail::throw_invalid(fn, "tolerance must be > 0, got ", tolerance);
    if (batch < 1) detail::throw_invalid(fn, "batch must be >= 1, got ", batch);
  }
};

/// The result of `spectral_radii`.
struct SpectralRadii {
  Eigen::VectorXd radius;      ///< estimated spectral radius of \f$ J_f(x_i) \f$
  Eigen::VectorXd residual;    ///< relative Ritz residual of the estimate
  std::vector<bool> converged; ///< residual below the tolerance
  std::vector<int> products;   ///< Jacobian-vector products used per point
};

namespace detail {
template <class Activation>
SpectralRadii spectral_radii_double(const Mlp<double, Activation>& f,
                                    const Eigen::Ref<const Eigen::MatrixXd>& X,
                                    const SpectralRadiusOptions& options);
} // namespace detail

/// Spectral radii of the Jacobians \f$ J_f(x_i) \f$ at the rows of X without forming them:
/// Arnoldi iterations on Jacobian-vector products, all points of a batch at once, so each
/// Krylov step is one batched `Mlp::jvp` (the matrix products of a forward pass) plus
/// Gram-Schmidt with re-orthogonalisation; the radius is the largest Ritz value modulus of each
/// point's small Hessenberg matrix. A point that has not converged after `krylov_dim` steps is
/// restarted from the real part of its leading Ritz vector, up to `restarts` times. Cost per
/// point: about (restarts + 1) x krylov_dim forward passes, against the d forward passes of a
/// dense Jacobian plus an O(d^3) eigen-solve for `spectral_radius`. Rows are processed in
/// batches (`SpectralRadiusOptions::batch`), deterministic for a given seed.
///
/// The iteration always runs in double precision (a float network is cast first): these
/// Jacobians are far from normal, and float Jacobian-vector products (or a float dense
/// Jacobian) shift the spectral radius of a trained 978-1024-978 autoencoder by 1-3%.
template <class Scalar, class Activation>
SpectralRadii spectral_radii(const Mlp<Scalar, Activation>& f,
                             const Eigen::Ref<const typename Mlp<Scalar, Activation>::Matrix>& X,
                             const SpectralRadiusOptions& options = {}) {
  if constexpr (!std::is_same_v<Scalar, double>) {
    const Eigen::MatrixXd Xd = X.template cast<double>();
    return spectral_radii(f.template cast<double>(), Xd, options);
  } else {
    return detail::spectral_radii_double(f, X, options);
  }
}

namespace detail {
template <class Activation>
SpectralRadii spectral_radii_double(const Mlp<double, Activation>& f,
                                    const Eigen::Ref<const Eigen::MatrixXd>& X,
                                    const SpectralRadiusOptions& options) {
  using Scalar = double;
  using Matrix = Eigen::MatrixXd;
  const char* fn = "spectral_radii";
  options.validate(fn);
  if (f.input_size() != f.output_size())
    detail::throw_invalid(fn, "f maps ", f.input_size(), " to ", f.output_size(),
                          " features: not a self-map");
  if (X.cols() != f.input_size())
    detail::throw_invalid(fn, "points have ", X.cols(), " features, f takes ", f.input_size());
  if (!X.allFinite()) detail::throw_invalid(fn, "non-finite point");
  const Eigen::Index n = X.rows(), d = X.cols();
  const int m = int(std::min<Eigen::Index>(options.krylov_dim, d));
  SpectralRadii out;
  out.radius = Eigen::VectorXd::Zero(n);
  out.residual = Eigen::VectorXd::Constant(n, std::numeric_limits<double>::infinity());
  out.converged.assign(std::size_t(n), false);
  out.products.assign(std::size_t(n), 0);
  for (Eigen::Index b0 = 0; b0 < n; b0 += options.batch) {
    const Eigen::Index B = std::min(options.batch, n - b0);
    typename Mlp<Scalar, Activation>::Cache cache;
    f.forward(X.middleRows(b0, B), cache);
    // Starting vectors: Gaussian, from a generator seeded per point.
    Matrix start(B, d);
    for (Eigen::Index i = 0; i < B; ++i) {
      std::mt19937_64 rng(options.seed * 0x9E3779B97F4A7C15ULL + std::uint64_t(b0 + i));
      std::normal_distribution<double> N(0, 1);
      for (Eigen::Index c = 0; c < d; ++c) start(i, c) = Scalar(N(rng));
    }
    std::vector<char> done(static_cast<std::size_t>(B), 0);
    for (int cycle = 0; cycle <= options.restarts; ++cycle) {
      std::vector<Eigen::Index> act;
      for (Eigen::Index i = 0; i < B; ++i)
        if (!done[std::size_t(i)]) act.push_back(i);
      if (act.empty()) break;
      const Eigen::Index A = Eigen::Index(act.size());
      typename Mlp<Scalar, Activation>::Cache sub;
      if (A == B) {
        sub = cache;
      } else {
        for (const auto& z : cache.z) sub.z.push_back(z(act, Eigen::all));
      }
      std::vector<Matrix> V;
      V.push_back(start(act, Eigen::all));
      V[0].array().colwise() /= V[0].rowwise().norm().array().max(Scalar(1e-30));
      std::vector<Eigen::MatrixXd> H(static_cast<std::size_t>(A), Eigen::MatrixXd::Zero(m + 1, m));
      int steps = 0;
      for (int j = 0; j < m; ++j) {
        Matrix W = f.jvp(sub, V[std::size_t(j)]);
        for (int pass = 0; pass < 2; ++pass) // classical Gram-Schmidt, twice
          for (int l = 0; l <= j; ++l) {
            const Eigen::Matrix<Scalar, Eigen::Dynamic, 1> h =
                (V[std::size_t(l)].array() * W.array()).rowwise().sum();
            W.noalias() -= h.asDiagonal() * V[std::size_t(l)];
            for (Eigen::Index a = 0; a < A; ++a) H[std::size_t(a)](l, j) += double(h[a]);
          }
        const Eigen::Matrix<Scalar, Eigen::Dynamic, 1> nrm = W.rowwise().norm();
        for (Eigen::Index a = 0; a < A; ++a) H[std::size_t(a)](j + 1, j) = double(nrm[a]);
        W.array().colwise() /= nrm.array().max(Scalar(1e-30));
        V.push_back(std::move(W));
        steps = j + 1;
      }
      for (Eigen::Index a = 0; a < A; ++a) {
        const Eigen::Index i = act[std::size_t(a)], g = b0 + i;
        const Eigen::MatrixXd Hm = H[std::size_t(a)].topRows(steps);
        Eigen::EigenSolver<Eigen::MatrixXd> es(Hm, true);
        if (es.info() != Eigen::Success) continue;
        Eigen::Index k = 0;
        const double theta = es.eigenvalues().cwiseAbs().maxCoeff(&k);
        Eigen::VectorXcd y = es.eigenvectors().col(k);
        y /= y.norm();
        const double res =
            H[std::size_t(a)](steps, steps - 1) * std::abs(y[steps - 1]) / std::max(theta, 1e-300);
        out.radius[g] = theta;
        out.residual[g] = res;
        out.products[std::size_t(g)] += steps;
        if (res <= options.tolerance) {
          out.converged[std::size_t(g)] = true;
          done[std::size_t(i)] = 1;
        } else { // restart from the real part of the Ritz vector (its span carries the pair)
          Eigen::VectorXd yr = y.real();
          if (yr.norm() < 1e-8 * y.norm()) yr = y.imag();
          Matrix row = Matrix::Zero(1, d);
          for (int l = 0; l < steps; ++l) row += Scalar(yr[l]) * V[std::size_t(l)].row(a);
          start.row(i) = row;
        }
      }
    }
  }
  return out;
}
} // namespace detail

/// Per training example: how well it is stored.
struct AttractorReport {
  Eigen::VectorXd residual;        ///< \f$ \|f(x) - x\| / \|x\| \f$
  Eigen::VectorXd spectral_radius; ///< of \f$ J_f(x) \f$
  /// Fixed point (residual below the tolerance) with spectral radius below 1 by more than the
  /// point's own residual (and 1e-6): a radius that close to 1 is marginal, not attracting. (A
  /// bias-free network has \f$ J_f(x) x = f(x) \f$, so at an approximate fixed point the
  /// eigenvalue 1 is off by about the relative residual.)
  std::vector<bool> attractor;
  /// The fraction of examples that are attractors.
  double fraction() const {
    if (attractor.empty()) return 0.0;
    double n = 0;
    for (bool a : attractor) n += a ? 1 : 0;
    return n / double(attractor.size());
  }
};

/// Fixed-point residual and Jacobian spectral radius of f at each row of X; a row is an attractor
/// when its relative residual is below `residual_tolerance` and the spectral radius below 1
/// by more than that residual (and 1e-6; see `AttractorReport::attractor`). The
/// radii come from `spectral_radii` (batched Arnoldi on Jacobian-vector products); a point whose
/// Krylov estimate has not converged gets the dense `spectral_radius` of its full Jacobian, as
/// do all points with `dense = true`; both in double precision, whatever the network's scalar.
template <class Scalar, class Activation>
AttractorReport
attractor_report(const Mlp<Scalar, Activation>& f,
                 const Eigen::Ref<const typename Mlp<Scalar, Activation>::Matrix>& X,
                 double residual_tolerance = 1e-3, bool dense = false,
                 const SpectralRadiusOptions& krylov = {}) {
  const char* fn = "attractor_report";
  if (f.input_size() != f.output_size())
    detail::throw_invalid(fn, "f maps ", f.input_size(), " to ", f.output_size(),
                          " features: not a self-map");
  const auto Y = f.forward(X);
  AttractorReport r;
  r.residual.resize(X.rows());
  r.spectral_radius.resize(X.rows());
  SpectralRadii fast;
  if (!dense) fast = spectral_radii(f, X, krylov);
  const auto fd = f.template cast<double>(); // radii in double precision (see spectral_radii)
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const double nx = double(X.row(i).norm());
    r.residual[i] = double((Y.row(i) - X.row(i)).norm()) / (nx > 0 ? nx : 1.0);
    r.spectral_radius[i] =
        !dense && fast.converged[std::size_t(i)]
            ? fast.radius[i]
            : spectral_radius(fd.jacobian(X.row(i).transpose().template cast<double>()));
    r.attractor.push_back(r.residual[i] < residual_tolerance &&
                          r.spectral_radius[i] < 1 - std::max(1e-6, r.residual[i]));
  }
  return r;
}

/// Where iterating \f$ x \leftarrow f(x) \f$ from each start ended.
struct IterationResult {
  Eigen::MatrixXd finals;            ///< the last iterate of each start (rows)
  std::vector<int> steps;            ///< iterations done
  std::vector<bool> converged;       ///< the step fell below the tolerance
  std::vector<Eigen::Index> nearest; ///< the nearest row of `targets` to the last iterate
  Eigen::VectorXd distance;          ///< relative distance to it, \f$ \|x - t\| / \|t\| \f$
};

/// Iterate f from each row of `starts` (all rows at once, one batched forward pass per step)
/// until the relative step \f$ \|f(x) - x\| / \|x\| \f$ falls below `tolerance` or `max_steps`;
/// report the nearest row of `targets` (e.g. the training examples) to where each start ended.
template <class Scalar, class Activation>
IterationResult
iterate_map(const Mlp<Scalar, Activation>& f,
            const Eigen::Ref<const typename Mlp<Scalar, Activation>::Matrix>& starts,
            const Eigen::Ref<const typename Mlp<Scalar, Activation>::Matrix>& targets,
            int max_steps = 1000, double tolerance = 1e-6) {
  using Matrix = typename Mlp<Scalar, Activation>::Matrix;
  const char* fn = "iterate_map";
  if (targets.cols() != f.output_size() || targets.rows() == 0)
    detail::throw_invalid(fn, "targets need ", f.output_size(), " columns and a row");
  if (max_steps < 1) detail::throw_invalid(fn, "max_steps must be >= 1");
  const Eigen::Index n = starts.rows();
  IterationResult r;
  r.steps.assign(std::size_t(n), 0);
  r.converged.assign(std::size_t(n), false);
  Matrix x = starts;
  std::vector<Eigen::Index> active(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) active[std::size_t(i)] = i;
  for (int s = 1; s <= max_steps && !active.empty(); ++s) {
    const Matrix xa = x(active, Eigen::all);
    const Matrix y = f.forward(xa);
    std::vector<Eigen::Index> still;
    for (std::size_t k = 0; k < active.size(); ++k) {
      const Eigen::Index i = active[k];
      const double nx = double(xa.row(Eigen::Index(k)).norm());
      const double step = double((y.row(Eigen::Index(k)) - xa.row(Eigen::Index(k))).norm());
      x.row(i) = y.row(Eigen::Index(k));
      r.steps[std::size_t(i)] = s;
      if (!std::isfinite(step)) continue; // diverged: stop iterating this start
      if (step <= tolerance * (nx > 0 ? nx : 1.0))
        r.converged[std::size_t(i)] = true;
      else
        still.push_back(i);
    }
    active = std::move(still);
  }
  r.finals = x.template cast<double>();
  const Eigen::MatrixXd T = targets.template cast<double>();
  r.nearest.resize(std::size_t(n));
  r.distance.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::Index best = 0;
    const double d2 = (T.rowwise() - r.finals.row(i)).rowwise().squaredNorm().minCoeff(&best);
    r.nearest[std::size_t(i)] = best;
    const double nt = T.row(best).norm();
    r.distance[i] = std::sqrt(d2) / (nt > 0 ? nt : 1.0);
  }
  return r;
}

/// The cycle test of a sequence encoder trained on \f$ f(x_k) = x_{k+1} \f$ (indices mod n):
/// the largest relative residual \f$ \|f(x_k) - x_{k+1}\| / \|x_{k+1}\| \f$ and the spectral
/// radius of the product of Jacobians around the cycle,
/// \f$ J_f(x_{n-1}) \cdots J_f(x_1) J_f(x_0) \f$; the cycle is stable when it is below 1.
template <class Scalar, class Activation>
std::pair<double, double>
cycle_stability(const Mlp<Scalar, Activation>& f,
                const Eigen::Ref<const typename Mlp<Scalar, Activation>::Matrix>& sequence) {
  const char* fn = "cycle_stability";
  if (sequence.rows() < 2) detail::throw_invalid(fn, "a cycle needs at least 2 elements");
  const auto Y = f.forward(sequence);
  const Eigen::Index n = sequence.rows();
  double worst = 0;
  Eigen::MatrixXd P = Eigen::MatrixXd::Identity(f.input_size(), f.input_size());
  for (Eigen::Index k = 0; k < n; ++k) {
    const auto next = sequence.row((k + 1) % n);
    const double nn = double(next.norm());
    worst = std::max(worst, double((Y.row(k) - next).norm()) / (nn > 0 ? nn : 1.0));
    P = f.jacobian(sequence.row(k).transpose()).template cast<double>() * P;
  }
  return {worst, spectral_radius(P)};
}

} // namespace cimpute
