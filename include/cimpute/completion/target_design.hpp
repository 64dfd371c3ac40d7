/// @file target_design.hpp
/// @brief Designing toward a target: which perturbation to measure next in a context so that one
/// whose signature matches a target (or reverses it) is found in few experiments. The kernel
/// posterior over the candidates' signatures (mean and covariance) drives an upper-confidence or
/// Thompson choice; each measurement conditions the posterior; `replay_target` runs the loop on
/// measurements revealed only when chosen, against random, greedy and heuristic orders.
#pragma once

#include "cimpute/completion/any_completion.hpp"
#include "cimpute/completion/registry.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/discovery/gaussian_ci_test.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace cimpute {

/// How `TargetSearch::next` chooses among the unmeasured candidates.
enum class TargetAcquisition {
  /// One draw of every candidate's signature from its marginal posterior; the candidate whose
  /// draw matches the target best.
  Thompson,
  /// The expected match plus `confidence` times its posterior standard deviation (see
  /// `TargetSearch::match_sd`).
  UpperConfidence,
  /// The match of the posterior mean (no exploration).
  Greedy
};

/// Features up to which `CandidatePosterior::of` computes the gene covariance (default).
inline constexpr Eigen::Index max_gene_covariance_features = 5000;

/// How a signature is compared with the target when candidates are scored.
enum class TargetMetric {
  /// Cosine after whitening by the genes' shrunk second-moment matrix C of the training
  /// signatures: \f$ y' C^{-1} t / (\|y\|_{C^{-1}} \|t\|_{C^{-1}}) \f$. The posterior is then
  /// matrix-normal (candidates covary by the kernel, genes by C), and for a target that is one
  /// candidate's signature the candidates' order by this match is their order by the likelihood
  /// that they are the target (scale profiled out): response shared by every perturbation
  /// (large-variance directions of C) counts little, what tells perturbations apart counts much.
  Whitened,
  /// Cosine on the genes as they are, each gene's posterior independent (diagonal C).
  Cosine
};

/// The metric called `name`: whitened, cosine, or auto (whitened for data of up to
/// `max_gene_covariance_features` features, cosine above; `features`: the data's). Throws
/// `invalid_argument` otherwise.
inline TargetMetric parse_target_metric(const std::string& name, Eigen::Index features = 0) {
  if (name == "whitened") return TargetMetric::Whitened;
  if (name == "cosine") return TargetMetric::Cosine;
  if (name == "auto")
    return features <= max_gene_covariance_features ? TargetMetric::Whitened : TargetMetric::Cosine;
  detail::throw_invalid("parse_target_metric", "unknown metric '", name,
                        "' (known: auto, whitened, cosine)");
}

/// The acquisition called `name`: thompson, ucb or greedy. Throws `invalid_argument` otherwise.
inline TargetAcquisition parse_target_acquisition(const std::string& name) {
  if (name == "thompson") return TargetAcquisition::Thompson;
  if (name == "ucb") return TargetAcquisition::UpperConfidence;
  if (name == "greedy") return TargetAcquisition::Greedy;
  detail::throw_invalid("parse_target_acquisition", "unknown acquisition '", name,
                        "' (known: thompson, ucb, greedy)");
}

/// Options of `TargetSearch` and `replay_target`.
struct TargetDesignOptions {
  TargetAcquisition acquisition = TargetAcquisition::UpperConfidence;
  double confidence = 2.0; ///< UpperConfidence: standard deviations added to the mean's match
  /// Match the reversed target (maximise -cosine: "reverse this disease signature").
  bool reverse = false;
  /// How candidates are scored (the replay's "best match" is always the plain cosine).
  TargetMetric metric = TargetMetric::Whitened;
  std::uint64_t seed = 1; ///< Thompson draws
  /// Candidates above this count throw (the posterior covariance is candidates x candidates).
  Eigen::Index max_candidates = 20000;
};

