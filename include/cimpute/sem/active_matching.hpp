/// @file active_matching.hpp
/// @brief Active matching of a desired mean by shift interventions when the SEM's weights are
/// uncertain: a Gaussian posterior over each node's (weights, noise mean) given a DAG, the shift
/// it recommends, the next intervention to run (the one whose outcome most reduces the posterior
/// spread of the recommended shift), and a simulation loop against a true SEM.
#pragma once

#include "cimpute/core/boost_math.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/sem/intervention.hpp"
#include "cimpute/sem/linear_gaussian_sem.hpp"
#include "cimpute/sem/shift_design.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace cimpute {

/// How `ShiftMatchingPosterior::choose` picks the next shift intervention.
enum class ShiftAcquisition {
  /// Among the recommended shift and every single-node shift (both signs, the largest
  /// magnitude of the exact shift), the one whose expected outcome leaves the smallest posterior
  /// spread of the exact shift (sum over nodes of its posterior variance).
  Active,
  PointEstimate, ///< always the recommended shift (the current point estimate's answer)
  Random         ///< a random single node, random sign, the exact shift's largest magnitude
};

/// The acquisition called `name`: active, point-estimate or random.
inline ShiftAcquisition parse_shift_acquisition(const std::string& name) {
  if (name == "active") return ShiftAcquisition::Active;
  if (name == "point-estimate") return ShiftAcquisition::PointEstimate;
  if (name == "random") return ShiftAcquisition::Random;
  detail::throw_invalid("parse_shift_acquisition", "unknown acquisition '", name,
                        "' (known: active, point-estimate, random)");
}

/// The posterior of a linear SEM on a known DAG for matching a desired mean mu*. Node i's
/// parameters theta_i = (weights from its parents, noise mean) have the prior
/// N(0, I / prior_precision) and the Gaussian posterior of Bayesian linear regression of
/// X_i - a_i on (X_pa(i), 1) over every sample seen (a shift a leaves the regression intact:
/// it only moves the noise mean by the known a_i), with the noise variance estimated from the
/// residuals (1 before there are more samples than parameters). The exact shift of the
/// posterior-mean SEM is a_i = mu*_i - theta_i' z_i with z_i = (mu*_pa(i), 1), so its posterior
/// variance is z_i' Lambda_i^-1 z_i per node (Lambda_i: the posterior precision); the
/// recommended shift keeps its credible targets (|a_i| > z sd_i, z by default the two-sided
/// Bonferroni threshold at 5% over the nodes) and refits the shift on them.
class ShiftMatchingPosterior {
public:
  /// Throws for a desired mean of the wrong size or non-finite, or a prior precision <= 0.
  ShiftMatchingPosterior(Dag graph, Eigen::VectorXd desired, double prior_precision = 1.0)
      : m_g(std::move(graph)), m_desired(std::move(desired)), m_lambda(prior_precision) {
    const char* fn = "ShiftMatchingPosterior";
    const int p = m_g.num_nodes();
    if (m_desired.size() != p)
      detail::throw_invalid(fn, "the desired mean has ", m_desired.size(), " entries, the graph ",
                            p, " nodes");
    if (!m_desired.allFinite()) detail::throw_invalid(fn, "the desired mean is not finite");
    if (!(prior_precision > 0) || !std::isfinite(prior_precision))
      detail::throw_invalid(fn, "the prior precision must be finite and > 0, got ",
                            prior_precision);
    m_nodes.resize(std::size_t(p));
    for (int i = 0; i < p; ++i) {
      Node& n = m_nodes[std::size_t(i)];
      n.parents = m_g.parents(i);
      const Eigen::Index d = Eigen::Index(n.parents.size()) + 1;
      n.Sxx = Eigen::MatrixXd::Zero(d, d);
      n.Sxy = Eigen::VectorXd::Zero(d);
      n.z.resize(d);
      for (Eigen::Index k = 0; k + 1 < d; ++k) n.z(k) = m_desired(n.parents[std::size_t(k)]);
      n.z(d - 1) = 1;
    }
    refresh();
  }

