/// @file gaussian_ci_test.hpp
/// @brief `GaussianCiTest`: Fisher-z conditional independence tests on partial correlations from
/// sufficient statistics (covariance, n), memoised and thread-safe.
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "cimpute/core/boost_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

namespace cimpute {

namespace detail {
/// Throws unless i, j and the conditioning set S are valid for a CI test on p variables: all in
/// [0, p), i != j, S without i, j or repeats. Shared by the CI test types.
inline void check_ci_query(int p, int i, int j, const std::vector<int>& S, const char* fn) {
  auto bad = [&](int v) { return v < 0 || v >= p; };
  if (bad(i) || bad(j)) throw_invalid(fn, "variables (", i, ", ", j, ") outside [0, ", p, ")");
  if (i == j) throw_invalid(fn, "i and j are both ", i);
  for (int v : S) {
    if (bad(v)) throw_invalid(fn, "conditioning variable ", v, " outside [0, ", p, ")");
    if (v == i || v == j) throw_invalid(fn, "conditioning set contains i or j (", v, ")");
  }
  std::vector<int> sorted = S;
  std::sort(sorted.begin(), sorted.end());
  const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end()) throw_invalid(fn, "conditioning variable ", *dup, " repeated");
}
} // namespace detail

/// Gaussian conditional independence test: \f$ r = \rho_{ij \cdot S} \f$ the partial correlation
/// of variables i and j given the set S, \f$ z = \sqrt{n - |S| - 3}\,|\operatorname{atanh} r| \f$
/// and the two-sided p-value \f$ 2(1 - \Phi(z)) \f$; i and j are judged dependent given S when
/// the p-value is below alpha.
///
/// Works from the covariance (or correlation) matrix and the sample size only. r comes from the
/// cheapest route for |S|: the correlation for |S| = 0, the closed form for |S| = 1, and the
/// Schur complement \f$ \Sigma_{ab \cdot S} = \Sigma_{ab} - \Sigma_{aS}\Sigma_{SS}^{-1}\Sigma_{Sb}
/// \f$ through a Cholesky factorisation of \f$ \Sigma_{SS} \f$ (O(|S|^3)) otherwise. Results are
/// memoised (the key is the unordered pair and the sorted set), so the repeated queries of greedy
/// permutation searches cost a lookup; the cache is guarded by a mutex, so one test object may
/// serve several threads.
class GaussianCiTest {
public:
  using Matrix = Eigen::MatrixXd;

  /// From a covariance matrix (p x p, symmetric, positive diagonal) of n samples. With
  /// `regularised` (a shrunk covariance), conditioning sets beyond n - 4 variables give p = 1.
  GaussianCiTest(Matrix covariance, Eigen::Index n, bool regularised = false)
      : m_cov(std::move(covariance)), m_n(n), m_regularised(regularised) {
    const char* fn = "GaussianCiTest";
    if (m_cov.rows() != m_cov.cols())
      detail::throw_invalid(fn, "the covariance is ", m_cov.rows(), " x ", m_cov.cols());
    if (!m_cov.allFinite()) detail::throw_invalid(fn, "the covariance has non-finite entries");
    for (Eigen::Index i = 0; i < m_cov.rows(); ++i)
      if (!(m_cov(i, i) > 0))
        detail::throw_invalid(fn, "variable ", i, " has variance ", m_cov(i, i),
                              " (constant column?)");
    if (n < 4) detail::throw_invalid(fn, "needs at least 4 samples, got ", n);
    // Partial correlations need a positive definite covariance: a collinear variable (a
    // duplicated column, a sum of others, fewer samples than variables) has a zero pivot.
    const Eigen::VectorXd sd = m_cov.diagonal().cwiseSqrt();
    const Matrix corr = sd.cwiseInverse().asDiagonal() * m_cov * sd.cwiseInverse().asDiagonal();
    const Eigen::LDLT<Matrix> ldlt(corr);
    const double pivot = ldlt.vectorD().minCoeff();
    if (ldlt.info() != Eigen::Success || !(pivot > 1e-10))
      detail::throw_invalid(fn, "singular data: the covariance of the ", n,
                            " samples is not "
                            "positive definite (smallest pivot ",
                            pivot,
                            "; a constant or collinear "
                            "variable, or fewer samples than variables: shrink the covariance, "
                            "e.g. DiscoveryOptions::shrinkage or --shrinkage auto)");
  }

