/// @file steiner_forest.hpp
/// @brief The prize-collecting Steiner forest of an interactome (`steiner_forest`): the
/// Goemans-Williamson growth with strong pruning, with the parameters of OmicsIntegrator2 (w, b,
/// g), and its noise robustness (`steiner_forest_robustness`).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/graph/undirected_network.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace cimpute {

/// Which nodes the virtual root is joined to (OmicsIntegrator2's `dummy_mode`): a tree of the
/// forest can only start at one of them.
enum class RootEdges {
  Terminals, ///< the nodes with a positive prize (the default)
  Others,    ///< the nodes without a prize
  All        ///< every node
};

/// The parameters of `steiner_forest`, named as in OmicsIntegrator2 (Tuncbag et al. 2016).
struct SteinerForestOptions {
  /// w: the cost of each tree of the forest (the weight of the root's edges); larger w, fewer
  /// trees.
  double w = 5;
  /// b: the prize scale (every prize is multiplied by b); larger b, more terminals kept.
  double b = 1;
  /// g: the hub penalty; edge a - b costs cost + 10^g d_a d_b / ((N - d_a - 1)(N - d_b - 1) +
  /// d_a d_b) with d the degrees and N the number of nodes of the network.
  double g = 3;
  /// False: edges keep their costs (no hub penalty, whatever g).
  bool hub_penalty = true;
  RootEdges root_edges = RootEdges::Terminals;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "SteinerForestOptions::validate";
    if (!std::isfinite(w) || w < 0) detail::throw_invalid(fn, "w must be finite and >= 0, got ", w);
    if (!std::isfinite(b) || b < 0) detail::throw_invalid(fn, "b must be finite and >= 0, got ", b);
    if (!std::isfinite(g)) detail::throw_invalid(fn, "g must be finite, got ", g);
  }
};

/// A selected forest: its nodes and edges (indices into the network, ascending), its number of
/// trees and its objective (missing prizes + edge costs + w per tree, with the scaled prizes and
/// the penalised costs).
struct SteinerForest {
  std::vector<int> nodes;
  std::vector<int> edges;
  int trees = 0;
  double objective = 0;
  /// A lower bound on the best objective: the moats of the Goemans-Williamson growth (a feasible
  /// solution of the dual of the linear relaxation). objective <= 2 lower_bound always holds, so
  /// objective / lower_bound bounds the distance to the optimum.
  double lower_bound = 0;
};

/// The costs `steiner_forest` uses: each edge's cost plus its hub penalty
/// (`SteinerForestOptions::g`).
inline Eigen::VectorXd steiner_edge_costs(const UndirectedNetwork& net,
                                          const SteinerForestOptions& options = {}) {
  options.validate();
  Eigen::VectorXd c(net.num_edges());
  const double N = net.num_nodes(), scale = std::pow(10.0, options.g);
  const auto& d = net.degrees();
  for (int e = 0; e < net.num_edges(); ++e) {
    const auto& ed = net.edge(e);
    c[e] = ed.cost;
    if (!options.hub_penalty) continue;
    const double da = d[std::size_t(ed.a)], db = d[std::size_t(ed.b)];
    c[e] += scale * da * db / ((N - da - 1) * (N - db - 1) + da * db);
  }
  return c;
}

