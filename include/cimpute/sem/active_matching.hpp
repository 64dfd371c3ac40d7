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
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <utility>
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

class ShiftMatchingEnsemble;

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

  /// The log marginal likelihood of every sample seen given the DAG: the sum over nodes of the
  /// Bayesian linear regression evidence log N(y; 0, sigma_i^2 I + Z Z' / prior_precision) of
  /// X_i - a_i on (X_pa(i), 1), with the noise variance sigma_i^2 estimated from the residuals
  /// (a plug-in). 0 before any sample. Not score-equivalent: the prior favours the member of a
  /// Markov equivalence class whose weights look like draws from it, on observational samples
  /// alone; `bic` is what compares DAGs.
  double log_evidence() const {
    constexpr double log_2pi = 1.8378770664093453;
    double total = 0;
    for (const Node& n : m_nodes) {
      const Eigen::Index d = n.Sxx.rows();
      const Eigen::VectorXd b = n.Sxy / n.sigma2;
      const double log_det = 2 * n.chol.matrixLLT().diagonal().array().log().sum();
      total += -0.5 * n.n * (log_2pi + std::log(n.sigma2)) + 0.5 * double(d) * std::log(m_lambda) -
               0.5 * log_det - 0.5 * (n.Syy / n.sigma2 - b.dot(n.theta));
    }
    return total;
  }

  /// The Bayesian information criterion of every sample seen given the DAG: the sum over nodes
  /// of the maximised log-likelihood of the regression of X_i - a_i on (X_pa(i), 1) (noise
  /// variance RSS_i / n) minus (d_i / 2) log n for its d_i = |pa(i)| + 2 parameters (weights,
  /// noise mean and variance). Markov-equivalent DAGs fit observational samples equally well
  /// with as many parameters, so they score the same (score equivalence); shifted samples tell
  /// them apart. NaN while a node has no more samples than its regression has coefficients.
  /// The weights of `ShiftMatchingEnsemble`.
  double bic() const {
    constexpr double log_2pi = 1.8378770664093453;
    double total = 0;
    for (const Node& n : m_nodes) {
      const double d = double(n.Sxx.rows());
      if (!(n.n > d)) return std::numeric_limits<double>::quiet_NaN();
      const double s2 = std::max(n.rss / n.n, std::numeric_limits<double>::min());
      total += -0.5 * n.n * (log_2pi + std::log(s2) + 1) - 0.5 * (d + 1) * std::log(n.n);
    }
    return total;
  }

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
  friend class ShiftMatchingEnsemble;
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
    double Syy = 0, n = 0, sigma2 = 1, rss = 0; // rss: of the least-squares fit
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
        n.rss = std::max(0.0, n.Syy - 2 * t.dot(n.Sxy) + t.dot(n.Sxx * t));
        n.sigma2 = std::max(n.rss / (n.n - double(d)), 1e-12 * std::max(1.0, n.Syy / n.n));
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

/// A posterior over DAGs for active matching when the graph itself is uncertain (Zhang, Squires
/// & Uhler 2021): candidate DAGs (e.g. members of a learned Markov equivalence class,
/// `sample_class_members`, or bootstrap DAGs), each with its `ShiftMatchingPosterior` over
/// weights given every sample seen, weighted by a uniform prior times exp(BIC) of those samples
/// (`ShiftMatchingPosterior::bic`, the large-sample marginal likelihood; uniform until every
/// candidate's regressions have more samples than coefficients). Observational samples cannot
/// tell the members of a class apart (they score the same); shifts can, since a shift moves the
/// means of its node's descendants, which differ between members. The recommendation is the most
/// probable DAG's (MAP). The active choice is the shift whose outcome most reduces the posterior
/// spread of the exact shift over DAGs and weights (`expected_spread`), among every DAG's
/// recommended shift and every single-node shift: it tells apart the DAGs whose shifts differ,
/// not those that would match the desired mean alike. Once one DAG holds `concentrated` of the
/// weight, the MAP DAG's own active choice.
class ShiftMatchingEnsemble {
public:
  /// Throws for no candidate, candidates of different sizes, or a `concentrated` outside (0, 1];
  /// the desired mean and the prior precision as in `ShiftMatchingPosterior`.
  ShiftMatchingEnsemble(const std::vector<Dag>& candidates, const Eigen::VectorXd& desired,
                        double prior_precision = 1.0, double concentrated = 0.95)
      : m_concentrated(concentrated) {
    const char* fn = "ShiftMatchingEnsemble";
    if (candidates.empty()) detail::throw_invalid(fn, "no candidate DAG");
    if (!(concentrated > 0 && concentrated <= 1))
      detail::throw_invalid(fn, "concentrated must be in (0, 1], got ", concentrated);
    for (const Dag& g : candidates) {
      if (g.num_nodes() != candidates.front().num_nodes())
        detail::throw_invalid(fn, "candidate DAGs of ", candidates.front().num_nodes(), " and ",
                              g.num_nodes(), " nodes");
      m_members.emplace_back(g, desired, prior_precision);
    }
    refresh();
  }

