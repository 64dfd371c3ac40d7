/// @file discover.hpp
/// @brief `discover`: one entry point for PC, GSP, IGSP and UT-IGSP on `InterventionalData`,
/// with Gaussian or kernel (HSIC) tests, returning the DAG, its interventional essential graph
/// (I-CPDAG) under the known or learned targets, and per-edge stability over bootstrap
/// resamples (stability selection).
#pragma once

#include "cimpute/core/communicator.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/discovery/background_knowledge.hpp"
#include "cimpute/discovery/gaussian_ci_test.hpp"
#include "cimpute/discovery/gies.hpp"
#include "cimpute/discovery/gsp.hpp"
#include "cimpute/discovery/hsic_ci_test.hpp"
#include "cimpute/discovery/igsp.hpp"
#include "cimpute/discovery/interventional_data.hpp"
#include "cimpute/discovery/pc.hpp"
#include "cimpute/graph/essential_graph.hpp"
#include "cimpute/graph/pdag.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace cimpute {

/// The structure learners of `discover`.
enum class DiscoveryMethod {
  Pc,     ///< stable PC on the observational samples (CPDAG)
  Gsp,    ///< greedy sparsest permutation on the observational samples
  Igsp,   ///< interventional GSP with the known targets
  Utigsp, ///< UT-IGSP: unknown (or, with known targets, partially known) targets
  Gies    ///< GIES: score-based search with the interventional Gaussian BIC, known targets
};
/// The tests of `discover`.
enum class DiscoveryTests {
  Gaussian, ///< Fisher-z CI tests and the two-part Gaussian invariance test
  Kernel    ///< HSIC CI tests on kernel-regression residuals and the kernel invariance test
};

/// A structure learner of the run-time table: its name (as `cimpute discover --method` and
/// Python's `method=` spell it), a one-line summary for help texts, and what it uses and gives.
struct DiscoveryMethodInfo {
  std::string name;       ///< e.g. "igsp"
  DiscoveryMethod method; ///< the learner `discover` runs
  std::string summary;    ///< one line, no final period
  bool uses_tests;     ///< conditional-independence tests (`DiscoveryTests`, alpha); else a score
  bool interventional; ///< learns from the interventional settings, not only observational ones
  bool learns_targets; ///< learns each setting's targets (`DiscoveryResult::targets`)
};

/// The structure learners, in table order (igsp, the default, first): the single list the tool's
/// help and validators, the Python package and the docs read. Adding a learner is a row here, an
/// enumerator of `DiscoveryMethod` and its branch in `discover` (docs/extending.md).
inline const std::vector<DiscoveryMethodInfo>& discovery_methods() {
  static const std::vector<DiscoveryMethodInfo> table{
      {"igsp", DiscoveryMethod::Igsp, "interventional GSP with the known targets", true, true,
       false},
      {"utigsp", DiscoveryMethod::Utigsp,
       "interventional GSP with the targets learned (UT-IGSP; a known target column is "
       "partial knowledge)",
       true, true, true},
      {"gies", DiscoveryMethod::Gies,
       "greedy interventional equivalence search (GIES) on the interventional Gaussian BIC, "
       "known targets; no tests",
       false, true, false},
      {"gsp", DiscoveryMethod::Gsp, "greedy sparsest permutation on the observational samples",
       true, false, false},
      {"pc", DiscoveryMethod::Pc, "stable PC: the CPDAG of the observational samples", true, false,
       false},
  };
  return table;
}

/// The row of `discovery_methods()` called `name`; `invalid_argument` listing the known names for
/// any other.
inline const DiscoveryMethodInfo& discovery_method(const std::string& name) {
  std::string known;
  for (const auto& m : discovery_methods()) {
    if (m.name == name) return m;
    known += (known.empty() ? "" : ", ") + m.name;
  }
  detail::throw_invalid("parse_discovery_method", "unknown method '", name, "' (", known, ")");
}

/// The row of `discovery_methods()` of learner `method`.
inline const DiscoveryMethodInfo& discovery_method(DiscoveryMethod method) {
  for (const auto& m : discovery_methods())
    if (m.method == method) return m;
  detail::throw_logic("discovery_method", "learner ", int(method), " has no table row");
}

