// Helpers shared by the test executables: locating ../shared/data and tolerances.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <limits>
#include <string>

#ifndef CIMPUTE_DATA_DIR
#define CIMPUTE_DATA_DIR "../shared/data"
#endif

namespace cimpute_test {
/// Absolute path of a file under ../shared/data (may not exist).
inline std::string data_path(const std::string& rel) {
  return std::string(CIMPUTE_DATA_DIR) + "/" + rel;
}
/// True when the shared data folder holds `rel`; otherwise emits a visible warning.
inline bool have_data(const std::string& rel) {
  if (std::filesystem::exists(data_path(rel))) return true;
  WARN("SKIPPED: shared data file " << data_path(rel) << " is absent");
  return false;
}
/// Temporary directory for files a test writes.
inline std::filesystem::path temp_dir() {
  auto p = std::filesystem::temp_directory_path() / "cimpute_tests";
  std::filesystem::create_directories(p);
  return p;
}
/// A relative tolerance derived from the scalar type.
template <class Scalar>
constexpr Scalar tol(Scalar factor = Scalar(100)) {
  return factor * std::numeric_limits<Scalar>::epsilon();
}
} // namespace cimpute_test

/// Skip the rest of the current test (with a warning) when a shared data file is absent.
#define CIMPUTE_REQUIRE_DATA(rel)                                                                  \
  do {                                                                                             \
    if (!cimpute_test::have_data(rel)) return;                                                     \
  } while (0)
