/// @file robust_zscore.hpp
/// @brief Robust z-scoring (median / MAD with a floor) as in the L1000 processing pipeline.
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace cimpute {

/// Median of the non-NaN values of a vector (NaN when there are none). Reorders a copy.
template <class Derived>
typename Derived::Scalar nan_median(const Eigen::DenseBase<Derived>& v) {
  using Scalar = typename Derived::Scalar;
  std::vector<Scalar> x;
  x.reserve(static_cast<std::size_t>(v.size()));
  for (Eigen::Index i = 0; i < v.size(); ++i)
    if (!std::isnan(v.derived().coeff(i))) x.push_back(v.derived().coeff(i));
  if (x.empty()) return std::numeric_limits<Scalar>::quiet_NaN();
  const std::size_t h = x.size() / 2;
  std::nth_element(x.begin(), x.begin() + std::ptrdiff_t(h), x.end());
  const Scalar hi = x[h];
  if (x.size() % 2 == 1) return hi;
  const Scalar lo = *std::max_element(x.begin(), x.begin() + std::ptrdiff_t(h));
  return (lo + hi) / Scalar(2);
}

/// Robust z-scores of each row of `X` (features x samples, e.g. one L1000 plate) across its
/// columns: \f[ z_{gj} = \frac{x_{gj} - \mathrm{med}_g}{1.4826 \, \max(\mathrm{MAD}_g, f)} \f]
/// with \f$ \mathrm{MAD}_g = \mathrm{med}_j |x_{gj} - \mathrm{med}_g| \f$ and floor f
/// (0.1 in the L1000 pipeline's ZSPCQNORM level); no clipping. NaN entries are ignored in the
/// statistics and stay NaN.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic>
robust_zscore(const Eigen::MatrixBase<Derived>& X,
              typename Derived::Scalar mad_floor = typename Derived::Scalar(0.1)) {
  using Scalar = typename Derived::Scalar;
  if (!(mad_floor > Scalar(0)))
    detail::throw_invalid("robust_zscore", "mad_floor must be > 0, got ", mad_floor);
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> Z(X.rows(), X.cols());
  Eigen::Matrix<Scalar, 1, Eigen::Dynamic> dev(X.cols());
  for (Eigen::Index g = 0; g < X.rows(); ++g) {
    const Scalar med = nan_median(X.row(g));
    dev = (X.row(g).array() - med).abs();
    const Scalar mad = nan_median(dev);
    const Scalar scale = Scalar(1.4826) * std::max(mad, mad_floor);
    Z.row(g) = (X.row(g).array() - med) / scale;
  }
  return Z;
}

} // namespace cimpute