/// The prize-collecting Steiner forest objective of the forest (nodes, edges):
/// \f$ b \sum_{v \notin F} \pi_v + \sum_{e \in F} c_e + w \cdot \#\text{trees} \f$ with the costs
/// `costs` (one per network edge). Throws `invalid_argument` when an edge's end point is not
/// among the nodes or the edges close a cycle.
inline double steiner_objective(const UndirectedNetwork& net,
                                const Eigen::Ref<const Eigen::VectorXd>& prizes,
                                const Eigen::Ref<const Eigen::VectorXd>& costs, double w, double b,
                                const std::vector<int>& nodes, const std::vector<int>& edges,
                                int* trees = nullptr) {
  const char* fn = "steiner_objective";
  if (prizes.size() != net.num_nodes() || costs.size() != net.num_edges())
    detail::throw_invalid(fn, prizes.size(), " prizes and ", costs.size(), " costs for ",
                          net.num_nodes(), " nodes and ", net.num_edges(), " edges");
  std::vector<int> parent(std::size_t(net.num_nodes()), -1);
  std::vector<char> in(std::size_t(net.num_nodes()), 0);
  for (int v : nodes) in.at(std::size_t(v)) = 1;
  std::function<int(int)> root = [&](int v) {
    while (parent[std::size_t(v)] >= 0) v = parent[std::size_t(v)];
    return v;
  };
  double value = b * prizes.sum();
  for (int v : nodes) value -= b * prizes[v];
  int components = int(nodes.size());
  for (int e : edges) {
    const auto& ed = net.edge(e);
    if (!in[std::size_t(ed.a)] || !in[std::size_t(ed.b)])
      detail::throw_invalid(fn, "edge ", net.name(ed.a), " - ", net.name(ed.b),
                            " has an end point outside the forest's nodes");
    const int ra = root(ed.a), rb = root(ed.b);
    if (ra == rb)
      detail::throw_invalid(fn, "edge ", net.name(ed.a), " - ", net.name(ed.b), " closes a cycle");
    parent[std::size_t(ra)] = rb;
    --components;
    value += costs[e];
  }
  if (trees) *trees = components;
  return value + w * components;
}

namespace detail {

/// Rooted Goemans-Williamson growth (Goemans & Williamson 1995) on the graph (nv vertices,
/// `ends` / `cost` per edge) with `prize` per vertex and root `root`, followed by strong pruning
/// of the root's tree (Johnson, Minkoff & Phillips 2000), as pcst_fast does (Hegde, Indyk &
/// Schmidt 2015). Each edge is split into two halves, one per end point, kept in a heap of its
/// end point's cluster; a half is due when its cluster has grown by its part of the edge. A due
/// half re-reads the edge's true slack c_e - d_u - d_v: zero merges the two clusters, otherwise
/// the slack is split again between the two sides (all of it to this side while the other is
/// inactive). Heaps move into each other smaller into larger (keys kept in each cluster's own
/// growth coordinate by a shift); a global queue holds each active cluster's next half and its
/// deactivation (its prizes spent on its moat). The selected edges (of the root's pruned tree)
/// are returned; `selected` marks its vertices.
class RootedGoemansWilliamson {
public:
  RootedGoemansWilliamson(int nv, const std::vector<std::pair<int, int>>& ends,
                          const std::vector<double>& cost, const std::vector<double>& prize,
                          int root)
      : m_ends(ends), m_cost(cost), m_prize(prize), m_root(root), m_parent(std::size_t(nv), -1),
        m_size(std::size_t(nv), 1), m_off(std::size_t(nv), 0.0), m_cluster(std::size_t(nv)),
        m_version(ends.size(), 0) {
    m_clusters.reserve(std::size_t(2 * nv));
    for (int v = 0; v < nv; ++v) {
      Cluster c;
      c.active = v != root && prize[std::size_t(v)] > 0;
      c.has_root = v == root;
      c.rem = c.active ? prize[std::size_t(v)] : 0.0;
      c.uf_root = v;
      m_cluster[std::size_t(v)] = v;
      m_clusters.push_back(std::move(c));
    }
    for (std::size_t e = 0; e < ends.size(); ++e)
      for (int side = 0; side < 2; ++side) {
        const int v = side == 0 ? ends[e].first : ends[e].second;
        m_clusters[std::size_t(v)].heap.push_back({cost[e] / 2, int(e), side, 0});
      }
    for (int v = 0; v < nv; ++v) {
      auto& h = m_clusters[std::size_t(v)].heap;
      std::make_heap(h.begin(), h.end(), HalfLater{});
      schedule(v);
    }
  }

