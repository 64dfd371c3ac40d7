/// @file causal_targets.hpp
/// @brief From single-cell expression, an interactome, a disease signature and drug targets to
/// putative causal drug targets (`causal_targets`, behind `cimpute targets`): optionally the
/// prize-collecting Steiner forest, then causal discovery with the interactome as the allowed
/// skeleton and stability selection over resamples and test levels, then the targets ranked by the
/// disease genes downstream of them (Belyaeva et al. 2021).
#pragma once

#include "cimpute/connectivity/gene_signature.hpp"
#include "cimpute/connectivity/target_ranking.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/discovery/background_knowledge.hpp"
#include "cimpute/discovery/discover.hpp"
#include "cimpute/graph/steiner_forest.hpp"

#include <Eigen/Core>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// Options of `causal_targets`; the defaults are the published analysis's (GSP, levels
/// 1e-4 .. 0.3, 100 resamples, 5 starting orders, threshold 0.3, genes non-zero in more than 10%
/// of the cells, mean-centred), with the covariance shrunk by Schafer & Strimmer's estimate
/// (single cells are fewer than genes).
struct CausalTargetsOptions {
  CausalTargetsOptions() {
    discovery.method = DiscoveryMethod::Gsp;
    discovery.search.runs = 5;
    discovery.bootstrap = 100;
    discovery.alphas = {1e-4, 1e-3, 1e-2, 0.1, 0.2, 0.3};
    discovery.shrinkage = -1; // Schafer & Strimmer: cells are fewer than genes, resamples more so
  }
  double min_expressed = 0.1; ///< keep genes non-zero in more than this share of the cells
  bool center = true;         ///< subtract each gene's mean over the cells
  double threshold = 0.3;     ///< stable edges: adjacent in at least this share of resamples
  /// The learner, its levels, resamples, seed and progress; its `knowledge` is replaced by the
  /// interactome (as the allowed skeleton) and `fixed_gaps`.
  DiscoveryOptions discovery;
  bool fixed_gaps = false; ///< see `BackgroundKnowledge::set_fixed_gaps`
  /// With prizes: the Steiner forest's parameters (its nodes select the genes, and the
  /// interactome's edges among them the skeleton).
  SteinerForestOptions steiner;
  void validate() const {
    const char* fn = "CausalTargetsOptions::validate";
    if (!(min_expressed >= 0 && min_expressed < 1))
      detail::throw_invalid(fn, "min_expressed must be in [0, 1), got ", min_expressed);
    if (!(threshold > 0 && threshold <= 1))
      detail::throw_invalid(fn, "threshold must be in (0, 1], got ", threshold);
    if (discovery.bootstrap < 1)
      detail::throw_invalid(fn, "bootstrap must be >= 1 (stability selection), got ",
                            discovery.bootstrap);
    steiner.validate();
  }
};

/// What `causal_targets` found, with the counts its notes report.
struct CausalTargetsResult {
  std::vector<std::string> genes;    ///< the graph's nodes: the genes kept
  std::size_t unexpressed = 0;       ///< genes dropped for too few non-zero cells
  std::size_t outside_network = 0;   ///< expressed genes dropped: not in the (selected) interactome
  std::size_t skeleton_left_out = 0; ///< interactome pairs naming genes not kept
  std::vector<std::string> forest;   ///< with prizes: the Steiner forest's nodes
  DiscoveryResult discovery; ///< the frequencies (`adjacency_frequency`, `directed_frequency`)
  Pdag stable;               ///< `stable_edges(discovery, threshold)`
  std::vector<RankedTarget> targets;
  std::size_t signature_genes_in_graph = 0; ///< disease genes among `genes`
};

