/// @file exact_kernel_solver.hpp
/// @brief `ExactKernelSolver`: kernel ridge regression / Gaussian-process regression with a dense
/// Gram matrix — Cholesky with fallbacks, many right-hand sides, closed-form leave-one-out
/// residuals and posterior variances.
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

namespace cimpute {

/// Solves \f$ (K + \lambda I)\,\alpha = Y \f$ for a symmetric positive (semi-)definite Gram
/// matrix K, the kernel ridge regression / GP posterior mean system (Rasmussen & Williams 2006,
/// eq. 2.25-2.26).
///
/// `compute(K, ridge)` factorises \f$ A = K + \lambda I \f$ with LLT. When A is numerically
/// indefinite or singular it tries LDLT (accepted when every pivot is positive), and then LLT with
/// a growing jitter \f$ \epsilon\, \mathrm{tr}(A)/n \cdot 10^k \f$ added to the diagonal; what
/// happened is reported by `info()`, `used_ldlt()` and `jitter()`.
template <class Scalar_ = double>
class ExactKernelSolver {
  static_assert(std::is_floating_point<Scalar_>::value,
                "cimpute::ExactKernelSolver: Scalar must be float or double");

public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

  ExactKernelSolver() = default;
  /// Construct and `compute(K, ridge)`.
  explicit ExactKernelSolver(const Eigen::Ref<const Matrix>& K, Scalar ridge = Scalar(0)) {
    compute(K, ridge);
  }

  /// Factorise \f$ K + \lambda I \f$. Throws `invalid_argument` for a non-square, non-finite or
  /// asymmetric K (tolerance \f$ 100\,\epsilon \max|K| \f$) or a negative ridge.
  ExactKernelSolver& compute(const Eigen::Ref<const Matrix>& K, Scalar ridge = Scalar(0)) {
    check_input(K, ridge, "ExactKernelSolver::compute");
    return factor(K, ridge);
  }
  /// As `compute`, then releases K (K is left empty): after the call only the factor's n x n
  /// matrix remains, which matters for large Gram matrices. (Both calls write K + ridge I
  /// straight into the factor's storage: the peak is K and the factor.)
  ExactKernelSolver& compute_in_place(Matrix& K, Scalar ridge = Scalar(0)) {
    check_input(K, ridge, "ExactKernelSolver::compute_in_place");
    factor(K, ridge);
    K.resize(0, 0);
    return *this;
  }

  /// Success, or NumericalIssue when no factorisation worked.
  ComputationInfo info() const noexcept { return m_info; }
  /// True when LLT failed and the LDLT factorisation is in use.
  bool used_ldlt() const noexcept { return m_used_ldlt; }
  /// The jitter added to the diagonal (0 when none was needed).
  Scalar jitter() const noexcept { return m_jitter; }
  Scalar ridge() const noexcept { return m_ridge; }
  Eigen::Index rows() const noexcept { return m_n; }

  /// \f$ \alpha = (K + \lambda I)^{-1} Y \f$ for an n x m right-hand side.
  Matrix solve(const Eigen::Ref<const Matrix>& Y) const {
    check_ready("ExactKernelSolver::solve");
    if (Y.rows() != m_n)
      detail::throw_invalid("ExactKernelSolver::solve", "Y has ", Y.rows(), " rows, K has ", m_n);
    return m_used_ldlt ? Matrix(m_ldlt.solve(Y)) : Matrix(m_llt.solve(Y));
  }
  /// Store \f$ \alpha \f$ = solve(Y) for `predict`.
  ExactKernelSolver& fit(const Eigen::Ref<const Matrix>& Y) {
    m_alpha = solve(Y);
    return *this;
  }
  /// The coefficients of the last `fit`.
  const Matrix& alpha() const noexcept { return m_alpha; }
  /// Predictions \f$ K_{*} \alpha \f$ for the rows of the test-train kernel `K_test_train`.
  Matrix predict(const Eigen::Ref<const Matrix>& K_test_train) const {
    const char* fn = "ExactKernelSolver::predict";
    if (m_alpha.size() == 0) detail::throw_logic(fn, "call fit(Y) first");
    if (K_test_train.cols() != m_n)
      detail::throw_invalid(fn, "K_test_train has ", K_test_train.cols(), " columns, expected ",
                            m_n);
    Matrix out(K_test_train.rows(), m_alpha.cols());
    out.noalias() = K_test_train * m_alpha;
    return out;
  }