/// The kernel posterior of a fitted method over candidate pairs, in expression units per gene:
/// mean `mean` (candidates x features, the method's predictions), relative covariance
/// `covariance` (candidates x candidates, fractions of the prior variance, shared by every
/// gene), the relative ridge a new measurement adds, and per gene the prior variance
/// `gene_variance` (the mean square of the training signatures: the marginal variance of a
/// signature entry under the prior). Gene g of candidates i and j then covary by
/// covariance(i, j) * gene_variance(g); with the whitened metric genes g and h covary by
/// covariance(i, j) * C(g, h), C the shrunk `gene_covariance`.
struct CandidatePosterior {
  std::vector<PairIndex> candidates;
  Eigen::MatrixXd mean;
  Eigen::MatrixXd covariance;
  Eigen::RowVectorXd gene_variance;
  /// The training signatures' second moments Y'Y / n (features x features; diagonal
  /// `gene_variance`); empty above `max_covariance_features` features.
  Eigen::MatrixXd gene_covariance;
  /// Schafer & Strimmer's shrinkage intensity of the training signatures' correlations towards
  /// the diagonal (`GaussianCiTest::shrinkage_intensity`): C = (1 - s) Y'Y/n + s diag(Y'Y/n).
  double gene_shrinkage = 1;
  double ridge = 0;

  /// From a fitted kernel method (`NtkCompletion`, `NtkCompletionCV`, or an `AnyCompletion`
  /// holding one) and its training set. Throws for no candidate, more than `max_candidates`, or a
  /// method without a kernel posterior covariance. The gene covariance (for the whitened metric)
  /// is computed up to `max_covariance_features` features (O(signatures x features^2)).
  template <class Method, class Scalar>
  static CandidatePosterior
  of(const Method& method, const TrainingSet<Scalar>& train, std::vector<PairIndex> candidates,
     Eigen::Index max_candidates = 20000,
     Eigen::Index max_covariance_features = max_gene_covariance_features) {
    const char* fn = "CandidatePosterior::of";
    if (candidates.empty()) detail::throw_invalid(fn, "no candidate pair");
    if (Eigen::Index(candidates.size()) > max_candidates)
      detail::throw_invalid(fn, candidates.size(), " candidate pairs exceed max_candidates (",
                            max_candidates, ")");
    CandidatePosterior p;
    p.covariance = detail::relative_posterior_covariance(method, candidates, p.ridge);
    p.mean = method.predict(candidates).template cast<double>();
    const Eigen::MatrixXd Y = train.signatures().template cast<double>();
    p.gene_variance = Y.array().square().colwise().mean();
    if (Y.cols() <= max_covariance_features && Y.rows() >= 4) {
      p.gene_covariance = Y.transpose() * Y / double(Y.rows());
      p.gene_shrinkage = GaussianCiTest::shrinkage_intensity(Y);
    }
    p.candidates = std::move(candidates);
    return p;
  }
};

