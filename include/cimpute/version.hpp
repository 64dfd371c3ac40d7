/// @file version.hpp
/// @brief The single source of cimpute's version; CMake parses the three macros below.
#pragma once

#define CIMPUTE_VERSION_MAJOR 0
#define CIMPUTE_VERSION_MINOR 2
#define CIMPUTE_VERSION_PATCH 0

#define CIMPUTE_DETAIL_STR2(x) #x
#define CIMPUTE_DETAIL_STR(x) CIMPUTE_DETAIL_STR2(x)
/// The version as a string literal, e.g. "0.2.0".
#define CIMPUTE_VERSION_STRING                                                                     \
  CIMPUTE_DETAIL_STR(CIMPUTE_VERSION_MAJOR)                                                        \
  "." CIMPUTE_DETAIL_STR(CIMPUTE_VERSION_MINOR) "." CIMPUTE_DETAIL_STR(CIMPUTE_VERSION_PATCH)

namespace cimpute {
/// The library version as a string, e.g. "0.2.0".
inline constexpr const char* version_string = CIMPUTE_VERSION_STRING;
} // namespace cimpute