/// Putative causal drug targets from `cells` (cells x genes, named by `gene_names`), an
/// interactome (`network`; with `prizes`, one per network node, the prize-collecting Steiner
/// forest first selects its nodes), a disease signature and (gene, drug) pairs. Genes non-zero in
/// at most `min_expressed` of the cells and genes outside the (selected) network are dropped and
/// counted; the cells are mean-centred; `options.discovery` learns a graph with the network's
/// edges among the kept genes as the allowed skeleton, with stability selection; the edges
/// adjacent in at least `threshold` of the resamples form the graph whose drug targets are
/// ranked (`rank_targets`). Throws `invalid_argument` when fewer than two genes remain or no gene
/// of the signature or no drug target is among them.
inline CausalTargetsResult
causal_targets(const Eigen::MatrixXd& cells, const std::vector<std::string>& gene_names,
               const UndirectedNetwork& network, const GeneSignature& signature,
               const std::vector<std::pair<std::string, std::string>>& drug_targets,
               const CausalTargetsOptions& options,
               const std::optional<Eigen::VectorXd>& prizes = std::nullopt) {
  const char* fn = "causal_targets";
  options.validate();
  if (Eigen::Index(gene_names.size()) != cells.cols())
    detail::throw_invalid(fn, gene_names.size(), " gene names for ", cells.cols(), " columns");
  if (!cells.allFinite()) detail::throw_invalid(fn, "the expression holds NaN or infinite values");
  CausalTargetsResult r;
  std::vector<char> in_network(std::size_t(network.num_nodes()), 1);
  if (prizes) {
    const SteinerForest f = steiner_forest(network, *prizes, options.steiner);
    std::fill(in_network.begin(), in_network.end(), 0);
    for (int v : f.nodes) {
      in_network[std::size_t(v)] = 1;
      r.forest.push_back(network.name(v));
    }
  }
  std::vector<Eigen::Index> keep;
  for (Eigen::Index g = 0; g < cells.cols(); ++g) {
    const double share = double((cells.col(g).array() != 0).count()) / double(cells.rows());
    if (!(share > options.min_expressed)) {
      ++r.unexpressed;
      continue;
    }
    const int v = network.find(gene_names[std::size_t(g)]);
    if (v < 0 || !in_network[std::size_t(v)]) {
      ++r.outside_network;
      continue;
    }
    keep.push_back(g);
    r.genes.push_back(gene_names[std::size_t(g)]);
  }
  if (r.genes.size() < 2)
    detail::throw_invalid(fn, r.genes.size(), " gene(s) left after the expression filter (",
                          r.unexpressed, " dropped) and the network (", r.outside_network,
                          " dropped): at least 2 needed");
  for (const auto& id : signature.ids)
    r.signature_genes_in_graph += std::find(r.genes.begin(), r.genes.end(), id) != r.genes.end();
  if (r.signature_genes_in_graph == 0)
    detail::throw_invalid(fn, "no gene of the signature (", signature.ids.size(), ") is among the ",
                          r.genes.size(), " genes of the graph");
  bool any_target = false;
  for (const auto& [gene, drug] : drug_targets)
    any_target = any_target || std::find(r.genes.begin(), r.genes.end(), gene) != r.genes.end();
  if (!any_target)
    detail::throw_invalid(fn, "no drug target (", drug_targets.size(),
                          " pairs) is among the genes of the graph");

  InterventionalData data;
  data.variables = r.genes;
  data.observational = cells(Eigen::all, keep);
  if (options.center) data.observational.rowwise() -= data.observational.colwise().mean();
  KnowledgePairs pairs;
  pairs.has_skeleton = true;
  for (const auto& e : network.edges())
    if (in_network[std::size_t(e.a)] && in_network[std::size_t(e.b)])
      pairs.skeleton.push_back({network.name(e.a), network.name(e.b), "", 0});
  pairs.fixed_gaps = options.fixed_gaps;
  DiscoveryOptions d = options.discovery;
  d.knowledge = background_knowledge(r.genes, pairs, &r.skeleton_left_out);
  r.discovery = discover(data, d);
  r.stable = stable_edges(r.discovery, options.threshold);
  r.targets = rank_targets(r.stable, r.genes, signature, drug_targets);
  return r;
}

/// One row of `edge_frequencies`.
struct EdgeFrequency {
  std::string cause, effect;
  double frequency = 0;
};

/// The edge table of a `causal_targets` run (`cimpute targets --edges-out`, Python
/// `targets()["edges"]`): every pair of genes adjacent in some resample, in the order of `genes`;
/// its arc with the directed frequency when the stable graph directs it, otherwise both
/// directions with the adjacency frequency.
inline std::vector<EdgeFrequency> edge_frequencies(const CausalTargetsResult& r) {
  std::vector<EdgeFrequency> out;
  const auto& A = r.discovery.adjacency_frequency;
  const auto& D = r.discovery.directed_frequency;
  const int n = int(r.genes.size());
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      if (!(A(i, j) > 0)) continue;
      const std::string &a = r.genes[std::size_t(i)], &b = r.genes[std::size_t(j)];
      if (r.stable.has_arc(i, j)) {
        out.push_back({a, b, D(i, j)});
      } else if (r.stable.has_arc(j, i)) {
        out.push_back({b, a, D(j, i)});
      } else {
        out.push_back({a, b, A(i, j)});
        out.push_back({b, a, A(i, j)});
      }
    }
  return out;
}

} // namespace cimpute
