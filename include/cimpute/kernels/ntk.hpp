/// @file ntk.hpp
/// @brief Neural tangent and neural network Gaussian process kernels of fully connected ReLU
/// networks (NTK parametrisation), for inputs of any norm.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/kernels/relu_simd.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace cimpute {

namespace detail {

/// The arc-cosine functions of the ReLU at correlation rho (clipped to [-1, 1]):
/// \f$ \theta = \arccos\rho \f$, \f$ \kappa_0 = (\pi - \theta) / \pi \f$,
/// \f$ \kappa_1 = (\sin\theta + (\pi - \theta)\cos\theta) / \pi \f$ with
/// \f$ \sin\theta = \sqrt{(1-\rho)(1+\rho)} \f$ (no cancellation near |rho| = 1).
/// The angle comes from std::acos, which is correctly rounded for the given rho and so exactly as
/// accurate as atan2(sin, cos) (both inherit the conditioning of rho near 1) but about 3x faster
/// on glibc (5.6 vs 16 ns per value measured).
template <class Scalar>
inline void arccos_kappas(Scalar rho, Scalar& k0, Scalar& k1) {
  const Scalar pi = Scalar(3.141592653589793238462643383279502884L);
  rho = std::min(Scalar(1), std::max(Scalar(-1), rho));
  const Scalar s = std::sqrt((Scalar(1) - rho) * (Scalar(1) + rho));
  const Scalar theta = std::acos(rho);
  k0 = (pi - theta) / pi;
  k1 = (s + (pi - theta) * rho) / pi;
}

/// The Arora et al. (2019) recursion for a depth-L ReLU network with bias variance b2:
/// returns Sigma_L (NNGP) in `sigma` and Theta_L (NTK) in `theta` from the inner product xy and
/// the squared norms xx, yy of the two inputs. A zero input without bias gives 0.
template <class Scalar>
inline void relu_recursion(Scalar xy, Scalar xx, Scalar yy, int depth, Scalar b2, Scalar& sigma,
                           Scalar& theta) {
  Scalar sxx = xx + b2, syy = yy + b2;
  sigma = xy + b2;
  theta = sigma;
  for (int h = 0; h < depth; ++h) {
    const Scalar n = std::sqrt(sxx * syy);
    if (!(n > Scalar(0))) { // a zero input and no bias: every layer is 0 for that input
      sigma = theta = Scalar(0);
      return;
    }
    Scalar k0, k1;
    arccos_kappas(sigma / n, k0, k1);
    sigma = n * k1 + b2;
    sxx += b2; // Sigma_h(x, x) = Sigma_{h-1}(x, x) kappa1(1) + b2, kappa1(1) = 1
    syy += b2;
    theta = theta * k0 + sigma;
  }
}

/// Theta_L on the unit sphere without bias (the NTK's fast path): starting from rho = Theta = u,
/// L times Theta <- kappa1(rho) + Theta kappa0(rho), rho <- kappa1(rho).
template <class Scalar>
inline Scalar ntk_sphere(Scalar u, int depth, Scalar* nngp = nullptr) {
  Scalar rho = std::min(Scalar(1), std::max(Scalar(-1), u));
  Scalar theta = rho;
  for (int h = 0; h < depth; ++h) {
    Scalar k0, k1;
    arccos_kappas(rho, k0, k1);
    theta = k1 + theta * k0;
    rho = k1;
  }
  if (nngp) *nngp = rho;
  return theta;
}

template <class Scalar>
void check_relu_parameters(const char* fn, int depth, Scalar bias) {
  static_assert(std::is_floating_point<Scalar>::value,
                "cimpute ReLU kernels: Scalar must be float or double");
  if (depth < 1) throw_invalid(fn, "depth must be >= 1, got ", depth);
  if (!(bias >= Scalar(0)) || !std::isfinite(bias))
    throw_invalid(fn, "bias must be finite and >= 0, got ", bias);
}

template <class DX, class DY>
void check_same_size(const char* fn, const Eigen::MatrixBase<DX>& x,
                     const Eigen::MatrixBase<DY>& y) {
  if (x.size() != y.size())
    throw_invalid(fn, "the two inputs have ", x.size(), " and ", y.size(), " coordinates");
}

/// Shared part of the ReLU-network kernels (CRTP): depth, bias, and the call on two vectors,
/// which forwards the inner product and squared norms to `Derived::from_inner`.
template <class Derived, class Scalar>
class ReluKernelBase {
public:
  int depth() const noexcept { return m_depth; }
  Scalar bias() const noexcept { return m_bias; }
  /// The kernel value for two vectors of equal size.
  template <class DX, class DY>
  Scalar operator()(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y) const {
    check_same_size(Derived::name(), x, y);
    return static_cast<const Derived&>(*this).from_inner(Scalar(x.dot(y)), Scalar(x.squaredNorm()),
                                                         Scalar(y.squaredNorm()));
  }

protected:
  ReluKernelBase(int depth, Scalar bias) : m_depth(depth), m_bias(bias) {
    check_relu_parameters(Derived::name(), depth, bias);
  }
  int m_depth;
  Scalar m_bias;
};

} // namespace detail