/// The search for a target in one context: the posterior over the candidates' signatures
/// restricted to the target's genes, conditioned on the measurements made so far.
///
/// The match of a signature y with the target t is cosine(y, t) (cosine(y, -t) with `reverse`),
/// after whitening both with the whitened metric (`TargetMetric`).
/// A measurement y_k of candidate k conditions the posterior exactly as a refit of the kernel
/// regression with k added to the training pairs and the kernel held fixed:
/// \f$ M \leftarrow M + S_{:k} (y_k - M_k) / (S_{kk} + \lambda) \f$,
/// \f$ S \leftarrow S - S_{:k} S_{k:} / (S_{kk} + \lambda) \f$ (O(candidates x genes)). For
/// priors whose pair features do not depend on the training signatures (one-hot, user features)
/// this equals the refit; priors built from training signatures keep the features of the fit.
class TargetSearch {
public:
  /// `columns`: the target's feature positions (in the tensor's feature order); `target`: its
  /// values there. Throws for fewer than 2 columns, a column out of range, mismatched lengths,
  /// non-finite or all-zero target values, or bad options.
  TargetSearch(const CandidatePosterior& posterior, const std::vector<Eigen::Index>& columns,
               const Eigen::VectorXd& target, TargetDesignOptions options = {})
      : m_opt(options), m_S(posterior.covariance), m_ridge(posterior.ridge), m_rng(options.seed) {
    const char* fn = "TargetSearch";
    const Eigen::Index n = Eigen::Index(posterior.candidates.size());
    if (posterior.mean.rows() != n || m_S.rows() != n || m_S.cols() != n)
      detail::throw_invalid(fn, "a posterior of ", n, " candidates has a mean of ",
                            posterior.mean.rows(), " rows and a ", m_S.rows(), " x ", m_S.cols(),
                            " covariance");
    if (Eigen::Index(columns.size()) != target.size())
      detail::throw_invalid(fn, columns.size(), " columns but ", target.size(), " target values");
    if (columns.size() < 2) detail::throw_invalid(fn, "the target needs at least 2 genes");
    if (!target.allFinite()) detail::throw_invalid(fn, "the target has a non-finite value");
    if (!(target.norm() > 0)) detail::throw_invalid(fn, "the target is zero on every gene");
    if (!(options.confidence >= 0) || !std::isfinite(options.confidence))
      detail::throw_invalid(fn, "confidence must be finite and >= 0, got ", options.confidence);
    m_columns = columns;
    const Eigen::Index k = Eigen::Index(columns.size());
    m_M.resize(n, k);
    m_sd.resize(k);
    for (Eigen::Index j = 0; j < k; ++j) {
      const Eigen::Index c = columns[std::size_t(j)];
      if (c < 0 || c >= posterior.mean.cols())
        detail::throw_invalid(fn, "column ", c, " is outside the ", posterior.mean.cols(),
                              " features");
      m_M.col(j) = posterior.mean.col(c);
      m_sd(j) = std::sqrt(std::max(0.0, posterior.gene_variance(c)));
    }
    m_t = options.reverse ? -target : target;
    if (options.metric == TargetMetric::Whitened) {
      // Coordinates L^-1 y (C = L L'): the posterior's gene covariance becomes the identity.
      const Eigen::MatrixXd& G = posterior.gene_covariance;
      if (G.rows() != posterior.mean.cols())
        detail::throw_invalid(fn, "the whitened metric needs the gene covariance of the ",
                              posterior.mean.cols(),
                              " features (not computed for this many; use the cosine metric)");
      const double s = std::clamp(posterior.gene_shrinkage, 0.0, 1.0);
      Eigen::MatrixXd C(k, k);
      for (Eigen::Index a = 0; a < k; ++a)
        for (Eigen::Index b = 0; b < k; ++b)
          C(a, b) = (a == b ? 1.0 : 1.0 - s) * G(columns[std::size_t(a)], columns[std::size_t(b)]);
      m_whiten.compute(C);
      if (m_whiten.info() != Eigen::Success || !(C.diagonal().minCoeff() > 0))
        detail::throw_invalid(fn, "the training signatures' gene covariance is singular on the "
                                  "target's genes (a gene constant at 0? use the cosine metric)");
      m_M = m_whiten.matrixL().solve(m_M.transpose()).transpose();
      m_t = m_whiten.matrixL().solve(m_t);
      m_sd.setOnes();
    }
    m_t.normalize();
    m_measured.assign(std::size_t(n), false);
  }

  Eigen::Index num_candidates() const noexcept { return m_M.rows(); }
  /// Candidates not measured yet.
  Eigen::Index remaining() const noexcept {
    Eigen::Index r = 0;
    for (bool b : m_measured) r += b ? 0 : 1;
    return r;
  }
  bool measured(Eigen::Index k) const { return m_measured[std::size_t(k)]; }

  /// The match of every candidate's posterior mean with the target (cosine; 0 for a zero mean).
  Eigen::VectorXd predicted_match() const {
    Eigen::VectorXd m(m_M.rows());
    for (Eigen::Index i = 0; i < m_M.rows(); ++i) m(i) = match(m_M.row(i).transpose());
    return m;
  }

