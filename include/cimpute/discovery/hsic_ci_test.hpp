/// @file hsic_ci_test.hpp
/// @brief Nonparametric tests: `hsic_test` (the Hilbert-Schmidt independence criterion with a
/// Gamma-approximated or permutation null), `HsicCiTest` (conditional independence on kernel
/// ridge regression residuals, memoised) and `KernelInvarianceTests` (is X_i | X_S the same in a
/// setting as in the observational data: X_i against a setting indicator given X_S).
#pragma once

#include "cimpute/core/boost_math.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/discovery/gaussian_ci_test.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <tuple>
#include <vector>

namespace cimpute {

/// How `hsic_test` turns the statistic into a p-value.
enum class HsicNull {
  Gamma,      ///< Gamma distribution matching the null mean and variance (Gretton et al. 2008)
  Permutation ///< permutations of one sample's rows (exact level, O(B n^2))
};

/// Options of the HSIC tests.
struct HsicOptions {
  HsicNull null = HsicNull::Gamma;
  int permutations = 500; ///< permutations for `HsicNull::Permutation`
  /// `HsicCiTest` / `KernelInvarianceTests` use at most this many samples (a seeded random
  /// subset when there are more): the tests cost O(n^2) and the residual fits O(n^3).
  Eigen::Index max_samples = 1000;
  /// Ridge of the kernel regressions that give the residuals of the conditional tests:
  /// \f$ r = x - K_S (K_S + n\lambda I)^{-1} x \f$.
  double ridge = 1e-3;
  std::uint64_t seed = 1; ///< permutations and subsampling