  /// From data (samples x variables): the sample covariance and the number of rows. With
  /// `shrinkage` lambda in (0, 1], the covariance is shrunk towards its diagonal,
  /// \f$ (1 - \lambda) S + \lambda \operatorname{diag}(S) \f$, which keeps it positive definite
  /// with fewer samples than variables (single cells, bootstrap resamples), and a conditioning set
  /// that leaves n - |S| - 3 <= 0 degrees of freedom then gives p = 1 (no evidence against
  /// independence, as causaldag's partial-correlation test behaves) instead of an error. A
  /// negative `shrinkage` takes Schafer & Strimmer's estimate (`shrinkage_intensity`).
  template <class Derived>
  static GaussianCiTest from_data(const Eigen::MatrixBase<Derived>& X, double shrinkage = 0) {
    const char* fn = "GaussianCiTest::from_data";
    if (X.rows() < 4) detail::throw_invalid(fn, "needs at least 4 samples, got ", X.rows());
    if (!X.allFinite()) detail::throw_invalid(fn, "the data have non-finite values");
    if (!(shrinkage <= 1)) detail::throw_invalid(fn, "shrinkage must be <= 1, got ", shrinkage);
    const Matrix centred =
        X.template cast<double>().rowwise() - X.template cast<double>().colwise().mean();
    Matrix S = centred.transpose() * centred / double(X.rows() - 1);
    const double lambda = shrinkage < 0 ? shrinkage_intensity(X) : shrinkage;
    if (lambda > 0) {
      const Eigen::VectorXd d = S.diagonal();
      S *= 1 - lambda;
      S.diagonal() = d;
    }
    GaussianCiTest t(std::move(S), X.rows(), lambda > 0);
    t.m_shrinkage = lambda;
    return t;
  }

  /// Schafer & Strimmer's (2005) shrinkage intensity towards the diagonal ("target D"): on the
  /// standardised data, \f$ \lambda = \sum_{i \ne j} \widehat{\operatorname{Var}}(r_{ij}) /
  /// \sum_{i \ne j} r_{ij}^2 \f$ with \f$ \widehat{\operatorname{Var}}(r_{ij}) = \frac{n}{(n -
  /// 1)^3} \sum_k (w_{kij} - \bar w_{ij})^2 \f$, \f$ w_{kij} = x_{ki} x_{kj} \f$, clipped to
  /// [0, 1] (corpcor's estimator for gene expression with more genes than samples).
  template <class Derived>
  static double shrinkage_intensity(const Eigen::MatrixBase<Derived>& X) {
    const double n = double(X.rows());
    Matrix Z = X.template cast<double>().rowwise() - X.template cast<double>().colwise().mean();
    const Eigen::RowVectorXd sd = (Z.colwise().squaredNorm() / (n - 1)).cwiseSqrt();
    for (Eigen::Index j = 0; j < Z.cols(); ++j)
      if (sd[j] > 0) Z.col(j) /= sd[j];
    const Matrix wbar = Z.transpose() * Z / n; // mean of w_kij over k
    const Matrix Z2 = Z.array().square().matrix();
    const Matrix w2 = Z2.transpose() * Z2; // sum of w_kij^2 over k
    double var = 0, r2 = 0;
    for (Eigen::Index j = 0; j < Z.cols(); ++j)
      for (Eigen::Index i = 0; i < Z.cols(); ++i) {
        if (i == j) continue;
        var += n / ((n - 1) * (n - 1) * (n - 1)) * (w2(i, j) - n * wbar(i, j) * wbar(i, j));
        const double r = n / (n - 1) * wbar(i, j);
        r2 += r * r;
      }
    return r2 > 0 ? std::clamp(var / r2, 0.0, 1.0) : 1.0;
  }
  /// The shrinkage intensity the covariance was built with (0: none).
  double shrinkage() const noexcept { return m_shrinkage; }

  int num_variables() const noexcept { return int(m_cov.rows()); }
  Eigen::Index num_samples() const noexcept { return m_n; }

