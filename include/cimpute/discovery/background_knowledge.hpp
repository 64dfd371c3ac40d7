/// @file background_knowledge.hpp
/// @brief Prior knowledge for causal discovery (`BackgroundKnowledge`: an allowed skeleton such as
/// an interactome, forbidden pairs, required arcs) and the CI-test policy that imposes it on PC,
/// GSP, IGSP and UT-IGSP (`ConstrainedCiTest`).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/graph/meek_rules.hpp"
#include "cimpute/graph/pdag.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// What is known before the data are seen, over p variables: which pairs may be adjacent at all
/// (an allowed skeleton, e.g. a protein interaction network: edges outside it never appear; by
/// default every pair), pairs that may never be adjacent (forbidden, in either direction), and
/// arcs that must appear (required, with their direction). An empty knowledge (`empty()`)
/// changes nothing.
class BackgroundKnowledge {
public:
  BackgroundKnowledge() = default;
  explicit BackgroundKnowledge(int p) : m_p(p), m_state(std::size_t(p) * std::size_t(p), Free) {
    if (p < 0) detail::throw_invalid("BackgroundKnowledge", "negative number of variables ", p);
  }

  int num_variables() const noexcept { return m_p; }
  /// True when nothing constrains the search.
  bool empty() const noexcept { return !m_constrained; }

  /// How the permutation searches (GSP, IGSP, UT-IGSP) treat a pair that may not be adjacent.
  /// False (the default): the pair is tested like any other while the search scores orders, and
  /// its arc is removed from the result; the searches keep their consistency (with a correct
  /// allowed skeleton and perfect tests they return the essential graph) but run no faster. True
  /// (causaldag's `fixed_gaps`, as the published SARS-CoV-2 analysis ran GSP): the pair is never
  /// tested nor drawn; faster, but every order then scores alike on the pairs inside the
  /// skeleton, so orientations are decided by sparsity elsewhere or not at all (with the true
  /// skeleton as the allowed one, every order gives the same count of arcs). PC always removes
  /// such pairs before testing and stays consistent (see `pc`).
  void set_fixed_gaps(bool fixed) noexcept { m_fixed_gaps = fixed; }
  bool fixed_gaps() const noexcept { return m_fixed_gaps; }

  /// Only the pairs of `edges` (undirected) may be adjacent; earlier calls' allowed pairs are
  /// forgotten, forbidden ones kept. Throws `invalid_argument` when a required arc is not among
  /// `edges`.
  void allow_only(const std::vector<std::pair<int, int>>& edges) {
    std::vector<char> in(m_state.size(), 0);
    for (const auto& [i, j] : edges) {
      check(i, j, "allow_only");
      in[at(i, j)] = in[at(j, i)] = 1;
    }
    for (const auto& [i, j] : m_required)
      if (!in[at(i, j)])
        detail::throw_invalid("BackgroundKnowledge::allow_only", "the required arc ", i, " -> ", j,
                              " is outside the allowed skeleton");
    for (std::size_t k = 0; k < m_state.size(); ++k)
      if (m_state[k] == Free && !in[k])
        m_state[k] = Gap;
      else if (m_state[k] == Gap && in[k])
        m_state[k] = Free;
    m_constrained = true;
  }
  /// i and j are never adjacent. Throws `invalid_argument` when an arc between them is required.
  void forbid(int i, int j) {
    check(i, j, "forbid");
    if (required(i, j) || required(j, i))
      detail::throw_invalid("BackgroundKnowledge::forbid", "the pair ", i, " - ", j,
                            " is required");
    m_state[at(i, j)] = m_state[at(j, i)] = Forbidden;
    m_constrained = true;
  }
  /// The arc i -> j is in every result. Throws `invalid_argument` when the pair is forbidden or
  /// outside the allowed skeleton, when j -> i is required, or when the required arcs close a
  /// cycle.
  void require(int i, int j) {
    const char* fn = "BackgroundKnowledge::require";
    check(i, j, "require");
    if (m_state[at(i, j)] == Forbidden)
      detail::throw_invalid(fn, "the arc ", i, " -> ", j, " is forbidden");
    if (m_state[at(i, j)] == Gap)
      detail::throw_invalid(fn, "the arc ", i, " -> ", j, " is outside the allowed skeleton");
    if (required(j, i)) detail::throw_invalid(fn, "both ", i, " -> ", j, " and its reverse");
    m_state[at(i, j)] = Required;
    m_state[at(j, i)] = RequiredReverse;
    m_required.emplace_back(i, j);
    m_constrained = true;
    if (required_order().empty()) {
      m_required.pop_back();
      m_state[at(i, j)] = m_state[at(j, i)] = Free;
      detail::throw_invalid(fn, "the arc ", i, " -> ", j, " closes a cycle of required arcs");
    }
  }