  int num_candidates() const noexcept { return int(m_members.size()); }
  int num_nodes() const noexcept { return m_members.front().num_nodes(); }
  const ShiftMatchingPosterior& member(int k) const { return m_members.at(std::size_t(k)); }
  /// The candidates' posterior probabilities.
  const Eigen::VectorXd& weights() const noexcept { return m_w; }
  /// The most probable candidate (the first among equals).
  int map_index() const noexcept {
    Eigen::Index k = 0;
    m_w.maxCoeff(&k);
    return int(k);
  }
  const ShiftMatchingPosterior& map() const { return member(map_index()); }

  /// As `ShiftMatchingPosterior::observe`, for every candidate; then the weights.
  void observe(const Eigen::VectorXd& shift, const Eigen::MatrixXd& X) {
    for (auto& m : m_members) m.observe(shift, X);
    refresh();
  }
  /// As `ShiftMatchingPosterior::observe_expected`, for every candidate; then the weights.
  void observe_expected(const Eigen::VectorXd& shift, const Eigen::VectorXd& mean,
                        const Eigen::MatrixXd& cov, double n) {
    for (auto& m : m_members) m.observe_expected(shift, mean, cov, n);
    refresh();
  }

  /// The MAP DAG's recommendation (`ShiftMatchingPosterior::recommend_sparse`).
  ShiftDesign recommend_sparse(double credible = 0) const {
    return map().recommend_sparse(credible);
  }

  /// The posterior spread of the exact shift over DAGs and weights (the law of total
  /// variance): sum_k w_k (spread_k + |a_k - a_bar|^2), a_k the exact shift of candidate k.
  double spread() const {
    Eigen::VectorXd within(num_candidates());
    for (int k = 0; k < num_candidates(); ++k) within(k) = member(k).spread();
    return mixture_spread(exact_shifts(), m_w, within);
  }

  /// How well n samples under `shift` tell the candidates apart: (n / 2) sum_k w_k
  /// (m_k - m_bar)' S^-1 (m_k - m_bar), m_k the mean candidate k's posterior-mean SEM predicts
  /// under the shift, m_bar their weighted mean, S the weighted mean of their covariances
  /// (the expected log-likelihood ratio of each candidate's prediction against the weighted
  /// one; 0 when all predict the same mean).
  double discrimination(const Eigen::VectorXd& shift, double n) const {
    if (shift.size() != num_nodes())
      detail::throw_invalid("ShiftMatchingEnsemble::discrimination", "a shift of ", shift.size(),
                            " entries for ", num_nodes(), " nodes");
    return discrimination(predictions(), shift, n);
  }

  /// The posterior spread of the exact shift (as `spread`) expected after n samples under
  /// `shift`: if candidate k is the truth (probability w_k), the samples' mean is its
  /// prediction and candidate j's weight becomes proportional to w_j exp(-n/2 (m_j - m_k)'
  /// S^-1 (m_j - m_k)) (the expected log-likelihood ratio; m and S as in `discrimination`), and
  /// each candidate's own spread is its `ShiftMatchingPosterior::expected_spread`; the spread
  /// is the within plus the between term under those weights, averaged over k.
  double expected_spread(const Eigen::VectorXd& shift, double n) const {
    if (shift.size() != num_nodes())
      detail::throw_invalid("ShiftMatchingEnsemble::expected_spread", "a shift of ", shift.size(),
                            " entries for ", num_nodes(), " nodes");
    return expected_spread(predictions(), exact_shifts(), shift, n);
  }

