// Perfect tests for discovery algorithms: d-separation in the true DAG (conditional
// independence) and in the DAG augmented with one intervention node per setting (invariance).
#pragma once

#include <cimpute/graph.hpp>

#include <algorithm>
#include <vector>

namespace cimpute_test {

// The CI test of a faithful distribution: i _||_ j | S iff d-separated.
struct DSeparationOracle {
  cimpute::Dag g;
  int num_variables() const { return g.num_nodes(); }
  bool independent(int i, int j, const std::vector<int>& S, double) const {
    return cimpute::d_separated(g, {i}, {j}, S);
  }
};

// X_i | X_S is invariant in setting k iff i is d-separated given S from an intervention node
// pointing into the setting's actual targets; `known` are the targets a learner is told.
struct InvarianceOracle {
  cimpute::Dag g;
  std::vector<std::vector<int>> actual, known;
  int num_settings() const { return int(actual.size()); }
  const std::vector<int>& targets(int k) const { return known[std::size_t(k)]; }
  bool invariant(int k, int i, const std::vector<int>& S, double) const {
    const int p = g.num_nodes();
    cimpute::Dag h(p + 1);
    for (auto [a, b] : g.arcs()) h.add_arc(a, b);
    for (int t : actual[std::size_t(k)]) h.add_arc(p, t);
    return cimpute::d_separated(h, {p}, {i}, S);
  }
};

} // namespace cimpute_test
