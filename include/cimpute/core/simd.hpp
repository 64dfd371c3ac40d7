/// @file simd.hpp
/// @brief `detail::use_avx2` / `detail::use_avx2_fma`: whether the running CPU (and its operating
/// system) supports AVX2 (and FMA), for the few element-wise kernels that dispatch at run time.
///
/// Eigen picks its packet width when cimpute is compiled (4 floats on a generic x86-64 build, 16
/// with `-march=native` on a recent Xeon); OpenBLAS and PyTorch pick theirs when they run. A
/// kernel bound by arithmetic that Eigen cannot widen without build flags (Adam's square roots
/// and divisions; the ReLU kernels' arc cosines, kernels/relu_simd.hpp, which Eigen does not
/// vectorize at all) has an AVX2 variant compiled with a `target` attribute and chooses it here,
/// so a default build runs it at twice the width or more. Setting the
/// environment variable `CIMPUTE_SIMD=none` turns the variants off, e.g. to compare them.
#pragma once

#include <cstdlib>
#include <cstring>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) &&     \
    !defined(CIMPUTE_NO_RUNTIME_DISPATCH)
/// 1 when cimpute compiles x86 kernels for run-time dispatch (GCC or Clang on x86; define
/// `CIMPUTE_NO_RUNTIME_DISPATCH` to turn them off).
#define CIMPUTE_X86_DISPATCH 1
#else
#define CIMPUTE_X86_DISPATCH 0
#endif

namespace cimpute {
namespace detail {

/// True when the dispatched kernels may use AVX2: the CPU has it and `CIMPUTE_SIMD` is not
/// `none`; false off x86 or without `CIMPUTE_X86_DISPATCH`. Detected once.
inline bool use_avx2() {
  static const bool avx2 = [] {
    bool yes = false;
#if CIMPUTE_X86_DISPATCH
    __builtin_cpu_init();
    yes = __builtin_cpu_supports("avx2");
#endif
    const char* cap = std::getenv("CIMPUTE_SIMD");
    return yes && !(cap && std::strcmp(cap, "none") == 0);
  }();
  return avx2;
}

/// True when the dispatched kernels may use AVX2 with FMA3 (every AVX2 CPU from Intel and AMD
/// has both; checked apart all the same): `use_avx2()` and the CPU's FMA flag.
inline bool use_avx2_fma() {
  static const bool fma = [] {
    bool yes = false;
#if CIMPUTE_X86_DISPATCH
    __builtin_cpu_init();
    yes = __builtin_cpu_supports("fma");
#endif
    return yes && use_avx2();
  }();
  return fma;
}

} // namespace detail
} // namespace cimpute