  /// The posterior standard deviation of each candidate's match: the match of a draw
  /// y = m + e (m the posterior mean, e ~ N(0, v diag(sigma_g^2))) is t'y / |y| with |y|^2
  /// close to its expectation |m|^2 + v sum_g sigma_g^2 over many genes, so its standard
  /// deviation is sqrt(v) (sum_g t_g^2 sigma_g^2)^(1/2) / (|m|^2 + v sum_g sigma_g^2)^(1/2)
  /// (t the unit target; 0 when the candidate's signature is known exactly), all in the metric's
  /// coordinates (sigma_g = 1 after whitening).
  Eigen::VectorXd match_sd() const { return optimistic_match(1.0) - expected_match(); }

  /// The expected match of each candidate under the same approximation:
  /// t'm / (|m|^2 + v sum_g sigma_g^2)^(1/2), below the posterior mean's cosine in magnitude
  /// (the unexplained part of the signature dilutes the match).
  Eigen::VectorXd expected_match() const { return optimistic_match(0.0); }

  /// The posterior mean of the candidates' signatures on the target's genes (candidates x genes),
  /// in the metric's coordinates: the genes' values, or L^-1 y with the whitened metric (C = LL').
  const Eigen::MatrixXd& mean() const noexcept { return m_M; }
  /// The relative posterior covariance of the candidates' signatures (candidates x candidates).
  const Eigen::MatrixXd& covariance() const noexcept { return m_S; }

  /// The relative posterior variance of each candidate's signature (fraction of the prior).
  Eigen::VectorXd relative_variance() const { return m_S.diagonal().cwiseMax(0.0); }

  /// The unmeasured candidate to measure next under the acquisition (-1 when none is left).
  /// Ties go to the earlier candidate. Thompson draws advance the seeded generator.
  Eigen::Index next() {
    Eigen::VectorXd score;
    if (m_opt.acquisition == TargetAcquisition::Thompson) {
      std::normal_distribution<double> N(0.0, 1.0);
      score.resize(m_M.rows());
      Eigen::VectorXd y(m_M.cols());
      for (Eigen::Index i = 0; i < m_M.rows(); ++i) {
        if (m_measured[std::size_t(i)]) continue;
        const double sd = std::sqrt(std::max(0.0, m_S(i, i)));
        for (Eigen::Index g = 0; g < y.size(); ++g) y(g) = m_M(i, g) + sd * m_sd(g) * N(m_rng);
        score(i) = match(y);
      }
    } else if (m_opt.acquisition == TargetAcquisition::UpperConfidence) {
      score = optimistic_match(m_opt.confidence);
    } else {
      score = predicted_match();
    }
    Eigen::Index best = -1;
    for (Eigen::Index i = 0; i < score.size(); ++i)
      if (!m_measured[std::size_t(i)] && (best < 0 || score(i) > score(best))) best = i;
    return best;
  }

  /// Condition on candidate k's measured signature (`y`: all features, in the tensor's order).
  void observe(Eigen::Index k, const Eigen::Ref<const Eigen::RowVectorXd>& y) {
    const char* fn = "TargetSearch::observe";
    check_unmeasured(fn, k);
    for (Eigen::Index c : m_columns)
      if (c >= y.size())
        detail::throw_invalid(fn, "a signature of ", y.size(), " features has no column ", c);
    const Eigen::RowVectorXd r = coordinates(y).transpose() - m_M.row(k);
    if (!r.allFinite()) detail::throw_invalid(fn, "candidate ", k, "'s signature is not finite");
    const Eigen::VectorXd s = m_S.col(k) / denominator(k);
    m_M.noalias() += s * r;
    downdate(k);
    m_measured[std::size_t(k)] = true;
  }

  /// Treat candidate k as measured without a value (a batch choice): the covariance is
  /// conditioned, the mean kept (its expected value).
  void assume_measured(Eigen::Index k) {
    check_unmeasured("TargetSearch::assume_measured", k);
    downdate(k);
    m_measured[std::size_t(k)] = true;
  }

