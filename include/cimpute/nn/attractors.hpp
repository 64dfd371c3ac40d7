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
#include <limits>
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

/// Per training example: how well it is stored.
struct AttractorReport {
  Eigen::VectorXd residual;        ///< \f$ \|f(x) - x\| / \|x\| \f$
  Eigen::VectorXd spectral_radius; ///< of \f$ J_f(x) \f$
  /// Fixed point (residual below the tolerance) with spectral radius below 1.
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
/// when its relative residual is below `residual_tolerance` and the spectral radius below 1.
template <class Scalar, class Activation>
AttractorReport
attractor_report(const Mlp<Scalar, Activation>& f,
                 const Eigen::Ref<const typename Mlp<Scalar, Activation>::Matrix>& X,
                 double residual_tolerance = 1e-3) {
  const char* fn = "attractor_report";
  if (f.input_size() != f.output_size())
    detail::throw_invalid(fn, "f maps ", f.input_size(), " to ", f.output_size(),
                          " features: not a self-map");
  const auto Y = f.forward(X);
  AttractorReport r;
  r.residual.resize(X.rows());
  r.spectral_radius.resize(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const double nx = double(X.row(i).norm());
    r.residual[i] = double((Y.row(i) - X.row(i)).norm()) / (nx > 0 ? nx : 1.0);
    r.spectral_radius[i] = spectral_radius(f.jacobian(X.row(i).transpose()));
    r.attractor.push_back(r.residual[i] < residual_tolerance && r.spectral_radius[i] < 1);
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
