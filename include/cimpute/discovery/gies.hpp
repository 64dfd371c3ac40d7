/// @file gies.hpp
/// @brief Greedy interventional equivalence search (GIES; Hauser & Bühlmann, JMLR 2012) with the
/// interventional Gaussian BIC: forward (insert), backward (delete) and turning phases over
/// interventional essential graphs, repeated until the score stops improving. The score is in
/// gaussian_interventional_bic.hpp; any decomposable, score-equivalent score with the same members
/// plugs in.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/discovery/gaussian_interventional_bic.hpp"
#include "cimpute/discovery/interventional_data.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/graph/essential_graph.hpp"
#include "cimpute/graph/pdag.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

namespace cimpute {

/// Options of `gies`.
struct GiesOptions {
  /// Penalty multiplier: (lambda / 2) log N per parameter (1: BIC).
  double lambda = 1.0;
  /// Run the turning phase (reversing and orienting edges); off gives the forward-backward
  /// search of GES on interventional essential graphs.
  bool turning = true;
  /// Called after every step with the phase ("forward", "backward", "turning"), the edges of the
  /// current graph and its score.
  std::function<void(const char*, int, double)> progress;
};

/// The result of `gies`.
struct GiesResult {
  Pdag essential; ///< the learned interventional essential graph (I-CPDAG)
  Dag dag;        ///< a DAG of its class
  double score = 0;
  int forward_steps = 0, backward_steps = 0, turning_steps = 0;
};

namespace detail {

/// The GIES search state: the current essential graph, a DAG of its class (parent lists), and
/// the forward phase's memoised insertion candidates per head node.
template <class Score>
class GiesSearch {
public:
  GiesSearch(const Score& score, const std::vector<std::vector<int>>& targets, const GiesOptions& o)
      : m_sc(score), m_p(score.num_variables()),
        m_masks(target_masks(targets, score.num_variables(), "gies")), m_o(o), m_E(m_p),
        m_pa(std::size_t(m_p)), m_fwd(std::size_t(m_p)), m_dirty(std::size_t(m_p), 1),
        m_mark(std::size_t(m_p), 0) {
    m_total = total(m_pa);
  }

  GiesResult run() {
    GiesResult r;
    bool improved = true;
    while (improved) {
      improved = false;
      while (forward_step()) ++r.forward_steps, improved = true;
      while (backward_step()) ++r.backward_steps, improved = true;
      if (m_o.turning)
        while (turning_step()) ++r.turning_steps, improved = true;
    }
    r.essential = m_E;
    r.dag = Dag(m_p);
    for (int v = 0; v < m_p; ++v)
      for (int u : m_pa[std::size_t(v)]) r.dag.add_arc(u, v);
    r.score = m_total;
    return r;
  }

private:
  using Parents = std::vector<std::vector<int>>;
  struct Candidate {
    double gain;
    int u;
    std::vector<int> C;
  };

  double total(const Parents& pa) const {
    double s = 0;
    for (int v = 0; v < m_p; ++v) s += m_sc.local(v, pa[std::size_t(v)]);
    return s;
  }
  double tolerance() const { return 1e-13 * (1 + std::abs(m_total)); }

  static std::vector<int> merged(const std::vector<int>& a, const std::vector<int>& b) {
    std::vector<int> out;
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
  }
  bool is_clique(const std::vector<int>& C) const {
    for (std::size_t i = 0; i < C.size(); ++i)
      for (std::size_t j = i + 1; j < C.size(); ++j)
        if (!m_E.adjacent(C[i], C[j])) return false;
    return true;
  }
  /// Calls f(C) for every subset C of the sorted `set` that is a clique of E (the empty set
  /// first), C sorted.
  template <class F>
  void for_each_clique(const std::vector<int>& set, F&& f) const {
    std::vector<int> C;
    std::function<void(std::size_t)> grow = [&](std::size_t from) {
      f(C);
      for (std::size_t i = from; i < set.size(); ++i) {
        bool ok = true;
        for (int c : C) ok = ok && m_E.adjacent(c, set[i]);
        if (!ok) continue;
        C.push_back(set[i]);
        grow(i + 1);
        C.pop_back();
      }
    };
    grow(0);
  }
  /// Is there a semi-directed path (undirected edges or arcs followed forwards) from `from` to
  /// `to` in E avoiding the nodes of `blocked`?
  bool semi_directed_path(int from, int to, const std::vector<int>& blocked) {
    ++m_stamp;
    for (int b : blocked) m_mark[std::size_t(b)] = m_stamp;
    std::vector<int> stack{from};
    m_mark[std::size_t(from)] = m_stamp;
    while (!stack.empty()) {
      const int x = stack.back();
      stack.pop_back();
      for (const auto* next : {&m_E.children(x), &m_E.undirected_neighbors(x)})
        for (int y : *next) {
          if (y == to) return true;
          if (m_mark[std::size_t(y)] == m_stamp) continue;
          m_mark[std::size_t(y)] = m_stamp;
          stack.push_back(y);
        }
    }
    return false;
  }

