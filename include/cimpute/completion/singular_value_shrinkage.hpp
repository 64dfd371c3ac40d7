/// @file singular_value_shrinkage.hpp
/// @brief Singular values and singular-value soft thresholding of a matrix through the Gram
/// matrix of its smaller side: the shared step of FaLRTC and SoftImpute.
#pragma once

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <type_traits>
#include <vector>

namespace cimpute {

namespace detail {
// The Gram matrix of M's smaller side (M M^T or M^T M), lower triangle filled.
template <class Derived>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic>
smaller_gram(const Eigen::MatrixBase<Derived>& M) {
  using Matrix = Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const bool row_side = M.rows() <= M.cols();
  const Eigen::Index m = row_side ? M.rows() : M.cols();
  Matrix G = Matrix::Zero(m, m);
  if (row_side)
    G.template selfadjointView<Eigen::Lower>().rankUpdate(M);
  else
    G.template selfadjointView<Eigen::Lower>().rankUpdate(M.transpose());
  return G;
}

// excess = U_k D U_k^T M (row side) or M V_k D V_k^T, D = (sigma - tau) / sigma, from the
// eigenvectors `Uk` of the smaller Gram matrix belonging to the singular values `sigma` > tau.
template <class Derived, class Vectors, class Vector, class Out>
void shrink_along(const Eigen::MatrixBase<Derived>& M, const Vectors& Uk, const Vector& sigma,
                  typename Derived::Scalar tau, bool row_side, Out& excess) {
  using Matrix = Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const Vector d = (sigma.array() - tau) / sigma.array();
  if (row_side) {
    const Matrix T = d.asDiagonal() * (Uk.transpose() * M);
    excess.noalias() = Uk * T;
  } else {
    const Matrix T = (M * Uk) * d.asDiagonal();
    excess.noalias() = T * Uk.transpose();
  }
}
} // namespace detail

/// Singular values \f$ \sigma \f$ of M (ascending) and, when `excess` is given, the
/// soft-thresholded matrix \f$ U (\Sigma - \tau)_+ V^T \f$ written into it (M minus its singular
/// values clipped at \f$ \tau \f$). Computed from the eigen-decomposition of \f$ M M^T \f$ or \f$
/// M^T M \f$, whichever is smaller, as \f$ U_k D U_k^T M \f$ (or \f$ M V_k D V_k^T \f$) with \f$ D
/// = (\sigma - \tau) / \sigma \f$ over the k singular values above \f$ \tau \f$: cheap for the very
/// flat unfoldings of perturbation tensors. Singular values below \f$ \sqrt{\epsilon}\,\sigma_{max}
/// \f$ lose relative accuracy, which thresholding at \f$ \tau > 0 \f$ does not see.
template <class Derived,
          class Out = Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic>>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, 1>
singular_value_shrinkage(const Eigen::MatrixBase<Derived>& M, typename Derived::Scalar tau,
                         Out* excess = nullptr) {
  using Scalar = typename Derived::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  const bool row_side = M.rows() <= M.cols();
  Matrix G = detail::smaller_gram(M);
  Eigen::SelfAdjointEigenSolver<Matrix> es(G, excess ? Eigen::ComputeEigenvectors
                                                     : Eigen::EigenvaluesOnly);
  const Vector sigma = es.eigenvalues().cwiseMax(Scalar(0)).cwiseSqrt();
  if (excess) {
    // Eigenvalues ascend: the singular values above tau are the last k.
    Eigen::Index k = 0;
    const Eigen::Index m = sigma.size();
    while (k < m && sigma[m - 1 - k] > tau) ++k;
    if (k == 0) {
      excess->setZero(M.rows(), M.cols());
    } else {
      detail::shrink_along(M, es.eigenvectors().rightCols(k), Vector(sigma.tail(k)), tau, row_side,
                           *excess);
    }
  }
  return sigma;
}

namespace detail {
// The eigenpairs of the symmetric G (lower triangle, overwritten) with eigenvalue > vl, ascending:
// LAPACK's xSYEVR with RANGE = 'V' (tridiagonal reduction, then only the wanted eigenvectors by
// MRRR) when Eigen uses LAPACKE, false otherwise (or when LAPACK fails).
template <class Scalar>
bool eigen_above(Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>& G, Scalar vl,
                 Eigen::Matrix<Scalar, Eigen::Dynamic, 1>& values,
                 Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>& vectors) {
#if defined(EIGEN_USE_LAPACKE)
  if constexpr (std::is_same_v<Scalar, double> || std::is_same_v<Scalar, float>) {
    const lapack_int n = lapack_int(G.rows());
    if (n == 0) return false;
    // Eigenvalues of a Gram matrix lie in [0, trace]: (vl, 2 trace + 1] holds every one above vl
    // with room for rounding (trace + 1 alone would equal the trace beyond 2^24 in float).
    const Scalar vu = Scalar(2) * std::max(G.trace(), vl) + Scalar(1);
    values.resize(n);
    vectors.resize(n, n);
    std::vector<lapack_int> support(2 * std::size_t(n));
    lapack_int found = 0, info;
    if constexpr (std::is_same_v<Scalar, double>)
      info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'V', 'L', n, G.data(), n, vl, vu, 0, 0, 0.0,
                            &found, values.data(), vectors.data(), n, support.data());
    else
      info = LAPACKE_ssyevr(LAPACK_COL_MAJOR, 'V', 'V', 'L', n, G.data(), n, vl, vu, 0, 0, 0.0f,
                            &found, values.data(), vectors.data(), n, support.data());
    if (info != 0) return false;
    values.conservativeResize(found);
    vectors.conservativeResize(n, found);
    return true;
  }
#endif
  (void)G, (void)vl, (void)values, (void)vectors;
  return false;
}
} // namespace detail