  /// \f$ \mathrm{diag}((K + \lambda I)^{-1}) \f$, from the factorisation (column by column solves
  /// of the identity in blocks; the inverse is never stored whole).
  Vector inverse_diagonal() const {
    check_ready("ExactKernelSolver::inverse_diagonal");
    Vector d(m_n);
    const Eigen::Index block = 256;
    for (Eigen::Index j0 = 0; j0 < m_n; j0 += block) {
      const Eigen::Index b = std::min(block, m_n - j0);
      Matrix E = Matrix::Zero(m_n, b);
      for (Eigen::Index k = 0; k < b; ++k) E(j0 + k, k) = Scalar(1);
      const Matrix X = m_used_ldlt ? Matrix(m_ldlt.solve(E)) : Matrix(m_llt.solve(E));
      for (Eigen::Index k = 0; k < b; ++k) d[j0 + k] = X(j0 + k, k);
    }
    return d;
  }

  /// Closed-form leave-one-out residuals (Rasmussen & Williams 2006, sec. 5.4.2):
  /// \f$ y_i - \hat y_{-i} = \alpha_i / [(K + \lambda I)^{-1}]_{ii} \f$, row-wise for several
  /// outputs. Equal to refitting without point i.
  Matrix loo_residuals(const Eigen::Ref<const Matrix>& Y) const {
    const Matrix a = solve(Y);
    const Vector d = inverse_diagonal();
    return d.cwiseInverse().asDiagonal() * a;
  }