  /// A DAG extension of the PDAG P (Dor & Tarsi 1992): repeatedly remove a node without
  /// outgoing arcs whose undirected neighbours are adjacent to all its other neighbours,
  /// orienting its undirected edges into it. False when P has no extension.
  bool extend(const Pdag& P, Parents& pa) const {
    pa.assign(std::size_t(m_p), {});
    std::vector<int> n_out(static_cast<std::size_t>(m_p));
    std::vector<char> removed(std::size_t(m_p), 0);
    for (int x = 0; x < m_p; ++x) {
      pa[std::size_t(x)] = P.parents(x);
      n_out[std::size_t(x)] = int(P.children(x).size());
    }
    auto removable = [&](int x) {
      if (n_out[std::size_t(x)] > 0) return false;
      for (int y : P.undirected_neighbors(x)) {
        if (removed[std::size_t(y)]) continue;
        for (const auto* others : {&P.parents(x), &P.undirected_neighbors(x)})
          for (int z : *others)
            if (z != y && !removed[std::size_t(z)] && !P.adjacent(y, z)) return false;
      }
      return true;
    };
    std::vector<int> stack(static_cast<std::size_t>(m_p));
    for (int x = 0; x < m_p; ++x) stack[std::size_t(x)] = m_p - 1 - x;
    int count = 0;
    while (!stack.empty()) {
      const int x = stack.back();
      stack.pop_back();
      if (removed[std::size_t(x)] || !removable(x)) continue;
      removed[std::size_t(x)] = 1;
      ++count;
      for (int y : P.undirected_neighbors(x))
        if (!removed[std::size_t(y)]) {
          pa[std::size_t(x)].push_back(y);
          stack.push_back(y);
        }
      for (int y : P.parents(x))
        if (!removed[std::size_t(y)]) {
          --n_out[std::size_t(y)];
          stack.push_back(y);
        }
    }
    for (auto& v : pa) std::sort(v.begin(), v.end());
    return count == m_p;
  }

  /// Moves to the class of the DAG `pa` (an extension of the operator's PDAG). `changed`: the
  /// pair whose adjacency the operator changed (-1 for none).
  void move_to(Parents pa, int a, int b, const char* phase) {
    Pdag arcs(m_p);
    for (int v = 0; v < m_p; ++v)
      for (int u : pa[std::size_t(v)]) arcs.add_arc(u, v);
    Pdag E = essential_graph_of_arcs(std::move(arcs), m_masks);
    for (int w = 0; w < m_p; ++w)
      if (E.parents(w) != m_E.parents(w) ||
          E.undirected_neighbors(w) != m_E.undirected_neighbors(w))
        m_dirty[std::size_t(w)] = 1;
    if (a >= 0) {
      m_dirty[std::size_t(a)] = m_dirty[std::size_t(b)] = 1;
      // Nodes with both ends as undirected neighbours: their cliques changed.
      for (const Pdag* G : {&m_E, &E})
        for (int w : G->undirected_neighbors(a))
          if (G->has_undirected(w, b)) m_dirty[std::size_t(w)] = 1;
    }
    m_E = std::move(E);
    m_pa = std::move(pa);
    const double before = m_total;
    m_total = total(m_pa);
    if (!(m_total > before))
      throw_logic("gies", "internal error: a ", phase, " step did not improve the score (", before,
                  " -> ", m_total, ")");
    if (m_o.progress) m_o.progress(phase, m_E.num_arcs() + m_E.num_undirected(), m_total);
  }

