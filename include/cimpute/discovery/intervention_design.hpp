/// @file intervention_design.hpp
/// @brief Choosing the next experiments for structure learning: the single-node interventions
/// expected to orient the most still-undirected edges of the interventional essential graph,
/// for one learned graph (over the DAGs of its class, as Hauser & Bühlmann 2014) or over the
/// DAGs of bootstrap resamples (as Agrawal et al. 2019, ABCD).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/discovery/discover.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/graph/essential_graph.hpp"
#include "cimpute/graph/pdag.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace cimpute {

/// How the DAGs a design is evaluated on are combined.
enum class DesignObjective {
  Expected, ///< the mean number of oriented edges over the DAGs (ABCD's expected gain)
  WorstCase ///< the smallest number over the DAGs (the guarantee; Hauser & Bühlmann's minimax)
};

/// Options of `choose_interventions`.
struct InterventionDesignOptions {
  int budget = 1; ///< interventions to choose (K)
  /// true: choose the K jointly (greedy on the value of the whole batch, so that two
  /// interventions orienting the same edges are not both picked); false: rank the single
  /// interventions by their own value (for running one, relearning, and designing again).
  bool batch = false;
  DesignObjective objective = DesignObjective::Expected;
  std::vector<int> candidates; ///< nodes that may be intervened on (empty: all)
  /// A class with at most this many undirected edges is enumerated; a larger one is sampled.
  int enumerate_up_to = 12;
  int class_samples = 200; ///< DAGs drawn from a class too large to enumerate
  std::uint64_t seed = 1;  ///< of the class samples
};

/// One chosen intervention and the design's value once it is added (batch: with all chosen
/// before it; ranking: on its own).
struct ChosenIntervention {
  int node = -1;
  double oriented = 0;   ///< oriented edges of the I-essential graph (mean or worst case)
  double unoriented = 0; ///< undirected edges left (mean or worst case)
};

/// The result of `choose_interventions`.
struct InterventionDesign {
  std::vector<ChosenIntervention> chosen;
  double oriented_before = 0, unoriented_before = 0; ///< under the current targets
  int dags = 0;                                      ///< DAGs the design was evaluated on
};

namespace detail {
inline void check_design(const InterventionDesignOptions& o, int p, const char* fn) {
  if (o.budget < 1) throw_invalid(fn, "the budget must be >= 1, got ", o.budget);
  for (int v : o.candidates)
    if (v < 0 || v >= p) throw_invalid(fn, "candidate node ", v, " outside [0, ", p, ")");
  const int n = o.candidates.empty() ? p : int(o.candidates.size());
  if (o.budget > n)
    throw_invalid(fn, "a budget of ", o.budget, " exceeds the ", n, " candidate interventions");
  if (o.class_samples < 1) throw_invalid(fn, "class_samples must be >= 1, got ", o.class_samples);
}

/// A random DAG of the class of the (interventional) essential graph E: each chain component
/// (connected by undirected edges; chordal) is oriented along a maximum-cardinality-search order
/// with random ties and a random start, which adds no v-structure and no cycle.
inline Dag random_class_member(const Pdag& E, std::mt19937_64& rng) {
  const int p = E.num_nodes();
  Dag g(p);
  for (const auto& [i, j] : E.arcs()) g.add_arc(i, j);
  std::vector<int> order, weight(std::size_t(p), 0);
  std::vector<char> done(std::size_t(p), 0);
  std::vector<int> nodes(static_cast<std::size_t>(p));
  std::iota(nodes.begin(), nodes.end(), 0);
  std::shuffle(nodes.begin(), nodes.end(), rng);
  std::vector<int> position(std::size_t(p), -1);
  for (int start : nodes) {
    if (done[std::size_t(start)]) continue;
    // The chain component of `start`.
    std::vector<int> comp{start}, stack{start};
    std::vector<char> in(std::size_t(p), 0);
    in[std::size_t(start)] = 1;
    while (!stack.empty()) {
      const int x = stack.back();
      stack.pop_back();
      for (int y : E.undirected_neighbors(x))
        if (!in[std::size_t(y)]) in[std::size_t(y)] = 1, comp.push_back(y), stack.push_back(y);
    }
    // Maximum cardinality search inside it: next = an unvisited node with the most visited
    // undirected neighbours, ties at random.
    int rank = 0;
    for (std::size_t step = 0; step < comp.size(); ++step) {
      int best = -1;
      std::vector<int> ties;
      for (int x : comp)
        if (!done[std::size_t(x)]) {
          if (best < 0 || weight[std::size_t(x)] > best)
            best = weight[std::size_t(x)], ties = {x};
          else if (weight[std::size_t(x)] == best)
            ties.push_back(x);
        }
      const int x = step == 0 ? start : ties[std::size_t(rng() % ties.size())];
      done[std::size_t(x)] = 1;
      position[std::size_t(x)] = rank++;
      for (int y : E.undirected_neighbors(x)) ++weight[std::size_t(y)];
    }
    for (int x : comp)
      for (int y : E.undirected_neighbors(x))
        if (position[std::size_t(x)] < position[std::size_t(y)]) g.add_arc(x, y);
  }
  return g;
}

/// The DAGs of E's class: all of them when E has at most `enumerate_up_to` undirected edges,
/// else `class_samples` random members.
inline std::vector<Dag> class_dags(const Pdag& E, const std::vector<std::vector<int>>& targets,
                                   const InterventionDesignOptions& o) {
  if (E.num_undirected() <= o.enumerate_up_to) return equivalence_class(E, targets);
  std::mt19937_64 rng(o.seed);
  std::vector<Dag> out;
  for (int s = 0; s < o.class_samples; ++s) out.push_back(random_class_member(E, rng));
  return out;
}
} // namespace detail

