/// @file nonlinear_sem.hpp
/// @brief `NonlinearSem`: an additive-noise structural equation model with a mechanism policy
/// (random small MLPs as in the reference generator, linear weights, or any user functor),
/// Gaussian or Laplace noise, and the same interventions as `LinearGaussianSem`.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/sem/intervention.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

namespace cimpute {

/// Distribution of the additive noise of a `NonlinearSem`.
enum class NoiseKind {
  Gaussian, ///< N(mean, sd^2)
  Laplace   ///< Laplace with the given mean and standard deviation (scale sd / sqrt 2)
};

/// Linear mechanism \f$ f_j(x_{pa(j)}) = \sum_i B_{ij} x_i \f$: with Gaussian noise a
/// `NonlinearSem` with this mechanism is the `LinearGaussianSem` with the same weights.
template <class Scalar_ = double>
class LinearMechanism {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

  /// Weights `B` (p x p, B(i, j) the weight of i -> j) on `g`.
  LinearMechanism(const Dag& g, Matrix B) : m_w(static_cast<std::size_t>(g.num_nodes())) {
    if (B.rows() != g.num_nodes() || B.cols() != g.num_nodes())
      detail::throw_invalid("LinearMechanism", "weights are ", B.rows(), " x ", B.cols(), " for ",
                            g.num_nodes(), " nodes");
    for (int j = 0; j < g.num_nodes(); ++j) {
      const auto& pa = g.parents(j);
      Vector& w = m_w[std::size_t(j)];
      w.resize(Eigen::Index(pa.size()));
      for (std::size_t k = 0; k < pa.size(); ++k) w[Eigen::Index(k)] = B(pa[k], j);
    }
  }
  /// \f$ f_j \f$ on the rows of `parents` (n x |pa(j)|, in the order of `Dag::parents(j)`).
  Vector operator()(int node, const Matrix& parents) const {
    return parents * m_w[std::size_t(node)];
  }

private:
  std::vector<Vector> m_w;
};

/// The reference generator's mechanism: per node with parents, a small fully connected network
/// |pa| -> h -> h -> 1 (three weight layers with biases, leaky ReLU with negative slope 0.01
/// after the two hidden layers). Weights are He-initialised (N(0, 2 / fan_in); the output layer
/// N(0, 1 / h)), biases N(0, 0.1^2). Root nodes get f = 0. Deterministic for a given seed.
template <class Scalar_ = double>
class RandomMlpMechanism {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  /// Random networks for every node of `g` with `hidden` units per hidden layer.
  RandomMlpMechanism(const Dag& g, std::uint64_t seed, int hidden = 10,
                     Scalar negative_slope = Scalar(0.01))
      : m_nets(static_cast<std::size_t>(g.num_nodes())), m_slope(negative_slope) {
    if (hidden < 1)
      detail::throw_invalid("RandomMlpMechanism", "hidden must be >= 1, got ", hidden);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n01(0, 1);
    auto gaussian = [&](Eigen::Index r, Eigen::Index c, double sd) {
      Matrix m(r, c);
      for (Eigen::Index j = 0; j < c; ++j)
        for (Eigen::Index i = 0; i < r; ++i) m(i, j) = Scalar(sd * n01(rng));
      return m;
    };
    for (int j = 0; j < g.num_nodes(); ++j) {
      const auto k = Eigen::Index(g.parents(j).size());
      if (k == 0) continue;
      Net& net = m_nets[std::size_t(j)];
      net.W1 = gaussian(k, hidden, std::sqrt(2.0 / double(k)));
      net.b1 = gaussian(1, hidden, 0.1);
      net.W2 = gaussian(hidden, hidden, std::sqrt(2.0 / hidden));
      net.b2 = gaussian(1, hidden, 0.1);
      net.w3 = gaussian(hidden, 1, std::sqrt(1.0 / hidden));
      net.b3 = gaussian(1, 1, 0.1)(0, 0);
    }
  }

  /// \f$ f_j \f$ on the rows of `parents` (n x |pa(j)|): three batched GEMMs.
  Vector operator()(int node, const Matrix& parents) const {
    const Net& net = m_nets[std::size_t(node)];
    if (net.W1.size() == 0) return Vector::Zero(parents.rows());
    if (parents.cols() != net.W1.rows())
      detail::throw_invalid("RandomMlpMechanism", "node ", node, " has ", net.W1.rows(),
                            " parents, got ", parents.cols(), " columns");
    Matrix h = parents * net.W1;
    h.rowwise() += net.b1;
    leaky_relu(h);
    Matrix h2 = h * net.W2;
    h2.rowwise() += net.b2;
    leaky_relu(h2);
    return (h2 * net.w3).array() + net.b3;
  }

private:
  struct Net {
    Matrix W1, W2;
    RowVector b1, b2;
    Vector w3;
    Scalar b3 = 0;
  };
  void leaky_relu(Matrix& h) const { h = h.cwiseMax(m_slope * h); }

  std::vector<Net> m_nets;
  Scalar m_slope;
};

/// Additive-noise SEM \f$ X_j = f_j(X_{pa(j)}) + \varepsilon_j \f$ on a DAG with independent
/// Gaussian or Laplace noises of given means and standard deviations.
///
/// `Mechanism` is any type with `Vector operator()(int node, const Matrix& parents) const`
/// returning \f$ f_j \f$ on each row of `parents` (n x |pa(j)|, columns in the order of
/// `Dag::parents(j)`; 0 columns for a root) — `RandomMlpMechanism`, `LinearMechanism`, or a
/// lambda. Interventions as in `LinearGaussianSem`: perfect sets \f$ X_t \sim N(m, v) \f$
/// (Gaussian whatever the noise kind); shift adds to the noise mean; scaling multiplies
/// \f$ f_t \f$ by `weight_scale` and the noise sd by `noise_scale`.
template <class Scalar_ = double, class Mechanism = RandomMlpMechanism<Scalar_>>
class NonlinearSem {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  static_assert(
      std::is_convertible_v<
          decltype(std::declval<const Mechanism&>()(0, std::declval<const Matrix&>())), Vector>,
      "NonlinearSem: Mechanism must provide `Vector operator()(int node, const Matrix& "
      "parents) const` returning one value per row of `parents`");