  /// The match of a signature over the target's genes, in the search's coordinates (see
  /// `mean`): cosine with the target, reversed with `reverse`; 0 for a zero vector.
  double match(const Eigen::Ref<const Eigen::VectorXd>& y) const {
    const double n = y.norm();
    return n > 0 ? m_t.dot(y) / n : 0.0;
  }
  /// The match of a full-length signature (all features, in the tensor's order) in the metric.
  double match_signature(const Eigen::Ref<const Eigen::RowVectorXd>& y) const {
    return match(coordinates(y));
  }

private:
  // A full-length signature's values on the target's genes, whitened with the whitened metric.
  Eigen::VectorXd coordinates(const Eigen::Ref<const Eigen::RowVectorXd>& y) const {
    Eigen::VectorXd v(m_M.cols());
    for (Eigen::Index j = 0; j < v.size(); ++j) v(j) = y(m_columns[std::size_t(j)]);
    if (m_opt.metric == TargetMetric::Whitened) m_whiten.matrixL().solveInPlace(v);
    return v;
  }
  // (t'm + z sqrt(v) tau) / (|m|^2 + v sum_g sigma_g^2)^(1/2) per candidate: the expected match
  // plus z standard deviations (see match_sd).
  Eigen::VectorXd optimistic_match(double z) const {
    const double total = m_sd.squaredNorm(), tau = m_t.cwiseProduct(m_sd).norm();
    Eigen::VectorXd s(m_M.rows());
    for (Eigen::Index i = 0; i < m_M.rows(); ++i) {
      const double v = std::max(0.0, m_S(i, i));
      const double norm = std::sqrt(m_M.row(i).squaredNorm() + v * total);
      s(i) = norm > 0 ? (m_M.row(i).dot(m_t) + z * std::sqrt(v) * tau) / norm : 0.0;
    }
    return s;
  }
  void check_unmeasured(const char* fn, Eigen::Index k) const {
    if (k < 0 || k >= m_M.rows())
      detail::throw_invalid(fn, "candidate ", k, " is outside the ", m_M.rows(), " candidates");
    if (m_measured[std::size_t(k)]) detail::throw_invalid(fn, "candidate ", k, " is measured");
  }
  double denominator(Eigen::Index k) const {
    const double d = m_S(k, k) + m_ridge;
    if (!(d > 0))
      detail::throw_invalid("TargetSearch", "candidate ", k,
                            " has no posterior variance and no ridge: its measurement cannot be "
                            "conditioned on (raise the ridge or the identity weight)");
    return d;
  }
  void downdate(Eigen::Index k) {
    const Eigen::VectorXd s = m_S.col(k);
    m_S.noalias() -= (s / denominator(k)) * s.transpose();
  }

  TargetDesignOptions m_opt;
  std::vector<Eigen::Index> m_columns;
  Eigen::VectorXd m_t; // unit target (reversed with `reverse`), in the metric's coordinates
  Eigen::MatrixXd m_M; // candidates x target genes, in the metric's coordinates
  Eigen::LLT<Eigen::MatrixXd> m_whiten; // the whitened metric: C = L L' on the target's genes
  Eigen::VectorXd m_sd;                 // per target gene: prior standard deviation
  Eigen::MatrixXd m_S;
  double m_ridge;
  std::vector<bool> m_measured;
  std::mt19937_64 m_rng;
};

/// One perturbation chosen by `design_target`: its candidate position and pair, its posterior
/// mean's match with the target, the match's standard deviation and the relative posterior
/// variance of its signature when chosen (given the choices before it).
struct TargetChoice {
  Eigen::Index candidate = -1;
  PairIndex pair;
  double predicted_match = 0, match_sd = 0, relative_variance = 0;
};

/// The next `budget` candidates to measure toward the target: the acquisition's choice, then the
/// choice treated as measured at its expected value (the covariance conditioned, the mean kept)
/// before the next one. Throws for a budget below 1 or above the candidates.
inline std::vector<TargetChoice> design_target(const CandidatePosterior& posterior,
                                               const std::vector<Eigen::Index>& columns,
                                               const Eigen::VectorXd& target, int budget,
                                               const TargetDesignOptions& options = {}) {
  const char* fn = "design_target";
  const Eigen::Index n = Eigen::Index(posterior.candidates.size());
  if (budget < 1 || budget > n)
    detail::throw_invalid(fn, "the budget must be between 1 and the ", n, " candidates, got ",
                          budget);
  TargetSearch s(posterior, columns, target, options);
  std::vector<TargetChoice> out;
  for (int b = 0; b < budget; ++b) {
    const Eigen::Index k = s.next();
    TargetChoice c;
    c.candidate = k;
    c.pair = posterior.candidates[std::size_t(k)];
    c.predicted_match = s.predicted_match()(k);
    c.match_sd = s.match_sd()(k);
    c.relative_variance = s.relative_variance()(k);
    out.push_back(c);
    s.assume_measured(k);
  }
  return out;
}