  /// Runs the growth and the pruning; returns the selected edges (ascending).
  std::vector<int> run(std::vector<char>& selected) {
    while (!m_queue.empty()) {
      const Event ev = m_queue.top();
      m_queue.pop();
      Cluster& c = m_clusters[std::size_t(ev.cluster)];
      if (!c.alive || !c.active || c.version != ev.version) continue;
      m_now = std::max(m_now, ev.time);
      normalize(c);
      if (ev.kind == Deactivate) {
        c.active = false;
        c.rem = 0;
        schedule(ev.cluster);
        continue;
      }
      drop_stale(c);
      if (!c.heap.empty() &&
          c.heap.front().key + c.shift <= c.growth + tolerance(std::max(c.growth, m_now))) {
        std::pop_heap(c.heap.begin(), c.heap.end(), HalfLater{});
        const Half h = c.heap.back();
        c.heap.pop_back();
        process(h);
      }
      if (m_clusters[std::size_t(ev.cluster)].alive) schedule(ev.cluster);
    }
    return strong_prune(selected);
  }
  /// The sum of the moats grown (the dual solution's value): a lower bound on the optimum.
  double dual() const noexcept { return m_dual; }

private:
  struct Half {
    double key; // in the owning cluster's growth coordinate (minus its heap's shift)
    int edge, side;
    unsigned version;
  };
  struct HalfLater {
    bool operator()(const Half& x, const Half& y) const {
      return x.key != y.key ? x.key > y.key : x.edge > y.edge;
    }
  };
  struct Cluster {
    bool active = false, has_root = false, alive = true;
    double t = 0, growth = 0, rem = 0; // at time t: growth so far, prize left
    std::vector<Half> heap;
    double shift = 0;
    unsigned version = 0;
    int uf_root = 0;
  };
  enum Kind { Due = 0, Deactivate = 1 };
  struct Event {
    double time;
    int kind, cluster;
    unsigned version;
    bool operator>(const Event& o) const {
      if (time != o.time) return time > o.time;
      if (kind != o.kind) return kind > o.kind;
      return cluster > o.cluster;
    }
  };

  static double tolerance(double x) { return 1e-11 * (1.0 + std::abs(x)); }

  void normalize(Cluster& c) {
    if (c.active) {
      m_dual += m_now - c.t;
      c.growth += m_now - c.t;
      c.rem -= m_now - c.t;
    }
    c.t = m_now;
  }
  void drop_stale(Cluster& c) {
    while (!c.heap.empty() &&
           c.heap.front().version != m_version[std::size_t(c.heap.front().edge)]) {
      std::pop_heap(c.heap.begin(), c.heap.end(), HalfLater{});
      c.heap.pop_back();
    }
  }
  // Replaces the cluster's pending events by its deactivation and its next due half.
  void schedule(int id) {
    Cluster& c = m_clusters[std::size_t(id)];
    ++c.version;
    if (!c.active) return;
    m_queue.push({c.t + std::max(c.rem, 0.0), Deactivate, id, c.version});
    drop_stale(c);
    if (!c.heap.empty())
      m_queue.push(
          {c.t + std::max(c.heap.front().key + c.shift - c.growth, 0.0), Due, id, c.version});
  }
  // Union-find root of v; `d` receives the path's offsets (excluding the root's).
  int find(int v, double& d) {
    double sum = 0;
    int r = v;
    while (m_parent[std::size_t(r)] >= 0) {
      sum += m_off[std::size_t(r)];
      r = m_parent[std::size_t(r)];
    }
    // Path compression: every node on the path points at r with its offset to r.
    double rest = sum;
    for (int x = v; m_parent[std::size_t(x)] >= 0;) {
      const int next = m_parent[std::size_t(x)];
      const double own = m_off[std::size_t(x)];
      if (next != r) {
        m_parent[std::size_t(x)] = r;
        m_off[std::size_t(x)] = rest;
      }
      rest -= own;
      x = next;
    }
    d = sum;
    return r;
  }
  // d_v: the sum of the moats around v, and v's cluster.
  double moat(int v, int& cluster) {
    double d = 0;
    const int r = find(v, d);
    cluster = m_cluster[std::size_t(r)];
    const Cluster& c = m_clusters[std::size_t(cluster)];
    return d + m_off[std::size_t(r)] + c.growth;
  }
  void push_half(int cluster, int edge, int side, double remaining) {
    Cluster& c = m_clusters[std::size_t(cluster)];
    c.heap.push_back({c.growth + remaining - c.shift, edge, side, m_version[std::size_t(edge)]});
    std::push_heap(c.heap.begin(), c.heap.end(), HalfLater{});
  }