/// Singular-value soft thresholding \f$ U (\Sigma - \tau)_+ V^T \f$ of M written into `excess`,
/// as `singular_value_shrinkage` computes it, returning only the singular values above \f$ \tau
/// \f$ (ascending). Where Eigen uses LAPACKE only those eigenpairs of the smaller Gram matrix are
/// computed (xSYEVR), several times faster than the full decomposition when few singular values
/// pass the threshold, as in SoftImpute's iterations; otherwise the full decomposition.
template <class Derived,
          class Out = Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic>>
Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, 1>
singular_value_threshold(const Eigen::MatrixBase<Derived>& M, typename Derived::Scalar tau,
                         Out& excess) {
  using Scalar = typename Derived::Scalar;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  // The full decomposition: without LAPACKE (no second Gram matrix built), or if xSYEVR fails.
  auto full = [&] {
    const Vector all = singular_value_shrinkage(M, tau, &excess);
    Eigen::Index k = 0;
    while (k < all.size() && all[all.size() - 1 - k] > tau) ++k;
    return Vector(all.tail(k));
  };
#if !defined(EIGEN_USE_LAPACKE)
  return full();
#else
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const bool row_side = M.rows() <= M.cols();
  Matrix G = detail::smaller_gram(M);
  Vector values;
  Matrix vectors;
  if (!detail::eigen_above(G, tau * tau, values, vectors)) return full();
  const Vector sigma = values.cwiseMax(Scalar(0)).cwiseSqrt();
  // xSYEVR's interval is (tau^2, vu]; rounding in the square root can leave sigma == tau.
  Eigen::Index k = 0;
  while (k < sigma.size() && sigma[sigma.size() - 1 - k] > tau) ++k;
  if (k == 0) {
    excess.setZero(M.rows(), M.cols());
    return Vector();
  }
  detail::shrink_along(M, vectors.rightCols(k), Vector(sigma.tail(k)), tau, row_side, excess);
  return sigma.tail(k);
#endif
}

} // namespace cimpute
