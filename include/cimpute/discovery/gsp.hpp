/// @file gsp.hpp
/// @brief Greedy sparsest permutation (GSP): minimal I-maps of permutations, covered-arc
/// reversals with the correct minimal-I-map update, minimum-degree starting orders, and the
/// depth-limited search over covered-arc reversals (Solus, Wang & Uhler 2021).
#pragma once

#include "cimpute/core/communicator.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/discovery/background_knowledge.hpp"
#include "cimpute/discovery/gaussian_ci_test.hpp"
#include "cimpute/graph/dag.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <unordered_set>
#include <utility>
#include <vector>

namespace cimpute {

/// The minimal I-map of the permutation `order` under a conditional independence test: the arc
/// order[a] -> order[b] (a < b) is present iff order[a] and order[b] are dependent given
/// {order[0..b-1]} without order[a]. `CiTest` as for `pc`.
template <class CiTest>
Dag minimal_imap(const CiTest& test, const std::vector<int>& order, double alpha) {
  const int p = test.num_variables();
  if (int(order.size()) != p)
    detail::throw_invalid("minimal_imap", "the order has ", order.size(), " entries for ", p,
                          " variables");
  Dag g(p);
  std::vector<int> prefix;
  for (int b = 0; b < p; ++b) {
    const int j = order[std::size_t(b)];
    for (int a = 0; a < b; ++a) {
      const int i = order[std::size_t(a)];
      std::vector<int> S;
      for (int v : prefix)
        if (v != i) S.push_back(v);
      if (!test.independent(i, j, S, alpha)) g.add_arc(i, j);
    }
    prefix.push_back(j);
  }
  return g;
}

namespace detail {
/// The Gaussian minimal I-map from the precision matrix (see `minimal_imap`), with the pairs that
/// `knowledge` (when given) rules out left out and its required pairs kept.
inline Dag gaussian_minimal_imap(const GaussianCiTest& test, const std::vector<int>& order,
                                 double alpha, const ConstrainedCiTest<GaussianCiTest>* knowledge) {
  const int p = test.num_variables();
  if (int(order.size()) != p)
    detail::throw_invalid("minimal_imap", "the order has ", order.size(), " entries for ", p,
                          " variables");
  Eigen::MatrixXd S(p, p);
  for (int a = 0; a < p; ++a)
    for (int b = 0; b < p; ++b)
      S(a, b) = test.covariance()(order[std::size_t(a)], order[std::size_t(b)]);
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(S);
  Eigen::MatrixXd P = ldlt.solve(Eigen::MatrixXd::Identity(p, p));
  Dag g(p);
  for (int b = p - 1; b >= 1; --b) {
    const int j = order[std::size_t(b)];
    for (int a = 0; a < b; ++a) {
      const int i = order[std::size_t(a)];
      if (knowledge && knowledge->skipped(i, j)) continue;
      const double r = -P(a, b) / std::sqrt(P(a, a) * P(b, b));
      if ((knowledge && knowledge->knowledge().required_pair(i, j)) ||
          test.p_value_of(r, std::size_t(b - 1)) < alpha)
        g.add_arc(i, j);
    }
    const Eigen::VectorXd col = P.col(b).head(b);
    const double d = P(b, b);
    P.conservativeResize(b, b);
    P.noalias() -= col * col.transpose() / d;
  }
  return g;
}
} // namespace detail

/// The Gaussian fast path of `minimal_imap` (Solus et al. 2021): with P the precision matrix of
/// the variables in `order`, the partial correlations of the last variable of the order with
/// each earlier one given the rest are read off P's last row; removing that variable from P is a
/// Schur complement (P without its last row and column, minus the outer product of that row over
/// its diagonal entry), which leaves the precision of the shorter prefix. O(p^3) in all, against
/// O(p^2) separate tests of growing conditioning sets for the generic version; same tests and
/// p-values up to rounding.
inline Dag minimal_imap(const GaussianCiTest& test, const std::vector<int>& order, double alpha) {
  return detail::gaussian_minimal_imap(test, order, alpha, nullptr);
}
/// The Gaussian fast path under background knowledge.
inline Dag minimal_imap(const ConstrainedCiTest<GaussianCiTest>& test,
                        const std::vector<int>& order, double alpha) {
  return detail::gaussian_minimal_imap(test.inner(), order, alpha, &test);
}

namespace detail {
/// What `reverse_covered_arc_in_place` changed, for `undo_reversal`.
struct CoveredReversal {
  int i, j;
  std::vector<std::pair<int, int>> removed; ///< arcs dropped by the minimal-I-map update
};

/// `reverse_covered_arc` on `g` itself (no copy), returning what to undo.
template <class CiTest>
CoveredReversal reverse_covered_arc_in_place(const CiTest& test, Dag& g, int i, int j,
                                             double alpha) {
  if (!g.is_covered(i, j))
    throw_invalid("reverse_covered_arc", "the arc ", i, " -> ", j, " is not covered");
  CoveredReversal r{i, j, {}};
  const std::vector<int> pa = g.parents(i);
  g.reverse_arc(i, j);
  for (int k : pa) {
    std::vector<int> R;
    for (int v : pa)
      if (v != k) R.push_back(v);
    std::vector<int> Rj = R;
    Rj.push_back(j);
    std::sort(Rj.begin(), Rj.end());
    if (test.independent(i, k, Rj, alpha)) g.remove_arc(k, i), r.removed.push_back({k, i});
    if (test.independent(j, k, R, alpha)) g.remove_arc(k, j), r.removed.push_back({k, j});
  }
  return r;
}

/// Restore g as it was before `reverse_covered_arc_in_place` returned `r`.
inline void undo_reversal(Dag& g, const CoveredReversal& r) {
  g.reverse_arc(r.j, r.i);
  for (const auto& [a, b] : r.removed) g.add_arc(a, b);
}
} // namespace detail

/// Reverse the covered arc i -> j of a minimal I-map and update it to the minimal I-map of the
/// permutation with i and j swapped (Solus et al. 2021, Lemma): j -> i replaces i -> j, and for
/// every k in pa(i) (= pa(j) without i), with R = pa(i) \ {k}: the arc k -> i is dropped when
/// i _||_ k | R u {j}, and k -> j when j _||_ k | R.
template <class CiTest>
Dag reverse_covered_arc(const CiTest& test, const Dag& g, int i, int j, double alpha) {
  Dag h = g;
  detail::reverse_covered_arc_in_place(test, h, i, j, alpha);
  return h;
}

namespace detail {
// i - j iff i and j are dependent given all other variables.
template <class CiTest>
std::vector<std::set<int>> dependence_graph(const CiTest& test, double alpha) {
  const int p = test.num_variables();
  std::vector<std::set<int>> nb(static_cast<std::size_t>(p));
  for (int i = 0; i < p; ++i)
    for (int j = i + 1; j < p; ++j) {
      std::vector<int> rest;
      for (int v = 0; v < p; ++v)
        if (v != i && v != j) rest.push_back(v);
      if (!test.independent(i, j, rest, alpha)) {
        nb[std::size_t(i)].insert(j);
        nb[std::size_t(j)].insert(i);
      }
    }
  return nb;
}
// Gaussian: all partial correlations given the rest from one precision matrix (the pairs that
// `knowledge`, when given, rules out left out, its required ones kept).
inline std::vector<std::set<int>>
gaussian_dependence_graph(const GaussianCiTest& test, double alpha,
                          const ConstrainedCiTest<GaussianCiTest>* knowledge) {
  const int p = test.num_variables();
  const Eigen::MatrixXd P = test.covariance().ldlt().solve(Eigen::MatrixXd::Identity(p, p));
  std::vector<std::set<int>> nb(static_cast<std::size_t>(p));
  for (int i = 0; i < p; ++i)
    for (int j = i + 1; j < p; ++j) {
      if (knowledge && knowledge->skipped(i, j)) continue;
      if ((knowledge && knowledge->knowledge().required_pair(i, j)) ||
          test.p_value_of(-P(i, j) / std::sqrt(P(i, i) * P(j, j)), std::size_t(p - 2)) < alpha) {
        nb[std::size_t(i)].insert(j);
        nb[std::size_t(j)].insert(i);
      }
    }
  return nb;
}
inline std::vector<std::set<int>> dependence_graph(const GaussianCiTest& test, double alpha) {
  return gaussian_dependence_graph(test, alpha, nullptr);
}
inline std::vector<std::set<int>> dependence_graph(const ConstrainedCiTest<GaussianCiTest>& test,
                                                   double alpha) {
  return gaussian_dependence_graph(test.inner(), alpha, &test);
}
} // namespace detail

/// A starting order for permutation searches: the undirected graph with an edge i - j iff i and
/// j are dependent given all other variables, eliminated by minimum degree (ties broken at
/// random; eliminating a node joins its neighbours), the elimination order reversed.
template <class CiTest>
std::vector<int> minimum_degree_order(const CiTest& test, double alpha, std::uint64_t seed) {
  const int p = test.num_variables();
  std::vector<std::set<int>> nb = detail::dependence_graph(test, alpha);
  std::mt19937_64 rng(seed);
  std::vector<char> gone(static_cast<std::size_t>(p), 0);
  std::vector<int> elimination;
  for (int step = 0; step < p; ++step) {
    std::size_t best = std::size_t(-1);
    std::vector<int> ties;
    for (int v = 0; v < p; ++v) {
      if (gone[std::size_t(v)]) continue;
      const std::size_t d = nb[std::size_t(v)].size();
      if (d < best) best = d, ties.clear();
      if (d == best) ties.push_back(v);
    }
    const int v = ties[std::uniform_int_distribution<std::size_t>(0, ties.size() - 1)(rng)];
    const std::vector<int> n(nb[std::size_t(v)].begin(), nb[std::size_t(v)].end());
    for (int a : n) {
      nb[std::size_t(a)].erase(v);
      for (int b : n)
        if (a != b) nb[std::size_t(a)].insert(b);
    }
    nb[std::size_t(v)].clear();
    gone[std::size_t(v)] = 1;
    elimination.push_back(v);
  }
  std::reverse(elimination.begin(), elimination.end());
  return elimination;
}

/// Options of `gsp` (defaults as in the reference implementation).
struct GspOptions {
  double alpha = 1e-3; ///< level of the conditional independence tests
  int depth = 4;       ///< depth of the search over covered-arc reversals before giving up
  int runs = 5;        ///< starting orders searched; the sparsest result wins
  int candidates = 10; ///< minimum-degree orders drawn; the `runs` sparsest I-maps are searched
  std::uint64_t seed = 1;
  /// Called after each run with (run index, arcs of that run's result). Runs are parallel, so
  /// calls come from any thread, one at a time, in completion order.
  std::function<void(int, int)> progress;

