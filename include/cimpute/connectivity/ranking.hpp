/// @file ranking.hpp
/// @brief Ranks with ties: midranks of a vector, the competition ranking of scores, and the
/// per-signature descending sort shared by the set-based connectivity scores.
#pragma once

#include "cimpute/core/config.hpp"
#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <functional>
#include <numeric>
#include <utility>
#include <vector>

namespace cimpute {

/// Ascending midranks (1 = smallest; tied values share the mean of their positions), the ranks
/// of Spearman's correlation. Throws for a non-finite value.
inline Eigen::VectorXd average_ranks(const Eigen::Ref<const Eigen::VectorXd>& x) {
  if (!x.allFinite()) detail::throw_invalid("average_ranks", "non-finite value");
  std::vector<Eigen::Index> idx(static_cast<std::size_t>(x.size()));
  std::iota(idx.begin(), idx.end(), Eigen::Index(0));
  std::sort(idx.begin(), idx.end(), [&](Eigen::Index a, Eigen::Index b) { return x[a] < x[b]; });
  Eigen::VectorXd r(x.size());
  for (std::size_t a = 0; a < idx.size();) {
    std::size_t b = a;
    while (b + 1 < idx.size() && x[idx[b + 1]] == x[idx[a]]) ++b;
    const double mid = (double(a) + double(b)) / 2 + 1;
    for (std::size_t k = a; k <= b; ++k) r[idx[k]] = mid;
    a = b + 1;
  }
  return r;
}

/// Competition ranking of scores, highest first ("1224"): `rank[i]` is 1 + the number of scores
/// strictly greater than `scores[i]`, so tied scores share a rank. NaN is rejected.
inline std::vector<Eigen::Index>
competition_ranks(const Eigen::Ref<const Eigen::VectorXd>& scores) {
  if (scores.hasNaN()) detail::throw_invalid("competition_ranks", "NaN score");
  std::vector<double> sorted(scores.data(), scores.data() + scores.size());
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  std::vector<Eigen::Index> rank(static_cast<std::size_t>(scores.size()));
  for (Eigen::Index i = 0; i < scores.size(); ++i)
    rank[std::size_t(i)] = 1 + Eigen::Index(std::lower_bound(sorted.begin(), sorted.end(),
                                                             scores[i], std::greater<>()) -
                                            sorted.begin());
  return rank;
}

namespace detail {

/// One signature sorted by value, largest first; ties keep gene order. `block_end(k)` says
/// whether position k closes a block of tied values, the only places where the set-based scores
/// read their running sums, so that they do not depend on how ties are ordered.
template <class Scalar>
struct SortedSignature {
  std::vector<std::pair<Scalar, Eigen::Index>> order;
  template <class Row>
  void assign(const Row& row) {
    const Eigen::Index n = row.size();
    order.resize(static_cast<std::size_t>(n));
    for (Eigen::Index g = 0; g < n; ++g) order[std::size_t(g)] = {row[g], g};
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
  }
  bool block_end(std::size_t k) const {
    return k + 1 == order.size() || order[k + 1].first != order[k].first;
  }
};

/// Call `body(workspace, row_index, row)` for every row of R (in parallel with OpenMP), reading
/// R in blocks of rows copied to row-major storage so that a column-major matrix is traversed
/// with unit stride. Each thread owns one `Workspace`; `body` must not throw.
template <class Workspace, class Derived, class Body>
void for_each_row(const Eigen::MatrixBase<Derived>& R, Body&& body) {
  using S = typename Derived::Scalar;
  const Eigen::Index n = R.rows(), block = 64, blocks = (n + block - 1) / block;
#if CIMPUTE_HAS_OPENMP
#pragma omp parallel if (n > 2 * block)
#endif
  {
    Workspace ws;
    Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> buf;
#if CIMPUTE_HAS_OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
    for (Eigen::Index b = 0; b < blocks; ++b) {
      const Eigen::Index i0 = b * block, len = std::min(block, n - i0);
      buf = R.middleRows(i0, len);
      for (Eigen::Index i = 0; i < len; ++i) body(ws, i0 + i, buf.row(i));
    }
  }
}

} // namespace detail
} // namespace cimpute