  void validate(const char* fn) const {
    if (permutations < 1) detail::throw_invalid(fn, "permutations must be >= 1");
    if (max_samples < 6) detail::throw_invalid(fn, "max_samples must be >= 6, got ", max_samples);
    if (!(ridge > 0)) detail::throw_invalid(fn, "ridge must be > 0, got ", ridge);
  }
};

/// The result of `hsic_test`.
struct HsicResult {
  double statistic; ///< \f$ n \cdot \mathrm{HSIC}_b = \mathrm{tr}(\tilde K \tilde L) / n \f$
  double p_value;
};

namespace detail {
/// Columns centred and scaled to unit standard deviation (constant columns are left at 0).
inline Eigen::MatrixXd standardized(const Eigen::MatrixXd& X) {
  Eigen::MatrixXd Z = X.rowwise() - X.colwise().mean();
  for (Eigen::Index c = 0; c < Z.cols(); ++c) {
    const double sd =
        std::sqrt(Z.col(c).squaredNorm() / double(std::max<Eigen::Index>(1, Z.rows() - 1)));
    if (sd > 0) Z.col(c) /= sd;
  }
  return Z;
}

/// Gaussian Gram matrix \f$ \exp(-\|x_a - x_b\|^2 / (2\sigma^2)) \f$ with the median heuristic:
/// \f$ \sigma \f$ the median of the non-zero pairwise distances (1 when all are zero).
inline Eigen::MatrixXd gaussian_gram_median(const Eigen::MatrixXd& X) {
  const Eigen::Index n = X.rows();
  const Eigen::VectorXd sq = X.rowwise().squaredNorm();
  Eigen::MatrixXd D = (-2.0 * X * X.transpose()).eval();
  D.colwise() += sq;
  D.rowwise() += sq.transpose();
  D = D.cwiseMax(0.0);
  std::vector<double> d;
  d.reserve(std::size_t(n * (n - 1) / 2));
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = j + 1; i < n; ++i)
      if (D(i, j) > 1e-24) d.push_back(D(i, j));
  double s2 = 1;
  if (!d.empty()) {
    auto mid = d.begin() + std::ptrdiff_t(d.size() / 2);
    std::nth_element(d.begin(), mid, d.end());
    s2 = *mid; // squared median distance
  }
  D.diagonal().setZero();
  return (-D / (2 * s2)).array().exp().matrix();
}

/// H K H with H = I - 11^T / n.
inline Eigen::MatrixXd double_centred(const Eigen::MatrixXd& K) {
  const Eigen::VectorXd r = K.rowwise().mean();
  const Eigen::RowVectorXd c = K.colwise().mean();
  Eigen::MatrixXd Kc = K;
  Kc.colwise() -= r;
  Kc.rowwise() -= c;
  Kc.array() += K.mean();
  return Kc;
}

inline HsicResult hsic_from_grams(const Eigen::MatrixXd& K, const Eigen::MatrixXd& L,
                                  const HsicOptions& o) {
  const Eigen::Index n = K.rows();
  const double nd = double(n);
  const Eigen::MatrixXd Kc = double_centred(K), Lc = double_centred(L);
  HsicResult r{};
  r.statistic = Kc.cwiseProduct(Lc).sum() / nd;
  if (o.null == HsicNull::Gamma) {
    // Null mean and variance of HSIC_b (Gretton et al. 2008); the statistic n HSIC_b is then
    // Gamma with shape mean^2 / var and scale n var / mean.
    const double var_terms =
        (Kc.cwiseProduct(Lc) / 6.0).array().square().sum() -
        (Kc.diagonal().cwiseProduct(Lc.diagonal()) / 6.0).array().square().sum();
    const double var = 72.0 * (nd - 4) * (nd - 5) / (nd * (nd - 1) * (nd - 2) * (nd - 3)) *
                       var_terms / (nd * (nd - 1));
    const double mu_x = (K.sum() - K.trace()) / (nd * (nd - 1));
    const double mu_y = (L.sum() - L.trace()) / (nd * (nd - 1));
    const double mean = (1 + mu_x * mu_y - mu_x - mu_y) / nd;
    if (!(var > 0) || !(mean > 0)) {
      r.p_value = 1.0; // a constant sample: no dependence can be detected
    } else {
      const boost::math::gamma_distribution<> g(mean * mean / var, var * nd / mean);
      r.p_value = boost::math::cdf(boost::math::complement(g, std::max(0.0, r.statistic)));
    }
  } else {
    std::mt19937_64 rng(o.seed);
    std::vector<Eigen::Index> perm(static_cast<std::size_t>(n));
    std::iota(perm.begin(), perm.end(), Eigen::Index(0));
    int exceed = 0;
    for (int b = 0; b < o.permutations; ++b) {
      std::shuffle(perm.begin(), perm.end(), rng);
      double s = 0;
      for (Eigen::Index j = 0; j < n; ++j) {
        const Eigen::Index pj = perm[std::size_t(j)];
        for (Eigen::Index i = 0; i < n; ++i) s += Kc(i, j) * Lc(perm[std::size_t(i)], pj);
      }
      exceed += s / nd >= r.statistic * (1 - 1e-12);
    }
    r.p_value = (1.0 + exceed) / (1.0 + o.permutations);
  }
  return r;
}

/// Sorted seeded subset of `max` of the rows 0..n-1 (all of them when n <= max).
inline std::vector<Eigen::Index> row_subset(Eigen::Index n, Eigen::Index max, std::uint64_t seed) {
  std::vector<Eigen::Index> rows(static_cast<std::size_t>(n));
  std::iota(rows.begin(), rows.end(), Eigen::Index(0));
  if (n > max) {
    std::mt19937_64 rng(seed);
    std::shuffle(rows.begin(), rows.end(), rng);
    rows.resize(std::size_t(max));
    std::sort(rows.begin(), rows.end());
  }
  return rows;
}
} // namespace detail

/// The HSIC independence test of the rows of x and y (n x dx and n x dy, paired samples), with
/// Gaussian kernels on the standardised variables and median-heuristic bandwidths. The statistic
/// is \f$ \mathrm{tr}(HKH\,HLH)/n \f$; the p-value comes from the Gamma approximation of its null
/// distribution or from `permutations` row permutations of y. Uses all rows (subsample first for
/// large n: the cost is O(n^2), O(B n^2) with permutations).
template <class DX, class DY>
HsicResult hsic_test(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DY>& y,
                     const HsicOptions& options = {}) {
  const char* fn = "hsic_test";
  options.validate(fn);
  if (x.rows() != y.rows())
    detail::throw_invalid(fn, "x has ", x.rows(), " samples, y has ", y.rows());
  if (x.rows() < 6) detail::throw_invalid(fn, "needs at least 6 samples, got ", x.rows());
  if (!x.allFinite() || !y.allFinite()) detail::throw_invalid(fn, "non-finite values");
  const Eigen::MatrixXd X = x.template cast<double>(), Y = y.template cast<double>();
  return detail::hsic_from_grams(detail::gaussian_gram_median(detail::standardized(X)),
                                 detail::gaussian_gram_median(detail::standardized(Y)), options);
}

