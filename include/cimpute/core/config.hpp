/// @file config.hpp
/// @brief Feature macros and the debug assertion used across cimpute.
///
/// The CMake target `cimpute::cimpute` defines `CIMPUTE_HAS_HDF5`, `CIMPUTE_HAS_ZLIB` and
/// `CIMPUTE_HAS_OPENMP` to 0 or 1 according to the options `CIMPUTE_WITH_HDF5`, `CIMPUTE_WITH_ZLIB`
/// and `CIMPUTE_WITH_OPENMP`. Without CMake they default to 0: define them yourself (and link the
/// libraries) to enable the optional components.
#pragma once

#include <cassert>

#ifndef CIMPUTE_HAS_HDF5
#define CIMPUTE_HAS_HDF5 0
#endif
#ifndef CIMPUTE_HAS_ZLIB
#define CIMPUTE_HAS_ZLIB 0
#endif
#ifndef CIMPUTE_HAS_OPENMP
#define CIMPUTE_HAS_OPENMP 0
#endif

/// Internal invariant check, active in debug builds only (never for input validation).
#ifndef CIMPUTE_ASSERT
#define CIMPUTE_ASSERT(cond) assert(cond)
#endif