  void process(const Half& h) {
    const auto [a, b] = m_ends[std::size_t(h.edge)];
    const int u = h.side == 0 ? a : b, v = h.side == 0 ? b : a;
    int A = 0, B = 0;
    double dv = moat(v, B); // B's growth is brought up to now first
    normalize(m_clusters[std::size_t(B)]);
    dv = moat(v, B);
    const double du = moat(u, A);
    if (A == B) { // an inner edge now
      ++m_version[std::size_t(h.edge)];
      return;
    }
    const double slack = m_cost[std::size_t(h.edge)] - du - dv;
    ++m_version[std::size_t(h.edge)];
    if (slack <= 1e-10 * (1.0 + m_cost[std::size_t(h.edge)])) {
      merge(A, B, h.edge);
      return;
    }
    const int other = 1 - h.side;
    if (m_clusters[std::size_t(B)].active) {
      push_half(A, h.edge, h.side, slack / 2);
      push_half(B, h.edge, other, slack / 2);
      schedule(B);
    } else {
      push_half(A, h.edge, h.side, slack);
      push_half(B, h.edge, other, 0.0); // due as soon as B grows again
    }
  }
  void merge(int A, int B, int edge) {
    m_forest.push_back(edge);
    Cluster& ca = m_clusters[std::size_t(A)];
    Cluster& cb = m_clusters[std::size_t(B)];
    normalize(ca);
    normalize(cb);
    // The union-find root X (larger tree) keeps its offsets; Y's are moved into X's coordinate.
    const bool a_is_x = m_size[std::size_t(ca.uf_root)] >= m_size[std::size_t(cb.uf_root)];
    Cluster& cx = a_is_x ? ca : cb;
    Cluster& cy = a_is_x ? cb : ca;
    const int rx = cx.uf_root, ry = cy.uf_root;
    m_off[std::size_t(ry)] += cy.growth - cx.growth - m_off[std::size_t(rx)];
    m_parent[std::size_t(ry)] = rx;
    m_size[std::size_t(rx)] += m_size[std::size_t(ry)];
    cy.shift += cx.growth - cy.growth; // Y's halves in X's coordinate
    Cluster merged;
    merged.has_root = ca.has_root || cb.has_root;
    merged.active = !merged.has_root;
    merged.t = m_now;
    merged.growth = cx.growth;
    merged.rem = std::max(ca.rem, 0.0) + std::max(cb.rem, 0.0);
    merged.uf_root = rx;
    Cluster& big = ca.heap.size() >= cb.heap.size() ? ca : cb;
    Cluster& small = &big == &ca ? cb : ca;
    for (const Half& h : small.heap)
      if (h.version == m_version[std::size_t(h.edge)]) {
        big.heap.push_back({h.key + small.shift - big.shift, h.edge, h.side, h.version});
        std::push_heap(big.heap.begin(), big.heap.end(), HalfLater{});
      }
    merged.heap = std::move(big.heap);
    merged.shift = big.shift;
    small.heap.clear();
    small.heap.shrink_to_fit();
    ca.alive = cb.alive = false;
    const int id = int(m_clusters.size());
    m_clusters.push_back(std::move(merged)); // capacity reserved: ca, cb stay valid until here
    m_cluster[std::size_t(rx)] = id;
    schedule(id);
  }