  /// The next shift to run: PointEstimate and Random as the MAP DAG's; Active as described in
  /// the class's documentation.
  Eigen::VectorXd choose(ShiftAcquisition acquisition, double n, std::mt19937_64& rng,
                         double credible = 0) const {
    const int map_k = map_index();
    if (acquisition != ShiftAcquisition::Active || m_w(map_k) >= m_concentrated ||
        num_candidates() == 1)
      return map().choose(acquisition, n, rng, credible);
    const Predictions pr = predictions();
    const Eigen::MatrixXd a = exact_shifts();
    const int p = num_nodes();
    const double size = std::max(1e-3, a.lpNorm<Eigen::Infinity>());
    Eigen::VectorXd best = map().recommend_sparse(credible).shift;
    double best_v = expected_spread(pr, a, best, n);
    auto consider = [&](const Eigen::VectorXd& s) {
      const double v = expected_spread(pr, a, s, n);
      if (v < best_v) {
        best_v = v;
        best = s;
      }
    };
    for (const auto& m : m_members) consider(m.recommend_sparse(credible).shift);
    for (int j = 0; j < p; ++j)
      for (double sign : {1.0, -1.0}) consider(Eigen::VectorXd::Unit(p, j) * (sign * size));
    return best;
  }

private:
  // Each candidate's posterior-mean SEM: observational mean, total effects, covariance; and the
  // Cholesky factor of the weighted mean covariance.
  struct Predictions {
    std::vector<Eigen::VectorXd> m0;
    std::vector<Eigen::MatrixXd> A, C;
    Eigen::LLT<Eigen::MatrixXd> S;
  };
  Predictions predictions() const {
    Predictions pr;
    Eigen::MatrixXd S = Eigen::MatrixXd::Zero(num_nodes(), num_nodes());
    for (int k = 0; k < num_candidates(); ++k) {
      const LinearGaussianSem<double> sem = member(k).mean_sem();
      pr.m0.push_back(sem.mean());
      pr.A.push_back(detail::total_effects(sem));
      pr.C.push_back(sem.covariance());
      S += m_w(k) * pr.C.back();
    }
    pr.S.compute(S);
    return pr;
  }
  // Every candidate's exact shift, one per column.
  Eigen::MatrixXd exact_shifts() const {
    Eigen::MatrixXd a(num_nodes(), num_candidates());
    for (int k = 0; k < num_candidates(); ++k) a.col(k) = member(k).recommend().shift;
    return a;
  }
  double expected_spread(const Predictions& pr, const Eigen::MatrixXd& a,
                         const Eigen::VectorXd& shift, double n) const {
    const int K = num_candidates();
    Eigen::MatrixXd m(num_nodes(), K);
    Eigen::VectorXd within(K);
    for (int k = 0; k < K; ++k) {
      m.col(k) = pr.m0[std::size_t(k)] + pr.A[std::size_t(k)] * shift;
      within(k) = m_w(k) > 0 ? member(k).expected_spread(m.col(k), pr.C[std::size_t(k)], n) : 0;
    }
    const Eigen::MatrixXd white = pr.S.matrixL().solve(m);
    double total = 0;
    for (int t = 0; t < K; ++t) {
      if (!(m_w(t) > 0)) continue;
      Eigen::VectorXd lw(K);
      for (int j = 0; j < K; ++j)
        lw(j) = m_w(j) > 0
                    ? std::log(m_w(j)) - 0.5 * n * (white.col(j) - white.col(t)).squaredNorm()
                    : -std::numeric_limits<double>::infinity();
      Eigen::VectorXd pi = (lw.array() - lw.maxCoeff()).exp().matrix();
      pi /= pi.sum();
      total += m_w(t) * mixture_spread(a, pi, within);
    }
    return total;
  }
  // The spread of the exact shift over candidates weighted by w (the law of total variance):
  // the weighted within spreads plus the weighted squared deviations of the shifts `a`.
  static double mixture_spread(const Eigen::MatrixXd& a, const Eigen::VectorXd& w,
                               const Eigen::VectorXd& within) {
    const Eigen::VectorXd bar = a * w;
    return w.dot(within) +
           ((a.colwise() - bar).colwise().squaredNorm().transpose().array() * w.array()).sum();
  }
  double discrimination(const Predictions& pr, const Eigen::VectorXd& shift, double n) const {
    const int K = num_candidates();
    Eigen::MatrixXd m(num_nodes(), K);
    for (int k = 0; k < K; ++k) m.col(k) = pr.m0[std::size_t(k)] + pr.A[std::size_t(k)] * shift;
    const Eigen::MatrixXd dev = m.colwise() - m * m_w;
    const Eigen::MatrixXd white = pr.S.matrixL().solve(dev);
    return 0.5 * n * (white.colwise().squaredNorm().transpose().array() * m_w.array()).sum();
  }
  void refresh() {
    Eigen::VectorXd lw(num_candidates());
    for (int k = 0; k < num_candidates(); ++k) lw(k) = member(k).bic();
    if (lw.hasNaN()) lw.setZero(); // some regression not yet determined: no comparison
    m_w = (lw.array() - lw.maxCoeff()).exp();
    m_w /= m_w.sum();
  }

