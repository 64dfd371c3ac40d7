/// @file meek_rules.hpp
/// @brief Meek's orientation rules R1-R3 on a partially directed graph.
#pragma once

#include "cimpute/graph/pdag.hpp"

#include <vector>

namespace cimpute {

namespace detail {
// Does one of Meek's rules orient the undirected edge a - b as a -> b?
inline bool meek_orients(const Pdag& g, int a, int b) {
  // R1: c -> a - b with c, b not adjacent.
  for (int c : g.parents(a))
    if (c != b && !g.adjacent(c, b)) return true;
  // R2: a -> c -> b.
  for (int c : g.children(a))
    if (g.has_arc(c, b)) return true;
  // R3: a - c -> b and a - d -> b with c, d not adjacent.
  std::vector<int> cs;
  for (int c : g.undirected_neighbors(a))
    if (c != b && g.has_arc(c, b)) cs.push_back(c);
  for (std::size_t x = 0; x < cs.size(); ++x)
    for (std::size_t y = x + 1; y < cs.size(); ++y)
      if (!g.adjacent(cs[x], cs[y])) return true;
  return false;
}
} // namespace detail

/// Apply Meek's (1995) rules R1-R3 until no undirected edge changes: R1 c -> a - b (c, b not
/// adjacent) => a -> b; R2 a -> c -> b and a - b => a -> b; R3 a - c -> b, a - d -> b, a - b with
/// c, d not adjacent => a -> b. Starting from a skeleton with the v-structures of a DAG this
/// gives its CPDAG (R4 is only needed with background knowledge). Returns the number of edges
/// oriented.
inline int apply_meek_rules(Pdag& g) {
  int oriented = 0;
  bool changed = true;
  while (changed) {
    changed = false;
    for (const auto& [i, j] : g.undirected_edges()) {
      if (!g.has_undirected(i, j)) continue; // oriented earlier in this sweep
      if (detail::meek_orients(g, i, j)) {
        g.add_arc(i, j);
      } else if (detail::meek_orients(g, j, i)) {
        g.add_arc(j, i);
      } else {
        continue;
      }
      ++oriented;
      changed = true;
    }
  }
  return oriented;
}

} // namespace cimpute
