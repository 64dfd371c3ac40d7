/// @file linear_gaussian_sem.hpp
/// @brief `LinearGaussianSem`: a linear structural equation model with Gaussian noise on a DAG,
/// with interventions, vectorized sampling, closed-form moments, likelihood and fitting.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/sem/intervention.hpp"

#include <Eigen/Core>
#include <Eigen/QR>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace cimpute {

/// \f$ X = B^T X + \varepsilon,\ \varepsilon \sim N(\mu, \mathrm{diag}(\sigma^2)) \f$ on a DAG,
/// with \f$ B_{ij} \f$ the weight of the arc i -> j (zero where there is no arc). Hence
/// \f$ E[X] = (I - B)^{-T}\mu \f$ and \f$ \mathrm{Cov}(X) = (I - B)^{-T} \mathrm{diag}(\sigma^2)
/// (I - B)^{-1} \f$. An `Intervention` changes B, \f$\mu\f$ and \f$\sigma^2\f$ (perfect: zero
/// the node's column of B and set its mean and variance; shift: add to its mean; scaling:
/// multiply its column of B and its noise sd); all moments and samples follow in closed form.
template <class Scalar_ = double>
class LinearGaussianSem {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

  /// The SEM on `g` with weights `B` (p x p, non-zero only on arcs), noise means and variances.
  LinearGaussianSem(Dag g, Matrix B, Vector mu, Vector variances)
      : m_g(std::move(g)), m_B(std::move(B)), m_mu(std::move(mu)), m_s2(std::move(variances)) {
    const char* fn = "LinearGaussianSem";
    const Eigen::Index p = m_g.num_nodes();
    if (m_B.rows() != p || m_B.cols() != p || m_mu.size() != p || m_s2.size() != p)
      detail::throw_invalid(fn, "B, mu and variances must be sized for the ", p, " nodes");
    for (Eigen::Index i = 0; i < p; ++i)
      for (Eigen::Index j = 0; j < p; ++j)
        if (m_B(i, j) != Scalar(0) && !m_g.has_arc(int(i), int(j)))
          detail::throw_invalid(fn, "weight ", m_B(i, j), " on ", i, " -> ", j,
                                ", which is not an arc");
    if (!m_B.allFinite() || !m_mu.allFinite() || !m_s2.allFinite() || (m_s2.array() < 0).any())
      detail::throw_invalid(fn, "non-finite parameters or negative variances");
    m_order = m_g.topological_order();
  }