  std::vector<ShiftMatchingPosterior> m_members;
  Eigen::VectorXd m_w;
  double m_concentrated;
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
/// recommended shift's relative distance under the true SEM, its credible targets, the
/// posterior spread, and (with candidate DAGs) the most probable DAG and its probability.
struct ShiftMatchingRound {
  Eigen::VectorXd intervention;
  double relative_distance = 0;
  std::vector<int> targets;
  double spread = 0;
  int graph = 0;           ///< the MAP candidate DAG (with one DAG: 0)
  double graph_weight = 1; ///< its posterior probability
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

namespace detail {
inline std::pair<int, double> map_graph(const ShiftMatchingPosterior&) {
  return {0, 1.0};
}
inline std::pair<int, double> map_graph(const ShiftMatchingEnsemble& e) {
  const int k = e.map_index();
  return {k, e.weights()(k)};
}

// The loop of `simulate_shift_matching` for a learner (ShiftMatchingPosterior or
// ShiftMatchingEnsemble).
template <class Learner>
ShiftMatchingRun run_shift_matching(const LinearGaussianSem<double>& truth, Learner& learner,
                                    const Eigen::VectorXd& desired,
                                    const ShiftMatchingOptions& options,
                                    const std::vector<int>& planted) {
  const char* fn = "simulate_shift_matching";
  if (options.rounds < 0 || options.samples_per_round < 1 || options.observational < 0)
    throw_invalid(fn, "rounds >= 0, samples_per_round >= 1 and observational >= 0 needed, got ",
                  options.rounds, ", ", options.samples_per_round, ", ", options.observational);
  std::mt19937_64 rng(options.seed);
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(truth.num_nodes());
  const Eigen::MatrixXd cov = truth.covariance(); // shifts leave it unchanged
  auto run = [&](const Eigen::VectorXd& a, Eigen::Index n) {
    if (n == 0) return;
    const Intervention iv = ShiftMatchingPosterior::as_intervention(a);
    if (options.population)
      learner.observe_expected(a, truth.mean(iv), cov, double(n));
    else
      learner.observe(a, truth.sample(n, rng(), iv));
  };
  const double far = (truth.mean() - desired).norm();
  auto relative = [&](const Eigen::VectorXd& a) {
    const double d = (truth.mean(ShiftMatchingPosterior::as_intervention(a)) - desired).norm();
    return far > 0 ? d / far : d;
  };
  run(zero, options.observational);
  ShiftMatchingRun out;
  out.initial_relative_distance = relative(learner.recommend_sparse(options.credible).shift);
  for (int r = 1; r <= options.rounds; ++r) {
    ShiftMatchingRound round;
    round.intervention = learner.choose(options.acquisition, double(options.samples_per_round), rng,
                                        options.credible);
    run(round.intervention, options.samples_per_round);
    const ShiftDesign rec = learner.recommend_sparse(options.credible);
    round.relative_distance = relative(rec.shift);
    round.targets = rec.targets;
    round.spread = learner.spread();
    std::tie(round.graph, round.graph_weight) = map_graph(learner);
    if (out.rounds_to_tolerance < 0 && round.relative_distance <= options.tolerance)
      out.rounds_to_tolerance = r;
    if (out.rounds_to_targets < 0 && !planted.empty() && round.targets == planted)
      out.rounds_to_targets = r;
    out.rounds.push_back(std::move(round));
  }
  out.recommended = learner.recommend_sparse(options.credible);
  return out;
}
} // namespace detail

/// Runs the active matching loop against the true SEM `truth` (which draws the samples, seeded)
/// on the learner's DAG `graph` (e.g. the true one, or one learned from data) for the desired
/// mean `desired`; `planted`: the targets of the shift that defines it, when known (ascending).
/// The relative distance is |E_truth[X | recommended shift] - mu*| / |E_truth[X] - mu*|.
inline ShiftMatchingRun simulate_shift_matching(const LinearGaussianSem<double>& truth,
                                                const Dag& graph, const Eigen::VectorXd& desired,
                                                const ShiftMatchingOptions& options = {},
                                                const std::vector<int>& planted = {}) {
  if (graph.num_nodes() != truth.num_nodes())
    detail::throw_invalid("simulate_shift_matching", "the graph has ", graph.num_nodes(),
                          " nodes, the SEM ", truth.num_nodes());
  ShiftMatchingPosterior post(graph, desired, options.prior_precision);
  return detail::run_shift_matching(truth, post, desired, options, planted);
}

/// The same loop when the learner does not know the DAG: a posterior over the candidate DAGs
/// `candidates` (`ShiftMatchingEnsemble`, uniform prior; e.g. members of the class a discovery
/// method learned). Each round records the most probable candidate and its probability.
inline ShiftMatchingRun simulate_shift_matching(const LinearGaussianSem<double>& truth,
                                                const std::vector<Dag>& candidates,
                                                const Eigen::VectorXd& desired,
                                                const ShiftMatchingOptions& options = {},
                                                const std::vector<int>& planted = {}) {
  for (const Dag& g : candidates)
    if (g.num_nodes() != truth.num_nodes())
      detail::throw_invalid("simulate_shift_matching", "a candidate DAG has ", g.num_nodes(),
                            " nodes, the SEM ", truth.num_nodes());
  ShiftMatchingEnsemble post(candidates, desired, options.prior_precision);
  return detail::run_shift_matching(truth, post, desired, options, planted);
}

} // namespace cimpute
