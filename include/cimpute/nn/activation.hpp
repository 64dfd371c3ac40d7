/// @file activation.hpp
/// @brief Activation policies of `Mlp`: the value and the derivative of an element-wise function
/// of the pre-activations.
#pragma once

#include <Eigen/Core>

#include <cstdint>

namespace cimpute {

/// The Activation concept of `Mlp`: a copyable value type with
/// `template <class D> auto value(const Eigen::ArrayBase<D>& z) const` and
/// `template <class D> auto derivative(const Eigen::ArrayBase<D>& z) const` (element-wise, at
/// the pre-activation z), and `static constexpr std::uint32_t id` (stored in weight files; user
/// policies take ids >= 100). The built-in ones follow.

/// Leaky ReLU, \f$ s(z) = z \f$ for z > 0, else \f$ a z \f$ (the reference autoencoder: a = 0.01).
struct LeakyRelu {
  static constexpr std::uint32_t id = 1;
  double slope = 0.01; ///< a
  template <class D>
  auto value(const Eigen::ArrayBase<D>& z) const {
    using S = typename D::Scalar;
    return (z > S(0)).select(z, z * S(slope));
  }
  template <class D>
  auto derivative(const Eigen::ArrayBase<D>& z) const {
    using S = typename D::Scalar;
    return (z > S(0)).select(D::PlainObject::Constant(z.rows(), z.cols(), S(1)),
                             D::PlainObject::Constant(z.rows(), z.cols(), S(slope)));
  }
};

/// ReLU, \f$ \max(z, 0) \f$ (derivative 0 at 0).
struct Relu {
  static constexpr std::uint32_t id = 2;
  template <class D>
  auto value(const Eigen::ArrayBase<D>& z) const {
    return z.cwiseMax(typename D::Scalar(0));
  }
  template <class D>
  auto derivative(const Eigen::ArrayBase<D>& z) const {
    return (z > typename D::Scalar(0)).template cast<typename D::Scalar>();
  }
};

/// Hyperbolic tangent.
struct Tanh {
  static constexpr std::uint32_t id = 3;
  template <class D>
  auto value(const Eigen::ArrayBase<D>& z) const {
    return z.tanh();
  }
  template <class D>
  auto derivative(const Eigen::ArrayBase<D>& z) const {
    return typename D::Scalar(1) - z.tanh().square();
  }
};

/// The sine-type activation \f$ \sin(\omega z) \f$ (SIREN-like; Radhakrishnan et al. used sine
/// activations for sequence encoders).
struct Sine {
  static constexpr std::uint32_t id = 4;
  double omega = 1.0;
  template <class D>
  auto value(const Eigen::ArrayBase<D>& z) const {
    return (z * typename D::Scalar(omega)).sin();
  }
  template <class D>
  auto derivative(const Eigen::ArrayBase<D>& z) const {
    using S = typename D::Scalar;
    return S(omega) * (z * S(omega)).cos();
  }
};

/// Cosine, \f$ \cos(\omega z) \f$ (the other periodic choice of the associative-memory work).
struct Cosine {
  static constexpr std::uint32_t id = 6;
  double omega = 1.0;
  template <class D>
  auto value(const Eigen::ArrayBase<D>& z) const {
    return (z * typename D::Scalar(omega)).cos();
  }
  template <class D>
  auto derivative(const Eigen::ArrayBase<D>& z) const {
    using S = typename D::Scalar;
    return S(-omega) * (z * S(omega)).sin();
  }
};

/// SELU (Klambauer et al. 2017), \f$ \lambda z \f$ for z > 0, else
/// \f$ \lambda \alpha (e^z - 1) \f$, with the self-normalising constants
/// \f$ \lambda = 1.0507009873554805 \f$, \f$ \alpha = 1.6732632423543772 \f$ (as `torch.nn.SELU`).
struct Selu {
  static constexpr std::uint32_t id = 7;
  static constexpr double lambda = 1.0507009873554805, alpha = 1.6732632423543772;
  template <class D>
  auto value(const Eigen::ArrayBase<D>& z) const {
    using S = typename D::Scalar;
    return S(lambda) * (z > S(0)).select(z, S(alpha) * (z.min(S(0)).exp() - S(1)));
  }
  template <class D>
  auto derivative(const Eigen::ArrayBase<D>& z) const {
    using S = typename D::Scalar;
    return S(lambda) * (z > S(0)).select(D::PlainObject::Ones(z.rows(), z.cols()),
                                         S(alpha) * z.min(S(0)).exp());
  }
};

/// The identity (a linear network).
struct Identity {
  static constexpr std::uint32_t id = 5;
  template <class D>
  const D& value(const Eigen::ArrayBase<D>& z) const {
    return z.derived();
  }
  template <class D>
  auto derivative(const Eigen::ArrayBase<D>& z) const {
    return D::PlainObject::Ones(z.rows(), z.cols());
  }
};

} // namespace cimpute