/// Experiments each strategy needed in `replay_target` to measure the best candidate.
struct TargetReplay {
  Eigen::Index best = -1;          ///< the candidate whose measured signature matches best
  Eigen::Index design = 0;         ///< the acquisition of the options
  Eigen::Index greedy = 0;         ///< always the best posterior-mean match, conditioned as design
  double random = 0;               ///< expected position in a uniform random order: (n + 1) / 2
  double heuristic = std::nan(""); ///< by `heuristic_order`; NaN without one
};

/// Replays the search on measured signatures `revealed` (candidates x features, row k the
/// measurement of `posterior.candidates[k]`), each revealed only when chosen: the experiments
/// until the best-matching candidate (plain cosine, whatever the metric) is measured, for the
/// options' acquisition, greedy (in the options' metric), random
/// (its expectation) and, when `heuristic_score` is non-empty, the order of ascending heuristic
/// score (NaN: unscored, after the scored ones; their expected position). Greedy uses no seed:
/// with `run_greedy` false (replays of one target under several seeds) it is not run and `greedy`
/// is left 0. Throws on mismatched shapes or a non-finite measurement.
inline TargetReplay replay_target(const CandidatePosterior& posterior,
                                  const std::vector<Eigen::Index>& columns,
                                  const Eigen::VectorXd& target, const Eigen::MatrixXd& revealed,
                                  const TargetDesignOptions& options = {},
                                  const Eigen::VectorXd& heuristic_score = {},
                                  bool run_greedy = true) {
  const char* fn = "replay_target";
  const Eigen::Index n = Eigen::Index(posterior.candidates.size());
  if (revealed.rows() != n || revealed.cols() != posterior.mean.cols())
    detail::throw_invalid(fn, "revealed signatures are ", revealed.rows(), " x ", revealed.cols(),
                          ", the posterior ", n, " x ", posterior.mean.cols());
  if (!revealed.allFinite()) detail::throw_invalid(fn, "a revealed signature is not finite");
  if (heuristic_score.size() != 0 && heuristic_score.size() != n)
    detail::throw_invalid(fn, heuristic_score.size(), " heuristic scores for ", n, " candidates");
  TargetReplay r;
  {
    TargetDesignOptions plain = options; // the best match is the plain cosine in every metric
    plain.metric = TargetMetric::Cosine;
    const TargetSearch s(posterior, columns, target, plain);
    double best = -std::numeric_limits<double>::infinity();
    for (Eigen::Index k = 0; k < n; ++k) {
      const double m = s.match_signature(revealed.row(k));
      if (m > best) best = m, r.best = k;
    }
  }
  auto run = [&](TargetAcquisition a) {
    TargetDesignOptions o = options;
    o.acquisition = a;
    TargetSearch s(posterior, columns, target, o);
    for (Eigen::Index e = 1;; ++e) {
      const Eigen::Index k = s.next();
      if (k == r.best || k < 0) return e;
      s.observe(k, revealed.row(k));
    }
  };
  r.design = run(options.acquisition);
  if (options.acquisition == TargetAcquisition::Greedy)
    r.greedy = r.design;
  else if (run_greedy)
    r.greedy = run(TargetAcquisition::Greedy);
  r.random = 0.5 * double(n + 1);
  if (heuristic_score.size() == n) {
    const double h = heuristic_score(r.best);
    Eigen::Index before = 0, scored = 0, tied = 0;
    for (Eigen::Index k = 0; k < n; ++k) {
      if (std::isnan(heuristic_score(k))) continue;
      ++scored;
      if (std::isnan(h)) continue;
      if (heuristic_score(k) < h) ++before;
      if (heuristic_score(k) == h && k != r.best) ++tied;
    }
    r.heuristic = std::isnan(h) ? double(scored) + 0.5 * double(n - scored + 1)
                                : double(before) + 1 + 0.5 * double(tied);
  }
  return r;
}

