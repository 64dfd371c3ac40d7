/// @file shift_design.hpp
/// @brief Shift interventions that move a linear SEM's mean where it is wanted: the exact shift
/// and the best shift on at most k targets (`exact_shift`, `best_shift`).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/sem/intervention.hpp"
#include "cimpute/sem/linear_gaussian_sem.hpp"

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace cimpute {

/// A shift intervention and where it takes the SEM's mean.
struct ShiftDesign {
  std::vector<int> targets; ///< the shifted nodes, ascending
  Eigen::VectorXd shift;    ///< per node, zero outside `targets`
  Eigen::VectorXd mean;     ///< the SEM's mean under the shift
  double distance = 0;      ///< |mean - desired|
  /// distance / |observational mean - desired| (0 when the two coincide): 1 is no progress.
  double relative = 0;

  /// The shift as an `Intervention` (one shift per target).
  Intervention intervention() const {
    Intervention iv;
    for (int v : targets) iv.targets.push_back({v, InterventionKind::Shift, 0, 0, shift[v], 1, 1});
    return iv;
  }
};

namespace detail {
inline void check_desired(const char* fn, const LinearGaussianSem<double>& sem,
                          const Eigen::VectorXd& desired) {
  if (desired.size() != sem.num_nodes())
    throw_invalid(fn, "the desired mean has ", desired.size(), " entries for ", sem.num_nodes(),
                  " nodes");
  if (!desired.allFinite()) throw_invalid(fn, "the desired mean has a non-finite entry");
}

/// The total effects A = (I - B^T)^-1: column i is the change of every node's mean per unit
/// shift of node i.
inline Eigen::MatrixXd total_effects(const LinearGaussianSem<double>& sem) {
  const Eigen::Index p = sem.num_nodes();
  const Eigen::MatrixXd M = Eigen::MatrixXd::Identity(p, p) - sem.weights().transpose();
  return M.partialPivLu().solve(Eigen::MatrixXd::Identity(p, p));
}

inline ShiftDesign finish_shift(const LinearGaussianSem<double>& sem,
                                const Eigen::VectorXd& desired, std::vector<int> targets,
                                Eigen::VectorXd shift) {
  ShiftDesign d;
  std::sort(targets.begin(), targets.end());
  d.targets = std::move(targets);
  d.shift = std::move(shift);
  const Eigen::VectorXd base = sem.mean();
  d.mean = sem.mean(d.intervention());
  d.distance = (d.mean - desired).norm();
  const double far = (base - desired).norm();
  d.relative = far > 0 ? d.distance / far : 0.0;
  return d;
}
} // namespace detail

/// The shift a with mean(a) = `desired` exactly: \f$ a = (I - B^T)\mu^* - \mu_\varepsilon \f$
/// (the SEM's mean under a shift is \f$ (I - B^T)^{-1}(\mu_\varepsilon + a) \f$). Its targets
/// are the nodes whose shift exceeds sqrt(epsilon) times the scale of the terms (smaller ones
/// are rounding and set to zero). Throws `invalid_argument` for a desired mean of the wrong
/// size or with a non-finite entry.
inline ShiftDesign exact_shift(const LinearGaussianSem<double>& sem,
                               const Eigen::VectorXd& desired) {
  detail::check_desired("exact_shift", sem, desired);
  const Eigen::MatrixXd& B = sem.weights();
  Eigen::VectorXd a = desired - B.transpose() * desired - sem.noise_means();
  const double scale = std::max({1.0, desired.lpNorm<Eigen::Infinity>(),
                                 (B.cwiseAbs().transpose() * desired.cwiseAbs()).maxCoeff(),
                                 sem.noise_means().lpNorm<Eigen::Infinity>()});
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon()) * scale;
  std::vector<int> targets;
  for (Eigen::Index j = 0; j < a.size(); ++j)
    if (std::abs(a[j]) > tol)
      targets.push_back(int(j));
    else
      a[j] = 0.0;
  return detail::finish_shift(sem, desired, std::move(targets), std::move(a));
}

