/// @file graph_metrics.hpp
/// @brief Structural Hamming distance and skeleton precision / recall between graphs.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/graph/pdag.hpp"

namespace cimpute {

namespace detail {
// The mark of the pair (i, j), i < j: 0 none, 1 i -> j, 2 j -> i, 3 undirected.
inline int pair_mark(const Pdag& g, int i, int j) {
  if (g.has_arc(i, j)) return 1;
  if (g.has_arc(j, i)) return 2;
  if (g.has_undirected(i, j)) return 3;
  return 0;
}
} // namespace detail

/// Structural Hamming distance between two PDAGs on the same nodes: the number of node pairs
/// whose edge differs (missing, extra, reversed, or directed vs undirected; each pair counts 1,
/// so a reversal counts 1 — the causaldag / pcalg convention).
inline int shd(const Pdag& a, const Pdag& b) {
  if (a.num_nodes() != b.num_nodes())
    detail::throw_invalid("shd", "graphs have ", a.num_nodes(), " and ", b.num_nodes(), " nodes");
  int d = 0;
  for (int i = 0; i < a.num_nodes(); ++i)
    for (int j = i + 1; j < a.num_nodes(); ++j)
      d += detail::pair_mark(a, i, j) != detail::pair_mark(b, i, j);
  return d;
}
/// Structural Hamming distance between two DAGs (a reversed arc counts 1).
inline int shd(const Dag& a, const Dag& b) {
  return shd(Pdag(a), Pdag(b));
}

/// Skeleton agreement of an estimate with a truth (edges regardless of orientation).
struct SkeletonScores {
  double precision = 0, recall = 0, f1 = 0;
  int true_positives = 0, estimated = 0, actual = 0;
};

/// Precision, recall and F1 of the estimated skeleton against the true one.
inline SkeletonScores skeleton_scores(const Pdag& estimate, const Pdag& truth) {
  if (estimate.num_nodes() != truth.num_nodes())
    detail::throw_invalid("skeleton_scores", "graphs have ", estimate.num_nodes(), " and ",
                          truth.num_nodes(), " nodes");
  SkeletonScores s;
  for (int i = 0; i < truth.num_nodes(); ++i)
    for (int j = i + 1; j < truth.num_nodes(); ++j) {
      const bool e = estimate.adjacent(i, j), t = truth.adjacent(i, j);
      s.estimated += e;
      s.actual += t;
      s.true_positives += e && t;
    }
  s.precision = s.estimated ? double(s.true_positives) / s.estimated : 1.0;
  s.recall = s.actual ? double(s.true_positives) / s.actual : 1.0;
  s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
  return s;
}

} // namespace cimpute
