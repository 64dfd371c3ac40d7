/// @file ks_score.hpp
/// @brief The Kolmogorov-Smirnov connectivity score of the original Connectivity Map (Lamb et
/// al., Science 2006).
#pragma once

#include "cimpute/connectivity/gene_set_query.hpp"
#include "cimpute/connectivity/ranking.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <vector>

namespace cimpute {

/// The KS statistic of one tag set against a ranked list of n genes, from the sorted positions
/// \f$ V(1) < \dots < V(t) \f$ of its t genes (Lamb et al. 2006):
/// \f$ a = \max_j [j/t - V(j)/n] \f$, \f$ b = \max_j [V(j)/n - (j-1)/t] \f$, ks = a if a > b,
/// else -b. Positions are 1-based and may be fractional (midranks of tied genes).
inline double ks_statistic(const std::vector<double>& positions, Eigen::Index n) {
  const double t = double(positions.size());
  double a = -1e300, b = -1e300;
  for (std::size_t j = 1; j <= positions.size(); ++j) {
    const double v = positions[j - 1] / double(n);
    a = std::max(a, double(j) / t - v);
    b = std::max(b, v - double(j - 1) / t);
  }
  return a > b ? a : -b;
}

/// Raw Lamb connectivity of the query sets with every reference signature (rows of
/// `references`, signatures x genes): each signature is sorted once, largest value first
/// (position 1 = most up-regulated); \f$ s = ks_{up} - ks_{down} \f$ when the two have
/// different signs, else 0; with one set empty, \f$ ks_{up} \f$ (or \f$ -ks_{down} \f$). Tied
/// values get the mean of their positions, so the score does not depend on the order of ties.
/// Scale the result over the reference set with `scale_ks_scores`.
template <class Derived>
Eigen::VectorXd ks_scores(const Eigen::MatrixBase<Derived>& references, const GeneSetQuery& q) {
  const char* fn = "ks_scores";
  const Eigen::Index n = references.cols();
  q.validate(n);
  if (!references.allFinite())
    detail::throw_invalid(fn, "a reference signature has a non-finite value");
  const std::vector<signed char> member = detail::membership(q, n);
  Eigen::VectorXd out(references.rows());
  using S = typename Derived::Scalar;
  struct Workspace {
    detail::SortedSignature<S> sorted;
    std::vector<double> up, down;
  };
  detail::for_each_row<Workspace>(references, [&](Workspace& w, Eigen::Index i, const auto& row) {
    w.sorted.assign(row);
    w.up.clear();
    w.down.clear();
    std::size_t a = 0;
    for (std::size_t k = 0; k < w.sorted.order.size(); ++k)
      if (w.sorted.block_end(k)) {
        const double mid = (double(a) + double(k)) / 2 + 1;
        for (std::size_t j = a; j <= k; ++j) {
          const signed char m = member[std::size_t(w.sorted.order[j].second)];
          if (m > 0) w.up.push_back(mid);
          if (m < 0) w.down.push_back(mid);
        }
        a = k + 1;
      }
    const double up = w.up.empty() ? 0.0 : ks_statistic(w.up, n);
    const double down = w.down.empty() ? 0.0 : ks_statistic(w.down, n);
    out[i] = detail::combine_up_down(up, down, !w.up.empty(), !w.down.empty(), 1.0);
  });
  return out;
}

/// Lamb's scaling over a reference set: positive scores divided by the largest, negative ones by
/// the absolute value of the smallest, so that the scores lie in [-1, 1] with both ends reached.
inline Eigen::VectorXd scale_ks_scores(const Eigen::Ref<const Eigen::VectorXd>& s) {
  if (s.hasNaN()) detail::throw_invalid("scale_ks_scores", "NaN score");
  const double hi = s.size() ? s.maxCoeff() : 0.0, lo = s.size() ? s.minCoeff() : 0.0;
  Eigen::VectorXd out(s.size());
  for (Eigen::Index i = 0; i < s.size(); ++i)
    out[i] = s[i] > 0 ? s[i] / hi : s[i] < 0 ? s[i] / -lo : 0.0;
  return out;
}

} // namespace cimpute