/// Nonparametric conditional independence test for nonlinear SEM data: i _||_ j | S is tested by
/// HSIC between the residuals of X_i and X_j after kernel ridge regression on X_S (Gaussian
/// kernel, median heuristic, ridge `HsicOptions::ridge`); for S empty, HSIC of X_i and X_j.
/// Residuals are regression residuals, so this is the residual-based approximation to a
/// conditional test (exact for additive-noise dependence on S; KCI is the stronger
/// alternative). The same `CiTest` concept as `GaussianCiTest` (`num_variables`, `p_value`,
/// `independent`), so it plugs into `pc`, `gsp`, `igsp` and `utigsp`. At most
/// `HsicOptions::max_samples` rows are used (a seeded subset); the residuals of every variable
/// for a conditioning set are computed with one factorisation and, like the p-values, memoised
/// (thread-safe).
class HsicCiTest {
public:
  /// From data (samples x variables).
  template <class Derived>
  explicit HsicCiTest(const Eigen::MatrixBase<Derived>& X, HsicOptions options = {})
      : m_options(options) {
    const char* fn = "HsicCiTest";
    options.validate(fn);
    if (X.rows() < 6) detail::throw_invalid(fn, "needs at least 6 samples, got ", X.rows());
    if (!X.allFinite()) detail::throw_invalid(fn, "the data have non-finite values");
    const auto rows = detail::row_subset(X.rows(), options.max_samples, options.seed);
    Eigen::MatrixXd Z(Eigen::Index(rows.size()), X.cols());
    for (std::size_t r = 0; r < rows.size(); ++r)
      Z.row(Eigen::Index(r)) = X.row(rows[r]).template cast<double>();
    for (Eigen::Index c = 0; c < Z.cols(); ++c)
      if ((Z.col(c).array() == Z(0, c)).all())
        detail::throw_invalid(fn, "variable ", c, " is constant",
                              rows.size() < std::size_t(X.rows()) ? " in the subsample" : "");
    m_data = detail::standardized(Z);
  }

  int num_variables() const noexcept { return int(m_data.cols()); }
  /// Rows the tests use (after subsampling).
  Eigen::Index num_samples() const noexcept { return m_data.rows(); }
  const HsicOptions& options() const noexcept { return m_options; }

  /// HSIC statistic and p-value of i _||_ j | S (not memoised).
  HsicResult test(int i, int j, std::vector<int> S) const {
    check(i, j, S, "HsicCiTest::test");
    std::sort(S.begin(), S.end());
    if (S.empty())
      return detail::hsic_from_grams(detail::gaussian_gram_median(m_data.col(i)),
                                     detail::gaussian_gram_median(m_data.col(j)), m_options);
    const Eigen::MatrixXd R = residuals(S);
    return detail::hsic_from_grams(detail::gaussian_gram_median(detail::standardized(R.col(i))),
                                   detail::gaussian_gram_median(detail::standardized(R.col(j))),
                                   m_options);
  }
  /// The p-value of i _||_ j | S (memoised).
  double p_value(int i, int j, std::vector<int> S) const {
    check(i, j, S, "HsicCiTest::p_value");
    std::sort(S.begin(), S.end());
    Key key{std::min(i, j), std::max(i, j), S};
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      const auto it = m_cache.find(key);
      if (it != m_cache.end()) return it->second;
    }
    const double p = test(i, j, S).p_value; // HSIC is symmetric in i and j
    std::lock_guard<std::mutex> lock(m_mutex);
    m_cache.emplace(std::move(key), p);
    return p;
  }
  /// True when the test does not reject independence at level alpha.
  bool independent(int i, int j, const std::vector<int>& S, double alpha) const {
    return p_value(i, j, S) >= alpha;
  }

  /// Kernel ridge residuals of every variable on X_S (n x p; the columns of S are ~0).
  Eigen::MatrixXd residuals(const std::vector<int>& sorted_S) const {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      const auto it = m_residuals.find(sorted_S);
      if (it != m_residuals.end()) return it->second;
    }
    const Eigen::Index n = m_data.rows();
    Eigen::MatrixXd XS(n, Eigen::Index(sorted_S.size()));
    for (std::size_t k = 0; k < sorted_S.size(); ++k)
      XS.col(Eigen::Index(k)) = m_data.col(sorted_S[k]);
    Eigen::MatrixXd A = detail::gaussian_gram_median(XS);
    const double nl = double(n) * m_options.ridge;
    A.diagonal().array() += nl;
    // x - K (K + n l I)^-1 x = n l (K + n l I)^-1 x
    Eigen::MatrixXd R = nl * Eigen::LLT<Eigen::MatrixXd>(A).solve(m_data);
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_residuals.emplace(sorted_S, std::move(R)).first->second;
  }

  HsicCiTest(const HsicCiTest& o) : m_options(o.m_options), m_data(o.m_data) {}
  HsicCiTest& operator=(const HsicCiTest&) = delete;