  /// The partial correlation of i and j given S (not memoised; clipped to (-1, 1)).
  double partial_correlation(int i, int j, const std::vector<int>& S) const {
    check(i, j, S, "GaussianCiTest::partial_correlation");
    const double lim = 1 - 1e-15;
    double r = 0;
    if (S.empty()) {
      r = m_cov(i, j) / std::sqrt(m_cov(i, i) * m_cov(j, j));
    } else if (S.size() == 1) {
      const int k = S[0];
      const double rij = corr(i, j), rik = corr(i, k), rjk = corr(j, k);
      const double den = std::sqrt(std::max(0.0, (1 - rik * rik) * (1 - rjk * rjk)));
      r = den > 0 ? (rij - rik * rjk) / den : 0.0;
    } else {
      const Eigen::Index s = Eigen::Index(S.size());
      Matrix Sss(s, s), Sab(s, 2);
      for (Eigen::Index a = 0; a < s; ++a) {
        for (Eigen::Index b = 0; b < s; ++b)
          Sss(a, b) = m_cov(S[std::size_t(a)], S[std::size_t(b)]);
        Sab(a, 0) = m_cov(S[std::size_t(a)], i);
        Sab(a, 1) = m_cov(S[std::size_t(a)], j);
      }
      const Eigen::LDLT<Matrix> ldlt(Sss);
      const Matrix W = ldlt.solve(Sab);
      const Eigen::Matrix2d R =
          (Eigen::Matrix2d() << m_cov(i, i), m_cov(i, j), m_cov(j, i), m_cov(j, j)).finished() -
          Sab.transpose() * W;
      const double den = std::sqrt(std::max(0.0, R(0, 0) * R(1, 1)));
      r = den > 0 ? R(0, 1) / den : 0.0;
    }
    return std::clamp(r, -lim, lim);
  }

  /// The two-sided Fisher-z p-value of i _||_ j | S (memoised). Throws when n <= |S| + 3.
  double p_value(int i, int j, std::vector<int> S) const {
    const char* fn = "GaussianCiTest::p_value";
    check(i, j, S, fn);
    if (m_n <= Eigen::Index(S.size()) + 3) {
      if (m_regularised) return 1.0;
      detail::throw_invalid(fn, "n = ", m_n, " samples are too few for a conditioning set of ",
                            S.size());
    }
    std::sort(S.begin(), S.end());
    Key key{std::min(i, j), std::max(i, j), S};
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      const auto it = m_cache.find(key);
      if (it != m_cache.end()) return it->second;
    }
    const double p = p_value_of(partial_correlation(i, j, S), S.size());
    std::lock_guard<std::mutex> lock(m_mutex);
    m_cache.emplace(std::move(key), p);
    ++m_computed;
    return p;
  }
  /// The Fisher-z p-value of a partial correlation r given a conditioning set of `s` variables
  /// (not memoised: for callers that computed r themselves, e.g. from a precision matrix).
  double p_value_of(double r, std::size_t s) const {
    if (m_n <= Eigen::Index(s) + 3) {
      if (m_regularised) return 1.0;
      detail::throw_invalid("GaussianCiTest::p_value_of", "n = ", m_n,
                            " samples are too few for a conditioning set of ", s);
    }
    const double lim = 1 - 1e-15;
    r = std::clamp(r, -lim, lim);
    const double z = std::sqrt(double(m_n) - double(s) - 3) * std::abs(std::atanh(r));
    return 2 * boost::math::cdf(boost::math::complement(boost::math::normal_distribution<>(), z));
  }
  /// The covariance matrix the tests work from.
  const Matrix& covariance() const noexcept { return m_cov; }

  /// True when the test does not reject independence at level alpha (p >= alpha).
  bool independent(int i, int j, const std::vector<int>& S, double alpha) const {
    return p_value(i, j, S) >= alpha;
  }
  /// Number of distinct tests computed (cache misses) so far.
  std::uint64_t tests_computed() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_computed;
  }

  GaussianCiTest(const GaussianCiTest& o)
      : m_cov(o.m_cov), m_n(o.m_n), m_regularised(o.m_regularised), m_shrinkage(o.m_shrinkage) {}
  GaussianCiTest& operator=(const GaussianCiTest&) = delete;

private:
  using Key = std::tuple<int, int, std::vector<int>>;
  double corr(int a, int b) const { return m_cov(a, b) / std::sqrt(m_cov(a, a) * m_cov(b, b)); }
  void check(int i, int j, const std::vector<int>& S, const char* fn) const {
    detail::check_ci_query(num_variables(), i, j, S, fn);
  }

  Matrix m_cov;
  Eigen::Index m_n;
  bool m_regularised = false;
  double m_shrinkage = 0;
  mutable std::mutex m_mutex;
  mutable std::map<Key, double> m_cache;
  mutable std::uint64_t m_computed = 0;
};

} // namespace cimpute
