// The partial correlation of i and j given S from the explicit inverse of the covariance (or
// correlation) submatrix on {i, j} u S: the textbook definition, an oracle for the library's
// faster routes.
#pragma once

#include <Eigen/Dense>

#include <cmath>
#include <vector>

namespace cimpute_test {
inline double explicit_partial_correlation(const Eigen::MatrixXd& C, int i, int j,
                                           const std::vector<int>& S) {
  std::vector<int> idx{i, j};
  idx.insert(idx.end(), S.begin(), S.end());
  Eigen::MatrixXd sub(idx.size(), idx.size());
  for (std::size_t a = 0; a < idx.size(); ++a)
    for (std::size_t b = 0; b < idx.size(); ++b)
      sub(Eigen::Index(a), Eigen::Index(b)) = C(idx[a], idx[b]);
  const Eigen::MatrixXd P = sub.inverse();
  return -P(0, 1) / std::sqrt(P(0, 0) * P(1, 1));
}
} // namespace cimpute_test