  /// The papers' random SEM: weights with random sign and magnitude U[low, high] on every arc,
  /// noise N(0, 1).
  static LinearGaussianSem random(const Dag& g, std::uint64_t seed, Scalar low = Scalar(0.25),
                                  Scalar high = Scalar(1)) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u{double(low), double(high)};
    std::bernoulli_distribution sign(0.5);
    Matrix B = Matrix::Zero(g.num_nodes(), g.num_nodes());
    for (const auto& [i, j] : g.arcs()) B(i, j) = Scalar(sign(rng) ? u(rng) : -u(rng));
    return LinearGaussianSem(g, B, Vector::Zero(g.num_nodes()), Vector::Ones(g.num_nodes()));
  }

  const Dag& graph() const noexcept { return m_g; }
  const Matrix& weights() const noexcept { return m_B; }
  const Vector& noise_means() const noexcept { return m_mu; }
  const Vector& noise_variances() const noexcept { return m_s2; }
  int num_nodes() const noexcept { return m_g.num_nodes(); }

  /// The interventional SEM's parameters (B', mu', sigma'^2).
  LinearGaussianSem intervened(const Intervention& iv) const {
    const Applied a = apply(iv, "LinearGaussianSem::intervened");
    Matrix B = m_B * a.weight_scale.asDiagonal();
    return LinearGaussianSem(Unchecked{}, m_g, std::move(B), a.mu, a.s2, m_order);
  }

  /// \f$ E[X] = (I - B)^{-T} \mu \f$ under the intervention. O(p + arcs).
  Vector mean(const Intervention& iv = {}) const {
    const Applied a = apply(iv, "LinearGaussianSem::mean");
    return propagate(a.mu.transpose(), a.weight_scale).transpose();
  }
  /// \f$ \mathrm{Cov}(X) = (I - B)^{-T} \mathrm{diag}(\sigma^2) (I - B)^{-1} \f$.
  Matrix covariance(const Intervention& iv = {}) const {
    const Applied a = apply(iv, "LinearGaussianSem::covariance");
    // Rows of A: sd_i e_i (I - B)^-1.
    const Matrix A = propagate(Matrix(a.s2.cwiseSqrt().asDiagonal()), a.weight_scale);
    return A.transpose() * A;
  }
  /// n samples (rows) under the intervention, seeded: \f$ X = E (I - B)^{-1} \f$ with the rows of
  /// E drawn from the noise, propagated through the graph column by column in topological order
  /// (all samples at once; O(n x arcs), and the weights are never copied).
  Matrix sample(Eigen::Index n, std::uint64_t seed, const Intervention& iv = {}) const {
    if (n < 0) detail::throw_invalid("LinearGaussianSem::sample", "negative sample count ", n);
    const Applied a = apply(iv, "LinearGaussianSem::sample");
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n01(0, 1);
    Matrix E(n, num_nodes());
    for (Eigen::Index j = 0; j < E.cols(); ++j) {
      const Scalar sd = std::sqrt(a.s2[j]);
      for (Eigen::Index i = 0; i < n; ++i) E(i, j) = a.mu[j] + sd * Scalar(n01(rng));
    }
    return propagate(std::move(E), a.weight_scale);
  }
  /// Log-likelihood of the samples (rows of X) under the intervention (all variances > 0).
  Scalar log_likelihood(const Eigen::Ref<const Matrix>& X, const Intervention& iv = {}) const {
    const char* fn = "LinearGaussianSem::log_likelihood";
    if (X.cols() != num_nodes())
      detail::throw_invalid(fn, X.cols(), " columns for ", num_nodes(), " nodes");
    const LinearGaussianSem s = intervened(iv);
    if ((s.m_s2.array() <= 0).any())
      detail::throw_invalid(fn, "a noise variance is 0 (degenerate density)");
    // eps = X (I - B) - mu; the Jacobian of a unit-triangular map is 1.
    const Matrix R = (X - X * s.m_B).rowwise() - s.m_mu.transpose();
    const Scalar two_pi = Scalar(2 * 3.141592653589793238462643383279502884L);
    Scalar ll = 0;
    for (Eigen::Index j = 0; j < num_nodes(); ++j)
      ll += -Scalar(0.5) *
            (R.col(j).squaredNorm() / s.m_s2[j] + Scalar(X.rows()) * std::log(two_pi * s.m_s2[j]));
    return ll;
  }

  /// Fit weights, noise means and variances on `g` by least squares per node (with intercept).
  /// `intervened` (optional, samples x nodes, non-zero = that node was intervened on in that
  /// sample) excludes a node's intervened samples from its own regression, so pooled
  /// observational and interventional data recover the observational mechanisms.
  /// Throws when a value is not finite, and when a node's regression is singular: a parent
  /// constant over the node's samples, or parents collinear (the centred, unit-norm parent
  /// columns of rank below their number at a relative threshold of sqrt(epsilon), where the
  /// weights would lose more than half their digits). The error names the node and its parents.
  static LinearGaussianSem
  fit(const Dag& g, const Eigen::Ref<const Matrix>& X,
      const Eigen::Ref<const Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic>>& intervened =
          Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic>()) {
    const char* fn = "LinearGaussianSem::fit";
    const Eigen::Index p = g.num_nodes();
    if (p < 1) detail::throw_invalid(fn, "the graph has no node");
    if (X.cols() != p) detail::throw_invalid(fn, X.cols(), " columns for ", p, " nodes");
    if (intervened.size() > 0 && (intervened.rows() != X.rows() || intervened.cols() != p))
      detail::throw_invalid(fn, "the intervention mask must be ", X.rows(), " x ", p);
    for (Eigen::Index j = 0; j < p; ++j)
      for (Eigen::Index i = 0; i < X.rows(); ++i)
        if (!std::isfinite(X(i, j)))
          detail::throw_invalid(fn, "value ", X(i, j), " of node ", g.name(int(j)), " in sample ",
                                i, " is not finite");
    const Scalar tol = std::sqrt(Eigen::NumTraits<Scalar>::epsilon());
    Matrix B = Matrix::Zero(p, p);
    Vector mu(p), s2(p);
    for (int j = 0; j < int(p); ++j) {
      std::vector<Eigen::Index> rows;
      for (Eigen::Index i = 0; i < X.rows(); ++i)
        if (intervened.size() == 0 || intervened(i, j) == 0) rows.push_back(i);
      const auto& pa = g.parents(j);
      const Eigen::Index k = Eigen::Index(pa.size());
      const Eigen::Index n = Eigen::Index(rows.size());
      if (n <= k + 1)
        detail::throw_invalid(fn, "node ", g.name(j), " has ", n, " usable samples for ", k,
                              " parents");
      // Centred parent columns scaled to unit norm: the intercept drops out of the regression
      // and the rank test does not depend on the variables' units.
      Matrix D(n, k);
      Vector y(n);
      for (Eigen::Index r = 0; r < n; ++r) {
        for (Eigen::Index c = 0; c < k; ++c) D(r, c) = X(rows[std::size_t(r)], pa[std::size_t(c)]);
        y[r] = X(rows[std::size_t(r)], j);
      }
      const Eigen::Matrix<Scalar, 1, Eigen::Dynamic> xbar = D.colwise().mean();
      const Scalar ybar = y.mean();
      D.rowwise() -= xbar;
      y.array() -= ybar;
      Vector beta = Vector::Zero(k);
      Vector resid = y;
      if (k > 0) {
        const Vector norms = D.colwise().norm().transpose();
        for (Eigen::Index c = 0; c < k; ++c)
          if (!(norms[c] > tol * std::sqrt(Scalar(n)) * std::abs(xbar[c])))
            detail::throw_invalid(fn, "parent ", g.name(pa[std::size_t(c)]), " of node ", g.name(j),
                                  " is constant over the node's ", n,
                                  " samples: the fitted SEM would be singular");
        D *= norms.cwiseInverse().asDiagonal();
        Eigen::ColPivHouseholderQR<Matrix> qr(D);
        qr.setThreshold(tol);
        if (qr.rank() < k) {
          std::string names;
          for (int v : pa) names += (names.empty() ? "" : ", ") + g.name(v);
          detail::throw_invalid(fn, "the parents of node ", g.name(j), " (", names,
                                ") are collinear in its ", n, " samples (rank ", qr.rank(), " of ",
                                k, "): the fitted SEM would be singular");
        }
        const Vector gamma = qr.solve(y);
        resid -= D * gamma;
        beta = gamma.cwiseQuotient(norms);
      }
      mu[j] = ybar - xbar.dot(beta);
      for (Eigen::Index c = 0; c < k; ++c) B(pa[std::size_t(c)], j) = beta[c];
      s2[j] = resid.squaredNorm() / Scalar(n - k - 1);
    }
    return LinearGaussianSem(g, B, mu, s2);
  }