private:
  using Key = std::tuple<int, int, std::vector<int>>;
  void check(int i, int j, const std::vector<int>& S, const char* fn) const {
    detail::check_ci_query(num_variables(), i, j, S, fn);
  }

  HsicOptions m_options;
  Eigen::MatrixXd m_data; // standardised subsample
  mutable std::mutex m_mutex;
  mutable std::map<Key, double> m_cache;
  mutable std::map<std::vector<int>, Eigen::MatrixXd> m_residuals;
};

/// Kernel invariance tests of every interventional setting against the observational data (the
/// `InvarianceTest` concept of `igsp` / `utigsp`): X_i | X_S is invariant in setting k when the
/// HSIC conditional test finds X_i independent of the 0/1 indicator "sample from setting k"
/// given X_S, on the pooled observational and setting-k samples (at most
/// `HsicOptions::max_samples / 2` of each, seeded). With S empty this compares the marginal
/// distributions of X_i. Memoised, thread-safe.
class KernelInvarianceTests {
public:
  /// Observational samples and one sample matrix per setting with its known targets.
  KernelInvarianceTests(const Eigen::MatrixXd& observational,
                        const std::vector<Eigen::MatrixXd>& settings,
                        std::vector<std::vector<int>> targets, HsicOptions options = {})
      : m_targets(std::move(targets)) {
    const char* fn = "KernelInvarianceTests";
    options.validate(fn);
    if (m_targets.size() != settings.size())
      detail::throw_invalid(fn, settings.size(), " settings but ", m_targets.size(),
                            " target lists");
    const Eigen::Index p = observational.cols(), half = options.max_samples / 2;
    const auto obs_rows = detail::row_subset(observational.rows(), half, options.seed);
    for (std::size_t k = 0; k < settings.size(); ++k) {
      const Eigen::MatrixXd& X = settings[k];
      if (X.cols() != p)
        detail::throw_invalid(fn, "setting ", k, " has ", X.cols(), " variables, not ", p);
      const auto rows = detail::row_subset(X.rows(), half, options.seed + 1 + k);
      Eigen::MatrixXd Z(Eigen::Index(obs_rows.size() + rows.size()), p + 1);
      Eigen::Index r = 0;
      for (Eigen::Index o : obs_rows) {
        Z.row(r).head(p) = observational.row(o);
        Z(r++, p) = 0.0;
      }
      for (Eigen::Index s : rows) {
        Z.row(r).head(p) = X.row(s);
        Z(r++, p) = 1.0;
      }
      HsicOptions pooled = options;
      pooled.max_samples = Z.rows();
      m_tests.emplace_back(Z, pooled);
    }
    for (auto& t : m_targets) {
      std::sort(t.begin(), t.end());
      for (int v : t)
        if (v < 0 || v >= int(p)) detail::throw_invalid(fn, "target ", v, " is not a variable");
    }
  }
  int num_settings() const noexcept { return int(m_tests.size()); }
  const std::vector<int>& targets(int k) const { return m_targets.at(std::size_t(k)); }
  /// The p-value of "X_i | X_S is the same in setting k" (memoised by the underlying test).
  double p_value(int k, int i, const std::vector<int>& S) const {
    const HsicCiTest& t = m_tests.at(std::size_t(k));
    return t.p_value(i, t.num_variables() - 1, S);
  }
  bool invariant(int k, int i, const std::vector<int>& S, double alpha) const {
    return p_value(k, i, S) >= alpha;
  }

private:
  std::vector<HsicCiTest> m_tests;
  std::vector<std::vector<int>> m_targets;
};

} // namespace cimpute
