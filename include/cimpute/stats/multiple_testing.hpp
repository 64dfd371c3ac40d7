/// @file multiple_testing.hpp
/// @brief Multiple-testing correction: Benjamini-Hochberg adjusted p-values.
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <numeric>
#include <vector>

namespace cimpute {

/// Benjamini-Hochberg adjusted p-values (q-values) in input order: with the p-values sorted
/// ascending, \f$ q_{(i)} = \min_{j \ge i} \min(1, m\, p_{(j)} / j) \f$ (R's
/// `p.adjust(method = "BH")`). A test is significant at false discovery rate \f$\alpha\f$ when
/// \f$ q < \alpha \f$ (as the `des` metric counts it). Throws
/// `invalid_argument` for a value outside [0, 1] or NaN, naming its position.
inline Eigen::VectorXd benjamini_hochberg(const Eigen::Ref<const Eigen::VectorXd>& p) {
  const Eigen::Index m = p.size();
  for (Eigen::Index i = 0; i < m; ++i)
    if (!(p[i] >= 0 && p[i] <= 1))
      detail::throw_invalid("benjamini_hochberg", "p-value ", i, " is ", p[i],
                            " (must lie in [0, 1])");
  std::vector<Eigen::Index> order(static_cast<std::size_t>(m));
  std::iota(order.begin(), order.end(), Eigen::Index(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return p[a] < p[b]; });
  Eigen::VectorXd q(m);
  double running = 1.0;
  for (Eigen::Index r = m; r-- > 0;) {
    const Eigen::Index i = order[static_cast<std::size_t>(r)];
    running = std::min(running, double(m) * p[i] / double(r + 1));
    q[i] = running;
  }
  return q;
}

} // namespace cimpute