/// The neural tangent kernel of a fully connected ReLU network with `depth` hidden layers in the
/// NTK parametrisation, bias standard deviation `bias` (\f$\beta^2\f$ added at every layer):
/// \f[ \Sigma_0 = \langle x, x' \rangle + \beta^2,\ \Theta_0 = \Sigma_0,\quad
///     \rho_h = \frac{\Sigma_{h-1}(x,x')}{\sqrt{\Sigma_{h-1}(x,x)\Sigma_{h-1}(x',x')}},\quad
///     \Sigma_h = \sqrt{\Sigma_{h-1}(x,x)\Sigma_{h-1}(x',x')}\,\kappa_1(\rho_h) + \beta^2,\quad
///     \Theta_h = \Theta_{h-1}\kappa_0(\rho_h) + \Sigma_h \f]
/// and \f$ \mathrm{NTK}(x, x') = \Theta_L \f$ (Jacot et al. 2018; Arora et al. 2019; as used for
/// matrix completion by Radhakrishnan et al., PNAS 2022). Inputs of any norm are accepted (zero
/// vectors included); without bias the kernel is 1-homogeneous in each input and evaluated
/// through the unit-sphere fast path.
///
/// Models the inner-product kernel concept: `from_inner(<x,y>, |x|^2, |y|^2)`.
template <class Scalar_ = double>
class NtkKernel : public detail::ReluKernelBase<NtkKernel<Scalar_>, Scalar_> {
public:
  using Scalar = Scalar_;

  /// A depth-`depth` (>= 1) network with bias standard deviation `bias` (>= 0).
  explicit NtkKernel(int depth = 1, Scalar bias = Scalar(0))
      : detail::ReluKernelBase<NtkKernel, Scalar>(depth, bias) {}
  static const char* name() noexcept { return "NtkKernel"; }

  /// The kernel value from the inner product and the squared norms.
  Scalar from_inner(Scalar xy, Scalar xx, Scalar yy) const {
    if (this->m_bias == Scalar(0)) {
      const Scalar n = std::sqrt(xx * yy);
      return n > Scalar(0) ? n * detail::ntk_sphere(xy / n, this->m_depth) : Scalar(0);
    }
    Scalar sigma, theta;
    detail::relu_recursion(xy, xx, yy, this->m_depth, this->m_bias * this->m_bias, sigma, theta);
    return theta;
  }
  /// The kernel at correlation u of two unit vectors, without bias (the sphere fast path;
  /// equals `from_inner(u, 1, 1)` when `bias() == 0`).
  Scalar on_sphere(Scalar u) const { return detail::ntk_sphere(u, this->m_depth); }
  /// `from_inner` over a block in place: `g[i] = from_inner(g[i], xx[i], yy)` for i < len, in
  /// AVX2 registers when the CPU has them and the kernel no bias (relu_simd.hpp: within a few
  /// ulp of `from_inner`). `gram` and the solvers use it.
  void from_inner_block(Scalar* g, const Scalar* xx, Scalar yy, Eigen::Index len) const {
    detail::relu_block(*this, g, xx, yy, len, false);
  }
};

/// The NNGP kernel (the Gaussian-process limit of the same network): \f$ \Sigma_L \f$ of the
/// recursion documented at `NtkKernel` (Lee et al. 2018; Cho & Saul 2009 arc-cosine kernel of
/// degree 1 iterated L times).
template <class Scalar_ = double>
class NngpKernel : public detail::ReluKernelBase<NngpKernel<Scalar_>, Scalar_> {
public:
  using Scalar = Scalar_;

  explicit NngpKernel(int depth = 1, Scalar bias = Scalar(0))
      : detail::ReluKernelBase<NngpKernel, Scalar>(depth, bias) {}
  static const char* name() noexcept { return "NngpKernel"; }

  /// The kernel value from the inner product and the squared norms.
  Scalar from_inner(Scalar xy, Scalar xx, Scalar yy) const {
    if (this->m_bias == Scalar(0)) {
      const Scalar n = std::sqrt(xx * yy);
      Scalar s = Scalar(0);
      if (n > Scalar(0)) detail::ntk_sphere(xy / n, this->m_depth, &s);
      return n * s;
    }
    Scalar sigma, theta;
    detail::relu_recursion(xy, xx, yy, this->m_depth, this->m_bias * this->m_bias, sigma, theta);
    return sigma;
  }
  Scalar on_sphere(Scalar u) const {
    Scalar s;
    detail::ntk_sphere(u, this->m_depth, &s);
    return s;
  }
  /// `from_inner` over a block in place (see `NtkKernel::from_inner_block`).
  void from_inner_block(Scalar* g, const Scalar* xx, Scalar yy, Eigen::Index len) const {
    detail::relu_block(*this, g, xx, yy, len, true);
  }
};

} // namespace cimpute
