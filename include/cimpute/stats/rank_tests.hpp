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

namespace detail {
// The test from the first sample's rank sum and the pooled sample's tie term sum(t^3 - t).
inline RankSumResult rank_sum_result(double rank_sum_x, double ties, Eigen::Index nx,
                                     Eigen::Index ny) {
  const Eigen::Index n = nx + ny;
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
} // namespace detail

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
  return detail::rank_sum_result(rank_sum_x, ties, nx, ny);
}

/// A fixed second sample (e.g. a gene's values in the control cells) sorted once, to test many
/// first samples against it: `test(x)` equals `wilcoxon_rank_sum(x, y)` (the same midranks and
/// tie correction) in \f$ O(n_x \log n_x + n_x \log n_y) \f$ instead of sorting the pooled
/// sample each time. Ties between x and y, and a mass of equal values (zeros of sparse counts),
/// are handled exactly.
class RankSumReference {
public:
  RankSumReference() = default;
  /// Throws `invalid_argument` for an empty or non-finite sample.
  explicit RankSumReference(const Eigen::Ref<const Eigen::VectorXd>& y) {
    const char* fn = "RankSumReference";
    if (y.size() == 0) detail::throw_invalid(fn, "empty reference sample");
    if (!y.allFinite()) detail::throw_invalid(fn, "non-finite values in the reference sample");
    std::vector<double> v(y.data(), y.data() + y.size());
    std::sort(v.begin(), v.end());
    m_n = y.size();
    for (std::size_t a = 0; a < v.size();) {
      std::size_t b = a;
      while (b < v.size() && v[b] == v[a]) ++b;
      const double t = double(b - a);
      m_values.push_back(v[a]);
      m_less.push_back(double(a));
      m_count.push_back(t);
      m_ties += t * t * t - t;
      a = b;
    }
  }
  /// The size of the reference sample.
  Eigen::Index size() const noexcept { return m_n; }

  /// The two-sided rank-sum test of `x` against the reference sample.
  RankSumResult test(const Eigen::Ref<const Eigen::VectorXd>& x) const {
    const char* fn = "RankSumReference::test";
    if (m_n == 0) detail::throw_logic(fn, "no reference sample");
    if (x.size() == 0) detail::throw_invalid(fn, "empty sample");
    if (!x.allFinite()) detail::throw_invalid(fn, "non-finite values");
    std::vector<double> v(x.data(), x.data() + x.size());
    std::sort(v.begin(), v.end());
    double rank_sum_x = 0, ties = m_ties;
    for (std::size_t a = 0; a < v.size();) {
      std::size_t b = a;
      while (b < v.size() && v[b] == v[a]) ++b;
      const auto k =
          std::size_t(std::lower_bound(m_values.begin(), m_values.end(), v[a]) - m_values.begin());
      const double below = k < m_values.size() ? m_less[k] : double(m_n);
      const double equal = k < m_values.size() && m_values[k] == v[a] ? m_count[k] : 0.0;
      const double count = double(b - a), t = count + equal;
      // The pooled group of value v[a] holds ranks below + a + 1 .. below + a + t.
      rank_sum_x += count * (below + double(a) + (t + 1) / 2);
      ties += (t * t * t - t) - (equal * equal * equal - equal);
      a = b;
    }
    return detail::rank_sum_result(rank_sum_x, ties, x.size(), m_n);
  }

private:
  Eigen::Index m_n = 0;
  std::vector<double> m_values, m_less, m_count; // distinct values, how many below, how many
  double m_ties = 0;
};

} // namespace cimpute
