/// @file dag.hpp
/// @brief `Dag`: a directed acyclic graph on nodes 0..p-1 with sorted parent / child lists.
#pragma once

#include "cimpute/core/errors.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

namespace detail {
/// Sorted-vector sets of node indices, shared by `Dag` and `Pdag`.
inline bool sorted_contains(const std::vector<int>& v, int x) {
  return std::binary_search(v.begin(), v.end(), x);
}
inline void sorted_insert(std::vector<int>& v, int x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, x);
}
inline void sorted_erase(std::vector<int>& v, int x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it != v.end() && *it == x) v.erase(it);
}
} // namespace detail

/// A directed acyclic graph on nodes 0..p-1 (optionally named). Parents and children are kept as
/// sorted vectors, so neighbourhood queries cost O(degree) and the graph scales to p = 10,000
/// sparse nodes. Adding an arc that would close a cycle throws.
class Dag {
public:
  Dag() = default;
  /// An empty graph on p nodes.
  explicit Dag(int p) : m_parents(check_size(p)), m_children(static_cast<std::size_t>(p)) {}
  /// An empty graph whose nodes carry names (unique).
  explicit Dag(std::vector<std::string> names)
      : m_parents(names.size()), m_children(names.size()), m_names(std::move(names)) {
    std::vector<std::string> sorted = m_names;
    std::sort(sorted.begin(), sorted.end());
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    if (dup != sorted.end()) detail::throw_invalid("Dag", "duplicate node name '", *dup, "'");
  }

  /// Number of nodes.
  int num_nodes() const noexcept { return static_cast<int>(m_parents.size()); }
  /// Number of arcs.
  int num_arcs() const noexcept { return m_num_arcs; }
  /// Node names (empty when unnamed).
  const std::vector<std::string>& names() const noexcept { return m_names; }
  /// The name of node i ("i" when unnamed).
  std::string name(int i) const {
    check_node(i, "Dag::name");
    return m_names.empty() ? std::to_string(i) : m_names[std::size_t(i)];
  }
  /// The node called `name`; throws when unknown.
  int node(const std::string& name) const {
    for (std::size_t i = 0; i < m_names.size(); ++i)
      if (m_names[i] == name) return int(i);
    detail::throw_invalid("Dag::node", "no node named '", name, "'");
  }

  /// True when the arc i -> j exists.
  bool has_arc(int i, int j) const {
    check_node(i, "Dag::has_arc");
    check_node(j, "Dag::has_arc");
    return contains(m_children[std::size_t(i)], j);
  }
  /// True when i and j are joined by an arc in either direction.
  bool adjacent(int i, int j) const { return has_arc(i, j) || has_arc(j, i); }
  /// Add i -> j. Throws for a self loop, an unknown node, or an arc that closes a cycle; adding an
  /// existing arc does nothing.
  void add_arc(int i, int j) {
    const char* fn = "Dag::add_arc";
    check_node(i, fn);
    check_node(j, fn);
    if (i == j) detail::throw_invalid(fn, "self loop on node ", name(i));
    if (has_arc(i, j)) return;
    if (reaches(j, i))
      detail::throw_invalid(fn, "arc ", name(i), " -> ", name(j), " would close a cycle");
    insert(m_children[std::size_t(i)], j);
    insert(m_parents[std::size_t(j)], i);
    ++m_num_arcs;
  }
  /// Remove i -> j (nothing when absent).
  void remove_arc(int i, int j) {
    if (!has_arc(i, j)) return;
    erase(m_children[std::size_t(i)], j);
    erase(m_parents[std::size_t(j)], i);
    --m_num_arcs;
  }
  /// Replace i -> j by j -> i; throws when that closes a cycle (the arc is then kept).
  void reverse_arc(int i, int j) {
    if (!has_arc(i, j))
      detail::throw_invalid("Dag::reverse_arc", "no arc ", name(i), " -> ", name(j));
    remove_arc(i, j);
    try {
      add_arc(j, i);
    } catch (...) {
      add_arc(i, j);
      throw;
    }
  }