/// The learner called `name` (a row of `discovery_methods()`); anything else throws. With
/// `unknown_targets` (the known targets ignored) "igsp" means UT-IGSP with fully unknown
/// targets, the one rule both front ends apply to `--unknown-targets`.
inline DiscoveryMethod parse_discovery_method(const std::string& name,
                                              bool unknown_targets = false) {
  const DiscoveryMethod m = discovery_method(name).method;
  return unknown_targets && m == DiscoveryMethod::Igsp ? DiscoveryMethod::Utigsp : m;
}
/// "gaussian" or "kernel" (also "hsic"); anything else throws.
inline DiscoveryTests parse_discovery_tests(const std::string& name) {
  if (name == "gaussian") return DiscoveryTests::Gaussian;
  if (name == "kernel" || name == "hsic") return DiscoveryTests::Kernel;
  detail::throw_invalid("parse_discovery_tests", "unknown tests '", name, "' (gaussian, kernel)");
}

/// Options of `discover`.
struct DiscoveryOptions {
  DiscoveryMethod method = DiscoveryMethod::Igsp;
  DiscoveryTests tests = DiscoveryTests::Gaussian;
  /// Levels, search depth, runs, seed and run progress (alpha is also PC's level).
  IgspOptions search;
  HsicOptions hsic; ///< settings of the kernel tests
  GiesOptions gies; ///< GIES's penalty and phases (GIES uses no tests)
  /// Ignore the known targets (UT-IGSP with fully unknown targets; not allowed for IGSP).
  bool unknown_targets = false;
  /// Bootstrap resamples for stability selection (0: none). Each resample draws every setting's
  /// samples (and the observational ones) with replacement and reruns the method.
  int bootstrap = 0;
  /// Called after each bootstrap resample with (resamples done, total), one call at a time.
  std::function<void(int, int)> bootstrap_progress;
  /// Gaussian tests: shrink the covariance towards its diagonal by this intensity in [0, 1]
  /// (`GaussianCiTest::from_data`), or by Schafer & Strimmer's estimate when negative (for fewer
  /// samples than variables, as in single-cell data and their bootstrap resamples). 0: none.
  double shrinkage = 0;
  /// Stability selection over levels (Meinshausen & Buhlmann 2010): with `bootstrap` > 0, every
  /// resample is learned at each of these test levels (instead of `search.alpha`) and an edge's
  /// frequency is the largest, over the levels, of its frequency at that level. Empty: only
  /// `search.alpha`. The main result is always learned at `search.alpha`. Each direction's
  /// frequency is its own maximum, so directed_frequency(i, j) + directed_frequency(j, i) may
  /// exceed adjacency_frequency(i, j).
  std::vector<double> alphas;
  /// Prior knowledge (an allowed skeleton, forbidden pairs, required arcs) imposed on PC, GSP,
  /// IGSP and UT-IGSP through `ConstrainedCiTest`, and on GIES's moves (`gies`); empty: none.
  /// Over the data's variables.
  BackgroundKnowledge knowledge;
};

/// The result of `discover`.
struct DiscoveryResult {
  /// The learned graph: the DAG with every arc directed (PC: its CPDAG).
  Pdag graph;
  /// The essential graph of `graph`: the I-CPDAG under the targets below (GSP and PC: the
  /// CPDAG). Its undirected edges are the orientations the data cannot decide.
  Pdag essential;
  /// The targets of each setting the essential graph is taken under: the known ones for IGSP
  /// and GIES, the learned ones for UT-IGSP, none for PC and GSP.
  std::vector<std::vector<int>> targets;
  /// With bootstrap: fraction of resamples whose essential graph has the arc i -> j (p x p);
  /// empty otherwise.
  Eigen::MatrixXd directed_frequency;
  /// With bootstrap: fraction of resamples in which i and j are adjacent (symmetric p x p).
  Eigen::MatrixXd adjacency_frequency;
  int bootstrap = 0; ///< resamples behind the frequencies
};

