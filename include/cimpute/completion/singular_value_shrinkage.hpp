/// @file singular_value_shrinkage.hpp
/// @brief Singular values and singular-value soft thresholding of a matrix through the Gram
/// matrix of its smaller side: the shared step of FaLRTC and SoftImpute.
#pragma once

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

namespace cimpute {

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
  const Eigen::Index m = row_side ? M.rows() : M.cols();
  Matrix G = Matrix::Zero(m, m);
  if (row_side)
    G.template selfadjointView<Eigen::Lower>().rankUpdate(M);
  else
    G.template selfadjointView<Eigen::Lower>().rankUpdate(M.transpose());
  Eigen::SelfAdjointEigenSolver<Matrix> es(G, excess ? Eigen::ComputeEigenvectors
                                                     : Eigen::EigenvaluesOnly);
  const Vector sigma = es.eigenvalues().cwiseMax(Scalar(0)).cwiseSqrt();
  if (excess) {
    // Eigenvalues ascend: the singular values above tau are the last k.
    Eigen::Index k = 0;
    while (k < m && sigma[m - 1 - k] > tau) ++k;
    if (k == 0) {
      excess->setZero(M.rows(), M.cols());
    } else {
      const auto Uk = es.eigenvectors().rightCols(k);
      const Vector d = (sigma.tail(k).array() - tau) / sigma.tail(k).array();
      if (row_side) {
        const Matrix T = d.asDiagonal() * (Uk.transpose() * M);
        excess->noalias() = Uk * T;
      } else {
        const Matrix T = (M * Uk) * d.asDiagonal();
        excess->noalias() = T * Uk.transpose();
      }
    }
  }
  return sigma;
}

} // namespace cimpute