private:
  struct Unchecked {};
  // For parameters derived from validated ones (interventions): skips the O(p^2) arc check.
  LinearGaussianSem(Unchecked, const Dag& g, Matrix B, Vector mu, Vector s2, std::vector<int> order)
      : m_g(g), m_B(std::move(B)), m_mu(std::move(mu)), m_s2(std::move(s2)),
        m_order(std::move(order)) {}

  // An intervention as per-node changes: noise means and variances, and a factor on each node's
  // incoming weights (0 for a perfect intervention, which cuts them).
  struct Applied {
    Vector mu, s2, weight_scale;
  };
  Applied apply(const Intervention& iv, const char* fn) const {
    Applied a{m_mu, m_s2, Vector::Ones(num_nodes())};
    for (const auto& t : iv.all()) {
      t.validate();
      if (t.node >= num_nodes())
        detail::throw_invalid(fn, "target ", t.node, " outside [0, ", num_nodes(), ")");
      switch (t.kind) {
      case InterventionKind::Perfect:
        a.weight_scale[t.node] = Scalar(0);
        a.mu[t.node] = Scalar(t.mean);
        a.s2[t.node] = Scalar(t.variance);
        break;
      case InterventionKind::Shift:
        a.mu[t.node] += Scalar(t.shift);
        break;
      case InterventionKind::Scaling:
        a.weight_scale[t.node] *= Scalar(t.weight_scale);
        a.s2[t.node] *= Scalar(t.noise_scale * t.noise_scale);
        break;
      }
    }
    return a;
  }

  // Y with Y (I - B diag(scale)) = E, i.e. Y_j = E_j + scale_j sum over parents i of B_ij Y_i,
  // column by column in topological order: O(rows x arcs), each step a vectorized column update.
  Matrix propagate(Matrix Y, const Vector& scale) const {
    for (int j : m_order) {
      if (scale[j] == Scalar(0)) continue;
      for (int i : m_g.parents(j))
        if (m_B(i, j) != Scalar(0)) Y.col(j) += (scale[j] * m_B(i, j)) * Y.col(i);
    }
    return Y;
  }

  Dag m_g;
  Matrix m_B;
  Vector m_mu, m_s2;
  std::vector<int> m_order;
};

} // namespace cimpute