/// The shift on the given nodes only that brings the SEM's mean nearest `desired` (least squares
/// on the total effects of shifts on `targets`; no target: no shift). Throws for a node out of
/// range or listed twice, or a bad desired mean.
inline ShiftDesign shift_on(const LinearGaussianSem<double>& sem, const Eigen::VectorXd& desired,
                            std::vector<int> targets) {
  const char* fn = "shift_on";
  detail::check_desired(fn, sem, desired);
  std::sort(targets.begin(), targets.end());
  for (std::size_t k = 0; k < targets.size(); ++k) {
    if (targets[k] < 0 || targets[k] >= sem.num_nodes())
      detail::throw_invalid(fn, "node ", targets[k], " is outside the ", sem.num_nodes(), " nodes");
    if (k > 0 && targets[k] == targets[k - 1])
      detail::throw_invalid(fn, "node ", targets[k], " is listed twice");
  }
  Eigen::VectorXd shift = Eigen::VectorXd::Zero(sem.num_nodes());
  if (!targets.empty()) {
    const Eigen::MatrixXd A = detail::total_effects(sem);
    Eigen::MatrixXd E(A.rows(), Eigen::Index(targets.size()));
    for (std::size_t k = 0; k < targets.size(); ++k) E.col(Eigen::Index(k)) = A.col(targets[k]);
    const Eigen::VectorXd a = E.colPivHouseholderQr().solve(desired - sem.mean());
    for (std::size_t k = 0; k < targets.size(); ++k) shift(targets[k]) = a(Eigen::Index(k));
  }
  return detail::finish_shift(sem, desired, std::move(targets), std::move(shift));
}

/// The shift on at most `max_targets` nodes whose mean is nearest to `desired` (Euclidean):
/// the exact shift when it needs no more targets; otherwise every set of at most min(k, 2)
/// nodes is tried (least squares on the columns of the total effects), and beyond 2 targets
/// nodes are added greedily, each time the one that brings the mean nearest, while that helps.
/// Throws `invalid_argument` for max_targets < 1 or a bad desired mean.
inline ShiftDesign best_shift(const LinearGaussianSem<double>& sem, const Eigen::VectorXd& desired,
                              int max_targets) {
  const char* fn = "best_shift";
  detail::check_desired(fn, sem, desired);
  if (max_targets < 1) detail::throw_invalid(fn, "max_targets must be >= 1, got ", max_targets);
  ShiftDesign exact = exact_shift(sem, desired);
  if (int(exact.targets.size()) <= max_targets) return exact;
  const Eigen::Index p = sem.num_nodes();
  const Eigen::MatrixXd A = detail::total_effects(sem);
  const Eigen::VectorXd r = desired - sem.mean();
  const Eigen::MatrixXd G = A.transpose() * A;
  const Eigen::VectorXd c = A.transpose() * r;
  // The least-squares shift on T and the reduction of |r|^2 it achieves, c_T^T a.
  auto solve = [&](const std::vector<int>& T, Eigen::VectorXd& a) {
    const Eigen::Index k = Eigen::Index(T.size());
    Eigen::MatrixXd GT(k, k);
    Eigen::VectorXd cT(k);
    for (Eigen::Index i = 0; i < k; ++i) {
      cT[i] = c[T[std::size_t(i)]];
      for (Eigen::Index j = 0; j < k; ++j) GT(i, j) = G(T[std::size_t(i)], T[std::size_t(j)]);
    }
    a = GT.ldlt().solve(cT);
    return cT.dot(a);
  };
  // Every single node and pair, in closed form.
  std::vector<int> best;
  Eigen::VectorXd best_a, a;
  double best_gain = -1;
  for (int i = 0; i < int(p); ++i) {
    if (G(i, i) > 0 && c[i] * c[i] / G(i, i) > best_gain) {
      best_gain = c[i] * c[i] / G(i, i);
      best = {i};
      best_a = Eigen::VectorXd::Constant(1, c[i] / G(i, i));
    }
    if (max_targets < 2) continue;
    for (int j = i + 1; j < int(p); ++j) {
      const double det = G(i, i) * G(j, j) - G(i, j) * G(i, j);
      if (!(det > 0)) continue;
      const double ai = (G(j, j) * c[i] - G(i, j) * c[j]) / det,
                   aj = (G(i, i) * c[j] - G(i, j) * c[i]) / det;
      if (c[i] * ai + c[j] * aj > best_gain) {
        best_gain = c[i] * ai + c[j] * aj;
        best = {i, j};
        best_a = Eigen::Vector2d(ai, aj);
      }
    }
  }
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon()) * r.squaredNorm();
  while (int(best.size()) < max_targets && r.squaredNorm() - best_gain > tol) {
    int add = -1;
    double gain = best_gain;
    Eigen::VectorXd add_a;
    for (int j = 0; j < int(p); ++j) {
      if (std::find(best.begin(), best.end(), j) != best.end()) continue;
      std::vector<int> T = best;
      T.push_back(j);
      const double g = solve(T, a);
      if (g > gain + tol) gain = g, add = j, add_a = a;
    }
    if (add < 0) break;
    best.push_back(add);
    best_gain = gain;
    best_a = add_a;
  }
  Eigen::VectorXd shift = Eigen::VectorXd::Zero(p);
  for (std::size_t i = 0; i < best.size(); ++i) shift[best[i]] = best_a[Eigen::Index(i)];
  return detail::finish_shift(sem, desired, std::move(best), std::move(shift));
}

} // namespace cimpute
