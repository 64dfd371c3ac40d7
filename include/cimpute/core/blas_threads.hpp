/// @file blas_threads.hpp
/// @brief `ScopedSingleThreadedBlas`: keep OpenBLAS to one thread while cimpute runs its own
/// parallel loop (nested BLAS threads oversubscribe the cores and spin).
#pragma once

#include "cimpute/core/config.hpp"

#if defined(CIMPUTE_USE_BLAS) && CIMPUTE_USE_BLAS
// OpenBLAS's own thread control (CIMPUTE_USE_BLAS always links OpenBLAS).
extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
}
#endif

namespace cimpute {

/// While alive, OpenBLAS (when cimpute was built with `CIMPUTE_USE_BLAS`) uses one thread; the
/// previous count is restored on destruction. A no-op otherwise. The setting is process-wide:
/// create it outside a parallel region, around it.
class ScopedSingleThreadedBlas {
public:
  ScopedSingleThreadedBlas() {
#if defined(CIMPUTE_USE_BLAS) && CIMPUTE_USE_BLAS
    m_previous = openblas_get_num_threads();
    openblas_set_num_threads(1);
#endif
  }
  ~ScopedSingleThreadedBlas() {
#if defined(CIMPUTE_USE_BLAS) && CIMPUTE_USE_BLAS
    openblas_set_num_threads(m_previous);
#endif
  }
  ScopedSingleThreadedBlas(const ScopedSingleThreadedBlas&) = delete;
  ScopedSingleThreadedBlas& operator=(const ScopedSingleThreadedBlas&) = delete;

private:
  int m_previous = 1;
};

} // namespace cimpute