  /// May i and j be adjacent?
  bool allowed(int i, int j) const {
    const auto s = m_state[at(i, j)];
    return s != Gap && s != Forbidden;
  }
  /// Is the arc i -> j required?
  bool required(int i, int j) const { return m_state[at(i, j)] == Required; }
  /// Is an arc between i and j required (either direction)?
  bool required_pair(int i, int j) const {
    const auto s = m_state[at(i, j)];
    return s == Required || s == RequiredReverse;
  }
  const std::vector<std::pair<int, int>>& required_arcs() const noexcept { return m_required; }
  /// Number of allowed pairs (i < j).
  long allowed_pairs() const {
    long n = 0;
    for (int i = 0; i < m_p; ++i)
      for (int j = i + 1; j < m_p; ++j) n += allowed(i, j);
    return n;
  }

  /// `order` reordered so that every required arc goes forward, keeping the given order as far
  /// as possible (Kahn's algorithm taking the earliest available variable first); empty when the
  /// required arcs close a cycle.
  std::vector<int> required_order(std::vector<int> order = {}) const {
    if (order.empty())
      for (int v = 0; v < m_p; ++v) order.push_back(v);
    std::vector<int> position(static_cast<std::size_t>(m_p)),
        indegree(static_cast<std::size_t>(m_p), 0);
    for (int k = 0; k < m_p; ++k) position[std::size_t(order[std::size_t(k)])] = k;
    std::vector<std::vector<int>> out(static_cast<std::size_t>(m_p));
    for (const auto& [i, j] : m_required) {
      out[std::size_t(i)].push_back(j);
      ++indegree[std::size_t(j)];
    }
    std::priority_queue<std::pair<int, int>, std::vector<std::pair<int, int>>,
                        std::greater<std::pair<int, int>>>
        ready; // (position, variable)
    for (int v = 0; v < m_p; ++v)
      if (indegree[std::size_t(v)] == 0) ready.push({position[std::size_t(v)], v});
    std::vector<int> result;
    while (!ready.empty()) {
      const int v = ready.top().second;
      ready.pop();
      result.push_back(v);
      for (int w : out[std::size_t(v)])
        if (--indegree[std::size_t(w)] == 0) ready.push({position[std::size_t(w)], w});
    }
    if (int(result.size()) != m_p) return {};
    return result;
  }

  /// Imposes the knowledge on an estimated graph: required arcs directed (whatever the estimate
  /// said), then Meek's rules. Throws `invalid_argument` on a size mismatch.
  void orient(Pdag& g) const {
    if (empty()) return;
    if (g.num_nodes() != m_p)
      detail::throw_invalid("BackgroundKnowledge::orient", "a graph of ", g.num_nodes(),
                            " nodes for knowledge over ", m_p, " variables");
    for (const auto& [i, j] : m_required) g.add_arc(i, j);
    if (!m_required.empty()) apply_meek_rules(g);
  }

private:
  enum State : unsigned char { Free, Gap, Forbidden, Required, RequiredReverse };
  std::size_t at(int i, int j) const { return std::size_t(i) * std::size_t(m_p) + std::size_t(j); }
  void check(int i, int j, const char* what) const {
    if (i < 0 || j < 0 || i >= m_p || j >= m_p || i == j)
      detail::throw_invalid("BackgroundKnowledge::", what, ": bad pair ", i, " - ", j, " over ",
                            m_p, " variables");
  }
  int m_p = 0;
  std::vector<State> m_state;
  std::vector<std::pair<int, int>> m_required;
  bool m_constrained = false, m_fixed_gaps = false;
};

