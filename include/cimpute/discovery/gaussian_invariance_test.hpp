/// @file gaussian_invariance_test.hpp
/// @brief `GaussianInvarianceTest`: is the conditional distribution of X_i given X_S the same in
/// a reference (observational) data set and an interventional setting? Two-part Gaussian test.
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "cimpute/core/boost_math.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace cimpute {

/// Gaussian invariance test of \f$ X_i \mid X_S \f$ between a reference data set (e.g. the
/// observational samples) and a setting's samples: regress \f$ X_i \f$ on \f$ [X_S, 1] \f$ in
/// each; test (a) equal residual variances with the two-sided F test on their ratio
/// (\f$ n_2 - k, n_1 - k \f$ degrees of freedom, k = |S| + 1), and (b) equal coefficients
/// (intercept included) with the Wald statistic \f$ d^T V^{-1} d / k \f$,
/// \f$ V = \hat\sigma_1^2 (X_1^T X_1)^{-1} + \hat\sigma_2^2 (X_2^T X_2)^{-1} \f$, against
/// \f$ F(k, n_1 + n_2 - 2k) \f$ in the upper tail only. Invariance is rejected when either
/// p-value is below alpha / 2 (Bonferroni); `Result::p_value` is that combined p-value.
///
/// Both data sets are reduced to sufficient statistics (the Gram matrices of [X, 1], after
/// centring both by the reference means for conditioning), so a test costs O(|S|^3).
class GaussianInvarianceTest {
public:
  using Matrix = Eigen::MatrixXd;

  /// The two p-values of one test and their Bonferroni combination.
  struct Result {
    double p_variance;     ///< two-sided F test of the residual variance ratio
    double p_coefficients; ///< upper-tail F test of the coefficient difference
    /// \f$ \min(1, 2\min(p_{var}, p_{coef})) \f$: invariance is rejected at alpha when this is
    /// below alpha.
    double p_value() const { return std::min(1.0, 2 * std::min(p_variance, p_coefficients)); }
  };

  /// From the reference data and the setting's data (samples x variables, same variables).
  template <class D1, class D2>
  GaussianInvarianceTest(const Eigen::MatrixBase<D1>& reference,
                         const Eigen::MatrixBase<D2>& setting) {
    const char* fn = "GaussianInvarianceTest";
    if (reference.cols() != setting.cols())
      detail::throw_invalid(fn, "the reference has ", reference.cols(), " variables, the setting ",
                            setting.cols());
    if (!reference.allFinite() || !setting.allFinite())
      detail::throw_invalid(fn, "the data have non-finite values");
    if (reference.rows() < 3 || setting.rows() < 3)
      detail::throw_invalid(fn, "each data set needs at least 3 samples (got ", reference.rows(),
                            " and ", setting.rows(), ")");
    const Eigen::RowVectorXd centre = reference.template cast<double>().colwise().mean();
    m_n1 = reference.rows();
    m_n2 = setting.rows();
    m_g1 = augmented_gram(reference.template cast<double>().rowwise() - centre);
    m_g2 = augmented_gram(setting.template cast<double>().rowwise() - centre);
  }

  int num_variables() const noexcept { return int(m_g1.rows()) - 1; }

  /// Test X_i | X_S. Throws for bad indices or too few samples (n <= |S| + 1 in a data set).
  Result test(int i, const std::vector<int>& S) const {
    const char* fn = "GaussianInvarianceTest::test";
    const int p = num_variables();
    if (i < 0 || i >= p) detail::throw_invalid(fn, "variable ", i, " outside [0, ", p, ")");
    for (int v : S)
      if (v < 0 || v >= p || v == i)
        detail::throw_invalid(fn, "conditioning variable ", v, " invalid for target ", i);
    const Eigen::Index k = Eigen::Index(S.size()) + 1;
    if (m_n1 <= k || m_n2 <= k)
      detail::throw_invalid(fn, "too few samples (", m_n1, ", ", m_n2, ") for ", k,
                            " regression coefficients");
    std::vector<Eigen::Index> idx(S.begin(), S.end());
    idx.push_back(p); // the intercept column
    const Fit f1 = fit(m_g1, m_n1, i, idx), f2 = fit(m_g2, m_n2, i, idx);
    using boost::math::cdf;
    using boost::math::complement;
    Result r{1.0, 1.0};
    if (f1.s2 > 0 && f2.s2 > 0) {
      const boost::math::fisher_f_distribution<> fv(double(m_n2 - k), double(m_n1 - k));
      const double F = f2.s2 / f1.s2;
      r.p_variance = std::min(1.0, 2 * std::min(cdf(fv, F), cdf(complement(fv, F))));
    } else if (f1.s2 != f2.s2) {
      r.p_variance = 0.0; // one residual variance is exactly zero, the other not
    }
    const Eigen::VectorXd d = f1.beta - f2.beta;
    const Matrix V = f1.s2 * f1.inv + f2.s2 * f2.inv;
    const Eigen::LDLT<Matrix> ldlt(V);
    if (ldlt.info() == Eigen::Success && ldlt.isPositive() && (ldlt.vectorD().array() > 0).all()) {
      const double T = d.dot(ldlt.solve(d)) / double(k);
      const boost::math::fisher_f_distribution<> fc(double(k), double(m_n1 + m_n2 - 2 * k));
      r.p_coefficients = cdf(complement(fc, std::max(0.0, T)));
    } else if (d.squaredNorm() > 0) {
      r.p_coefficients = 0.0; // both fits exact and different
    }
    return r;
  }
  /// True when neither part rejects at alpha / 2.
  bool invariant(int i, const std::vector<int>& S, double alpha) const {
    return test(i, S).p_value() >= alpha;
  }

private:
  struct Fit {
    Eigen::VectorXd beta;
    Matrix inv; // (X^T X)^-1
    double s2;  // residual variance, RSS / (n - k)
  };
  static Matrix augmented_gram(const Matrix& X) {
    Matrix A(X.rows(), X.cols() + 1);
    A.leftCols(X.cols()) = X;
    A.col(X.cols()).setOnes();
    return A.transpose() * A;
  }
  static Fit fit(const Matrix& G, Eigen::Index n, int i, const std::vector<Eigen::Index>& idx) {
    const Eigen::Index k = Eigen::Index(idx.size());
    Matrix A(k, k);
    Eigen::VectorXd b(k);
    for (Eigen::Index a = 0; a < k; ++a) {
      for (Eigen::Index c = 0; c < k; ++c) A(a, c) = G(idx[std::size_t(a)], idx[std::size_t(c)]);
      b[a] = G(idx[std::size_t(a)], i);
    }
    const Eigen::LDLT<Matrix> ldlt(A);
    Fit f;
    f.beta = ldlt.solve(b);
    f.inv = ldlt.solve(Matrix::Identity(k, k));
    const double rss = std::max(0.0, G(i, i) - b.dot(f.beta));
    f.s2 = rss / double(n - k);
    return f;
  }

  Matrix m_g1, m_g2;
  Eigen::Index m_n1 = 0, m_n2 = 0;
};

} // namespace cimpute
