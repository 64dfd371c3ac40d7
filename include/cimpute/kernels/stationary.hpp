/// @file stationary.hpp
/// @brief Laplace and Gaussian kernels with a bandwidth (distance-based kernels).
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <cmath>
#include <type_traits>

namespace cimpute {

namespace detail {
/// Shared part of the distance kernels (CRTP): the bandwidth and the call on two vectors, which
/// forwards |x - y|^2 to `Derived::from_sq_distance`.
template <class Derived, class Scalar>
class DistanceKernelBase {
public:
  Scalar bandwidth() const noexcept { return m_h; }
  template <class DX, class DY>
  Scalar operator()(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y) const {
    if (x.size() != y.size())
      throw_invalid(Derived::name(), "the two inputs have ", x.size(), " and ", y.size(),
                    " coordinates");
    return static_cast<const Derived&>(*this).from_sq_distance(Scalar((x - y).squaredNorm()));
  }

protected:
  explicit DistanceKernelBase(Scalar h) : m_h(h) {
    static_assert(std::is_floating_point<Scalar>::value,
                  "cimpute kernels: Scalar must be float or double");
    if (!(h > Scalar(0)) || !std::isfinite(h))
      throw_invalid(Derived::name(), "bandwidth must be finite and > 0, got ", h);
  }
  Scalar m_h;
};
} // namespace detail

/// The Laplace kernel \f$ k(x, y) = \exp(-\|x - y\| / h) \f$.
/// Models the distance kernel concept: `from_sq_distance(|x - y|^2)`.
template <class Scalar_ = double>
class LaplaceKernel : public detail::DistanceKernelBase<LaplaceKernel<Scalar_>, Scalar_> {
public:
  using Scalar = Scalar_;
  explicit LaplaceKernel(Scalar bandwidth = Scalar(1))
      : detail::DistanceKernelBase<LaplaceKernel, Scalar>(bandwidth) {}
  static const char* name() noexcept { return "LaplaceKernel"; }
  Scalar from_sq_distance(Scalar d2) const { return std::exp(-std::sqrt(d2) / this->m_h); }
};

/// The Gaussian kernel \f$ k(x, y) = \exp(-\|x - y\|^2 / (2 h^2)) \f$.
/// Models the distance kernel concept: `from_sq_distance(|x - y|^2)`.
template <class Scalar_ = double>
class GaussianKernel : public detail::DistanceKernelBase<GaussianKernel<Scalar_>, Scalar_> {
public:
  using Scalar = Scalar_;
  explicit GaussianKernel(Scalar bandwidth = Scalar(1))
      : detail::DistanceKernelBase<GaussianKernel, Scalar>(bandwidth) {}
  static const char* name() noexcept { return "GaussianKernel"; }
  Scalar from_sq_distance(Scalar d2) const {
    return std::exp(-d2 / (Scalar(2) * this->m_h * this->m_h));
  }
};

} // namespace cimpute
