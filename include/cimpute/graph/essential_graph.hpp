/// @file essential_graph.hpp
/// @brief Essential graphs: the CPDAG of a DAG's Markov equivalence class and the interventional
/// CPDAG of its interventional equivalence class; class sizes for small graphs, random members
/// of large classes.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/graph/pdag.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace cimpute {

namespace detail {

/// Is the arc a -> b of G strongly protected (Andersson, Madigan & Perlman 1997; Hauser &
/// Bühlmann 2012)? One of: (a) c -> b with c not adjacent to a (a v-structure); (b) c -> a with c
/// not adjacent to b; (c) a -> c -> b; (d) a - c1 -> b and a - c2 -> b with c1, c2 not adjacent;
/// or (I) some target set contains exactly one of a and b.
inline bool strongly_protected(const Pdag& G, int a, int b,
                               const std::vector<std::vector<char>>& in_target) {
  for (const auto& T : in_target)
    if (T[std::size_t(a)] != T[std::size_t(b)]) return true;
  for (int c : G.parents(b))
    if (c != a && !G.adjacent(c, a)) return true;
  for (int c : G.parents(a))
    if (!G.adjacent(c, b)) return true;
  for (int c : G.children(a))
    if (G.has_arc(c, b)) return true;
  std::vector<int> cs;
  for (int c : G.undirected_neighbors(a))
    if (G.has_arc(c, b)) cs.push_back(c);
  for (std::size_t i = 0; i < cs.size(); ++i)
    for (std::size_t j = i + 1; j < cs.size(); ++j)
      if (!G.adjacent(cs[i], cs[j])) return true;
  return false;
}

/// One 0/1 membership mask per target set (each of length p); throws for a node outside [0, p).
inline std::vector<std::vector<char>> target_masks(const std::vector<std::vector<int>>& targets,
                                                   int p, const char* fn) {
  std::vector<std::vector<char>> in_target;
  for (const auto& T : targets) {
    std::vector<char> m(static_cast<std::size_t>(p), 0);
    for (int v : T) {
      if (v < 0 || v >= p) throw_invalid(fn, "target ", v, " outside [0, ", p, ")");
      m[std::size_t(v)] = 1;
    }
    in_target.push_back(std::move(m));
  }
  return in_target;
}

/// The essential graph of the DAG whose arcs are those of `G` (a PDAG without undirected
/// edges) under the target masks: start from the DAG and turn every arc that is not strongly
/// protected into an undirected edge, all at once, until nothing changes; the limit is the
/// (interventional) essential graph.
inline Pdag essential_graph_of_arcs(Pdag G, const std::vector<std::vector<char>>& in_target) {
  while (true) {
    std::vector<std::pair<int, int>> weak;
    for (const auto& [a, b] : G.arcs())
      if (!strongly_protected(G, a, b, in_target)) weak.emplace_back(a, b);
    if (weak.empty()) break;
    for (const auto& [a, b] : weak) G.add_undirected(a, b);
  }
  return G;
}

inline Pdag essential_graph(const Dag& g, const std::vector<std::vector<int>>& targets,
                            const char* fn) {
  return essential_graph_of_arcs(Pdag(g), target_masks(targets, g.num_nodes(), fn));
}
} // namespace detail

/// The CPDAG (essential graph) of the Markov equivalence class of `g`: arcs shared by every DAG
/// of the class stay directed, the others become undirected.
inline Pdag cpdag(const Dag& g) {
  return detail::essential_graph(g, {}, "cpdag");
}

/// The interventional CPDAG of `g` for a family of intervention target sets (Hauser & Bühlmann
/// 2012): an arc is additionally fixed when some target set contains exactly one of its ends.
/// The observational setting (the empty target set) is part of every family; it needs not be
/// listed.
inline Pdag interventional_cpdag(const Dag& g, const std::vector<std::vector<int>>& targets) {
  return detail::essential_graph(g, targets, "interventional_cpdag");
}

namespace detail {
// Calls f(dag) for every DAG whose (interventional) essential graph equals `e`, found by
// enumerating the orientations of e's undirected edges.
template <class F>
void for_each_class_member(const Pdag& e, const std::vector<std::vector<int>>& targets,
                           const char* fn, F&& f) {
  const auto und = e.undirected_edges();
  if (und.size() > 24) throw_invalid(fn, und.size(), " undirected edges: too many to enumerate");
  for (std::uint64_t mask = 0; mask < (std::uint64_t(1) << und.size()); ++mask) {
    Dag g(e.num_nodes());
    try {
      for (const auto& [i, j] : e.arcs()) g.add_arc(i, j);
      for (std::size_t k = 0; k < und.size(); ++k) {
        const auto [i, j] = und[k];
        if (mask >> k & 1U)
          g.add_arc(j, i);
        else
          g.add_arc(i, j);
      }
    } catch (const invalid_argument&) {
      continue; // this orientation has a cycle
    }
    if (essential_graph(g, targets, fn) == e) f(g);
  }
}
} // namespace detail