namespace detail {
template <class Ci, class Inv, class Comm>
DiscoveryResult discover_with(const Ci& ci, const Inv& inv,
                              const std::vector<std::vector<int>>& known, const DiscoveryOptions& o,
                              const Comm& comm) {
  DiscoveryResult r;
  switch (o.method) {
  case DiscoveryMethod::Pc: {
    PcOptions po;
    po.alpha = o.search.alpha;
    r.graph = pc(ci, po).cpdag;
    r.essential = r.graph;
    break;
  }
  case DiscoveryMethod::Gsp: {
    const Dag g = gsp(ci, o.search, comm);
    r.graph = Pdag(g);
    r.essential = cpdag(g);
    break;
  }
  case DiscoveryMethod::Igsp: {
    const Dag g = igsp(ci, inv, o.search, comm);
    r.graph = Pdag(g);
    r.targets = known;
    r.essential = interventional_cpdag(g, known);
    break;
  }
  case DiscoveryMethod::Utigsp: {
    UtigspResult u = utigsp(ci, inv, o.search, comm);
    r.graph = Pdag(u.dag);
    r.targets = std::move(u.targets);
    r.essential = interventional_cpdag(u.dag, r.targets);
    break;
  }
  case DiscoveryMethod::Gies:
    throw_logic("discover", "GIES runs without tests"); // handled by discover_once
  }
  o.knowledge.orient(r.graph);
  o.knowledge.orient(r.essential);
  return r;
}

// discover_with under the options' background knowledge, when there is some.
template <class Ci, class Inv, class Comm>
DiscoveryResult discover_constrained(const Ci& ci, const Inv& inv,
                                     const std::vector<std::vector<int>>& known,
                                     const DiscoveryOptions& o, const Comm& comm) {
  if (o.knowledge.empty()) return discover_with(ci, inv, known, o, comm);
  return discover_with(ConstrainedCiTest<Ci>(ci, o.knowledge), inv, known, o, comm);
}

/// One run of `discover` on the given samples (no bootstrap); the search's starting orders go
/// over the processes of `comm`.
/// `obs_groups`: each observational sample's setting (GIES keeps their means apart), or empty.
template <class Comm = SingleProcess>
DiscoveryResult discover_once(const Eigen::MatrixXd& obs,
                              const std::vector<Eigen::MatrixXd>& settings,
                              const std::vector<std::vector<int>>& known, const DiscoveryOptions& o,
                              const std::vector<int>& obs_groups, const Comm& comm = Comm{}) {
  if (o.method == DiscoveryMethod::Gies) {
    GiesResult g = gies(obs, settings, known, o.gies, obs_groups, o.knowledge);
    DiscoveryResult r;
    r.graph = Pdag(g.dag);
    r.essential = std::move(g.essential);
    r.targets = known;
    o.knowledge.orient(r.graph);
    o.knowledge.orient(r.essential);
    return r;
  }
  // PC and GSP use the observational samples only: their invariance tests cover no setting.
  const bool interventional =
      o.method == DiscoveryMethod::Igsp || o.method == DiscoveryMethod::Utigsp;
  const std::vector<Eigen::MatrixXd> no_settings;
  const std::vector<std::vector<int>> no_targets;
  const auto& s = interventional ? settings : no_settings;
  const auto& t = interventional ? known : no_targets;
  if (o.tests == DiscoveryTests::Gaussian)
    return discover_constrained(GaussianCiTest::from_data(obs, o.shrinkage),
                                GaussianInvarianceTests(obs, s, t), known, o, comm);
  return discover_constrained(HsicCiTest(obs, o.hsic), KernelInvarianceTests(obs, s, t, o.hsic),
                              known, o, comm);
}

/// Rows of X drawn with replacement; `labels` (one per row, or empty) follow their rows into
/// `drawn_labels`.
inline Eigen::MatrixXd resample_rows(const Eigen::MatrixXd& X, std::mt19937_64& rng,
                                     const std::vector<int>& labels = {},
                                     std::vector<int>* drawn_labels = nullptr) {
  std::uniform_int_distribution<Eigen::Index> pick(0, X.rows() - 1);
  Eigen::MatrixXd Y(X.rows(), X.cols());
  if (drawn_labels) drawn_labels->clear();
  for (Eigen::Index r = 0; r < X.rows(); ++r) {
    const Eigen::Index i = pick(rng);
    Y.row(r) = X.row(i);
    if (drawn_labels && !labels.empty()) drawn_labels->push_back(labels[std::size_t(i)]);
  }
  return Y;
}
/// The generator of bootstrap resample b under `seed` (the same for any thread or process).
inline std::mt19937_64 bootstrap_rng(std::uint64_t seed, long b) {
  std::seed_seq seq{std::uint32_t(seed), std::uint32_t(seed >> 32), std::uint32_t(b), 0x5eedU};
  return std::mt19937_64(seq);
}

/// One bootstrap resample of `data` drawn with `rng` (every setting's samples, and the
/// observational ones with their setting labels, with replacement) and the essential graphs that
/// `o` (without bootstrap) learns from it at each level of `alphas`.
inline std::vector<Pdag> resampled_essentials(const InterventionalData& data,
                                              const std::vector<std::vector<int>>& known,
                                              DiscoveryOptions o, const std::vector<double>& alphas,
                                              std::mt19937_64& rng) {
  std::vector<int> groups;
  const Eigen::MatrixXd obs =
      resample_rows(data.observational, rng, data.observational_setting_of, &groups);
  std::vector<Eigen::MatrixXd> settings;
  for (const auto& X : data.settings) settings.push_back(resample_rows(X, rng));
  std::vector<Pdag> out;
  for (double a : alphas) {
    o.search.alpha = a;
    out.push_back(discover_once(obs, settings, known, o, groups).essential);
  }
  return out;
}
/// `resampled_essentials` at the level of `o` alone.
inline Pdag resampled_essential(const InterventionalData& data,
                                const std::vector<std::vector<int>>& known,
                                const DiscoveryOptions& o, std::mt19937_64& rng) {
  return std::move(resampled_essentials(data, known, o, {o.search.alpha}, rng).front());
}
} // namespace detail