  /// Posterior variances \f$ \mathrm{diag}(K_{**} - K_*^T (K + \lambda I)^{-1} K_*) \f$ of new
  /// points, given the train-test kernel `K_train_test` (n x m) and the test points' own kernel
  /// values `k_test_diag`. Rounding can make a variance slightly negative: values above
  /// \f$ -100\,\epsilon\,k_{**} \f$ are clamped to 0, larger negative ones are returned as they
  /// are (they signal a kernel that is not positive definite).
  Vector posterior_variance(const Eigen::Ref<const Matrix>& K_train_test,
                            const Eigen::Ref<const Vector>& k_test_diag) const {
    const char* fn = "ExactKernelSolver::posterior_variance";
    check_ready(fn);
    if (K_train_test.rows() != m_n || K_train_test.cols() != k_test_diag.size())
      detail::throw_invalid(fn, "K_train_test is ", K_train_test.rows(), " x ", K_train_test.cols(),
                            ", expected ", m_n, " x ", k_test_diag.size());
    Vector quad(k_test_diag.size());
    if (m_used_ldlt) {
      const Matrix S = m_ldlt.solve(K_train_test);
      quad = (K_train_test.array() * S.array()).colwise().sum().transpose();
    } else {
      const Matrix V = m_llt.matrixL().solve(K_train_test);
      quad = V.colwise().squaredNorm().transpose();
    }
    Vector v = k_test_diag - quad;
    for (Eigen::Index i = 0; i < v.size(); ++i)
      if (v[i] < Scalar(0) && v[i] > -Scalar(100) * std::numeric_limits<Scalar>::epsilon() *
                                         std::abs(k_test_diag[i]) * Scalar(m_n))
        v[i] = Scalar(0);
    return v;
  }

private:
  static void check_input(const Eigen::Ref<const Matrix>& K, Scalar ridge, const char* fn) {
    if (K.rows() != K.cols())
      detail::throw_invalid(fn, "K is ", K.rows(), " x ", K.cols(), ", not square");
    if (!(ridge >= Scalar(0)) || !std::isfinite(ridge))
      detail::throw_invalid(fn, "ridge must be finite and >= 0, got ", ridge);
    if (!K.allFinite())
      for (Eigen::Index j = 0; j < K.cols(); ++j)
        for (Eigen::Index i = 0; i < K.rows(); ++i)
          if (!std::isfinite(K(i, j)))
            detail::throw_invalid(fn, "non-finite entry ", K(i, j), " at (", i, ", ", j, ")");
    const Scalar scale = K.size() ? K.cwiseAbs().maxCoeff() : Scalar(0);
    // max |K - K^T| over pairs of 64 x 64 tiles, each pair in cache (a plain transposed scan
    // walks K with a stride of n).
    const Eigen::Index n = K.rows(), b = 64;
    Scalar asym = Scalar(0);
    for (Eigen::Index j0 = 0; j0 < n; j0 += b)
      for (Eigen::Index i0 = j0; i0 < n; i0 += b) {
        const Eigen::Index h = std::min(b, n - i0), w = std::min(b, n - j0);
        asym = std::max(
            asym,
            (K.block(i0, j0, h, w) - K.block(j0, i0, w, h).transpose()).cwiseAbs().maxCoeff());
      }
    if (asym > Scalar(100) * std::numeric_limits<Scalar>::epsilon() * scale)
      detail::throw_invalid(fn, "K is not symmetric (max |K - K^T| = ", asym, ")");
  }
  // Factorise A = K + ridge I: LLT (A written straight into the factor's storage), else LDLT
  // with positive pivots, else LLT with a growing jitter on the diagonal.
  ExactKernelSolver& factor(const Eigen::Ref<const Matrix>& K, Scalar ridge) {
    const Eigen::Index n = K.rows();
    m_n = n;
    m_ridge = ridge;
    m_jitter = Scalar(0);
    m_used_ldlt = false;
    m_factored = false;
    m_info = ComputationInfo::Success;
    m_llt.compute(K + ridge * Matrix::Identity(n, n));
    if (m_llt.info() == Eigen::Success) {
      m_factored = true;
      return *this;
    }
    Matrix A = K;
    A.diagonal().array() += ridge;
    m_ldlt.compute(A);
    if (m_ldlt.info() == Eigen::Success && m_ldlt.isPositive() &&
        (m_ldlt.vectorD().array() > Scalar(0)).all()) {
      m_used_ldlt = true;
      m_factored = true;
      return *this;
    }
    const Scalar base =
        std::numeric_limits<Scalar>::epsilon() *
        std::max(Scalar(1), A.diagonal().cwiseAbs().sum() / Scalar(std::max<Eigen::Index>(n, 1)));
    Scalar added = Scalar(0);
    for (int k = 0; k < 12; ++k) {
      const Scalar j = base * std::pow(Scalar(10), Scalar(k));
      A.diagonal().array() += j - added;
      added = j;
      m_llt.compute(A);
      if (m_llt.info() == Eigen::Success) {
        m_jitter = j;
        m_factored = true;
        return *this;
      }
    }
    m_info = ComputationInfo::NumericalIssue;
    return *this;
  }
  void check_ready(const char* fn) const {
    if (m_n == 0 && !m_factored) detail::throw_logic(fn, "call compute() first");
    if (!m_factored) detail::throw_logic(fn, "the factorisation failed (info() is NumericalIssue)");
  }

  Eigen::Index m_n = 0;
  Scalar m_ridge = Scalar(0), m_jitter = Scalar(0);
  bool m_used_ldlt = false, m_factored = false;
  ComputationInfo m_info = ComputationInfo::InvalidInput;
  Matrix m_alpha;
  // Initialised by decomposing a 1 x 1 identity: Eigen's default constructors leave the status
  // member uninitialised, so copying an unfitted solver would read it. (Not an empty matrix:
  // with EIGEN_USE_LAPACKE, LAPACK's dpotrf rejects lda = 0 and prints to stderr.)
  Eigen::LLT<Matrix> m_llt{Matrix::Identity(1, 1)};
  Eigen::LDLT<Matrix> m_ldlt{Matrix::Identity(1, 1)};
};

} // namespace cimpute
