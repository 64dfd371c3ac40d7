/// @file gies.hpp
/// @brief Greedy interventional equivalence search (GIES; Hauser & Bühlmann, JMLR 2012) with the
/// interventional Gaussian BIC: forward (insert), backward (delete) and turning phases over
/// interventional essential graphs, repeated until the score stops improving, optionally under
/// background knowledge (an allowed skeleton, forbidden pairs, required arcs). The score is in
/// gaussian_interventional_bic.hpp; any decomposable, score-equivalent score with the same members
/// plugs in.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/discovery/background_knowledge.hpp"
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
  Dag dag;        ///< a DAG of its class (with background knowledge: one with the required arcs)
  double score = 0;
  int forward_steps = 0, backward_steps = 0, turning_steps = 0;
};

namespace detail {

/// The GIES search state: the current essential graph, a DAG of its class (parent lists), and
/// the forward phase's memoised insertion candidates per head node.
template <class Score>
class GiesSearch {
public:
  GiesSearch(const Score& score, const std::vector<std::vector<int>>& targets, const GiesOptions& o,
             const BackgroundKnowledge& knowledge)
      : m_sc(score), m_p(score.num_variables()),
        m_masks(target_masks(targets, score.num_variables(), "gies")), m_o(o),
        m_k(knowledge.empty() ? nullptr : &knowledge), m_E(m_p), m_pa(std::size_t(m_p)),
        m_fwd(std::size_t(m_p)), m_dirty(std::size_t(m_p), 1), m_mark(std::size_t(m_p), 0) {
    if (m_k && m_k->num_variables() != m_p)
      throw_invalid("gies", "background knowledge over ", m_k->num_variables(),
                    " variables for a score of ", m_p);
    // The search starts from the class of the required arcs (a DAG: they close no cycle), and
    // never deletes them nor moves to a class without a DAG that has them all.
    if (m_k && !m_k->required_arcs().empty()) {
      for (const auto& [i, j] : m_k->required_arcs()) sorted_insert(m_pa[std::size_t(j)], i);
      Pdag arcs(m_p);
      for (const auto& [i, j] : m_k->required_arcs()) arcs.add_arc(i, j);
      m_E = essential_graph_of_arcs(std::move(arcs), m_masks);
    }
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

  /// A DAG extension of the PDAG P (Dor & Tarsi 1992): repeatedly remove a removable node
  /// (`detail::dor_tarsi_removable`), orienting its undirected edges into it, revisiting only
  /// the neighbours of removed nodes. False when P has no extension.
  bool extend(const Pdag& P, Parents& pa) const {
    pa.resize(std::size_t(m_p)); // assignments below reuse the lists' storage
    std::vector<int> n_out(static_cast<std::size_t>(m_p));
    std::vector<char> removed(std::size_t(m_p), 0);
    for (int x = 0; x < m_p; ++x) {
      pa[std::size_t(x)] = P.parents(x);
      n_out[std::size_t(x)] = int(P.children(x).size());
    }
    std::vector<int> stack(static_cast<std::size_t>(m_p));
    for (int x = 0; x < m_p; ++x) stack[std::size_t(x)] = m_p - 1 - x;
    int count = 0;
    while (!stack.empty()) {
      const int x = stack.back();
      stack.pop_back();
      if (!dor_tarsi_removable(P, x, removed, n_out)) continue;
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

  /// The interventional essential graph of the DAG `pa`.
  Pdag essential_of(const Parents& pa) const {
    Pdag arcs(m_p);
    for (int v = 0; v < m_p; ++v)
      for (int u : pa[std::size_t(v)]) arcs.add_arc(u, v);
    return essential_graph_of_arcs(std::move(arcs), m_masks);
  }
  /// May the search move to the class E? Always without required arcs. With them, when a DAG
  /// of the class has them all; `pa` is then that DAG. Such a DAG extends the PDAG P = E with the
  /// required arcs directed, so Dor & Tarsi's algorithm finds an extension of P whenever it
  /// exists; but an extension of P is in E's class only when directing the required arcs made
  /// no new v-structure (two required arcs into one node from non-adjacent nodes, undirected in
  /// E), which its essential graph tells.
  bool admissible(const Pdag& E, Parents& pa) const {
    if (!m_k || m_k->required_arcs().empty()) return true;
    Pdag P = E;
    for (const auto& [i, j] : m_k->required_arcs()) {
      if (E.has_arc(j, i)) return false;
      P.add_arc(i, j);
    }
    return extend(P, pa) && essential_of(pa) == E;
  }
  /// May u and v never be adjacent?
  bool gap(int u, int v) const { return m_k && !m_k->allowed(u, v); }

  /// Moves to the class E of the DAG `pa`. (a, b): the pair whose adjacency the operator
  /// changed (-1 for none).
  void move_to(Parents pa, Pdag E, int a, int b, const char* phase) {
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
  /// Tries the candidate moves `found` (gain, then the data `build` needs to make the DAG) from
  /// the largest gain down, the scan order breaking ties, and takes the first admissible one.
  template <class Move, class Build>
  bool take_best(std::vector<Move>& found, Build&& build, const char* phase) {
    std::stable_sort(found.begin(), found.end(),
                     [](const Move& x, const Move& y) { return x.gain > y.gain; });
    for (const Move& m : found) {
      Parents pa;
      int a = -1, b = -1;
      if (!build(m, pa, a, b)) continue;
      Pdag E = essential_of(pa);
      if (!admissible(E, pa)) continue;
      move_to(std::move(pa), std::move(E), a, b, phase);
      return true;
    }
    return false;
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
        if (m_mark[std::size_t(u)] != stamp && gains(u) > 0 && !gap(u, v))
          list.push_back({gains(u), u, C});
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
          Pdag E = essential_of(pa);
          if (admissible(E, pa)) {
            move_to(std::move(pa), std::move(E), c.u, v, "forward");
            return true;
          }
        }
      }
      if (++next[std::size_t(v)] < list.size()) heap.emplace(list[next[std::size_t(v)]].gain, v);
    }
    return false;
  }

  bool backward_step() {
    struct Deletion {
      double gain;
      int u, v;
      std::vector<int> C, NA;
    };
    std::vector<Deletion> found;
    const double tol = tolerance();
    for (int v = 0; v < m_p; ++v) {
      const auto& pa = m_E.parents(v);
      for (const auto* nb : {&m_E.parents(v), &m_E.undirected_neighbors(v)})
        for (int u : *nb) {
          if (m_k && m_k->required_pair(u, v)) continue;
          std::vector<int> NA;
          for (int x : m_E.undirected_neighbors(v))
            if (x != u && m_E.adjacent(x, u)) NA.push_back(x);
          for_each_clique(NA, [&](const std::vector<int>& C) {
            std::vector<int> without = merged(pa, C);
            without.erase(std::remove(without.begin(), without.end(), u), without.end());
            std::vector<int> with = without;
            sorted_insert(with, u);
            const double gain = m_sc.local(v, without) - m_sc.local(v, with);
            if (gain > tol) found.push_back({gain, u, v, C, NA});
          });
        }
    }
    return take_best(
        found,
        [&](const Deletion& d, Parents& pa, int& a, int& b) {
          Pdag P = m_E;
          P.remove_edge(d.u, d.v);
          for (int h : d.NA)
            if (!std::binary_search(d.C.begin(), d.C.end(), h)) {
              if (P.has_undirected(d.v, h)) P.add_arc(d.v, h);
              if (P.has_undirected(d.u, h)) P.add_arc(d.u, h);
            }
          if (!extend(P, pa))
            throw_logic("gies", "internal error: a deletion's graph has no DAG extension");
          a = d.u, b = d.v;
          return true;
        },
        "backward");
  }

  /// Turning: make u -> v out of the arc v -> u or the undirected edge u - v, with a clique C of
  /// v's other undirected neighbours as v's new parents and the rest of them as its children.
  /// Each candidate is scored exactly on a DAG extension (the score change is a sum over the
  /// nodes whose parents differ from the current DAG's).
  bool turning_step() {
    struct Turn {
      double gain;
      int u, v;
      std::vector<int> C;
    };
    std::vector<Turn> found;
    const double tol = tolerance();
    Parents pa;
    // Turning u -> v with parents C: the PDAG's DAG extension into `out`; false when none.
    auto turned = [&](int u, int v, const std::vector<int>& C, Parents& out) {
      std::vector<int> N = m_E.undirected_neighbors(v);
      N.erase(std::remove(N.begin(), N.end(), u), N.end());
      Pdag& P = m_scratch;
      P = m_E; // reuses the scratch graph's lists: no allocation per candidate
      P.add_arc(u, v);
      for (int x : N) std::binary_search(C.begin(), C.end(), x) ? P.add_arc(x, v) : P.add_arc(v, x);
      return extend(P, out);
    };
    for (int v = 0; v < m_p; ++v)
      for (const auto* nb : {&m_E.children(v), &m_E.undirected_neighbors(v)})
        for (int u : std::vector<int>(*nb)) {
          std::vector<int> N = m_E.undirected_neighbors(v);
          N.erase(std::remove(N.begin(), N.end(), u), N.end());
          for_each_clique(N, [&](const std::vector<int>& C) {
            if (!turned(u, v, C, pa)) return;
            double gain = 0;
            for (int w = 0; w < m_p; ++w)
              if (pa[std::size_t(w)] != m_pa[std::size_t(w)])
                gain += m_sc.local(w, pa[std::size_t(w)]) - m_sc.local(w, m_pa[std::size_t(w)]);
            if (gain > tol) found.push_back({gain, u, v, C});
          });
        }
    return take_best(
        found, [&](const Turn& t, Parents& out, int&, int&) { return turned(t.u, t.v, t.C, out); },
        "turning");
  }

  const Score& m_sc;
  int m_p;
  std::vector<std::vector<char>> m_masks;
  const GiesOptions& m_o;
  const BackgroundKnowledge* m_k; // null: no knowledge
  Pdag m_E, m_scratch;
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
///
/// `knowledge` (empty: none) restricts the search as pcalg's `fixedGaps` and Tetrad's knowledge
/// do: a pair outside the allowed skeleton or forbidden is never inserted (the restricted GES of
/// Nandy, Hauser & Maathuis 2018, which is not consistent in general: a true skeleton can still
/// leave a local optimum); the search starts from the class of the required arcs, never deletes
/// them, and moves only to classes with a DAG that has them all, so `dag` has them.
/// `essential` is the class's I-CPDAG; `BackgroundKnowledge::orient` directs the required arcs
/// in it (as `discover` does). Throws `invalid_argument` on knowledge over another number of
/// variables.
template <class Score>
GiesResult gies(const Score& score, const std::vector<std::vector<int>>& targets,
                const GiesOptions& options = {},
                const BackgroundKnowledge& knowledge = BackgroundKnowledge{}) {
  return detail::GiesSearch<Score>(score, targets, options, knowledge).run();
}

/// GIES on observational and interventional samples with the interventional Gaussian BIC
/// (penalty `options.lambda`): the learned I-CPDAG, a DAG of its class and its score.
/// `observational_groups` as for `GaussianInterventionalBic::from_data`; `knowledge` as above.
inline GiesResult gies(const Eigen::MatrixXd& observational,
                       const std::vector<Eigen::MatrixXd>& settings,
                       const std::vector<std::vector<int>>& targets,
                       const GiesOptions& options = {},
                       const std::vector<int>& observational_groups = {},
                       const BackgroundKnowledge& knowledge = BackgroundKnowledge{}) {
  const auto score = GaussianInterventionalBic::from_data(observational, settings, targets,
                                                          options.lambda, observational_groups);
  return gies(score, targets, options, knowledge);
}

/// GIES on `InterventionalData` (its known targets; its pooled observational settings, when
/// labelled, as separate settings without targets); `knowledge` as above.
inline GiesResult gies(const InterventionalData& data, const GiesOptions& options = {},
                       const BackgroundKnowledge& knowledge = BackgroundKnowledge{}) {
  return gies(data.observational, data.settings, data.targets, options,
              data.observational_setting_of, knowledge);
}

} // namespace cimpute