/// The candidates of a search in `context`: its pairs with (`measured`) or without a signature,
/// in perturbation order, leaving out the perturbations that are a context's control (the
/// vehicle is not a candidate).
template <class Scalar>
std::vector<PairIndex> context_candidates(const PerturbationTensor<Scalar>& t, Eigen::Index context,
                                          bool measured) {
  std::vector<bool> control(std::size_t(t.num_perturbations()), false);
  for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
    if (t.control(c) >= 0) control[std::size_t(t.control(c))] = true;
  std::vector<PairIndex> out;
  for (Eigen::Index p = 0; p < t.num_perturbations(); ++p)
    if (!control[std::size_t(p)] && t.is_observed(p, context) == measured)
      out.push_back({p, context});
  return out;
}

/// The kernel posterior over `candidates` (pairs of `context`) of completion method `method`
/// (a registry name with a posterior, e.g. "ntk") fitted on the observed pairs of `t` outside
/// `setup.reference_context` and, with `hide_context`, outside `context`. `setup.new_contexts` is
/// set when no training pair is in `context`. Throws when nothing is left to fit on.
template <class Scalar>
CandidatePosterior fit_candidate_posterior(const PerturbationTensor<Scalar>& t,
                                           Eigen::Index context, bool hide_context,
                                           const std::string& method, CompletionSetup setup,
                                           std::vector<PairIndex> candidates) {
  const char* fn = "fit_candidate_posterior";
  const Eigen::Index ref = reference_index(t, setup.reference_context, fn);
  std::vector<Eigen::Index> rows;
  bool context_seen = false;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r) {
    const Eigen::Index c = t.observed_pairs()[std::size_t(r)].context;
    if (c == ref || (hide_context && c == context)) continue;
    rows.push_back(r);
    context_seen = context_seen || c == context;
  }
  if (rows.empty()) detail::throw_invalid(fn, "no observed pair to fit on");
  setup.new_contexts = !context_seen;
  auto m = make_completion_method<Scalar>(method, setup);
  const TrainingSet<Scalar> train(t, rows, ref);
  m.fit(train);
  return CandidatePosterior::of(m, train, std::move(candidates));
}

/// The heuristic of a knock-down screen: each candidate's score is the (reversed, with
/// `reverse`) target's value at the feature named like its perturbation (a knock-down lowers its
/// own gene, so ascending order puts the gene most reduced in the target first); NaN where the
/// perturbation names no target gene. Empty when no candidate has a score.
template <class Scalar>
Eigen::VectorXd own_gene_scores(const PerturbationTensor<Scalar>& t,
                                const std::vector<PairIndex>& candidates,
                                const std::vector<Eigen::Index>& columns,
                                const Eigen::VectorXd& target, bool reverse) {
  Eigen::VectorXd h = Eigen::VectorXd::Constant(Eigen::Index(candidates.size()), std::nan(""));
  bool any = false;
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    const Eigen::Index g = t.features().find(t.perturbations()[candidates[k].perturbation]);
    const auto at = std::find(columns.begin(), columns.end(), g);
    if (g < 0 || at == columns.end()) continue;
    const double v = target(Eigen::Index(at - columns.begin()));
    h(Eigen::Index(k)) = reverse ? -v : v;
    any = true;
  }
  return any ? h : Eigen::VectorXd();
}

/// Options of `replay_context`.
struct ContextReplayOptions {
  TargetDesignOptions design;
  int targets = 20; ///< without a given target: measured signatures drawn as targets
  int repeats = 1;  ///< runs of the acquisition per target (successive seeds; `design` averages)
};

/// One replayed target of `replay_context`: the target's name (its perturbation, or the given
/// target's `name`), the best-matching candidate, and the experiments of each strategy (design
/// averaged over the repeats; heuristic NaN without one).
struct ContextReplayRecord {
  std::string target, best;
  double design = 0;
  Eigen::Index greedy = 0;
  double random = 0, heuristic = std::nan("");
};