  /// The SEM on `g` with mechanism `f`, noise kind, and noise means and standard deviations
  /// (empty: zeros and ones).
  NonlinearSem(Dag g, Mechanism f, NoiseKind noise = NoiseKind::Gaussian,
               Vector noise_means = Vector(), Vector noise_sd = Vector())
      : m_g(std::move(g)), m_f(std::move(f)), m_noise(noise), m_mu(std::move(noise_means)),
        m_sd(std::move(noise_sd)) {
    const char* fn = "NonlinearSem";
    const Eigen::Index p = m_g.num_nodes();
    if (m_mu.size() == 0) m_mu = Vector::Zero(p);
    if (m_sd.size() == 0) m_sd = Vector::Ones(p);
    if (m_mu.size() != p || m_sd.size() != p)
      detail::throw_invalid(fn, "noise means and sds must have ", p, " entries, got ", m_mu.size(),
                            " and ", m_sd.size());
    if (!m_mu.allFinite() || !m_sd.allFinite() || (m_sd.array() < 0).any())
      detail::throw_invalid(fn, "non-finite noise parameters or negative noise sd");
    m_order = m_g.topological_order();
  }

  const Dag& graph() const noexcept { return m_g; }
  const Mechanism& mechanism() const noexcept { return m_f; }
  NoiseKind noise_kind() const noexcept { return m_noise; }
  const Vector& noise_means() const noexcept { return m_mu; }
  const Vector& noise_sds() const noexcept { return m_sd; }
  int num_nodes() const noexcept { return m_g.num_nodes(); }

  /// n samples (rows) under the intervention, seeded. The noise of all nodes is drawn first
  /// (column by column), then every node is computed for all samples at once in topological
  /// order: one batched mechanism call per node.
  Matrix sample(Eigen::Index n, std::uint64_t seed, const Intervention& iv = {}) const {
    const char* fn = "NonlinearSem::sample";
    if (n < 0) detail::throw_invalid(fn, "negative sample count ", n);
    const int p = num_nodes();
    // Per-node effect of the intervention.
    std::vector<const NodeIntervention*> perfect(static_cast<std::size_t>(p), nullptr);
    Vector mu = m_mu, sd = m_sd, fscale = Vector::Ones(p);
    const std::vector<NodeIntervention> all = iv.all();
    for (const auto& t : all) {
      t.validate();
      if (t.node >= p) detail::throw_invalid(fn, "target ", t.node, " outside [0, ", p, ")");
      switch (t.kind) {
      case InterventionKind::Perfect:
        perfect[std::size_t(t.node)] = &t; // the last perfect intervention on a node wins
        break;
      case InterventionKind::Shift:
        mu[t.node] += Scalar(t.shift);
        break;
      case InterventionKind::Scaling:
        fscale[t.node] *= Scalar(t.weight_scale);
        sd[t.node] *= Scalar(t.noise_scale);
        break;
      }
    }

    std::mt19937_64 rng(seed);
    Matrix X(n, p);
    if (m_noise == NoiseKind::Gaussian) {
      std::normal_distribution<double> n01(0, 1);
      for (int j = 0; j < p; ++j)
        for (Eigen::Index i = 0; i < n; ++i) X(i, j) = mu[j] + sd[j] * Scalar(n01(rng));
    } else {
      // Laplace(0, b) with b = 1 / sqrt 2 has variance 1: the difference of two exponentials.
      std::exponential_distribution<double> e1(1.0);
      const double b = 1.0 / std::sqrt(2.0);
      for (int j = 0; j < p; ++j)
        for (Eigen::Index i = 0; i < n; ++i) {
          const double a = e1(rng); // two statements: a fixed draw order
          X(i, j) = mu[j] + sd[j] * Scalar(b * (a - e1(rng)));
        }
    }
    std::normal_distribution<double> n01(0, 1);
    for (int j = 0; j < p; ++j)
      if (const NodeIntervention* t = perfect[std::size_t(j)])
        for (Eigen::Index i = 0; i < n; ++i)
          X(i, j) = Scalar(t->mean + std::sqrt(t->variance) * n01(rng));

    for (int j : m_order) {
      if (perfect[std::size_t(j)]) continue;
      // Roots too go through the mechanism (with no columns: a user functor may add a constant).
      const auto& pa = m_g.parents(j);
      Matrix P(n, Eigen::Index(pa.size()));
      for (std::size_t k = 0; k < pa.size(); ++k) P.col(Eigen::Index(k)) = X.col(pa[k]);
      const Vector f = m_f(j, P);
      if (f.size() != n)
        detail::throw_invalid(fn, "the mechanism of node ", j, " returned ", f.size(),
                              " values for ", n, " samples");
      X.col(j) += fscale[j] * f;
    }
    return X;
  }

private:
  Dag m_g;
  Mechanism m_f;
  NoiseKind m_noise;
  Vector m_mu, m_sd;
  std::vector<int> m_order;
};

} // namespace cimpute