  // The root's tree of the forest, pruned to its best subtree containing the root: a child's
  // subtree stays when its net worth (prizes minus costs, its own best pruning) exceeds the cost
  // of the edge to it.
  std::vector<int> strong_prune(std::vector<char>& selected) const {
    const std::size_t nv = m_parent.size();
    std::vector<std::vector<std::pair<int, int>>> adj(nv); // (neighbour, edge)
    for (int e : m_forest) {
      adj[std::size_t(m_ends[std::size_t(e)].first)].push_back({m_ends[std::size_t(e)].second, e});
      adj[std::size_t(m_ends[std::size_t(e)].second)].push_back({m_ends[std::size_t(e)].first, e});
    }
    std::vector<int> order{m_root}, up(nv, -1), up_edge(nv, -1);
    std::vector<char> seen(nv, 0);
    seen[std::size_t(m_root)] = 1;
    for (std::size_t k = 0; k < order.size(); ++k)
      for (auto [w, e] : adj[std::size_t(order[k])])
        if (!seen[std::size_t(w)]) {
          seen[std::size_t(w)] = 1;
          up[std::size_t(w)] = order[k];
          up_edge[std::size_t(w)] = e;
          order.push_back(w);
        }
    std::vector<double> worth(nv, 0.0);
    for (std::size_t k = order.size(); k-- > 0;) {
      const int v = order[k];
      worth[std::size_t(v)] += m_prize[std::size_t(v)];
      if (k > 0) {
        const double gain = worth[std::size_t(v)] - m_cost[std::size_t(up_edge[std::size_t(v)])];
        if (gain > 0) worth[std::size_t(up[std::size_t(v)])] += gain;
      }
    }
    selected.assign(nv, 0);
    selected[std::size_t(m_root)] = 1;
    std::vector<int> edges;
    for (std::size_t k = 1; k < order.size(); ++k) {
      const int v = order[k];
      if (selected[std::size_t(up[std::size_t(v)])] &&
          worth[std::size_t(v)] - m_cost[std::size_t(up_edge[std::size_t(v)])] > 0) {
        selected[std::size_t(v)] = 1;
        edges.push_back(up_edge[std::size_t(v)]);
      }
    }
    std::sort(edges.begin(), edges.end());
    return edges;
  }

  const std::vector<std::pair<int, int>>& m_ends;
  const std::vector<double>& m_cost;
  const std::vector<double>& m_prize;
  int m_root;
  std::vector<int> m_parent, m_size;
  std::vector<double> m_off;
  std::vector<int> m_cluster; // union-find root -> cluster
  std::vector<unsigned> m_version;
  std::vector<Cluster> m_clusters;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> m_queue;
  std::vector<int> m_forest;
  double m_now = 0, m_dual = 0;
};

} // namespace detail

/// The prize-collecting Steiner forest of `net` with node prizes `prizes` and edge costs `costs`
/// (one per edge, e.g. `steiner_edge_costs`), as OmicsIntegrator2 computes it: a virtual root
/// joined by edges of cost w to the nodes `options.root_edges` names, the rooted
/// Goemans-Williamson growth and strong pruning (pcst_fast's method; within twice the optimum of
/// \f$ b \sum_{v \notin F} \pi_v + \sum_{e \in F} c_e + w \cdot \#\text{trees} \f$), and the
/// root removed: each of its edges starts one tree. O(m log^2 n) for m edges and n nodes.
/// Throws `invalid_argument` for a size mismatch or a prize or cost that is negative or not finite.
inline SteinerForest steiner_forest(const UndirectedNetwork& net,
                                    const Eigen::Ref<const Eigen::VectorXd>& prizes,
                                    const Eigen::Ref<const Eigen::VectorXd>& costs,
                                    const SteinerForestOptions& options) {
  const char* fn = "steiner_forest";
  options.validate();
  const int n = net.num_nodes(), m = net.num_edges();
  if (prizes.size() != n) detail::throw_invalid(fn, prizes.size(), " prizes for ", n, " nodes");
  if (costs.size() != m) detail::throw_invalid(fn, costs.size(), " costs for ", m, " edges");
  for (int v = 0; v < n; ++v)
    if (!std::isfinite(prizes[v]) || prizes[v] < 0)
      detail::throw_invalid(fn, "the prize of '", net.name(v), "' must be finite and >= 0, got ",
                            prizes[v]);
  for (int e = 0; e < m; ++e)
    if (!std::isfinite(costs[e]) || costs[e] < 0)
      detail::throw_invalid(fn, "the cost of ", net.name(net.edge(e).a), " - ",
                            net.name(net.edge(e).b), " must be finite and >= 0, got ", costs[e]);
  std::vector<std::pair<int, int>> ends;
  std::vector<double> cost, prize(std::size_t(n + 1), 0.0);
  ends.reserve(std::size_t(m + n));
  cost.reserve(std::size_t(m + n));
  for (int e = 0; e < m; ++e) {
    ends.emplace_back(net.edge(e).a, net.edge(e).b);
    cost.push_back(costs[e]);
  }
  for (int v = 0; v < n; ++v) {
    prize[std::size_t(v)] = options.b * prizes[v];
    const bool terminal = prizes[v] > 0;
    if (options.root_edges == RootEdges::All ||
        (terminal == (options.root_edges == RootEdges::Terminals))) {
      ends.emplace_back(n, v);
      cost.push_back(options.w);
    }
  }
  std::vector<char> selected;
  detail::RootedGoemansWilliamson gw(n + 1, ends, cost, prize, n);
  const std::vector<int> chosen = gw.run(selected);
  SteinerForest out;
  out.lower_bound = gw.dual();
  for (int v = 0; v < n; ++v)
    if (selected[std::size_t(v)]) out.nodes.push_back(v);
  for (int e : chosen)
    if (e < m) out.edges.push_back(e);
  out.objective =
      steiner_objective(net, prizes, costs, options.w, options.b, out.nodes, out.edges, &out.trees);
  return out;
}