  void refresh(int v) {
    auto& list = m_fwd[std::size_t(v)];
    list.clear();
    const auto& pa = m_E.parents(v);
    ++m_stamp;
    m_mark[std::size_t(v)] = m_stamp;
    for (const auto* nb : {&m_E.parents(v), &m_E.children(v), &m_E.undirected_neighbors(v)})
      for (int x : *nb) m_mark[std::size_t(x)] = m_stamp;
    const int stamp = m_stamp;
    Eigen::VectorXd gains;
    for_each_clique(m_E.undirected_neighbors(v), [&](const std::vector<int>& C) {
      m_sc.insertion_gains(v, merged(pa, C), gains);
      for (int u = 0; u < m_p; ++u)
        if (m_mark[std::size_t(u)] != stamp && gains(u) > 0) list.push_back({gains(u), u, C});
    });
    std::sort(list.begin(), list.end(), [](const Candidate& x, const Candidate& y) {
      return x.gain != y.gain ? x.gain > y.gain : x.u != y.u ? x.u < y.u : x.C < y.C;
    });
    m_dirty[std::size_t(v)] = 0;
  }

  /// Is Insert(u, v, C) valid in the current E (Chickering 2002; Hauser & Bühlmann 2012)?
  bool insert_valid(int v, const Candidate& c) {
    if (m_E.adjacent(c.u, v)) return false;
    for (int x : m_E.undirected_neighbors(v))
      if (m_E.adjacent(x, c.u) && !std::binary_search(c.C.begin(), c.C.end(), x)) return false;
    if (!is_clique(c.C)) return false;
    return !semi_directed_path(v, c.u, c.C);
  }

  bool forward_step() {
    for (int v = 0; v < m_p; ++v)
      if (m_dirty[std::size_t(v)]) refresh(v);
    // Lazy best-first over the heads: each list is sorted, so the first valid candidate popped
    // is the best valid one overall.
    using Entry = std::pair<double, int>;
    auto worse = [](const Entry& x, const Entry& y) {
      return x.first != y.first ? x.first < y.first : x.second > y.second;
    };
    std::priority_queue<Entry, std::vector<Entry>, decltype(worse)> heap(worse);
    std::vector<std::size_t> next(std::size_t(m_p), 0);
    for (int v = 0; v < m_p; ++v)
      if (!m_fwd[std::size_t(v)].empty()) heap.emplace(m_fwd[std::size_t(v)][0].gain, v);
    const double tol = tolerance();
    while (!heap.empty()) {
      const auto [gain, v] = heap.top();
      heap.pop();
      if (gain <= tol) return false;
      const auto& list = m_fwd[std::size_t(v)];
      const Candidate& c = list[next[std::size_t(v)]];
      if (insert_valid(v, c)) {
        Pdag P = m_E;
        P.add_arc(c.u, v);
        for (int x : m_E.undirected_neighbors(v))
          std::binary_search(c.C.begin(), c.C.end(), x) ? P.add_arc(x, v) : P.add_arc(v, x);
        Parents pa;
        if (extend(P, pa)) {
          move_to(std::move(pa), c.u, v, "forward");
          return true;
        }
      }
      if (++next[std::size_t(v)] < list.size()) heap.emplace(list[next[std::size_t(v)]].gain, v);
    }
    return false;
  }

  bool backward_step() {
    double best = tolerance();
    int bu = -1, bv = -1;
    std::vector<int> bC, bNA;
    for (int v = 0; v < m_p; ++v) {
      const auto& pa = m_E.parents(v);
      for (const auto* nb : {&m_E.parents(v), &m_E.undirected_neighbors(v)})
        for (int u : *nb) {
          std::vector<int> NA;
          for (int x : m_E.undirected_neighbors(v))
            if (x != u && m_E.adjacent(x, u)) NA.push_back(x);
          for_each_clique(NA, [&](const std::vector<int>& C) {
            std::vector<int> without = merged(pa, C);
            without.erase(std::remove(without.begin(), without.end(), u), without.end());
            std::vector<int> with = without;
            sorted_insert(with, u);
            const double gain = m_sc.local(v, without) - m_sc.local(v, with);
            if (gain > best) best = gain, bu = u, bv = v, bC = C, bNA = NA;
          });
        }
    }
    if (bu < 0) return false;
    Pdag P = m_E;
    P.remove_edge(bu, bv);
    for (int h : bNA)
      if (!std::binary_search(bC.begin(), bC.end(), h)) {
        if (P.has_undirected(bv, h)) P.add_arc(bv, h);
        if (P.has_undirected(bu, h)) P.add_arc(bu, h);
      }
    Parents pa;
    if (!extend(P, pa))
      throw_logic("gies", "internal error: a deletion's graph has no DAG extension");
    move_to(std::move(pa), bu, bv, "backward");
    return true;
  }

