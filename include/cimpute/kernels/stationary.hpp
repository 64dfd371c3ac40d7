/// @file stationary.hpp
/// @brief Laplace and Gaussian kernels with a bandwidth (distance-based kernels).
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <cmath>
#include <type_traits>

namespace cimpute {

namespace detail {
template <class Scalar>
void check_bandwidth(const char* fn, Scalar h) {
  static_assert(std::is_floating_point<Scalar>::value,
                "cimpute kernels: Scalar must be float or double");
  if (!(h > Scalar(0)) || !std::isfinite(h))
    throw_invalid(fn, "bandwidth must be finite and > 0, got ", h);
}
} // namespace detail

/// The Laplace kernel \f$ k(x, y) = \exp(-\|x - y\| / h) \f$.
/// Models the distance kernel concept: `from_sq_distance(|x - y|^2)`.
template <class Scalar_ = double>
class LaplaceKernel {
public:
  using Scalar = Scalar_;
  explicit LaplaceKernel(Scalar bandwidth = Scalar(1)) : m_h(bandwidth) {
    detail::check_bandwidth("LaplaceKernel", bandwidth);
  }
  Scalar bandwidth() const noexcept { return m_h; }
  template <class DX, class DY>
  Scalar operator()(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y) const {
    if (x.size() != y.size())
      detail::throw_invalid("LaplaceKernel", "the two inputs have ", x.size(), " and ", y.size(),
                            " coordinates");
    return from_sq_distance(Scalar((x - y).squaredNorm()));
  }
  Scalar from_sq_distance(Scalar d2) const { return std::exp(-std::sqrt(d2) / m_h); }

private:
  Scalar m_h;
};

/// The Gaussian kernel \f$ k(x, y) = \exp(-\|x - y\|^2 / (2 h^2)) \f$.
/// Models the distance kernel concept: `from_sq_distance(|x - y|^2)`.
template <class Scalar_ = double>
class GaussianKernel {
public:
  using Scalar = Scalar_;
  explicit GaussianKernel(Scalar bandwidth = Scalar(1)) : m_h(bandwidth) {
    detail::check_bandwidth("GaussianKernel", bandwidth);
  }
  Scalar bandwidth() const noexcept { return m_h; }
  template <class DX, class DY>
  Scalar operator()(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y) const {
    if (x.size() != y.size())
      detail::throw_invalid("GaussianKernel", "the two inputs have ", x.size(), " and ", y.size(),
                            " coordinates");
    return from_sq_distance(Scalar((x - y).squaredNorm()));
  }
  Scalar from_sq_distance(Scalar d2) const { return std::exp(-d2 / (Scalar(2) * m_h * m_h)); }

private:
  Scalar m_h;
};

} // namespace cimpute
