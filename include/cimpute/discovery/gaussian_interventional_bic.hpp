/// @file gaussian_interventional_bic.hpp
/// @brief The interventional Gaussian BIC (Hauser & Bühlmann, JMLR 2012), the score of `gies`:
/// per-setting sufficient statistics and a decomposable, score-equivalent local score with
/// memoised values and the forward phase's insertion gains.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/discovery/interventional_data.hpp"
#include "cimpute/graph/dag.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cimpute {

/// Sufficient statistics of the samples of one setting: count, scatter about the setting's mean
/// (sum of outer products of the deviations) and the setting's intervention targets (empty for
/// observational samples). `n` is a double so that a population oracle can pass a huge count
/// (with `scatter` = n x covariance).
struct SettingStatistics {
  double n = 0;
  Eigen::MatrixXd scatter;
  std::vector<int> targets;

  /// The statistics of the samples (rows) of X.
  static SettingStatistics of(const Eigen::MatrixXd& X, std::vector<int> targets) {
    SettingStatistics s;
    s.n = double(X.rows());
    s.targets = std::move(targets);
    if (X.rows() == 0) {
      s.scatter = Eigen::MatrixXd::Zero(X.cols(), X.cols());
      return s;
    }
    const Eigen::MatrixXd D = X.rowwise() - X.colwise().mean();
    s.scatter = Eigen::MatrixXd::Zero(X.cols(), X.cols());
    s.scatter.selfadjointView<Eigen::Lower>().rankUpdate(D.transpose());
    s.scatter = s.scatter.selfadjointView<Eigen::Lower>();
    return s;
  }
};

/// The interventional Gaussian BIC (Hauser & Bühlmann 2012): a DAG's score is the sum over nodes
/// v of the local score of v given its parents, computed on the samples of the settings that do
/// not intervene on v: the maximised Gaussian log-likelihood of the least-squares regression of
/// v on its parents with one intercept per setting (each setting centred at its own mean, as
/// pcalg's `GaussL0penIntScore` and its Python port do),
/// \f$ -\frac{n_v}{2}\left(\log\frac{2\pi\,\mathrm{RSS}}{n_v} + 1\right) \f$, minus
/// \f$ \frac{\lambda}{2}\log N \f$ per parameter (|parents| + 1; N: all samples; lambda = 1 is
/// BIC). Decomposable and, within an interventional Markov equivalence class, score equivalent.
/// Local scores are memoised (thread safe).
class GaussianInterventionalBic {
public:
  /// From per-setting statistics (every setting's scatter over the same p variables).
  /// Throws for mismatched sizes, a target outside [0, p), non-finite statistics, no samples
  /// of some variable outside its interventions, or a singular pooled covariance.
  explicit GaussianInterventionalBic(const std::vector<SettingStatistics>& settings,
                                     double lambda = 1.0)
      : m_lambda(lambda) {
    const char* fn = "GaussianInterventionalBic";
    if (settings.empty()) detail::throw_invalid(fn, "no settings");
    if (!(lambda >= 0) || !std::isfinite(lambda))
      detail::throw_invalid(fn, "lambda must be finite and >= 0, got ", lambda);
    const Eigen::Index p = settings.front().scatter.rows();
    m_p = int(p);
    for (std::size_t k = 0; k < settings.size(); ++k) {
      const auto& s = settings[k];
      if (s.scatter.rows() != p || s.scatter.cols() != p)
        detail::throw_invalid(fn, "setting ", k, " has statistics for ", s.scatter.rows(),
                              " variables, expected ", p);
      if (!(s.n >= 0) || !std::isfinite(s.n) || !s.scatter.allFinite())
        detail::throw_invalid(fn, "setting ", k, " has non-finite statistics (NaN or Inf)");
      for (int v : s.targets)
        if (v < 0 || v >= m_p)
          detail::throw_invalid(fn, "target ", v, " of setting ", k, " outside [0, ", p, ")");
      m_n_total += s.n;
      m_targets.push_back(s.targets);
    }
    // Group the variables by the settings that intervene on them: one pooled scatter each.
    std::map<std::vector<int>, int> pattern_index;
    m_pattern_of.resize(std::size_t(p));
    for (int v = 0; v < m_p; ++v) {
      std::vector<int> excluded;
      for (std::size_t k = 0; k < settings.size(); ++k)
        if (std::find(settings[k].targets.begin(), settings[k].targets.end(), v) !=
            settings[k].targets.end())
          excluded.push_back(int(k));
      const auto it = pattern_index.emplace(excluded, int(pattern_index.size())).first;
      m_pattern_of[std::size_t(v)] = it->second;
    }
    m_patterns.resize(pattern_index.size());
    for (const auto& [excluded, index] : pattern_index) {
      Pattern& pat = m_patterns[std::size_t(index)];
      pat.S = Eigen::MatrixXd::Zero(p, p);
      for (std::size_t k = 0; k < settings.size(); ++k)
        if (!std::binary_search(excluded.begin(), excluded.end(), int(k))) {
          pat.n += settings[k].n;
          pat.S += settings[k].scatter;
        }
      const int first =
          int(std::find(m_pattern_of.begin(), m_pattern_of.end(), index) - m_pattern_of.begin());
      if (!(pat.n >= 2))
        detail::throw_invalid(fn, "variable ", first, " has ", pat.n,
                              " samples outside the settings that intervene on it (at least 2 "
                              "needed: is there an observational setting?)");
      Eigen::LLT<Eigen::MatrixXd> llt(pat.S);
      if (llt.info() != Eigen::Success || !(pat.S.diagonal().array() > 0).all())
        detail::throw_invalid(fn, "singular data: the covariance of the ", pat.n,
                              " samples outside the interventions on variable ", first,
                              " is singular (a constant or collinear variable, or fewer samples "
                              "than variables)");
    }
  }

