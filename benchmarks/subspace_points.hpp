// The data of the large-n kernel regression benchmarks (pcg_nystrom_scale, pcg_mpi_scaling):
// points near a 10-dimensional subspace of R^978, normalised; targets smooth functions of the
// latent coordinates plus noise.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <random>

namespace cimpute_bench {

/// Draws one point into `x` (978 entries) and its targets into `y` (target j: sin(z_j) +
/// z_(j+1) z_(j+2) + 0.1 noise, indices mod 10) from `n01(rng)` (a standard normal
/// distribution: it may keep a cached draw, so a point depends on its row alone only when the
/// caller passes a fresh one).
template <class Rng, class X, class Y>
void subspace_point(Rng& rng, std::normal_distribution<double>& n01, X&& x, Y&& y) {
  static const Eigen::MatrixXd A = [] {
    std::mt19937_64 r(7);
    std::normal_distribution<double> g(0, 1);
    Eigen::MatrixXd a(978, 10);
    for (Eigen::Index i = 0; i < a.size(); ++i) a(i) = g(r);
    return a;
  }();
  Eigen::VectorXd z(10), e(978);
  for (Eigen::Index k = 0; k < 10; ++k) z[k] = n01(rng);
  for (Eigen::Index k = 0; k < 978; ++k) e[k] = n01(rng);
  const Eigen::VectorXd v = A * z + 0.3 * e;
  x = v.transpose() / v.norm();
  for (Eigen::Index j = 0; j < y.size(); ++j)
    y[j] = std::sin(z[j % 10]) + z[(j + 1) % 10] * z[(j + 2) % 10] + 0.1 * n01(rng);
}

} // namespace cimpute_bench
