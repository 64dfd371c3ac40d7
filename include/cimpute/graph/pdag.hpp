/// @file pdag.hpp
/// @brief `Pdag`: a partially directed graph (directed arcs and undirected edges), the type of
/// essential graphs (CPDAGs and interventional CPDAGs).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/graph/dag.hpp"

#include <algorithm>
#include <vector>

namespace cimpute {

/// A graph on nodes 0..p-1 with directed arcs i -> j and undirected edges i - j; a pair of nodes
/// carries at most one of them. Neighbourhoods are sorted vectors.
class Pdag {
public:
  Pdag() = default;
  explicit Pdag(int p)
      : m_in(static_cast<std::size_t>(p)), m_out(static_cast<std::size_t>(p)),
        m_und(static_cast<std::size_t>(p)) {
    if (p < 0) detail::throw_invalid("Pdag", "negative number of nodes ", p);
  }
  /// The PDAG whose edges are all the arcs of `g`.
  explicit Pdag(const Dag& g) : Pdag(g.num_nodes()) {
    for (const auto& [i, j] : g.arcs()) add_arc(i, j);
  }

  int num_nodes() const noexcept { return static_cast<int>(m_in.size()); }
  int num_arcs() const noexcept { return m_num_arcs; }
  int num_undirected() const noexcept { return m_num_und; }

  bool has_arc(int i, int j) const { return check(i, j), has(m_out[std::size_t(i)], j); }
  bool has_undirected(int i, int j) const { return check(i, j), has(m_und[std::size_t(i)], j); }
  /// True when i and j are joined by an arc either way or an undirected edge.
  bool adjacent(int i, int j) const {
    return has_arc(i, j) || has_arc(j, i) || has_undirected(i, j);
  }

  /// Add i -> j, replacing any edge between i and j.
  void add_arc(int i, int j) {
    remove_edge(i, j);
    insert(m_out[std::size_t(i)], j);
    insert(m_in[std::size_t(j)], i);
    ++m_num_arcs;
  }
  /// Add i - j, replacing any edge between i and j.
  void add_undirected(int i, int j) {
    remove_edge(i, j);
    insert(m_und[std::size_t(i)], j);
    insert(m_und[std::size_t(j)], i);
    ++m_num_und;
  }
  /// Remove whatever joins i and j.
  void remove_edge(int i, int j) {
    check(i, j);
    if (i == j) detail::throw_invalid("Pdag", "self loop on node ", i);
    if (has(m_out[std::size_t(i)], j)) {
      erase(m_out[std::size_t(i)], j), erase(m_in[std::size_t(j)], i), --m_num_arcs;
    } else if (has(m_out[std::size_t(j)], i)) {
      erase(m_out[std::size_t(j)], i), erase(m_in[std::size_t(i)], j), --m_num_arcs;
    } else if (has(m_und[std::size_t(i)], j)) {
      erase(m_und[std::size_t(i)], j), erase(m_und[std::size_t(j)], i), --m_num_und;
    }
  }

  /// Nodes with an arc into i.
  const std::vector<int>& parents(int i) const { return check(i, i), m_in[std::size_t(i)]; }
  /// Nodes i points to.
  const std::vector<int>& children(int i) const { return check(i, i), m_out[std::size_t(i)]; }
  /// Nodes joined to i by an undirected edge.
  const std::vector<int>& undirected_neighbors(int i) const {
    return check(i, i), m_und[std::size_t(i)];
  }
  /// All directed arcs (i, j).
  std::vector<std::pair<int, int>> arcs() const {
    std::vector<std::pair<int, int>> out;
    for (int i = 0; i < num_nodes(); ++i)
      for (int j : m_out[std::size_t(i)]) out.emplace_back(i, j);
    return out;
  }
  /// All undirected edges (i, j) with i < j.
  std::vector<std::pair<int, int>> undirected_edges() const {
    std::vector<std::pair<int, int>> out;
    for (int i = 0; i < num_nodes(); ++i)
      for (int j : m_und[std::size_t(i)])
        if (i < j) out.emplace_back(i, j);
    return out;
  }

  friend bool operator==(const Pdag& a, const Pdag& b) {
    return a.m_out == b.m_out && a.m_und == b.m_und;
  }
  friend bool operator!=(const Pdag& a, const Pdag& b) { return !(a == b); }

private:
  void check(int i, int j) const {
    if (i < 0 || i >= num_nodes() || j < 0 || j >= num_nodes())
      detail::throw_invalid("Pdag", "node pair (", i, ", ", j, ") outside [0, ", num_nodes(), ")");
  }
  static bool has(const std::vector<int>& v, int x) { return detail::sorted_contains(v, x); }
  static void insert(std::vector<int>& v, int x) { detail::sorted_insert(v, x); }
  static void erase(std::vector<int>& v, int x) { detail::sorted_erase(v, x); }

  std::vector<std::vector<int>> m_in, m_out, m_und;
  int m_num_arcs = 0, m_num_und = 0;
};

} // namespace cimpute
