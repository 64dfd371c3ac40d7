// Helpers shared by the test executables: locating ../shared/data and tolerances.
#pragma once

#include <catch2/catch.hpp>

#include <Eigen/Core>

#include <filesystem>
#include <limits>
#include <random>
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
/// An r x c matrix of independent standard normal entries (std::mt19937 seeded with `seed`).
inline Eigen::MatrixXd normal_matrix(Eigen::Index r, Eigen::Index c, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = n01(rng);
  return m;
}

/// |a - b| / |b| (Frobenius norms); |a| when b is zero.
inline double relative_difference(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return b.norm() > 0 ? (a - b).norm() / b.norm() : a.norm();
}

} // namespace cimpute_test

/// Skip the rest of the current test (with a warning) when a shared data file is absent.
#define CIMPUTE_REQUIRE_DATA(rel)                                                                  \
  do {                                                                                             \
    if (!cimpute_test::have_data(rel)) return;                                                     \
  } while (0)