  const std::vector<int>& parents(int i) const {
    check_node(i, "Dag::parents");
    return m_parents[std::size_t(i)];
  }
  const std::vector<int>& children(int i) const {
    check_node(i, "Dag::children");
    return m_children[std::size_t(i)];
  }
  /// All arcs (i, j) in order of i, then j.
  std::vector<std::pair<int, int>> arcs() const {
    std::vector<std::pair<int, int>> out;
    for (int i = 0; i < num_nodes(); ++i)
      for (int j : m_children[std::size_t(i)]) out.emplace_back(i, j);
    return out;
  }
  /// A topological order (Kahn's algorithm, smallest available node first: deterministic).
  std::vector<int> topological_order() const {
    std::vector<int> indeg(static_cast<std::size_t>(num_nodes())), order;
    std::vector<int> ready;
    for (int i = 0; i < num_nodes(); ++i)
      if ((indeg[std::size_t(i)] = int(m_parents[std::size_t(i)].size())) == 0) ready.push_back(i);
    std::make_heap(ready.begin(), ready.end(), std::greater<int>());
    while (!ready.empty()) {
      std::pop_heap(ready.begin(), ready.end(), std::greater<int>());
      const int v = ready.back();
      ready.pop_back();
      order.push_back(v);
      for (int c : m_children[std::size_t(v)])
        if (--indeg[std::size_t(c)] == 0) {
          ready.push_back(c);
          std::push_heap(ready.begin(), ready.end(), std::greater<int>());
        }
    }
    return order;
  }
  /// Ancestors of i (not including i), sorted.
  std::vector<int> ancestors(int i) const { return closure(i, m_parents); }
  /// Descendants of i (not including i), sorted.
  std::vector<int> descendants(int i) const { return closure(i, m_children); }
  /// Markov blanket: parents, children and the children's other parents, sorted.
  std::vector<int> markov_blanket(int i) const {
    std::vector<int> mb = parents(i);
    for (int c : children(i)) {
      mb.push_back(c);
      for (int q : m_parents[std::size_t(c)])
        if (q != i) mb.push_back(q);
    }
    std::sort(mb.begin(), mb.end());
    mb.erase(std::unique(mb.begin(), mb.end()), mb.end());
    return mb;
  }
  /// True when i -> j is covered: pa(j) = pa(i) ∪ {i}. Reversing a covered arc keeps the
  /// graph in its Markov equivalence class (Chickering 1995).
  bool is_covered(int i, int j) const {
    if (!has_arc(i, j)) return false;
    std::vector<int> expected = m_parents[std::size_t(i)];
    insert(expected, i);
    return expected == m_parents[std::size_t(j)];
  }
  /// The subgraph induced by `nodes` (renumbered 0..k-1 in the given order; names kept).
  Dag induced_subgraph(const std::vector<int>& nodes) const {
    std::vector<int> pos(static_cast<std::size_t>(num_nodes()), -1);
    for (std::size_t k = 0; k < nodes.size(); ++k) {
      check_node(nodes[k], "Dag::induced_subgraph");
      pos[std::size_t(nodes[k])] = int(k);
    }
    std::vector<std::string> names;
    for (int v : nodes) names.push_back(name(v));
    Dag g = m_names.empty() ? Dag(int(nodes.size())) : Dag(names);
    for (int v : nodes)
      for (int c : m_children[std::size_t(v)])
        if (pos[std::size_t(c)] >= 0) g.add_arc(pos[std::size_t(v)], pos[std::size_t(c)]);
    return g;
  }
  /// The same graph with node i renamed to perm[i] (a permutation of 0..p-1).
  Dag relabeled(const std::vector<int>& perm) const {
    if (int(perm.size()) != num_nodes())
      detail::throw_invalid("Dag::relabeled", perm.size(), " labels for ", num_nodes(), " nodes");
    Dag g(num_nodes());
    for (const auto& [i, j] : arcs()) g.add_arc(perm[std::size_t(i)], perm[std::size_t(j)]);
    return g;
  }

private:
  static std::size_t check_size(int p) {
    if (p < 0) detail::throw_invalid("Dag", "negative number of nodes ", p);
    return static_cast<std::size_t>(p);
  }
  void check_node(int i, const char* fn) const {
    if (i < 0 || i >= num_nodes())
      detail::throw_invalid(fn, "node ", i, " out of range [0, ", num_nodes(), ")");
  }
  static bool contains(const std::vector<int>& v, int x) { return detail::sorted_contains(v, x); }
  static void insert(std::vector<int>& v, int x) { detail::sorted_insert(v, x); }
  static void erase(std::vector<int>& v, int x) { detail::sorted_erase(v, x); }
  bool reaches(int from, int to) const {
    if (from == to) return true;
    std::vector<char> seen(static_cast<std::size_t>(num_nodes()), 0);
    std::vector<int> stack{from};
    seen[std::size_t(from)] = 1;
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      for (int c : m_children[std::size_t(v)]) {
        if (c == to) return true;
        if (!seen[std::size_t(c)]) {
          seen[std::size_t(c)] = 1;
          stack.push_back(c);
        }
      }
    }
    return false;
  }
  std::vector<int> closure(int i, const std::vector<std::vector<int>>& next) const {
    check_node(i, "Dag::closure");
    std::vector<char> seen(static_cast<std::size_t>(num_nodes()), 0);
    std::vector<int> stack{i}, out;
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      for (int u : next[std::size_t(v)])
        if (!seen[std::size_t(u)]) {
          seen[std::size_t(u)] = 1;
          out.push_back(u);
          stack.push_back(u);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<std::vector<int>> m_parents, m_children;
  std::vector<std::string> m_names;
  int m_num_arcs = 0;
};

/// An Erdős–Rényi random DAG as in the IGSP / UT-IGSP simulations: arc i -> j for i < j with
/// probability `expected_degree / (p - 1)` (expected neighbourhood size `expected_degree`), then a
/// random relabelling of the nodes. Deterministic for a given seed.
inline Dag random_dag(int p, double expected_degree, std::uint64_t seed) {
  if (p < 1) detail::throw_invalid("random_dag", "p must be >= 1, got ", p);
  if (!(expected_degree >= 0) || (p > 1 && expected_degree > p - 1))
    detail::throw_invalid("random_dag", "expected degree must be in [0, p - 1], got ",
                          expected_degree);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<int> perm(static_cast<std::size_t>(p));
  for (int i = 0; i < p; ++i) perm[std::size_t(i)] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  const double prob = p > 1 ? expected_degree / double(p - 1) : 0.0;
  Dag g(p);
  for (int i = 0; i < p; ++i)
    for (int j = i + 1; j < p; ++j)
      if (u(rng) < prob) g.add_arc(perm[std::size_t(i)], perm[std::size_t(j)]);
  return g;
}

/// A scale-free random DAG grown by preferential attachment (Barabási–Albert), shaped like a gene
/// regulatory network: nodes arrive one by one and each new node receives arcs from
/// `min(m, k)` distinct earlier nodes (k = nodes so far), each chosen with probability
/// proportional to its current out-degree + 1. Early nodes become hubs with many children
/// (master regulators); every later node has m parents; the out-degree distribution has a
/// power-law tail. The nodes are then randomly relabelled. Deterministic for a given seed.
inline Dag scale_free_dag(int p, int m, std::uint64_t seed) {
  const char* fn = "scale_free_dag";
  if (p < 1) detail::throw_invalid(fn, "p must be >= 1, got ", p);
  if (m < 1) detail::throw_invalid(fn, "m (parents per new node) must be >= 1, got ", m);
  std::mt19937_64 rng(seed);
  std::vector<int> perm(static_cast<std::size_t>(p));
  for (int i = 0; i < p; ++i) perm[std::size_t(i)] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  // `pool` holds node v (out-degree(v) + 1) times: a uniform draw from it is a draw
  // proportional to out-degree + 1.
  std::vector<int> pool, chosen;
  pool.reserve(static_cast<std::size_t>(p) * std::size_t(m + 1));
  Dag g(p);
  for (int k = 0; k < p; ++k) {
    chosen.clear();
    const int want = std::min(m, k);
    while (int(chosen.size()) < want) {
      std::uniform_int_distribution<std::size_t> pick(0, pool.size() - 1);
      const int v = pool[pick(rng)];
      if (std::find(chosen.begin(), chosen.end(), v) == chosen.end()) chosen.push_back(v);
    }
    // Arcs go from earlier to later nodes (acyclic by construction): no cycle check needed, but
    // add_arc keeps the graph's invariants.
    for (int v : chosen) {
      g.add_arc(perm[std::size_t(v)], perm[std::size_t(k)]);
      pool.push_back(v);
    }
    pool.push_back(k);
  }
  return g;
}

} // namespace cimpute