  int num_nodes() const noexcept { return m_g.num_nodes(); }
  const Dag& graph() const noexcept { return m_g; }
  const Eigen::VectorXd& desired() const noexcept { return m_desired; }

  /// Samples `X` (n x p) drawn under the shift `shift` (p; zero: observational).
  void observe(const Eigen::VectorXd& shift, const Eigen::MatrixXd& X) {
    const char* fn = "ShiftMatchingPosterior::observe";
    check_shift(fn, shift);
    if (X.cols() != num_nodes())
      detail::throw_invalid(fn, "samples have ", X.cols(), " columns, the graph ", num_nodes(),
                            " nodes");
    if (!X.allFinite()) detail::throw_invalid(fn, "a sample is not finite");
    for (int i = 0; i < num_nodes(); ++i) {
      Node& n = m_nodes[std::size_t(i)];
      const Eigen::Index d = n.Sxx.rows();
      Eigen::MatrixXd Z(X.rows(), d);
      for (Eigen::Index k = 0; k + 1 < d; ++k) Z.col(k) = X.col(n.parents[std::size_t(k)]);
      Z.col(d - 1).setOnes();
      const Eigen::VectorXd y = X.col(i).array() - shift(i);
      n.Sxx.noalias() += Z.transpose() * Z;
      n.Sxy.noalias() += Z.transpose() * y;
      n.Syy += y.squaredNorm();
      n.n += double(X.rows());
    }
    refresh();
  }

  /// The population version of `observe` (an oracle): the expected sufficient statistics of n
  /// samples with mean `mean` and covariance `cov` drawn under `shift`.
  void observe_expected(const Eigen::VectorXd& shift, const Eigen::VectorXd& mean,
                        const Eigen::MatrixXd& cov, double n) {
    const char* fn = "ShiftMatchingPosterior::observe_expected";
    check_shift(fn, shift);
    if (mean.size() != num_nodes() || cov.rows() != num_nodes() || cov.cols() != num_nodes())
      detail::throw_invalid(fn, "mean and covariance must be sized for the ", num_nodes(),
                            " nodes");
    if (!(n > 0)) detail::throw_invalid(fn, "n must be > 0, got ", n);
    for (int i = 0; i < num_nodes(); ++i) {
      Node& nd = m_nodes[std::size_t(i)];
      const Eigen::Index d = nd.Sxx.rows();
      Eigen::MatrixXd M(d, d);
      Eigen::VectorXd c(d);
      const double my = mean(i) - shift(i);
      for (Eigen::Index k = 0; k < d; ++k) {
        const bool ik = k + 1 < d;
        const int pk = ik ? nd.parents[std::size_t(k)] : -1;
        const double mk = ik ? mean(pk) : 1.0;
        c(k) = (ik ? cov(pk, i) : 0.0) + mk * my;
        for (Eigen::Index l = 0; l < d; ++l) {
          const bool il = l + 1 < d;
          const int pl = il ? nd.parents[std::size_t(l)] : -1;
          M(k, l) = (ik && il ? cov(pk, pl) : 0.0) + mk * (il ? mean(pl) : 1.0);
        }
      }
      nd.Sxx += n * M;
      nd.Sxy += n * c;
      nd.Syy += n * (cov(i, i) + my * my);
      nd.n += n;
    }
    refresh();
  }

  /// The SEM at the posterior mean (weights, noise means, estimated noise variances).
  LinearGaussianSem<double> mean_sem() const {
    const int p = num_nodes();
    Eigen::MatrixXd B = Eigen::MatrixXd::Zero(p, p);
    Eigen::VectorXd mu(p), s2(p);
    for (int i = 0; i < p; ++i) {
      const Node& n = m_nodes[std::size_t(i)];
      for (std::size_t k = 0; k < n.parents.size(); ++k)
        B(n.parents[k], i) = n.theta(Eigen::Index(k));
      mu(i) = n.theta(n.theta.size() - 1);
      s2(i) = n.sigma2;
    }
    return LinearGaussianSem<double>(m_g, std::move(B), std::move(mu), std::move(s2));
  }

