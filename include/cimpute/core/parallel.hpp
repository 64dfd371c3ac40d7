/// @file parallel.hpp
/// @brief `parallel_for`: an OpenMP loop over independent tasks that rethrows the first
/// exception on the calling thread (exceptions must not escape an OpenMP region).
#pragma once

#include "cimpute/core/blas_threads.hpp"
#include "cimpute/core/config.hpp"

#include <exception>

#if CIMPUTE_HAS_OPENMP
#include <omp.h>
#endif

namespace cimpute {
namespace detail {

/// Runs `f(k)` for k = 0 .. n-1, on OpenMP threads when cimpute is built with OpenMP (dynamic
/// schedule, BLAS kept to one thread meanwhile) and in order otherwise. The tasks must be
/// independent and write only their own outputs, so the results do not depend on the thread
/// count. After the loop, the exception of the lowest failing k is rethrown (the other tasks
/// still run). Nested calls run sequentially inside the enclosing parallel region.
template <class F>
void parallel_for(long n, F&& f) {
  if (n <= 0) return;
  std::exception_ptr error;
  long error_k = n;
#if CIMPUTE_HAS_OPENMP
  if (n > 1 && !omp_in_parallel() && omp_get_max_threads() > 1) {
    const ScopedSingleThreadedBlas single_blas;
#pragma omp parallel for schedule(dynamic, 1)
    for (long k = 0; k < n; ++k) {
      try {
        f(k);
      } catch (...) {
#pragma omp critical(cimpute_parallel_for_error)
        if (k < error_k) error = std::current_exception(), error_k = k;
      }
    }
    if (error) std::rethrow_exception(error);
    return;
  }
#endif
  for (long k = 0; k < n; ++k) {
    try {
      f(k);
    } catch (...) {
      if (k < error_k) error = std::current_exception(), error_k = k;
    }
  }
  if (error) std::rethrow_exception(error);
}

} // namespace detail
} // namespace cimpute
