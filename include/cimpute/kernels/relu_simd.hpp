/// @file relu_simd.hpp
/// @brief The ReLU kernels' arc-cosine recursion over a block of inner products at once: AVX2 +
/// FMA registers chosen at run time (`detail::use_avx2_fma`), the scalar recursion otherwise.
///
/// `std::acos` is a library call per value (about 5.6 ns on glibc), which made the entrywise part
/// of an NTK Gram matrix cost as much as half its GEMM. Here the arc cosine is evaluated in
/// registers from the arcsine's Taylor series after the usual range reduction
/// (\f$ \arccos x = \pi/2 - \arcsin x \f$ for \f$ |x| \le 1/2 \f$, \f$ 2 \arcsin\sqrt{(1-x)/2} \f$
/// above, \f$ \pi - 2 \arcsin\sqrt{(1+x)/2} \f$ below), so the series only meets arguments
/// \f$ z \le 1/2 \f$: 23 terms in double and 10 in float leave a truncation error below 0.1 ulp
/// (the tail's bound at z = 1/2; it shrinks as \f$ z^{2K+3} \f$). \f$ \pi/2 \f$ and \f$ \pi \f$
/// enter as a high and a low part: the measured maximum distance from glibc's `acos` is 1 ulp
/// (10^7 arguments by hand, 10^6 and the edges in the tests, which assert it). The kernel values
/// are then as accurate as the scalar path's: both inherit the recursion's conditioning near
/// rho = 1 (thousands of eps at depth 5 for either, against a long double recursion).
#pragma once

#include "cimpute/core/simd.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>
#include <utility>

#if CIMPUTE_X86_DISPATCH
#include <immintrin.h>
#endif