/// The DAGs of the (interventional) Markov equivalence class that `e` represents: every DAG
/// whose (interventional) CPDAG under `targets` equals `e`, in a deterministic order. Found by
/// enumerating the orientations of e's undirected edges, so exponential: meant for small
/// classes (at most 24 undirected edges, else `invalid_argument`). An `e` that is not an
/// essential graph gives an empty list.
inline std::vector<Dag> equivalence_class(const Pdag& e,
                                          const std::vector<std::vector<int>>& targets = {}) {
  std::vector<Dag> out;
  detail::for_each_class_member(e, targets, "equivalence_class",
                                [&](const Dag& g) { out.push_back(g); });
  return out;
}

/// Number of DAGs whose (interventional) CPDAG equals `e` (the class size); same enumeration
/// and limits as `equivalence_class`, without storing the DAGs.
inline std::uint64_t equivalence_class_size(const Pdag& e,
                                            const std::vector<std::vector<int>>& targets = {}) {
  std::uint64_t count = 0;
  detail::for_each_class_member(e, targets, "equivalence_class_size", [&](const Dag&) { ++count; });
  return count;
}

namespace detail {
// Dor & Tarsi's (1992) test of a node x of the PDAG P whose nodes marked `removed` are gone and
// `n_out[x]` counts x's arcs to the remaining nodes: x can be removed next (its undirected edges
// oriented into it) when it has no outgoing arc left and each remaining undirected neighbour is
// adjacent to every other remaining neighbour of x (parent or undirected).
inline bool dor_tarsi_removable(const Pdag& P, int x, const std::vector<char>& removed,
                                const std::vector<int>& n_out) {
  if (removed[std::size_t(x)] || n_out[std::size_t(x)] > 0) return false;
  for (int y : P.undirected_neighbors(x)) {
    if (removed[std::size_t(y)]) continue;
    for (const auto* others : {&P.parents(x), &P.undirected_neighbors(x)})
      for (int z : *others)
        if (z != y && !removed[std::size_t(z)] && !P.adjacent(y, z)) return false;
  }
  return true;
}

// A random consistent extension of the PDAG P (Dor & Tarsi 1992): repeatedly remove a node
// drawn uniformly among the removable ones (`dor_tarsi_removable`), orienting its undirected
// edges into it. False when P has none.
inline bool random_extension(const Pdag& P, std::mt19937_64& rng, Dag& out) {
  const int p = P.num_nodes();
  std::vector<char> removed(std::size_t(p), 0);
  std::vector<int> n_out(static_cast<std::size_t>(p));
  for (int x = 0; x < p; ++x) n_out[std::size_t(x)] = int(P.children(x).size());
  out = Dag(p);
  for (const auto& [i, j] : P.arcs()) out.add_arc(i, j);
  std::vector<int> candidates;
  for (int step = 0; step < p; ++step) {
    candidates.clear();
    for (int x = 0; x < p; ++x)
      if (dor_tarsi_removable(P, x, removed, n_out)) candidates.push_back(x);
    if (candidates.empty()) return false;
    const int x =
        candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng)];
    removed[std::size_t(x)] = 1;
    for (int y : P.undirected_neighbors(x))
      if (!removed[std::size_t(y)]) out.add_arc(y, x);
    for (int y : P.parents(x)) --n_out[std::size_t(y)];
  }
  return true;
}
} // namespace detail

/// Up to `count` distinct DAGs of the (interventional) Markov equivalence class that the
/// essential graph `e` represents, for classes too large to enumerate: random consistent
/// extensions of `e` (Dor & Tarsi's algorithm removing a uniformly drawn eligible node at each
/// step; every extension of an essential graph is a member of its class), in the order found,
/// deterministic for a seed. Not uniform over the class; at most 50 `count` draws, so a class
/// smaller than `count` is usually returned whole. Throws for `count` < 1 or an `e` without an
/// extension (not an essential graph).
inline std::vector<Dag> sample_class_members(const Pdag& e, int count, std::uint64_t seed = 1) {
  const char* fn = "sample_class_members";
  if (count < 1) detail::throw_invalid(fn, "count must be >= 1, got ", count);
  std::mt19937_64 rng(seed);
  std::vector<Dag> out;
  std::vector<std::vector<std::pair<int, int>>> seen;
  Dag g(e.num_nodes());
  for (long draw = 0; draw < 50L * count && int(out.size()) < count; ++draw) {
    if (!detail::random_extension(e, rng, g))
      detail::throw_invalid(fn, "the PDAG has no consistent extension (not an essential graph)");
    auto arcs = g.arcs();
    std::sort(arcs.begin(), arcs.end());
    if (std::find(seen.begin(), seen.end(), arcs) != seen.end()) continue;
    seen.push_back(std::move(arcs));
    out.push_back(g);
  }
  return out;
}

/// `g` followed by up to `count - 1` other DAGs of its Markov equivalence class
/// (`sample_class_members` on its CPDAG, drawn with `seed`): candidates for a learner that trusts
/// g's skeleton and v-structures but not its other orientations.
inline std::vector<Dag> dag_and_class_members(const Dag& g, int count, std::uint64_t seed = 1) {
  if (count < 1) detail::throw_invalid("dag_and_class_members", "count must be >= 1, got ", count);
  std::vector<Dag> out{g};
  if (count == 1) return out;
  const auto arcs = g.arcs();
  for (Dag& h : sample_class_members(cpdag(g), count, seed))
    if (int(out.size()) < count && h.arcs() != arcs) out.push_back(std::move(h));
  return out;
}

} // namespace cimpute