/// Replays the search in `context` of `t`: its measurements hidden (`method` fitted on the rest,
/// see `fit_candidate_posterior`) and revealed only when chosen; the candidates are its measured
/// perturbations but the controls (`context_candidates`). The target is the given one
/// (`columns` / `target` non-empty, named `name`) or, in turn, the measured signatures of
/// `options.targets` candidates drawn with the seed (their identity hidden, every feature). The
/// heuristic is `own_gene_scores`. `seed_offset` shifts the seeds of the draws (distinct
/// contexts, distinct draws). Throws for a context with fewer than 2 measured perturbations.
template <class Scalar>
std::vector<ContextReplayRecord>
replay_context(const PerturbationTensor<Scalar>& t, Eigen::Index context, const std::string& method,
               const CompletionSetup& setup, const std::vector<Eigen::Index>& columns,
               const Eigen::VectorXd& target, const std::string& name,
               const ContextReplayOptions& options = {}) {
  const char* fn = "replay_context";
  if (options.targets < 1 || options.repeats < 1)
    detail::throw_invalid(fn, "targets and repeats must be >= 1, got ", options.targets, " and ",
                          options.repeats);
  const std::vector<PairIndex> candidates = context_candidates(t, context, true);
  std::vector<Eigen::Index> rows;
  for (const PairIndex& q : candidates) rows.push_back(t.pair_index(q.perturbation, context));
  if (candidates.size() < 2)
    detail::throw_invalid(fn, "context '", t.contexts()[context], "' has ", candidates.size(),
                          " measured perturbation(s): nothing to replay");
  const CandidatePosterior post =
      fit_candidate_posterior(t, context, true, method, setup, candidates);
  Eigen::MatrixXd revealed(Eigen::Index(rows.size()), t.num_features());
  for (std::size_t k = 0; k < rows.size(); ++k)
    revealed.row(Eigen::Index(k)) = t.observed().row(rows[k]).template cast<double>();
  std::vector<Eigen::Index> all(std::size_t(t.num_features()));
  for (Eigen::Index g = 0; g < t.num_features(); ++g) all[std::size_t(g)] = g;
  std::vector<Eigen::Index> drawn; // the candidates whose signatures are the targets
  if (columns.empty()) {
    drawn.resize(candidates.size());
    for (std::size_t k = 0; k < drawn.size(); ++k) drawn[k] = Eigen::Index(k);
    std::mt19937_64 rng(options.design.seed + std::uint64_t(context));
    std::shuffle(drawn.begin(), drawn.end(), rng);
    drawn.resize(std::min(drawn.size(), std::size_t(options.targets)));
  } else {
    drawn.push_back(-1);
  }
  std::vector<ContextReplayRecord> out;
  for (Eigen::Index d : drawn) {
    const std::vector<Eigen::Index>& cols = d < 0 ? columns : all;
    const Eigen::VectorXd values = d < 0 ? target : Eigen::VectorXd(revealed.row(d).transpose());
    const Eigen::VectorXd h = own_gene_scores(t, candidates, cols, values, options.design.reverse);
    ContextReplayRecord rec;
    TargetDesignOptions o = options.design;
    for (int rep = 0; rep < options.repeats; ++rep) {
      o.seed = options.design.seed + std::uint64_t(context) * 1000003u +
               std::uint64_t(out.size()) * std::uint64_t(options.repeats) + std::uint64_t(rep);
      // Greedy, random and the heuristic use no seed: the first repeat gives them.
      const TargetReplay r = replay_target(post, cols, values, revealed, o, h, rep == 0);
      rec.design += double(r.design) / options.repeats;
      if (rep > 0) continue;
      rec.best = t.perturbations()[candidates[std::size_t(r.best)].perturbation];
      rec.greedy = r.greedy;
      rec.random = r.random;
      rec.heuristic = r.heuristic;
    }
    rec.target = d < 0 ? name : t.perturbations()[candidates[std::size_t(d)].perturbation];
    out.push_back(rec);
  }
  return out;
}

} // namespace cimpute