  /// From sample matrices: the observational samples (no targets) and one matrix per
  /// interventional setting with its targets. `observational_groups`, when not empty, gives
  /// each observational sample's setting (0, 1, ...): pooled observational settings then keep
  /// their own means, as separate settings without targets.
  static GaussianInterventionalBic from_data(const Eigen::MatrixXd& observational,
                                             const std::vector<Eigen::MatrixXd>& settings,
                                             const std::vector<std::vector<int>>& targets,
                                             double lambda = 1.0,
                                             const std::vector<int>& observational_groups = {}) {
    const char* fn = "GaussianInterventionalBic::from_data";
    if (settings.size() != targets.size())
      detail::throw_invalid(fn, settings.size(), " settings but ", targets.size(), " target lists");
    if (observational.rows() < 2)
      detail::throw_invalid(fn, "no observational setting (", observational.rows(),
                            " observational samples; GIES needs at least 2)");
    std::vector<SettingStatistics> stats;
    if (observational_groups.empty()) {
      stats.push_back(SettingStatistics::of(observational, {}));
    } else {
      if (Eigen::Index(observational_groups.size()) != observational.rows())
        detail::throw_invalid(fn, observational_groups.size(), " observational setting labels for ",
                              observational.rows(), " observational samples");
      const int groups =
          *std::max_element(observational_groups.begin(), observational_groups.end()) + 1;
      std::vector<std::vector<Eigen::Index>> rows(std::size_t(std::max(groups, 0)));
      for (std::size_t i = 0; i < observational_groups.size(); ++i) {
        if (observational_groups[i] < 0)
          detail::throw_invalid(fn, "negative observational setting label ",
                                observational_groups[i]);
        rows[std::size_t(observational_groups[i])].push_back(Eigen::Index(i));
      }
      for (const auto& r : rows)
        if (!r.empty()) stats.push_back(SettingStatistics::of(observational(r, Eigen::all), {}));
    }
    for (std::size_t k = 0; k < settings.size(); ++k) {
      if (settings[k].cols() != observational.cols())
        detail::throw_invalid(fn, "setting ", k, " has ", settings[k].cols(), " variables, the ",
                              "observational samples ", observational.cols());
      stats.push_back(SettingStatistics::of(settings[k], targets[k]));
    }
    return GaussianInterventionalBic(stats, lambda);
  }

  int num_variables() const noexcept { return m_p; }
  /// All samples N (the penalty's log N).
  double total_samples() const noexcept { return m_n_total; }
  /// Samples in v's local score (those of the settings that do not intervene on v).
  double samples_of(int v) const { return pattern(v, "samples_of").n; }
  /// The penalty per parameter, (lambda / 2) log N.
  double penalty() const { return 0.5 * m_lambda * std::log(m_n_total); }
  /// Target sets of the settings, in the order given (observational ones empty).
  const std::vector<std::vector<int>>& targets() const noexcept { return m_targets; }