  /// The exact shift of the posterior-mean SEM (`exact_shift`): every node it needs, however
  /// uncertain.
  ShiftDesign recommend() const { return exact_shift(mean_sem(), m_desired); }

  /// The recommendation: the shift on the credible targets only (`credible_targets`), least
  /// squares on the posterior-mean SEM (`shift_on`); the uncertain small entries of the exact
  /// shift would move the mean by their estimation noise.
  ShiftDesign recommend_sparse(double credible = 0) const {
    return shift_on(mean_sem(), m_desired, credible_targets(credible));
  }

  /// The posterior standard deviation of each node's recommended shift.
  Eigen::VectorXd shift_sd() const {
    Eigen::VectorXd sd(num_nodes());
    for (int i = 0; i < num_nodes(); ++i) {
      const Node& n = m_nodes[std::size_t(i)];
      sd(i) = std::sqrt(std::max(0.0, n.z.dot(n.chol.solve(n.z))));
    }
    return sd;
  }

  /// The posterior spread of the recommended shift: the sum of its per-node variances.
  double spread() const { return shift_sd().squaredNorm(); }

  /// The nodes whose exact shift is credibly non-zero: |a_i| > z sd_i with z = `credible`, or
  /// for 0 the two-sided Bonferroni threshold at 5% over the p nodes, the normal quantile
  /// 1 - 0.025 / p (3.02 for p = 20, 3.29 for p = 50).
  std::vector<int> credible_targets(double credible = 0) const {
    if (!(credible >= 0))
      detail::throw_invalid("ShiftMatchingPosterior::credible_targets",
                            "credible must be >= 0, got ", credible);
    const double z = credible > 0 ? credible
                                  : boost::math::quantile(boost::math::normal(),
                                                          1 - 0.025 / double(num_nodes()));
    const Eigen::VectorXd a = recommend().shift, sd = shift_sd();
    std::vector<int> t;
    for (int i = 0; i < num_nodes(); ++i)
      if (std::abs(a(i)) > z * sd(i)) t.push_back(i);
    return t;
  }

  /// The posterior spread expected after n more samples under `shift`: each node's precision
  /// gains n E[x x'] / sigma_i^2 with x = (X_pa(i), 1) under the posterior-mean SEM shifted by
  /// `shift` (a shift moves the parents' means, not their covariance).
  double expected_spread(const Eigen::VectorXd& shift, double n) const {
    check_shift("ShiftMatchingPosterior::expected_spread", shift);
    const LinearGaussianSem<double> sem = mean_sem();
    return expected_spread(sem.mean(as_intervention(shift)), sem.covariance(), n);
  }

  /// The next shift to run under `acquisition` (n samples each), drawing from `rng` for Random.
  Eigen::VectorXd choose(ShiftAcquisition acquisition, double n, std::mt19937_64& rng,
                         double credible = 0) const {
    const Eigen::VectorXd a = recommend_sparse(credible).shift;
    if (acquisition == ShiftAcquisition::PointEstimate) return a;
    const int p = num_nodes();
    const double size = std::max(recommend().shift.lpNorm<Eigen::Infinity>(), 1e-3);
    if (acquisition == ShiftAcquisition::Random) {
      std::uniform_int_distribution<int> node(0, p - 1);
      std::bernoulli_distribution sign(0.5);
      Eigen::VectorXd s = Eigen::VectorXd::Zero(p);
      const int j = node(rng);
      s(j) = sign(rng) ? size : -size;
      return s;
    }
    // The posterior-mean SEM's covariance (the same under every shift) and its means: the
    // observational one plus the total effects of the shift.
    const LinearGaussianSem<double> sem = mean_sem();
    const Eigen::MatrixXd C = sem.covariance(), A = detail::total_effects(sem);
    const Eigen::VectorXd m0 = sem.mean();
    Eigen::VectorXd best = a;
    double best_spread = expected_spread(m0 + A * a, C, n);
    for (int j = 0; j < p; ++j)
      for (double sign : {1.0, -1.0}) {
        const double v = expected_spread(m0 + sign * size * A.col(j), C, n);
        if (v < best_spread) {
          best_spread = v;
          best = Eigen::VectorXd::Zero(p);
          best(j) = sign * size;
        }
      }
    return best;
  }