  /// Turning: make u -> v out of the arc v -> u or the undirected edge u - v, with a clique C of
  /// v's other undirected neighbours as v's new parents and the rest of them as its children.
  /// Each candidate is scored exactly on a DAG extension (the score change is a sum over the
  /// nodes whose parents differ from the current DAG's).
  bool turning_step() {
    double best = tolerance();
    Parents best_pa, pa;
    int bu = -1, bv = -1;
    for (int v = 0; v < m_p; ++v)
      for (const auto* nb : {&m_E.children(v), &m_E.undirected_neighbors(v)})
        for (int u : std::vector<int>(*nb)) {
          std::vector<int> N = m_E.undirected_neighbors(v);
          N.erase(std::remove(N.begin(), N.end(), u), N.end());
          for_each_clique(N, [&](const std::vector<int>& C) {
            Pdag P = m_E;
            P.add_arc(u, v);
            for (int x : N)
              std::binary_search(C.begin(), C.end(), x) ? P.add_arc(x, v) : P.add_arc(v, x);
            if (!extend(P, pa)) return;
            double gain = 0;
            for (int w = 0; w < m_p; ++w)
              if (pa[std::size_t(w)] != m_pa[std::size_t(w)])
                gain += m_sc.local(w, pa[std::size_t(w)]) - m_sc.local(w, m_pa[std::size_t(w)]);
            if (gain > best) best = gain, best_pa = pa, bu = u, bv = v;
          });
        }
    if (bu < 0) return false;
    move_to(std::move(best_pa), -1, -1, "turning");
    return true;
  }

  const Score& m_sc;
  int m_p;
  std::vector<std::vector<char>> m_masks;
  const GiesOptions& m_o;
  Pdag m_E;
  Parents m_pa;
  double m_total = 0;
  std::vector<std::vector<Candidate>> m_fwd;
  std::vector<char> m_dirty;
  std::vector<int> m_mark;
  int m_stamp = 0;
};

} // namespace detail

/// GIES with a decomposable, (interventionally) score-equivalent score: starting from the empty
/// graph, the forward phase inserts, the backward phase deletes and the turning phase turns the
/// edge with the largest score gain, each over interventional essential graphs, repeated until
/// no phase improves the score. `Score` provides `num_variables()`, `local(v, parents)` and
/// `insertion_gains(v, B, gains)` (as `GaussianInterventionalBic`); `targets` are the settings'
/// target sets, which fix the essential graphs (Hauser & Bühlmann 2012). Deterministic.
template <class Score>
GiesResult gies(const Score& score, const std::vector<std::vector<int>>& targets,
                const GiesOptions& options = {}) {
  return detail::GiesSearch<Score>(score, targets, options).run();
}

/// GIES on observational and interventional samples with the interventional Gaussian BIC
/// (penalty `options.lambda`): the learned I-CPDAG, a DAG of its class and its score.
/// `observational_groups` as for `GaussianInterventionalBic::from_data`.
inline GiesResult gies(const Eigen::MatrixXd& observational,
                       const std::vector<Eigen::MatrixXd>& settings,
                       const std::vector<std::vector<int>>& targets,
                       const GiesOptions& options = {},
                       const std::vector<int>& observational_groups = {}) {
  const auto score = GaussianInterventionalBic::from_data(observational, settings, targets,
                                                          options.lambda, observational_groups);
  return gies(score, targets, options);
}

/// GIES on `InterventionalData` (its known targets; its pooled observational settings, when
/// labelled, as separate settings without targets).
inline GiesResult gies(const InterventionalData& data, const GiesOptions& options = {}) {
  return gies(data.observational, data.settings, data.targets, options,
              data.observational_setting_of);
}

} // namespace cimpute