/// Learns a causal graph from observational and interventional samples with the method and tests
/// of `options`: the DAG (PC: CPDAG), its essential graph under the known (IGSP) or learned
/// (UT-IGSP) targets, and, with `options.bootstrap > 0`, how often each arc and adjacency of the
/// essential graph appears over bootstrap resamples (stability selection: keep the edges above a
/// frequency threshold such as 0.6 - 0.9). Resample b uses its own seed derived from
/// `options.search.seed` and b, and the resamples run on OpenMP threads, so the result is the
/// same on any thread count. PC and GSP use the observational samples only. With
/// `MpiCommunicator` (every process calls it alike) the resamples go round-robin over the
/// processes and their counts are summed, and the main run's starting orders are split too:
/// every process returns exactly the one-process result.
template <class Comm = SingleProcess>
DiscoveryResult discover(const InterventionalData& data, const DiscoveryOptions& options = {},
                         const Comm& comm = Comm{}) {
  const char* fn = "discover";
  if (options.unknown_targets &&
      (options.method == DiscoveryMethod::Igsp || options.method == DiscoveryMethod::Gies))
    detail::throw_invalid(fn, options.method == DiscoveryMethod::Igsp ? "IGSP" : "GIES",
                          " needs the known targets (use UT-IGSP for unknown targets)");
  if (options.method == DiscoveryMethod::Gies && options.tests != DiscoveryTests::Gaussian)
    detail::throw_invalid(fn, "GIES scores with the Gaussian BIC and runs no tests (use the "
                              "Gaussian setting, or IGSP / UT-IGSP for kernel tests)");
  if (options.bootstrap < 0)
    detail::throw_invalid(fn, "bootstrap must be >= 0, got ", options.bootstrap);
  if (!(options.shrinkage <= 1))
    detail::throw_invalid(fn, "shrinkage must be <= 1 (negative: estimated), got ",
                          options.shrinkage);
  for (double a : options.alphas)
    if (!(a > 0 && a < 1))
      detail::throw_invalid(fn, "every level of alphas must be in (0, 1), got ", a);
  if (!options.alphas.empty() && options.bootstrap == 0)
    detail::throw_invalid(fn, "alphas (stability selection over levels) needs bootstrap > 0");
  if (!options.alphas.empty() && options.method == DiscoveryMethod::Gies)
    detail::throw_invalid(fn, "alphas are levels of tests; GIES runs none");
  data.validate(fn); // also what an observational learner ignores: nothing malformed passes
  if (!options.knowledge.empty()) {
    if (options.knowledge.num_variables() != data.observational.cols())
      detail::throw_invalid(fn, "background knowledge over ", options.knowledge.num_variables(),
                            " variables for data of ", data.observational.cols());
  }
  const std::vector<std::vector<int>> known =
      options.unknown_targets ? std::vector<std::vector<int>>(data.settings.size()) : data.targets;
  DiscoveryResult result = detail::discover_once(data.observational, data.settings, known, options,
                                                 data.observational_setting_of, comm);
  if (options.bootstrap == 0) return result;

  const int B = options.bootstrap;
  const int p = int(data.observational.cols());
  DiscoveryOptions inner = options;
  inner.search.progress = nullptr;
  const std::vector<double> alphas =
      options.alphas.empty() ? std::vector<double>{options.search.alpha} : options.alphas;
  const std::size_t A = alphas.size();
  std::vector<std::vector<Pdag>> graphs(static_cast<std::size_t>(B));
  const std::vector<long> mine = items_of(round_robin_owners(B, comm.size()), comm.rank());
  std::mutex progress_mutex;
  int done = 0;
  collectively(comm, [&] {
    detail::parallel_for(long(mine.size()), [&](long i) {
      const long b = mine[std::size_t(i)];
      std::mt19937_64 rng = detail::bootstrap_rng(options.search.seed, b);
      graphs[std::size_t(b)] = detail::resampled_essentials(data, known, inner, alphas, rng);
      if (options.bootstrap_progress) {
        const std::lock_guard<std::mutex> lock(progress_mutex);
        options.bootstrap_progress(++done, int(mine.size()));
      }
    });
  });
  result.directed_frequency = Eigen::MatrixXd::Zero(p, p);
  result.adjacency_frequency = Eigen::MatrixXd::Zero(p, p);
  for (std::size_t a = 0; a < A; ++a) {
    Eigen::MatrixXd directed = Eigen::MatrixXd::Zero(p, p), adjacency = directed;
    for (long b : mine) {
      const Pdag& g = graphs[std::size_t(b)][a];
      for (const auto& [i, j] : g.arcs()) {
        directed(i, j) += 1;
        adjacency(i, j) += 1;
        adjacency(j, i) += 1;
      }
      for (const auto& [i, j] : g.undirected_edges()) {
        adjacency(i, j) += 1;
        adjacency(j, i) += 1;
      }
    }
    comm.sum(directed); // counts: exact in any order
    comm.sum(adjacency);
    result.directed_frequency = result.directed_frequency.cwiseMax(directed / double(B));
    result.adjacency_frequency = result.adjacency_frequency.cwiseMax(adjacency / double(B));
  }
  result.bootstrap = B;
  return result;
}

/// The edges of a stability selection: every pair adjacent in at least `threshold` of the
/// resamples, as a PDAG whose arc i -> j is directed when i -> j appeared in at least
/// `threshold` of the resamples and more often than j -> i, and undirected otherwise (with a
/// threshold of 0.5 or less both directions can pass it; neither is then preferred).
inline Pdag stable_edges(const DiscoveryResult& r, double threshold) {
  const char* fn = "stable_edges";
  if (r.bootstrap == 0) detail::throw_invalid(fn, "the result has no bootstrap frequencies");
  if (!(threshold > 0 && threshold <= 1))
    detail::throw_invalid(fn, "threshold must be in (0, 1], got ", threshold);
  const int p = int(r.adjacency_frequency.rows());
  Pdag out(p);
  for (int i = 0; i < p; ++i)
    for (int j = i + 1; j < p; ++j) {
      if (r.adjacency_frequency(i, j) < threshold) continue;
      const double ij = r.directed_frequency(i, j), ji = r.directed_frequency(j, i);
      if (ij >= threshold && ij > ji)
        out.add_arc(i, j);
      else if (ji >= threshold && ji > ij)
        out.add_arc(j, i);
      else
        out.add_undirected(i, j);
    }
  return out;
}

} // namespace cimpute