/// `steiner_forest` with the costs of `steiner_edge_costs` (the network's, plus the hub penalty).
inline SteinerForest steiner_forest(const UndirectedNetwork& net,
                                    const Eigen::Ref<const Eigen::VectorXd>& prizes,
                                    const SteinerForestOptions& options = {}) {
  return steiner_forest(net, prizes, steiner_edge_costs(net, options), options);
}

/// How often each node and edge is selected when the forest is recomputed `runs` times with
/// Gaussian noise of standard deviation `noise` added to every cost (clipped below at 1e-4), as
/// OmicsIntegrator2's `edge_noise` robustness does.
struct SteinerRobustness {
  Eigen::VectorXd node_frequency; ///< per node: the share of runs that selected it
  Eigen::VectorXd edge_frequency; ///< per edge: the share of runs that selected it
  int runs = 0;
};

/// The noise robustness of `steiner_forest`: `runs` forests with perturbed costs (run r draws its
/// noise from a generator seeded by `seed` and r, so the result does not depend on the thread
/// count). Throws `invalid_argument` for runs < 1 or a negative or non-finite noise.
inline SteinerRobustness steiner_forest_robustness(const UndirectedNetwork& net,
                                                   const Eigen::Ref<const Eigen::VectorXd>& prizes,
                                                   const SteinerForestOptions& options, int runs,
                                                   double noise, std::uint64_t seed) {
  const char* fn = "steiner_forest_robustness";
  if (runs < 1) detail::throw_invalid(fn, "runs must be >= 1, got ", runs);
  if (!std::isfinite(noise) || noise < 0)
    detail::throw_invalid(fn, "noise must be finite and >= 0, got ", noise);
  const Eigen::VectorXd base = steiner_edge_costs(net, options);
  std::vector<SteinerForest> forests(static_cast<std::size_t>(runs));
  detail::parallel_for(long(runs), [&](long r) {
    std::seed_seq seq{std::uint32_t(seed), std::uint32_t(seed >> 32), std::uint32_t(r),
                      std::uint32_t(std::uint64_t(r) >> 32)};
    std::mt19937_64 rng(seq);
    std::normal_distribution<double> z(0.0, 1.0);
    Eigen::VectorXd c = base;
    if (noise > 0)
      for (Eigen::Index e = 0; e < c.size(); ++e) c[e] = std::max(1e-4, c[e] + noise * z(rng));
    forests[std::size_t(r)] = steiner_forest(net, prizes, c, options);
  });
  SteinerRobustness out;
  out.runs = runs;
  out.node_frequency = Eigen::VectorXd::Zero(net.num_nodes());
  out.edge_frequency = Eigen::VectorXd::Zero(net.num_edges());
  for (const auto& f : forests) {
    for (int v : f.nodes) out.node_frequency[v] += 1.0 / runs;
    for (int e : f.edges) out.edge_frequency[e] += 1.0 / runs;
  }
  return out;
}

} // namespace cimpute
