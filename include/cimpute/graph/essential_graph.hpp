/// @file essential_graph.hpp
/// @brief Essential graphs: the CPDAG of a DAG's Markov equivalence class and the interventional
/// CPDAG of its interventional equivalence class; class sizes for small graphs.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/graph/pdag.hpp"

#include <cstdint>
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

} // namespace cimpute