namespace cimpute::detail {

/// The arcsine's Taylor coefficients after the first: \f$ \arcsin z = z + z t \sum_{k=1}^{K} a_k
/// t^{k-1} \f$, \f$ t = z^2 \f$, \f$ a_k = a_{k-1} (2k-1)^2 / (2k (2k+1)) \f$, \f$ a_0 = 1 \f$;
/// K = 23 for double and 10 for float (see the file comment).
template <class Scalar>
struct AsinSeries {
  static constexpr int terms = std::is_same<Scalar, float>::value ? 10 : 23;
  static constexpr std::array<Scalar, terms> coefficients() {
    std::array<Scalar, terms> c{};
    long double a = 1;
    for (int k = 1; k <= terms; ++k) {
      a = a * (2 * k - 1) * (2 * k - 1) / ((2.0L * k) * (2 * k + 1));
      c[std::size_t(k - 1)] = Scalar(a);
    }
    return c;
  }
};

/// The scalar recursion on a block: `g[i] = k.from_inner(g[i], xx[i], yy)`.
template <class Kernel, class Scalar>
void from_inner_each(const Kernel& k, Scalar* g, const Scalar* xx, Scalar yy, Eigen::Index len) {
  for (Eigen::Index i = 0; i < len; ++i) g[i] = k.from_inner(g[i], xx[i], yy);
}

#if CIMPUTE_X86_DISPATCH
#define CIMPUTE_TARGET_AVX2_FMA __attribute__((target("avx2,fma")))

/// Four doubles per AVX2 register.
struct Avx2Double {
  using Scalar = double;
  using V = __m256d;
  static constexpr int width = 4;
  CIMPUTE_TARGET_AVX2_FMA static V set1(double a) { return _mm256_set1_pd(a); }
  CIMPUTE_TARGET_AVX2_FMA static V load(const double* p) { return _mm256_loadu_pd(p); }
  CIMPUTE_TARGET_AVX2_FMA static void store(double* p, V a) { _mm256_storeu_pd(p, a); }
  CIMPUTE_TARGET_AVX2_FMA static V add(V a, V b) { return _mm256_add_pd(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V div(V a, V b) { return _mm256_div_pd(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  CIMPUTE_TARGET_AVX2_FMA static V sqrt(V a) { return _mm256_sqrt_pd(a); }
  CIMPUTE_TARGET_AVX2_FMA static V min(V a, V b) { return _mm256_min_pd(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V max(V a, V b) { return _mm256_max_pd(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V sign_mask() { return _mm256_set1_pd(-0.0); }
  CIMPUTE_TARGET_AVX2_FMA static V andnot(V a, V b) { return _mm256_andnot_pd(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V and_(V a, V b) { return _mm256_and_pd(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V or_(V a, V b) { return _mm256_or_pd(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V gt(V a, V b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
  /// mask ? a : b, lane by lane.
  CIMPUTE_TARGET_AVX2_FMA static V select(V mask, V a, V b) { return _mm256_blendv_pd(b, a, mask); }
};

/// Eight floats per AVX2 register.
struct Avx2Float {
  using Scalar = float;
  using V = __m256;
  static constexpr int width = 8;
  CIMPUTE_TARGET_AVX2_FMA static V set1(float a) { return _mm256_set1_ps(a); }
  CIMPUTE_TARGET_AVX2_FMA static V load(const float* p) { return _mm256_loadu_ps(p); }
  CIMPUTE_TARGET_AVX2_FMA static void store(float* p, V a) { _mm256_storeu_ps(p, a); }
  CIMPUTE_TARGET_AVX2_FMA static V add(V a, V b) { return _mm256_add_ps(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V div(V a, V b) { return _mm256_div_ps(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  CIMPUTE_TARGET_AVX2_FMA static V sqrt(V a) { return _mm256_sqrt_ps(a); }
  CIMPUTE_TARGET_AVX2_FMA static V min(V a, V b) { return _mm256_min_ps(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V max(V a, V b) { return _mm256_max_ps(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V sign_mask() { return _mm256_set1_ps(-0.0f); }
  CIMPUTE_TARGET_AVX2_FMA static V andnot(V a, V b) { return _mm256_andnot_ps(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V and_(V a, V b) { return _mm256_and_ps(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V or_(V a, V b) { return _mm256_or_ps(a, b); }
  CIMPUTE_TARGET_AVX2_FMA static V gt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  CIMPUTE_TARGET_AVX2_FMA static V select(V mask, V a, V b) { return _mm256_blendv_ps(b, a, mask); }
};

/// Horner's rule in x over the series' coefficients first, first + 4, first + 8, ... (one more
/// than the index sequence's length), unrolled at compile time.
template <class Ops, std::size_t first, std::size_t... k>
CIMPUTE_TARGET_AVX2_FMA typename Ops::V asin_chain(typename Ops::V x, std::index_sequence<k...>) {
  using S = typename Ops::Scalar;
  constexpr std::array<S, AsinSeries<S>::terms> c = AsinSeries<S>::coefficients();
  constexpr std::size_t last = sizeof...(k);
  typename Ops::V p = Ops::set1(c[first + 4 * last]);
  ((p = Ops::fmadd(p, x, Ops::set1(c[first + 4 * (last - 1 - k)]))), ...);
  return p;
}

/// The series' sum over k of a_k t^(k-1) as four interleaved chains in t^4 (Estrin's idea): the
/// same terms as Horner's rule with a quarter of its dependency chain, so that the registers of
/// neighbouring entries overlap in the pipeline.
template <class Ops>
CIMPUTE_TARGET_AVX2_FMA typename Ops::V asin_series(typename Ops::V t) {
  using S = typename Ops::Scalar;
  constexpr std::size_t n = AsinSeries<S>::terms;
  const typename Ops::V t2 = Ops::mul(t, t), t4 = Ops::mul(t2, t2);
  const auto p0 = asin_chain<Ops, 0>(t4, std::make_index_sequence<(n + 3) / 4 - 1>());
  const auto p1 = asin_chain<Ops, 1>(t4, std::make_index_sequence<(n + 2) / 4 - 1>());
  const auto p2 = asin_chain<Ops, 2>(t4, std::make_index_sequence<(n + 1) / 4 - 1>());
  const auto p3 = asin_chain<Ops, 3>(t4, std::make_index_sequence<n / 4 - 1>());
  return Ops::fmadd(Ops::fmadd(p3, t, p2), t2, Ops::fmadd(p1, t, p0));
}

/// The arc cosine of each lane of x in [-1, 1] (see the file comment for the method and bound).
template <class Ops>
CIMPUTE_TARGET_AVX2_FMA typename Ops::V acos_lanes(typename Ops::V x) {
  using S = typename Ops::Scalar;
  using V = typename Ops::V;
  const long double pi = 3.141592653589793238462643383279502884L;
  const S pi_hi = S(pi), pi_lo = S(pi - (long double)pi_hi);
  const S pio2_hi = S(pi / 2), pio2_lo = S(pi / 2 - (long double)pio2_hi);
  const V half = Ops::set1(S(0.5)), sign = Ops::sign_mask();
  const V a = Ops::andnot(sign, x); // |x|
  const V big = Ops::gt(a, half);
  const V tb = Ops::mul(Ops::sub(Ops::set1(S(1)), a), half); // exact for |x| in [1/2, 1]
  const V t = Ops::select(big, tb, Ops::mul(a, a));
  const V z = Ops::select(big, Ops::sqrt(tb), a);
  const V w = Ops::fmadd(Ops::mul(z, t), asin_series<Ops>(t), z); // arcsin z
  // |x| <= 1/2: pi/2 - arcsin x, with arcsin x = copysign(w, x).
  const V signed_w = Ops::or_(w, Ops::and_(sign, x));
  const V mid = Ops::sub(Ops::set1(pio2_hi), Ops::sub(signed_w, Ops::set1(pio2_lo)));
  // x > 1/2: 2 w; x < -1/2: pi - 2 w.
  const V w2 = Ops::add(w, w);
  const V neg = Ops::gt(Ops::set1(S(0)), x);
  const V far = Ops::select(neg, Ops::sub(Ops::set1(pi_hi), Ops::sub(w2, Ops::set1(pi_lo))), w2);
  return Ops::select(big, far, mid);
}

/// The arc cosine of a block (x[i] in [-1, 1]) into out, full registers then a padded copy.
template <class Ops>
CIMPUTE_TARGET_AVX2_FMA void acos_block_avx2(const typename Ops::Scalar* x,
                                             typename Ops::Scalar* out, Eigen::Index len) {
  using S = typename Ops::Scalar;
  constexpr int w = Ops::width;
  Eigen::Index i = 0;
  for (; i + w <= len; i += w) Ops::store(out + i, acos_lanes<Ops>(Ops::load(x + i)));
  if (i < len) {
    S b[w] = {};
    std::copy(x + i, x + len, b);
    Ops::store(b, acos_lanes<Ops>(Ops::load(b)));
    std::copy(b, b + (len - i), out + i);
  }
}

/// One register of the ReLU recursion on the sphere (`ntk_sphere`) with the norms applied:
/// sqrt(xx yy) Theta_L(g / sqrt(xx yy)) (or Sigma_L when `nngp`), 0 where xx yy = 0.
template <class Ops>
CIMPUTE_TARGET_AVX2_FMA typename Ops::V
relu_sphere_lanes(typename Ops::V g, typename Ops::V xx, typename Ops::V yy, int depth, bool nngp) {
  using S = typename Ops::Scalar;
  using V = typename Ops::V;
  const long double pi_l = 3.141592653589793238462643383279502884L;
  const V one = Ops::set1(S(1)), pi = Ops::set1(S(pi_l)), inv_pi = Ops::set1(S(1 / pi_l));
  const V zero = Ops::set1(S(0));
  const V nrm = Ops::sqrt(Ops::mul(xx, yy));
  V rho = Ops::min(one, Ops::max(Ops::set1(S(-1)), Ops::div(g, nrm)));
  V theta = rho;
  for (int h = 0; h < depth; ++h) {
    const V s = Ops::sqrt(Ops::mul(Ops::sub(one, rho), Ops::add(one, rho)));
    const V rest = Ops::sub(pi, acos_lanes<Ops>(rho)); // pi - angle
    const V k0 = Ops::mul(rest, inv_pi);
    const V k1 = Ops::mul(Ops::fmadd(rest, rho, s), inv_pi);
    theta = Ops::fmadd(theta, k0, k1);
    rho = k1;
  }
  return Ops::select(Ops::gt(nrm, zero), Ops::mul(nrm, nngp ? rho : theta), zero);
}

/// The recursion over a block in place: g[i] <- sqrt(xx[i] yy) Theta_L(g[i] / sqrt(xx[i] yy)).
/// The last partial register is computed through a padded copy, so every entry takes the same
/// instructions whatever the block's length or alignment.
template <class Ops>
CIMPUTE_TARGET_AVX2_FMA void
relu_sphere_block_avx2(typename Ops::Scalar* g, const typename Ops::Scalar* xx,
                       typename Ops::Scalar yy, Eigen::Index len, int depth, bool nngp) {
  using S = typename Ops::Scalar;
  constexpr int w = Ops::width;
  const typename Ops::V vyy = Ops::set1(yy);
  Eigen::Index i = 0;
  for (; i + w <= len; i += w)
    Ops::store(g + i,
               relu_sphere_lanes<Ops>(Ops::load(g + i), Ops::load(xx + i), vyy, depth, nngp));
  if (i < len) {
    S gb[w] = {}, xb[w];
    std::fill(xb, xb + w, S(1));
    std::copy(g + i, g + len, gb);
    std::copy(xx + i, xx + len, xb);
    Ops::store(gb, relu_sphere_lanes<Ops>(Ops::load(gb), Ops::load(xb), vyy, depth, nngp));
    std::copy(gb, gb + (len - i), g + i);
  }
}
#endif

/// The arc cosine of a block: the AVX2 evaluation when `use_avx2_fma()`, else `std::acos` (the
/// tests measure the first against the second).
template <class Scalar>
void acos_block(const Scalar* x, Scalar* out, Eigen::Index len) {
#if CIMPUTE_X86_DISPATCH
  if (use_avx2_fma()) {
    if constexpr (std::is_same<Scalar, double>::value)
      return acos_block_avx2<Avx2Double>(x, out, len);
    else if constexpr (std::is_same<Scalar, float>::value)
      return acos_block_avx2<Avx2Float>(x, out, len);
  }
#endif
  for (Eigen::Index i = 0; i < len; ++i) out[i] = std::acos(x[i]);
}

/// The bias-free ReLU kernels (`NtkKernel`, `NngpKernel`) over a block: the AVX2 recursion for
/// float and double when `use_avx2_fma()` and the kernel has no bias, `from_inner` per entry
/// otherwise.
template <class Kernel, class Scalar>
void relu_block(const Kernel& k, Scalar* g, const Scalar* xx, Scalar yy, Eigen::Index len,
                bool nngp) {
#if CIMPUTE_X86_DISPATCH
  if (k.bias() == Scalar(0) && use_avx2_fma()) {
    if constexpr (std::is_same<Scalar, double>::value)
      return relu_sphere_block_avx2<Avx2Double>(g, xx, yy, len, k.depth(), nngp);
    else if constexpr (std::is_same<Scalar, float>::value)
      return relu_sphere_block_avx2<Avx2Float>(g, xx, yy, len, k.depth(), nngp);
  }
#endif
  (void)nngp;
  from_inner_each(k, g, xx, yy, len);
}

} // namespace cimpute::detail
