/// @file rank_tests.hpp
/// @brief The Wilcoxon rank-sum (Mann-Whitney U) test with the normal approximation.
#pragma once

#include "cimpute/core/boost_math.hpp"
#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace cimpute {

/// Result of `wilcoxon_rank_sum`.
struct RankSumResult {
  double u;       ///< Mann-Whitney U of the first sample (pairs with x > y, ties count 1/2)
  double z;       ///< the normal-approximation statistic (tie- and continuity-corrected)
  double p_value; ///< two-sided
};

/// Two-sided Wilcoxon rank-sum test of x against y. Midranks for ties; the normal approximation
/// with the tie-corrected variance \f$ n_x n_y/12\,[(n+1) - \sum(t^3 - t)/(n(n-1))] \f$ and a
/// continuity correction of 1/2 (as R's `wilcox.test(exact = FALSE)` and SciPy's
/// `mannwhitneyu(method = "asymptotic")`). When every value is tied the p-value is 1.
/// Throws for an empty sample or non-finite values.
inline RankSumResult wilcoxon_rank_sum(const Eigen::Ref<const Eigen::VectorXd>& x,
                                       const Eigen::Ref<const Eigen::VectorXd>& y) {
  const char* fn = "wilcoxon_rank_sum";
  if (x.size() == 0 || y.size() == 0)
    detail::throw_invalid(fn, "empty sample (", x.size(), " and ", y.size(), " values)");
  if (!x.allFinite() || !y.allFinite()) detail::throw_invalid(fn, "non-finite values");
  const Eigen::Index nx = x.size(), ny = y.size(), n = nx + ny;
  std::vector<double> v(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < nx; ++i) v[std::size_t(i)] = x[i];
  for (Eigen::Index i = 0; i < ny; ++i) v[std::size_t(nx + i)] = y[i];
  std::vector<std::size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), std::size_t(0));
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  double rank_sum_x = 0, ties = 0;
  for (std::size_t a = 0; a < idx.size();) {
    std::size_t b = a;
    while (b + 1 < idx.size() && v[idx[b + 1]] == v[idx[a]]) ++b;
    const double mid = (double(a) + double(b)) / 2 + 1; // ranks a+1 .. b+1
    for (std::size_t k = a; k <= b; ++k)
      if (idx[k] < std::size_t(nx)) rank_sum_x += mid;
    const double t = double(b - a + 1);
    ties += t * t * t - t;
    a = b + 1;
  }
  RankSumResult r;
  r.u = rank_sum_x - double(nx) * double(nx + 1) / 2;
  const double mean = double(nx) * double(ny) / 2;
  const double var =
      double(nx) * double(ny) / 12 * (double(n + 1) - ties / (double(n) * double(n - 1)));
  if (!(var > 0)) {
    r.z = 0;
    r.p_value = 1;
    return r;
  }
  const double d = r.u - mean;
  r.z = (d - (d > 0 ? 0.5 : d < 0 ? -0.5 : 0.0)) / std::sqrt(var);
  r.p_value = std::min(1.0, 2 * boost::math::cdf(boost::math::complement(
                                    boost::math::normal_distribution<>(), std::abs(r.z))));
  return r;
}

} // namespace cimpute
