/// @file d_separation.hpp
/// @brief d-separation in a DAG (the Bayes-ball reachability algorithm).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/graph/dag.hpp"

#include <vector>

namespace cimpute {

/// True when every node of A is d-separated from every node of B given S in `g` (Koller &
/// Friedman 2009, Algorithm 3.1: reachable nodes along active trails). A and B must not meet S.
inline bool d_separated(const Dag& g, const std::vector<int>& A, const std::vector<int>& B,
                        const std::vector<int>& S) {
  const char* fn = "d_separated";
  const int p = g.num_nodes();
  std::vector<char> in_s(std::size_t(p), 0), in_b(std::size_t(p), 0);
  auto check = [&](int v) {
    if (v < 0 || v >= p) detail::throw_invalid(fn, "node ", v, " outside [0, ", p, ")");
  };
  for (int v : S) check(v), in_s[std::size_t(v)] = 1;
  for (int v : B) {
    check(v);
    if (in_s[std::size_t(v)]) detail::throw_invalid(fn, "node ", v, " is in both B and S");
    in_b[std::size_t(v)] = 1;
  }
  // Nodes that are S or have a descendant in S (colliders there are open).
  std::vector<char> anc_s(std::size_t(p), 0);
  std::vector<int> stack(S.begin(), S.end());
  for (int v : S) anc_s[std::size_t(v)] = 1;
  while (!stack.empty()) {
    const int v = stack.back();
    stack.pop_back();
    for (int u : g.parents(v))
      if (!anc_s[std::size_t(u)]) anc_s[std::size_t(u)] = 1, stack.push_back(u);
  }
  // Traverse (node, direction) states: up = arrived from a child, down = arrived from a parent.
  std::vector<char> seen_up(std::size_t(p), 0), seen_down(std::size_t(p), 0);
  std::vector<std::pair<int, bool>> frontier;
  for (int a : A) {
    check(a);
    if (in_s[std::size_t(a)]) detail::throw_invalid(fn, "node ", a, " is in both A and S");
    frontier.emplace_back(a, true);
  }
  while (!frontier.empty()) {
    const auto [v, up] = frontier.back();
    frontier.pop_back();
    if (up ? seen_up[std::size_t(v)] : seen_down[std::size_t(v)]) continue;
    (up ? seen_up : seen_down)[std::size_t(v)] = 1;
    if (!in_s[std::size_t(v)] && in_b[std::size_t(v)]) return false;
    if (up && !in_s[std::size_t(v)]) {
      for (int u : g.parents(v)) frontier.emplace_back(u, true);
      for (int c : g.children(v)) frontier.emplace_back(c, false);
    } else if (!up) {
      if (!in_s[std::size_t(v)])
        for (int c : g.children(v)) frontier.emplace_back(c, false);
      if (anc_s[std::size_t(v)])
        for (int u : g.parents(v)) frontier.emplace_back(u, true);
    }
  }
  return true;
}

} // namespace cimpute
