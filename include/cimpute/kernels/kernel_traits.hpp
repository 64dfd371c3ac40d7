/// @file kernel_traits.hpp
/// @brief The kernel concept: what a type must provide to be used by `gram` and the solvers.
///
/// A kernel type `K` must have
/// - `typename K::Scalar` (float or double), and
/// - one of
///   - `Scalar from_inner(Scalar xy, Scalar xx, Scalar yy) const` — an *inner-product kernel*,
///     a function of \f$\langle x,y\rangle\f$, \f$|x|^2\f$, \f$|y|^2\f$ (NTK, NNGP, linear,
///     polynomial, arc-cosine...), or
///   - `Scalar from_sq_distance(Scalar d2) const` — a *distance kernel*, a function of
///     \f$|x - y|^2\f$ (Gaussian, Laplace, Matern...).
///
/// Optionally, `Scalar self_value(Scalar xx) const`: the value of a point with itself (from its
/// squared norm) when it is not `from_inner(xx, xx, xx)` — a kernel with a nugget, such as the
/// NTK of points with a private identity coordinate (`NtkPcgCompletion`). `gram`'s symmetric
/// Gram matrices and the solvers use it wherever a point meets itself.
///
/// Optionally, for an inner-product kernel, `void from_inner_block(Scalar* g, const Scalar* xx,
/// Scalar yy, Eigen::Index len) const`: `g[i] = from_inner(g[i], xx[i], yy)` for a block of
/// values at once (the NTK's and NNGP's run in SIMD registers). `gram` uses it when present.
///
/// `gram` then needs a single GEMM for all inner products and applies the scalar function
/// entrywise. Example of a user kernel:
/// \code
/// struct Cosine { using Scalar = double;
///   double from_inner(double xy, double xx, double yy) const { return xy / std::sqrt(xx * yy); }
///   };
/// Eigen::MatrixXd K = cimpute::gram(Cosine{}, X);
/// \endcode
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace cimpute::detail {

template <class K, class = void>
struct has_from_inner : std::false_type {};
template <class K>
struct has_from_inner<K, std::void_t<decltype(std::declval<const K&>().from_inner(
                             std::declval<typename K::Scalar>(), std::declval<typename K::Scalar>(),
                             std::declval<typename K::Scalar>()))>> : std::true_type {};

template <class K, class = void>
struct has_from_sq_distance : std::false_type {};
template <class K>
struct has_from_sq_distance<K, std::void_t<decltype(std::declval<const K&>().from_sq_distance(
                                   std::declval<typename K::Scalar>()))>> : std::true_type {};

template <class K, class = void>
struct has_self_value : std::false_type {};
template <class K>
struct has_self_value<K, std::void_t<decltype(std::declval<const K&>().self_value(
                             std::declval<typename K::Scalar>()))>> : std::true_type {};

template <class K, class = void>
struct has_from_inner_block : std::false_type {};
template <class K>
struct has_from_inner_block<
    K, std::void_t<decltype(std::declval<const K&>().from_inner_block(
           std::declval<typename K::Scalar*>(), std::declval<const typename K::Scalar*>(),
           std::declval<typename K::Scalar>(), std::ptrdiff_t(0)))>> : std::true_type {};

template <class K, class = void>
struct has_scalar : std::false_type {};
template <class K>
struct has_scalar<K, std::void_t<typename K::Scalar>> : std::true_type {};

/// Compile-time check of the kernel concept with readable messages.
template <class K>
constexpr void check_kernel_concept() {
  static_assert(has_scalar<K>::value,
                "cimpute kernel concept: the kernel type needs `using Scalar = float or double;`");
  if constexpr (has_scalar<K>::value) {
    static_assert(std::is_floating_point<typename K::Scalar>::value,
                  "cimpute kernel concept: K::Scalar must be float or double");
    static_assert(
        has_from_inner<K>::value || has_from_sq_distance<K>::value,
        "cimpute kernel concept: the kernel type needs `Scalar from_inner(Scalar xy, Scalar xx, "
        "Scalar yy) const` or `Scalar from_sq_distance(Scalar d2) const`");
  }
}

} // namespace cimpute::detail