/// A conditional independence test with background knowledge imposed (a policy wrapping
/// `CiTest`): a required pair is dependent given anything, so it is never removed; a pair that
/// may not be adjacent is removed by PC before any test, and by the permutation searches (GSP,
/// IGSP, UT-IGSP) from their result (`detail::project`), or, with fixed gaps, independent given
/// anything (`BackgroundKnowledge::set_fixed_gaps`); the other pairs ask `CiTest`. The starting
/// orders of the permutation searches are reordered to run along the required arcs and a covered
/// required arc is never reversed (`detail::search_order`, `detail::reversible`). With the
/// Gaussian test, the fast paths of the minimal I-map and of the dependence graph are kept.
/// PC removes the pairs the knowledge rules out before any test and looks for their separating
/// sets (with the unconstrained test) only to orient unshielded triples (`pc`).
template <class CiTest>
class ConstrainedCiTest {
public:
  /// Both are referenced, not copied: they must outlive the test.
  ConstrainedCiTest(const CiTest& test, const BackgroundKnowledge& knowledge)
      : m_test(&test), m_knowledge(&knowledge) {
    if (knowledge.num_variables() != test.num_variables())
      detail::throw_invalid("ConstrainedCiTest", "knowledge over ", knowledge.num_variables(),
                            " variables for a test of ", test.num_variables());
  }
  int num_variables() const { return m_test->num_variables(); }
  bool independent(int i, int j, const std::vector<int>& S, double alpha) const {
    if (m_knowledge->required_pair(i, j)) return false;
    if (skipped(i, j)) return true;
    return m_test->independent(i, j, S, alpha);
  }
  /// Is the pair answered "independent" without a test (ruled out, with fixed gaps)?
  bool skipped(int i, int j) const {
    return m_knowledge->fixed_gaps() && !m_knowledge->allowed(i, j);
  }
  const CiTest& inner() const noexcept { return *m_test; }
  const BackgroundKnowledge& knowledge() const noexcept { return *m_knowledge; }

private:
  const CiTest* m_test;
  const BackgroundKnowledge* m_knowledge;
};

namespace detail {
/// The starting order of a permutation search under `test` (the identity for a plain test).
template <class CiTest>
std::vector<int> search_order(const CiTest&, std::vector<int> order) {
  return order;
}
template <class CiTest>
std::vector<int> search_order(const ConstrainedCiTest<CiTest>& test, std::vector<int> order) {
  return test.knowledge().required_order(std::move(order));
}
/// Is the pair i, j ruled out by background knowledge (never by a plain test)?
template <class CiTest>
bool prior_gap(const CiTest&, int, int) {
  return false;
}
template <class CiTest>
bool prior_gap(const ConstrainedCiTest<CiTest>& test, int i, int j) {
  return !test.knowledge().allowed(i, j);
}
/// The test without background knowledge.
template <class CiTest>
const CiTest& unconstrained(const CiTest& test) {
  return test;
}
template <class CiTest>
const CiTest& unconstrained(const ConstrainedCiTest<CiTest>& test) {
  return test.inner();
}
/// The result of a permutation search under `test` without the arcs its knowledge rules out.
template <class CiTest, class Graph>
void project(const CiTest&, Graph&) {}
template <class CiTest, class Graph>
void project(const ConstrainedCiTest<CiTest>& test, Graph& g) {
  for (const auto& [i, j] : g.arcs())
    if (!test.knowledge().allowed(i, j)) g.remove_arc(i, j);
}
/// May a permutation search reverse the arc i -> j under `test`?
template <class CiTest>
bool reversible(const CiTest&, int, int) {
  return true;
}
template <class CiTest>
bool reversible(const ConstrainedCiTest<CiTest>& test, int i, int j) {
  return !test.knowledge().required(i, j);
}
} // namespace detail