  /// The local score of v given `parents` (memoised).
  double local(int v, std::vector<int> parents) const {
    const char* fn = "GaussianInterventionalBic::local";
    const Pattern& pat = pattern(v, fn);
    std::sort(parents.begin(), parents.end());
    for (std::size_t i = 0; i < parents.size(); ++i)
      if (parents[i] < 0 || parents[i] >= m_p || parents[i] == v ||
          (i > 0 && parents[i] == parents[i - 1]))
        detail::throw_invalid(fn, "bad parent set for variable ", v, " (parent ", parents[i], ")");
    parents.push_back(v); // the key: parents then v
    {
      const std::lock_guard<std::mutex> lock(m_mutex);
      const auto it = m_cache.find(parents);
      if (it != m_cache.end()) return it->second;
    }
    const Eigen::Index k = Eigen::Index(parents.size()) - 1;
    double rss = pat.S(v, v);
    if (k > 0) {
      const std::vector<int> P(parents.begin(), parents.end() - 1);
      const Eigen::MatrixXd A = pat.S(P, P);
      const Eigen::VectorXd b = pat.S(P, v);
      const Eigen::LLT<Eigen::MatrixXd> llt(A);
      rss -= llt.matrixL().solve(b).squaredNorm();
    }
    rss = std::max(rss, pat.S(v, v) * std::numeric_limits<double>::epsilon());
    const double log_2pi = 1.8378770664093454836;
    const double s =
        -0.5 * pat.n * (log_2pi + std::log(rss / pat.n) + 1) - penalty() * double(k + 1);
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_cache.emplace(std::move(parents), s);
    return s;
  }

  /// The score of a DAG: the sum of its nodes' local scores.
  double score(const Dag& g) const {
    if (g.num_nodes() != m_p)
      detail::throw_invalid("GaussianInterventionalBic::score", "the DAG has ", g.num_nodes(),
                            " nodes for ", m_p, " variables");
    double s = 0;
    for (int v = 0; v < m_p; ++v) s += local(v, g.parents(v));
    return s;
  }

  /// The gain of adding each variable u as a further parent of v given the parents B:
  /// gains[u] = local(v, B + u) - local(v, B), for all u at once (entries for v and for u in B
  /// are meaningless). One Cholesky factor of B's block and O(|B| p) work.
  void insertion_gains(int v, const std::vector<int>& B, Eigen::VectorXd& gains) const {
    const Pattern& pat = pattern(v, "GaussianInterventionalBic::insertion_gains");
    const Eigen::MatrixXd& S = pat.S;
    Eigen::VectorXd var = S.diagonal();
    Eigen::VectorXd cov = S.col(v);
    double rss = S(v, v);
    if (!B.empty()) {
      const Eigen::LLT<Eigen::MatrixXd> llt(S(B, B));
      const Eigen::MatrixXd W = llt.matrixL().solve(S(B, Eigen::all)); // |B| x p
      var -= W.colwise().squaredNorm().transpose();
      cov.noalias() -= W.transpose() * W.col(v);
      rss = var(v);
    }
    const double tiny = std::numeric_limits<double>::epsilon();
    const double half_n = 0.5 * pat.n, pen = penalty();
    gains.resize(m_p);
    for (int u = 0; u < m_p; ++u) {
      const double vu = std::max(var(u), tiny * S(u, u));
      const double r2 = std::min(cov(u) * cov(u) / (vu * std::max(rss, tiny * S(v, v))), 1 - tiny);
      gains(u) = -half_n * std::log1p(-r2) - pen;
    }
  }

private:
  struct Pattern {
    double n = 0;
    Eigen::MatrixXd S; ///< sum of the included settings' scatters (each about its own mean)
  };
  struct KeyHash {
    std::size_t operator()(const std::vector<int>& k) const noexcept {
      std::uint64_t h = 0x9E3779B97F4A7C15ULL;
      for (int x : k) h = (h ^ std::uint64_t(std::uint32_t(x))) * 0x100000001B3ULL;
      return std::size_t(h ^ (h >> 29));
    }
  };
  const Pattern& pattern(int v, const char* fn) const {
    if (v < 0 || v >= m_p) detail::throw_invalid(fn, "variable ", v, " outside [0, ", m_p, ")");
    return m_patterns[std::size_t(m_pattern_of[std::size_t(v)])];
  }

  int m_p = 0;
  double m_lambda = 1, m_n_total = 0;
  std::vector<std::vector<int>> m_targets;
  std::vector<Pattern> m_patterns;
  std::vector<int> m_pattern_of;
  mutable std::mutex m_mutex;
  mutable std::unordered_map<std::vector<int>, double, KeyHash> m_cache;
};

} // namespace cimpute