  /// A shift vector as an `Intervention` (its non-zero entries).
  static Intervention as_intervention(const Eigen::VectorXd& shift) {
    Intervention iv;
    for (Eigen::Index j = 0; j < shift.size(); ++j)
      if (shift(j) != 0)
        iv.targets.push_back({int(j), InterventionKind::Shift, 0, 0, shift(j), 1, 1});
    return iv;
  }

private:
  // The spread after n samples whose (X_pa, 1) moments come from mean m and covariance C.
  double expected_spread(const Eigen::VectorXd& m, const Eigen::MatrixXd& C, double n) const {
    double total = 0;
    for (int i = 0; i < num_nodes(); ++i) {
      const Node& nd = m_nodes[std::size_t(i)];
      const Eigen::Index d = nd.Sxx.rows();
      Eigen::MatrixXd M(d, d);
      for (Eigen::Index k = 0; k < d; ++k)
        for (Eigen::Index l = 0; l < d; ++l) {
          const bool ik = k + 1 < d, il = l + 1 < d;
          const int pk = ik ? nd.parents[std::size_t(k)] : 0,
                    pl = il ? nd.parents[std::size_t(l)] : 0;
          M(k, l) = (ik && il ? C(pk, pl) : 0.0) + (ik ? m(pk) : 1.0) * (il ? m(pl) : 1.0);
        }
      const Eigen::MatrixXd P = precision(nd) + (n / nd.sigma2) * M;
      total += nd.z.dot(P.llt().solve(nd.z));
    }
    return total;
  }
  struct Node {
    std::vector<int> parents;
    Eigen::MatrixXd Sxx;
    Eigen::VectorXd Sxy, z, theta;
    double Syy = 0, n = 0, sigma2 = 1;
    Eigen::LLT<Eigen::MatrixXd> chol;
  };
  Eigen::MatrixXd precision(const Node& n) const {
    Eigen::MatrixXd P = n.Sxx / n.sigma2;
    P.diagonal().array() += m_lambda;
    return P;
  }
  void check_shift(const char* fn, const Eigen::VectorXd& shift) const {
    if (shift.size() != num_nodes())
      detail::throw_invalid(fn, "a shift of ", shift.size(), " entries for ", num_nodes(),
                            " nodes");
    if (!shift.allFinite()) detail::throw_invalid(fn, "the shift is not finite");
  }
  // Noise variances from the residuals of the regularised least squares, then the posteriors.
  void refresh() {
    for (Node& n : m_nodes) {
      const Eigen::Index d = n.Sxx.rows();
      if (n.n > double(d)) {
        Eigen::MatrixXd A = n.Sxx;
        A.diagonal().array() += 1e-12 * std::max(1.0, A.diagonal().maxCoeff());
        const Eigen::VectorXd t = A.llt().solve(n.Sxy);
        const double rss = n.Syy - 2 * t.dot(n.Sxy) + t.dot(n.Sxx * t);
        n.sigma2 = std::max(rss / (n.n - double(d)), 1e-12 * std::max(1.0, n.Syy / n.n));
      }
      n.chol.compute(precision(n));
      n.theta = n.chol.solve(n.Sxy / n.sigma2);
    }
  }

  Dag m_g;
  Eigen::VectorXd m_desired;
  double m_lambda;
  std::vector<Node> m_nodes;
};

/// Options of `simulate_shift_matching`.
struct ShiftMatchingOptions {
  ShiftAcquisition acquisition = ShiftAcquisition::Active;
  int rounds = 50;
  Eigen::Index samples_per_round = 1;
  Eigen::Index observational = 0; ///< observational samples before the first round
  double prior_precision = 1.0;
  /// Oracle: each round adds the expected sufficient statistics of its samples (no noise).
  bool population = false;
  double tolerance = 0.05; ///< relative distance counted as reaching the desired mean
  double credible = 0;     ///< see `ShiftMatchingPosterior::credible_targets` (0: Bonferroni)
  std::uint64_t seed = 1;
};