/// Pairs of variable names for background knowledge (`background_knowledge`): the allowed
/// skeleton (undirected), forbidden pairs (either direction) and required arcs (cause, effect),
/// each with the file and line it came from (empty / 0 for pairs given directly).
struct KnowledgePairs {
  struct Pair {
    std::string a, b, file;
    std::size_t line = 0;
  };
  std::vector<Pair> skeleton, forbidden, required;
  bool has_skeleton = false; ///< a skeleton was given (even one with no pair among the variables)
  bool fixed_gaps = false;   ///< see `BackgroundKnowledge::set_fixed_gaps`
};

/// Background knowledge over `variables` from named pairs. Skeleton pairs naming a variable that
/// is not among `variables` (an interactome is larger than the measured genes) and self-pairs
/// are left out and counted in `*skeleton_left_out`; a skeleton none of whose pairs joins two
/// variables is an error, and so is a forbidden or required pair naming an unknown variable, or
/// knowledge that contradicts itself (a required arc outside the skeleton or forbidden, a cycle
/// of required arcs): `invalid_argument`, or `parse_error` with the file and line.
inline BackgroundKnowledge background_knowledge(const std::vector<std::string>& variables,
                                                const KnowledgePairs& pairs,
                                                std::size_t* skeleton_left_out = nullptr) {
  const char* fn = "background_knowledge";
  std::map<std::string, int> index;
  for (std::size_t v = 0; v < variables.size(); ++v)
    if (!index.emplace(variables[v], int(v)).second)
      detail::throw_invalid(fn, "variable name '", variables[v], "' appears twice");
  BackgroundKnowledge k(int(variables.size()));
  auto fail = [&](const KnowledgePairs::Pair& p, const std::string& what) {
    const std::string msg = std::string(fn) + ": " + what;
    if (p.line > 0) throw parse_error(p.file, p.line, msg);
    detail::throw_invalid(fn, what);
  };
  auto find = [&](const KnowledgePairs::Pair& p, const std::string& name, const char* kind) {
    const auto it = index.find(name);
    if (it == index.end())
      fail(p, std::string(kind) + " " + p.a + " - " + p.b + " names '" + name +
                  "', not a variable of the data");
    return it->second;
  };
  if (pairs.has_skeleton || !pairs.skeleton.empty()) {
    std::vector<std::pair<int, int>> edges;
    std::size_t left = 0;
    for (const auto& p : pairs.skeleton) {
      const auto a = index.find(p.a), b = index.find(p.b);
      if (a == index.end() || b == index.end() || a->second == b->second) {
        ++left;
        continue;
      }
      edges.emplace_back(a->second, b->second);
    }
    if (edges.empty() && !variables.empty())
      detail::throw_invalid(fn, "no pair of the allowed skeleton (", pairs.skeleton.size(),
                            " pairs) joins two variables of the data");
    if (skeleton_left_out) *skeleton_left_out = left;
    k.allow_only(edges);
  }
  for (const auto& p : pairs.forbidden) {
    const int a = find(p, p.a, "forbidden pair"), b = find(p, p.b, "forbidden pair");
    try {
      k.forbid(a, b);
    } catch (const invalid_argument& e) {
      fail(p, "forbidden pair " + p.a + " - " + p.b + ": " + e.what());
    }
  }
  for (const auto& p : pairs.required) {
    const int a = find(p, p.a, "required arc"), b = find(p, p.b, "required arc");
    try {
      k.require(a, b);
    } catch (const invalid_argument& e) {
      fail(p, "required arc " + p.a + " -> " + p.b + ": " + e.what());
    }
  }
  k.set_fixed_gaps(pairs.fixed_gaps);
  return k;
}

} // namespace cimpute