/// Chooses `options.budget` single-node interventions for the DAGs `dags` (equally weighted:
/// the members of one learned class, or the DAGs of bootstrap resamples) under the current
/// family of intervention `targets`: the value of a set S of new interventions is the number of
/// edges oriented in each DAG's interventional essential graph under targets + S, averaged
/// (`Expected`) or minimised (`WorstCase`) over the DAGs. Batch: greedy on the value of the
/// whole set; otherwise the single interventions ranked by their own value. Ties go to the
/// node with more neighbours, then to the smaller node. Only nodes with an undirected edge in some
/// DAG's essential graph can gain; the others come last.
inline InterventionDesign choose_interventions(const std::vector<Dag>& dags,
                                               const std::vector<std::vector<int>>& targets,
                                               const InterventionDesignOptions& options = {}) {
  const char* fn = "choose_interventions";
  if (dags.empty()) detail::throw_invalid(fn, "no DAGs to evaluate the design on");
  const int p = dags.front().num_nodes();
  for (const Dag& g : dags)
    if (g.num_nodes() != p) detail::throw_invalid(fn, "DAGs of different sizes");
  detail::check_design(options, p, fn);
  std::vector<int> candidates = options.candidates;
  if (candidates.empty()) {
    candidates.resize(std::size_t(p));
    std::iota(candidates.begin(), candidates.end(), 0);
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  // Value of a family: per DAG, (oriented, undirected) edges of its I-essential graph.
  const auto masks_base = detail::target_masks(targets, p, fn);
  auto evaluate = [&](const std::vector<int>& added) {
    std::vector<double> oriented(dags.size()), unoriented(dags.size());
    auto masks = masks_base;
    for (int v : added) {
      std::vector<char> m(std::size_t(p), 0);
      m[std::size_t(v)] = 1;
      masks.push_back(std::move(m));
    }
    detail::parallel_for(long(dags.size()), [&](long d) {
      const Pdag e = detail::essential_graph_of_arcs(Pdag(dags[std::size_t(d)]), masks);
      oriented[std::size_t(d)] = e.num_arcs();
      unoriented[std::size_t(d)] = e.num_undirected();
    });
    ChosenIntervention c;
    if (options.objective == DesignObjective::Expected) {
      c.oriented = std::accumulate(oriented.begin(), oriented.end(), 0.0) / double(dags.size());
      c.unoriented =
          std::accumulate(unoriented.begin(), unoriented.end(), 0.0) / double(dags.size());
    } else {
      c.oriented = *std::min_element(oriented.begin(), oriented.end());
      c.unoriented = *std::max_element(unoriented.begin(), unoriented.end());
    }
    return c;
  };
  InterventionDesign out;
  out.dags = int(dags.size());
  const ChosenIntervention before = evaluate({});
  out.oriented_before = before.oriented;
  out.unoriented_before = before.unoriented;

  // Nodes incident to an undirected edge of some DAG's essential graph under the targets.
  std::vector<char> useful(std::size_t(p), 0);
  for (const Dag& g : dags) {
    const Pdag e = detail::essential_graph_of_arcs(Pdag(g), masks_base);
    for (const auto& [i, j] : e.undirected_edges())
      useful[std::size_t(i)] = useful[std::size_t(j)] = 1;
  }
  std::vector<int> chosen;
  std::vector<ChosenIntervention> single; // each candidate's own value
  for (int v : candidates) {
    ChosenIntervention c = useful[std::size_t(v)] ? evaluate({v}) : before;
    c.node = v;
    single.push_back(c);
  }
  // Ties: the node with more neighbours (summed over the DAGs; its interventional samples
  // inform more edges), then the smaller node.
  std::vector<long> degree(std::size_t(p), 0);
  for (const Dag& g : dags)
    for (int v = 0; v < p; ++v)
      degree[std::size_t(v)] += long(g.parents(v).size() + g.children(v).size());
  auto better = [&](const ChosenIntervention& a, const ChosenIntervention& b) {
    if (a.oriented != b.oriented) return a.oriented > b.oriented;
    const long da = degree[std::size_t(a.node)], db = degree[std::size_t(b.node)];
    return da != db ? da > db : a.node < b.node;
  };
  if (!options.batch) {
    std::stable_sort(single.begin(), single.end(), better);
    out.chosen.assign(single.begin(), single.begin() + options.budget);
    return out;
  }
  std::vector<char> taken(std::size_t(p), 0);
  ChosenIntervention current = before;
  for (int k = 0; k < options.budget; ++k) {
    ChosenIntervention best{-1, -1, 0};
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      const int v = candidates[c];
      if (taken[std::size_t(v)]) continue;
      ChosenIntervention value;
      if (!useful[std::size_t(v)])
        value = current; // orients nothing new
      else if (k == 0)
        value = single[c];
      else {
        std::vector<int> added = chosen;
        added.push_back(v);
        value = evaluate(added);
      }
      value.node = v;
      if (best.node < 0 || better(value, best)) best = value;
    }
    taken[std::size_t(best.node)] = 1;
    chosen.push_back(best.node);
    current = best;
    out.chosen.push_back(best);
  }
  return out;
}