/// One round of `simulate_shift_matching`: the shift run, then (after its samples) the
/// recommended shift's relative distance under the true SEM, its credible targets, and the
/// posterior spread.
struct ShiftMatchingRound {
  Eigen::VectorXd intervention;
  double relative_distance = 0;
  std::vector<int> targets;
  double spread = 0;
};

/// The curve of `simulate_shift_matching` and the first rounds (1-based; -1: never) at which
/// the recommended shift took the true mean within the tolerance and its credible targets
/// equalled `planted`.
struct ShiftMatchingRun {
  std::vector<ShiftMatchingRound> rounds;
  double initial_relative_distance = 0; ///< before the first round
  int rounds_to_tolerance = -1;
  int rounds_to_targets = -1;
  ShiftDesign recommended; ///< after the last round, on the posterior-mean SEM
};

/// Runs the active matching loop against the true SEM `truth` (which draws the samples, seeded)
/// on the learner's DAG `graph` (e.g. the true one, or one learned from data) for the desired
/// mean `desired`; `planted`: the targets of the shift that defines it, when known (ascending).
/// The relative distance is |E_truth[X | recommended shift] - mu*| / |E_truth[X] - mu*|.
inline ShiftMatchingRun simulate_shift_matching(const LinearGaussianSem<double>& truth,
                                                const Dag& graph, const Eigen::VectorXd& desired,
                                                const ShiftMatchingOptions& options = {},
                                                const std::vector<int>& planted = {}) {
  const char* fn = "simulate_shift_matching";
  if (graph.num_nodes() != truth.num_nodes())
    detail::throw_invalid(fn, "the graph has ", graph.num_nodes(), " nodes, the SEM ",
                          truth.num_nodes());
  if (options.rounds < 0 || options.samples_per_round < 1 || options.observational < 0)
    detail::throw_invalid(fn,
                          "rounds >= 0, samples_per_round >= 1 and observational >= 0 "
                          "needed, got ",
                          options.rounds, ", ", options.samples_per_round, ", ",
                          options.observational);
  ShiftMatchingPosterior post(graph, desired, options.prior_precision);
  std::mt19937_64 rng(options.seed);
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(truth.num_nodes());
  const Eigen::MatrixXd cov = truth.covariance(); // shifts leave it unchanged
  auto run = [&](const Eigen::VectorXd& a, Eigen::Index n) {
    if (n == 0) return;
    const Intervention iv = ShiftMatchingPosterior::as_intervention(a);
    if (options.population)
      post.observe_expected(a, truth.mean(iv), cov, double(n));
    else
      post.observe(a, truth.sample(n, rng(), iv));
  };
  const double far = (truth.mean() - desired).norm();
  auto relative = [&](const Eigen::VectorXd& a) {
    const double d = (truth.mean(ShiftMatchingPosterior::as_intervention(a)) - desired).norm();
    return far > 0 ? d / far : d;
  };
  run(zero, options.observational);
  ShiftMatchingRun out;
  out.initial_relative_distance = relative(post.recommend_sparse(options.credible).shift);
  for (int r = 1; r <= options.rounds; ++r) {
    ShiftMatchingRound round;
    round.intervention =
        post.choose(options.acquisition, double(options.samples_per_round), rng, options.credible);
    run(round.intervention, options.samples_per_round);
    const ShiftDesign rec = post.recommend_sparse(options.credible);
    round.relative_distance = relative(rec.shift);
    round.targets = rec.targets;
    round.spread = post.spread();
    if (out.rounds_to_tolerance < 0 && round.relative_distance <= options.tolerance)
      out.rounds_to_tolerance = r;
    if (out.rounds_to_targets < 0 && !planted.empty() && round.targets == planted)
      out.rounds_to_targets = r;
    out.rounds.push_back(std::move(round));
  }
  out.recommended = post.recommend_sparse(options.credible);
  return out;
}

} // namespace cimpute