  void validate(const char* fn) const {
    if (!(alpha > 0 && alpha < 1))
      detail::throw_invalid(fn, "alpha must be in (0, 1), got ", alpha);
    if (depth < 1) detail::throw_invalid(fn, "depth must be >= 1, got ", depth);
    if (runs < 1) detail::throw_invalid(fn, "runs must be >= 1, got ", runs);
    if (candidates < runs)
      detail::throw_invalid(fn, "candidates (", candidates, ") must be >= runs (", runs, ")");
  }
};

namespace detail {
/// The hash of one arc (splitmix64 of the pair); an arc set hashes to the sum of its arcs'
/// hashes (mod 2^64), so a reversal updates it in O(1). The visited set of the covered-arc
/// search holds these sums (a collision, with probability ~ visited^2 / 2^64, would only skip
/// one DAG of the search).
inline std::uint64_t arc_hash(int i, int j) {
  std::uint64_t x = (std::uint64_t(std::uint32_t(i)) << 32) | std::uint32_t(j);
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
inline std::uint64_t arc_set_hash(const Dag& g) {
  std::uint64_t h = 0;
  for (int i = 0; i < g.num_nodes(); ++i)
    for (int j : g.children(i)) h += arc_hash(i, j);
  return h;
}

/// The covered arcs of g, in arc order.
inline std::vector<std::pair<int, int>> covered_arcs(const Dag& g) {
  std::vector<std::pair<int, int>> out;
  for (const auto& [i, j] : g.arcs())
    if (g.is_covered(i, j)) out.push_back({i, j});
  return out;
}

/// The score of the covered-arc searches: (arcs, a count compared second; smaller is better).
using SearchScore = std::pair<int, long>;

/// GSP's score: the number of arcs (no per-node terms).
struct ArcCountScore {
  SearchScore full(const Dag& g, std::vector<long>& terms) {
    terms.clear();
    return {g.num_arcs(), 0};
  }
  SearchScore update(const Dag& g, const std::vector<long>&, const std::vector<int>&,
                     const SearchScore&, std::vector<std::pair<int, long>>& changed_terms) {
    changed_terms.clear();
    return {g.num_arcs(), 0};
  }
};

/// Depth-limited depth-first search over covered-arc reversals from `start`, under a
/// lexicographic score (smaller is better): whenever a strictly better DAG is found the search
/// restarts from it; ends when no DAG within `depth` reversals of the current one is better.
/// `allowed(g, i, j)` filters the reversals. The scorer is incremental: `full(g, terms)` scores
/// a DAG and fills per-node terms; `update(g, terms, changed, score, new_terms)` rescores g after
/// a reversal that changed the neighbourhoods of the nodes `changed`, from the terms before it,
/// returning the changed terms — so a candidate costs the degrees of the nodes it touched, not
/// O(p + arcs). Each DFS level keeps its own list of remaining candidates, so backtracking
/// resumes the parent's list. Candidates are reversed in place and undone, so a DAG is copied
/// only when the search enters it.
template <class CiTest, class Scorer, class Allowed>
Dag covered_arc_search(Dag start, int depth, Scorer& scorer, Allowed&& allowed, const CiTest& test,
                       double alpha) {
  Dag current = std::move(start);
  std::vector<long> current_terms;
  SearchScore best = scorer.full(current, current_terms);
  std::vector<int> changed;
  std::vector<std::pair<int, long>> new_terms;
  auto apply = [](std::vector<long> terms, const std::vector<std::pair<int, long>>& delta) {
    for (const auto& [v, t] : delta) terms[std::size_t(v)] = t;
    return terms;
  };
  while (true) {
    struct Frame {
      Dag g;
      std::vector<long> terms;
      SearchScore score;
      std::uint64_t hash;
      std::vector<std::pair<int, int>> candidates; // covered arcs still to try
      std::size_t next = 0;
    };
    const std::uint64_t start_hash = arc_set_hash(current);
    std::unordered_set<std::uint64_t> visited{start_hash};
    std::vector<Frame> stack;
    stack.push_back({current, current_terms, best, start_hash, covered_arcs(current), 0});
    bool improved = false;
    while (!stack.empty() && !improved) {
      Frame& f = stack.back();
      if (f.next == f.candidates.size()) {
        stack.pop_back();
        continue;
      }
      const auto [i, j] = f.candidates[f.next++];
      if (!allowed(f.g, i, j) || !reversible(test, i, j)) continue;
      const CoveredReversal r = reverse_covered_arc_in_place(test, f.g, i, j, alpha);
      std::uint64_t h = f.hash - arc_hash(i, j) + arc_hash(j, i);
      changed.assign({i, j});
      for (const auto& [a, b] : r.removed) {
        h -= arc_hash(a, b);
        changed.push_back(a);
      }
      if (visited.insert(h).second) {
        std::sort(changed.begin(), changed.end());
        changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
        const SearchScore s = scorer.update(f.g, f.terms, changed, f.score, new_terms);
        if (s < best) {
          current = f.g;
          current_terms = apply(f.terms, new_terms);
          best = s;
          improved = true;
        } else if (!(best < s) && int(stack.size()) < depth) {
          // Equally good: explore further (DAGs with a worse score are not entered).
          Frame child{f.g, apply(f.terms, new_terms), s, h, covered_arcs(f.g), 0};
          undo_reversal(f.g, r); // before push_back invalidates f
          stack.push_back(std::move(child));
          continue;
        }
      }
      undo_reversal(f.g, r);
    }
    if (!improved) return current;
  }
}

/// The searches of GSP and its interventional variants: draw `candidates` minimum-degree
/// orders, keep the `runs` with the sparsest minimal I-maps, run `search(start)` (returning the
/// DAG and its score) from each, and return the best-scoring DAG (the lowest run index on ties).
/// The starts and the runs are independent tasks on OpenMP threads (`detail::parallel_for`):
/// each start's seed is drawn beforehand and each run writes its own slot, so the result is the
/// same on any thread count. `search` must therefore be callable concurrently (the tests' memos
/// are guarded; per-run state belongs inside `search`). Over several processes (`comm`) the
/// runs go round-robin, their scores are shared and the best run's process sends its arcs: every
/// process returns the one-process result.
inline Eigen::RowVector2d score_row(int s) {
  return {double(s), 0.0};
}
inline Eigen::RowVector2d score_row(const std::pair<int, long>& s) {
  return {double(s.first), double(s.second)};
}
template <class CiTest, class Search, class Comm = SingleProcess>
Dag best_of_runs(const CiTest& ci, const GspOptions& o, Search&& search,
                 const Comm& comm = Comm{}) {
  std::mt19937_64 rng(o.seed);
  std::vector<std::uint64_t> seeds(static_cast<std::size_t>(o.candidates));
  for (auto& s : seeds) s = rng();
  std::vector<Dag> starts(seeds.size());
  parallel_for(long(seeds.size()), [&](long c) {
    starts[std::size_t(c)] = minimal_imap(
        ci, search_order(ci, minimum_degree_order(ci, o.alpha, seeds[std::size_t(c)])), o.alpha);
  });
  std::stable_sort(starts.begin(), starts.end(),
                   [](const Dag& a, const Dag& b) { return a.num_arcs() < b.num_arcs(); });
  starts.resize(std::size_t(o.runs));
  using Result = decltype(search(starts[0]));
  std::vector<Result> results(starts.size());
  const std::vector<int> owner = round_robin_owners(Eigen::Index(starts.size()), comm.size());
  const std::vector<long> mine = items_of(owner, comm.rank());
  std::mutex progress_mutex;
  collectively(comm, [&] {
    parallel_for(long(mine.size()), [&](long i) {
      const std::size_t r = std::size_t(mine[std::size_t(i)]);
      results[r] = search(starts[r]);
      if (o.progress) {
        const std::lock_guard<std::mutex> lock(progress_mutex);
        o.progress(int(r), results[r].first.num_arcs());
      }
    });
  });
  if (comm.size() == 1) {
    std::size_t best = 0;
    for (std::size_t r = 1; r < results.size(); ++r)
      if (results[r].second < results[best].second) best = r;
    project(ci, results[best].first);
    return std::move(results[best].first);
  }
  // Scores as (first, second) rows, compared lexicographically as the scores themselves are.
  Eigen::MatrixXd scores = Eigen::MatrixXd::Zero(Eigen::Index(results.size()), 2);
  for (long r : mine) scores.row(r) = score_row(results[std::size_t(r)].second);
  comm.share_rows(scores, owner);
  Eigen::Index best = 0;
  for (Eigen::Index r = 1; r < scores.rows(); ++r)
    if (scores(r, 0) < scores(best, 0) ||
        (scores(r, 0) == scores(best, 0) && scores(r, 1) < scores(best, 1)))
      best = r;
  Eigen::Matrix<int, Eigen::Dynamic, 2> arcs;
  if (owner[std::size_t(best)] == comm.rank()) {
    const auto list = results[std::size_t(best)].first.arcs();
    arcs.resize(Eigen::Index(list.size()), 2);
    for (std::size_t k = 0; k < list.size(); ++k)
      arcs.row(Eigen::Index(k)) << list[k].first, list[k].second;
  }
  comm.broadcast(arcs, owner[std::size_t(best)]);
  const Dag& start = starts[std::size_t(best)];
  Dag g = start.names().empty() ? Dag(start.num_nodes()) : Dag(start.names());
  for (Eigen::Index k = 0; k < arcs.rows(); ++k) g.add_arc(arcs(k, 0), arcs(k, 1));
  project(ci, g);
  return g;
}
} // namespace detail

/// Greedy sparsest permutation (Solus, Wang & Uhler 2021) from observational data: draw
/// `candidates` minimum-degree starting orders, keep the `runs` with the sparsest minimal
/// I-maps, and from each search over covered-arc reversals (depth-limited DFS; any strictly
/// sparser DAG restarts the search from it); return the sparsest DAG found. Deterministic for a
/// given seed.
template <class CiTest, class Comm = SingleProcess>
Dag gsp(const CiTest& test, const GspOptions& options = {}, const Comm& comm = Comm{}) {
  options.validate("gsp");
  auto allowed = [](const Dag&, int, int) { return true; };
  return detail::best_of_runs(
      test, options,
      [&](const Dag& start) {
        detail::ArcCountScore score;
        Dag g =
            detail::covered_arc_search(start, options.depth, score, allowed, test, options.alpha);
        const int arcs = g.num_arcs();
        return std::make_pair(std::move(g), arcs);
      },
      comm);
}

} // namespace cimpute
