/// @file undirected_network.hpp
/// @brief `UndirectedNetwork`: named nodes joined by weighted undirected edges (a protein
/// interaction network, an interactome), and a scale-free random network for tests and benchmarks.
#pragma once

#include "cimpute/core/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cimpute {

/// An undirected network with named nodes and a non-negative cost on every edge (e.g. an
/// interactome, where an edge's cost is one minus its confidence). Nodes are numbered 0..n-1 in
/// the order they were added; edges keep their insertion order (their index is how results
/// refer to them). Parallel edges are allowed; self-loops are not.
class UndirectedNetwork {
public:
  /// One edge: its end points (node indices) and its cost.
  struct Edge {
    int a = 0, b = 0;
    double cost = 0;
  };

  UndirectedNetwork() = default;
  /// A network of the named nodes and no edge. Throws `invalid_argument` on a repeated name.
  explicit UndirectedNetwork(const std::vector<std::string>& names) {
    for (const auto& n : names) {
      if (find(n) >= 0)
        detail::throw_invalid("UndirectedNetwork", "node name '", n, "' appears twice");
      add_node(n);
    }
  }

  /// The index of node `name`, added when new.
  int add_node(const std::string& name) {
    const auto [it, added] = m_index.emplace(name, int(m_names.size()));
    if (added) {
      m_names.push_back(name);
      m_degree.push_back(0);
    }
    return it->second;
  }
  /// Adds the edge a - b with cost `cost` and returns its index. Throws `invalid_argument` for
  /// an unknown node, a self-loop or a cost that is negative or not finite.
  int add_edge(int a, int b, double cost) {
    const char* fn = "UndirectedNetwork::add_edge";
    if (a < 0 || b < 0 || a >= num_nodes() || b >= num_nodes())
      detail::throw_invalid(fn, "node index out of range: ", a, " - ", b, " in a network of ",
                            num_nodes(), " nodes");
    if (a == b) detail::throw_invalid(fn, "self-loop on node '", m_names[std::size_t(a)], "'");
    if (!std::isfinite(cost) || cost < 0)
      detail::throw_invalid(fn, "the cost of ", m_names[std::size_t(a)], " - ",
                            m_names[std::size_t(b)], " must be finite and >= 0, got ", cost);
    m_edges.push_back({a, b, cost});
    ++m_degree[std::size_t(a)];
    ++m_degree[std::size_t(b)];
    return int(m_edges.size()) - 1;
  }
  /// Adds the edge between two named nodes (added when new).
  int add_edge(const std::string& a, const std::string& b, double cost) {
    const int i = add_node(a), j = add_node(b);
    return add_edge(i, j, cost);
  }

  int num_nodes() const noexcept { return int(m_names.size()); }
  int num_edges() const noexcept { return int(m_edges.size()); }
  const std::vector<std::string>& names() const noexcept { return m_names; }
  const std::string& name(int i) const { return m_names.at(std::size_t(i)); }
  const std::vector<Edge>& edges() const noexcept { return m_edges; }
  const Edge& edge(int e) const { return m_edges.at(std::size_t(e)); }
  /// Number of edges at each node.
  const std::vector<int>& degrees() const noexcept { return m_degree; }
  /// The index of node `name`, or -1.
  int find(const std::string& name) const {
    const auto it = m_index.find(name);
    return it == m_index.end() ? -1 : it->second;
  }
  /// The index of node `name`; throws `invalid_argument` naming it when absent.
  int node(const std::string& name) const {
    const int i = find(name);
    if (i < 0) detail::throw_invalid("UndirectedNetwork::node", "no node named '", name, "'");
    return i;
  }

private:
  std::vector<std::string> m_names;
  std::unordered_map<std::string, int> m_index;
  std::vector<Edge> m_edges;
  std::vector<int> m_degree;
};

/// A connected scale-free network grown by preferential attachment (Barabási & Albert 1999):
/// nodes arrive one by one, each joined to `min(m, k)` distinct earlier nodes (k = nodes so far)
/// chosen with probability proportional to degree + 1, with costs drawn uniformly from
/// [min_cost, max_cost). Nodes are named "g0", "g1", ...; about n m edges. Deterministic for a
/// seed. The shape of an interactome (a few hubs, most proteins with few partners).
inline UndirectedNetwork scale_free_network(int n, int m, std::uint64_t seed, double min_cost = 0.0,
                                            double max_cost = 1.0) {
  const char* fn = "scale_free_network";
  if (n < 1) detail::throw_invalid(fn, "n must be >= 1, got ", n);
  if (m < 1) detail::throw_invalid(fn, "m (edges per new node) must be >= 1, got ", m);
  if (!(min_cost >= 0) || !(max_cost >= min_cost) || !std::isfinite(max_cost))
    detail::throw_invalid(fn, "need 0 <= min_cost <= max_cost < inf, got ", min_cost, ", ",
                          max_cost);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> cost(min_cost, max_cost);
  UndirectedNetwork g;
  for (int i = 0; i < n; ++i) g.add_node("g" + std::to_string(i));
  // `pool` holds node v (degree(v) + 1) times: a uniform draw is proportional to degree + 1.
  std::vector<int> pool, chosen;
  pool.reserve(std::size_t(n) * std::size_t(2 * m + 1));
  for (int k = 0; k < n; ++k) {
    chosen.clear();
    const int want = std::min(m, k);
    while (int(chosen.size()) < want) {
      std::uniform_int_distribution<std::size_t> pick(0, pool.size() - 1);
      const int v = pool[pick(rng)];
      if (std::find(chosen.begin(), chosen.end(), v) == chosen.end()) chosen.push_back(v);
    }
    for (int v : chosen) {
      g.add_edge(v, k, cost(rng));
      pool.push_back(v);
      pool.push_back(k);
    }
    pool.push_back(k);
  }
  return g;
}

} // namespace cimpute