/// Chooses interventions for one learned (interventional) essential graph `E` under `targets`:
/// over every DAG of its class (small classes) or a random sample of them.
inline InterventionDesign choose_interventions(const Pdag& E,
                                               const std::vector<std::vector<int>>& targets,
                                               const InterventionDesignOptions& options = {}) {
  detail::check_design(options, E.num_nodes(), "choose_interventions");
  return choose_interventions(detail::class_dags(E, targets, options), targets, options);
}

/// Learns from `data` with `discovery` and chooses the next interventions: without bootstrap
/// over the class of the learned essential graph; with `discovery.bootstrap = B` over the
/// classes learned from B bootstrap resamples (about `class_samples` DAGs in all, an equal
/// share per resample), as ABCD's expectation over a posterior sample of DAGs. The current
/// targets are the data's known ones.
inline InterventionDesign design_interventions(const InterventionalData& data,
                                               const DiscoveryOptions& discovery,
                                               const InterventionDesignOptions& options = {}) {
  const char* fn = "design_interventions";
  const int p = int(data.observational.cols());
  detail::check_design(options, p, fn);
  if (discovery.unknown_targets || discovery_method(discovery.method).learns_targets)
    detail::throw_invalid(fn, "the design needs the known targets (igsp, gies; or gsp, pc on "
                              "the observational samples)");
  if (data.observational.rows() < 2)
    detail::throw_invalid(fn, "no observational setting (", data.observational.rows(),
                          " observational samples)");
  DiscoveryOptions once = discovery;
  once.bootstrap = 0;
  const bool interventional =
      discovery.method == DiscoveryMethod::Igsp || discovery.method == DiscoveryMethod::Gies;
  const std::vector<std::vector<int>> targets =
      interventional ? data.targets : std::vector<std::vector<int>>{};
  if (discovery.bootstrap == 0)
    return choose_interventions(discover(data, once).essential, targets, options);

  const int B = discovery.bootstrap;
  std::vector<std::vector<Dag>> per(static_cast<std::size_t>(B));
  const int share = std::max(1, (options.class_samples + B - 1) / B);
  detail::parallel_for(long(B), [&](long b) {
    std::mt19937_64 rng = detail::bootstrap_rng(discovery.search.seed, b);
    const Pdag E = detail::resampled_essential(data, data.targets, once, rng);
    InterventionDesignOptions o = options;
    o.class_samples = share;
    o.seed = options.seed + std::uint64_t(b);
    per[std::size_t(b)] = detail::class_dags(E, targets, o);
    if (int(per[std::size_t(b)].size()) > share) { // an enumerated class: an even subsample
      std::shuffle(per[std::size_t(b)].begin(), per[std::size_t(b)].end(), rng);
      per[std::size_t(b)].resize(std::size_t(share));
    }
  });
  std::vector<Dag> dags;
  for (auto& v : per) dags.insert(dags.end(), v.begin(), v.end());
  return choose_interventions(dags, targets, options);
}

} // namespace cimpute
