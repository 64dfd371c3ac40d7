/// @file pc.hpp
/// @brief The PC algorithm, order-independent ("stable") variant: the classic constraint-based
/// baseline for causal discovery from observational data.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/discovery/background_knowledge.hpp"
#include "cimpute/graph/meek_rules.hpp"
#include "cimpute/graph/pdag.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace cimpute {

/// Options of `pc`.
struct PcOptions {
  double alpha = 1e-3;       ///< level of the conditional independence tests
  int max_conditioning = -1; ///< largest conditioning set tried (-1: no limit)
};

/// Result of `pc`.
struct PcResult {
  Pdag cpdag; ///< the estimated CPDAG (skeleton, v-structures, Meek rules R1-R3)
  /// The separating set found for each removed edge (i < j).
  std::map<std::pair<int, int>, std::vector<int>> separating_sets;
  long long tests = 0; ///< conditional independence tests run
};

/// The PC algorithm (Spirtes, Glymour & Scheines 2000) in the order-independent variant of
/// Colombo & Maathuis (2014): starting from the complete graph, for conditioning-set sizes
/// l = 0, 1, ... remove the edge i - j when i and j are independent given some l-subset of the
/// adjacencies of i (or of j) *as they were at the start of level l*, so the skeleton does not
/// depend on the variable order. Then orient every unshielded triple i - k - j with k outside
/// the separating set of (i, j) as i -> k <- j (an edge claimed in both directions by
/// conflicting v-structures stays undirected), and close under Meek's rules R1-R3.
///
/// `CiTest` needs `int num_variables() const` and `bool independent(int i, int j, const
/// std::vector<int>& S, double alpha) const` (e.g. `GaussianCiTest`, or a d-separation oracle).
/// Under `ConstrainedCiTest` the pairs its knowledge rules out are absent from the start (their
/// separating sets, for the orientation of unshielded triples, are then searched among the
/// adjacencies of either end with the unconstrained test) and required pairs stay adjacent;
/// `BackgroundKnowledge::orient` then directs the required arcs.
template <class CiTest>
PcResult pc(const CiTest& test, const PcOptions& options = {}) {
  const char* fn = "pc";
  if (!(options.alpha > 0 && options.alpha < 1))
    detail::throw_invalid(fn, "alpha must be in (0, 1), got ", options.alpha);
  const int p = test.num_variables();
  std::vector<std::vector<char>> adj(static_cast<std::size_t>(p),
                                     std::vector<char>(static_cast<std::size_t>(p), 1));
  for (int i = 0; i < p; ++i) adj[std::size_t(i)][std::size_t(i)] = 0;
  // Pairs ruled out by background knowledge are never adjacent and never tested for removal.
  std::vector<std::pair<int, int>> gaps;
  for (int i = 0; i < p; ++i)
    for (int j = i + 1; j < p; ++j)
      if (detail::prior_gap(test, i, j)) {
        adj[std::size_t(i)][std::size_t(j)] = adj[std::size_t(j)][std::size_t(i)] = 0;
        gaps.emplace_back(i, j);
      }
  PcResult res;
  // Calls f(S) for every l-subset S of cand in lexicographic order until f returns true.
  auto find_subset = [](const std::vector<int>& cand, int l, auto&& f) {
    if (int(cand.size()) < l) return false;
    std::vector<int> pick(static_cast<std::size_t>(l));
    for (int k = 0; k < l; ++k) pick[std::size_t(k)] = k;
    while (true) {
      std::vector<int> S;
      for (int k : pick) S.push_back(cand[std::size_t(k)]);
      if (f(S)) return true;
      int k = l - 1;
      while (k >= 0 && pick[std::size_t(k)] == int(cand.size()) - l + k) --k;
      if (k < 0) return false;
      ++pick[std::size_t(k)];
      for (int m = k + 1; m < l; ++m) pick[std::size_t(m)] = pick[std::size_t(m - 1)] + 1;
    }
  };
  for (int l = 0; options.max_conditioning < 0 || l <= options.max_conditioning; ++l) {
    // Adjacencies frozen at the start of the level.
    std::vector<std::vector<int>> frozen(static_cast<std::size_t>(p));
    for (int i = 0; i < p; ++i)
      for (int j = 0; j < p; ++j)
        if (adj[std::size_t(i)][std::size_t(j)]) frozen[std::size_t(i)].push_back(j);
    bool any = false;
    for (int i = 0; i < p; ++i)
      for (int j : frozen[std::size_t(i)]) {
        if (!adj[std::size_t(i)][std::size_t(j)]) continue; // removed from the other side
        std::vector<int> cand;
        for (int v : frozen[std::size_t(i)])
          if (v != j) cand.push_back(v);
        if (int(cand.size()) < l) continue;
        any = true;
        find_subset(cand, l, [&](const std::vector<int>& S) {
          ++res.tests;
          if (!test.independent(i, j, S, options.alpha)) return false;
          adj[std::size_t(i)][std::size_t(j)] = adj[std::size_t(j)][std::size_t(i)] = 0;
          res.separating_sets[{std::min(i, j), std::max(i, j)}] = S;
          return true;
        });
      }
    if (!any) break;
  }
  // A pair ruled out by the knowledge orients its unshielded triples only through a separating
  // set found by the unconstrained test among the adjacencies of either end; none found: no claim.
  for (const auto& [i, j] : gaps) {
    bool shared = false;
    for (int k = 0; k < p && !shared; ++k)
      shared = adj[std::size_t(i)][std::size_t(k)] && adj[std::size_t(j)][std::size_t(k)];
    if (!shared) continue;
    for (int end : {i, j}) {
      std::vector<int> cand;
      for (int v = 0; v < p; ++v)
        if (adj[std::size_t(end)][std::size_t(v)]) cand.push_back(v);
      const int top = options.max_conditioning < 0
                          ? int(cand.size())
                          : std::min(int(cand.size()), options.max_conditioning);
      bool found = false;
      for (int l = 0; l <= top && !found; ++l)
        found = find_subset(cand, l, [&](const std::vector<int>& S) {
          ++res.tests;
          if (!detail::unconstrained(test).independent(i, j, S, options.alpha)) return false;
          res.separating_sets[{i, j}] = S;
          return true;
        });
      if (found) break;
    }
  }
  // Skeleton, then the v-structures (conflicting claims leave the edge undirected).
  Pdag g(p);
  for (int i = 0; i < p; ++i)
    for (int j = i + 1; j < p; ++j)
      if (adj[std::size_t(i)][std::size_t(j)]) g.add_undirected(i, j);
  std::set<std::pair<int, int>> claims; // (a, b): some v-structure wants a -> b
  for (const auto& [ij, S] : res.separating_sets) {
    const auto [i, j] = ij;
    for (int k = 0; k < p; ++k)
      if (adj[std::size_t(i)][std::size_t(k)] && adj[std::size_t(j)][std::size_t(k)] &&
          std::find(S.begin(), S.end(), k) == S.end()) {
        claims.insert({i, k});
        claims.insert({j, k});
      }
  }
  for (const auto& [a, b] : claims)
    if (!claims.count({b, a})) g.add_arc(a, b); // else conflicting v-structures: keep a - b
  apply_meek_rules(g);
  res.cpdag = std::move(g);
  return res;
}

} // namespace cimpute
