/// @file target_ranking.hpp
/// @brief Putative causal drug targets (`rank_targets`): the genes of a causal graph ranked by the
/// disease genes downstream of them, with the drugs that hit them, and the DOT picture of a
/// target's downstream graph (`write_target_dot`).
#pragma once

#include "cimpute/connectivity/gene_signature.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/graph/pdag.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// One drug target of `rank_targets`.
struct RankedTarget {
  std::string gene;
  std::vector<std::string> drugs; ///< the drugs that hit it (as listed, sorted, unique)
  /// Its descendants along directed arcs only, and the further genes reachable when undirected
  /// edges (orientations the data could not decide) may be followed too: counted apart.
  std::vector<std::string> descendants, possible_descendants;
  int disease_descendants = 0, possible_disease_descendants = 0; ///< of them, in the signature
  /// Sum of |log2 fold change| over the disease genes among `descendants` (and among
  /// `possible_descendants`).
  double score = 0, possible_score = 0;
  double log2fc = 0; ///< the target's own change in the signature (0 when absent)
  bool disease_gene = false;
};

/// The nodes reachable from `from` in `g` by steps along arcs (i -> j) or, with `undirected`,
/// also along undirected edges; `from` excluded, ascending.
inline std::vector<int> reachable(const Pdag& g, int from, bool undirected) {
  std::vector<char> seen(std::size_t(g.num_nodes()), 0);
  std::vector<int> stack{from}, out;
  seen[std::size_t(from)] = 1;
  while (!stack.empty()) {
    const int v = stack.back();
    stack.pop_back();
    std::vector<int> next = g.children(v);
    if (undirected)
      for (int w : g.undirected_neighbors(v)) next.push_back(w);
    for (int w : next)
      if (!seen[std::size_t(w)]) {
        seen[std::size_t(w)] = 1;
        out.push_back(w);
        stack.push_back(w);
      }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Ranks the drug targets of a causal graph over genes `names` (Belyaeva et al. 2021's causal
/// analysis of SARS-CoV-2 drug targets): for every gene of the graph hit by a drug of
/// `drug_targets` (pairs gene, drug; genes outside the graph are skipped), its descendants, how
/// many of them are disease genes (in `signature`) and the sum of their |log2 fold change|, with
/// the genes reachable only through undirected edges counted apart; sorted by score, then by
/// the possible score, then by name. Throws `invalid_argument` when `names` does not match the
/// graph.
inline std::vector<RankedTarget>
rank_targets(const Pdag& g, const std::vector<std::string>& names, const GeneSignature& signature,
             const std::vector<std::pair<std::string, std::string>>& drug_targets) {
  const char* fn = "rank_targets";
  if (int(names.size()) != g.num_nodes())
    detail::throw_invalid(fn, names.size(), " names for a graph of ", g.num_nodes(), " nodes");
  std::map<std::string, int> index;
  for (std::size_t v = 0; v < names.size(); ++v) index.emplace(names[v], int(v));
  std::map<std::string, double> change;
  for (std::size_t k = 0; k < signature.ids.size(); ++k)
    change[signature.ids[k]] = signature.values[Eigen::Index(k)];
  std::map<int, std::set<std::string>> drugs;
  for (const auto& [gene, drug] : drug_targets) {
    const auto it = index.find(gene);
    if (it != index.end()) drugs[it->second].insert(drug);
  }
  std::vector<RankedTarget> out;
  for (const auto& [v, hit] : drugs) {
    RankedTarget t;
    t.gene = names[std::size_t(v)];
    t.drugs.assign(hit.begin(), hit.end());
    const std::vector<int> sure = reachable(g, v, false), maybe = reachable(g, v, true);
    for (int w : maybe) {
      const bool certain = std::binary_search(sure.begin(), sure.end(), w);
      (certain ? t.descendants : t.possible_descendants).push_back(names[std::size_t(w)]);
      const auto c = change.find(names[std::size_t(w)]);
      if (c == change.end()) continue;
      (certain ? t.disease_descendants : t.possible_disease_descendants) += 1;
      (certain ? t.score : t.possible_score) += std::abs(c->second);
    }
    const auto own = change.find(t.gene);
    t.disease_gene = own != change.end();
    t.log2fc = t.disease_gene ? own->second : 0.0;
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const RankedTarget& a, const RankedTarget& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.possible_score != b.possible_score) return a.possible_score > b.possible_score;
    return a.gene < b.gene;
  });
  return out;
}

/// Writes the downstream graph of `target` (its node, the genes reachable from it along arcs and
/// undirected edges, and the edges among them) as Graphviz DOT: disease genes filled, red when
/// up and blue when down in `signature`, labelled with their log2 fold change; undirected edges
/// with dir=none; the target as a box.
inline void write_target_dot(std::ostream& os, const Pdag& g, const std::vector<std::string>& names,
                             const std::string& target, const GeneSignature& signature) {
  const char* fn = "write_target_dot";
  if (int(names.size()) != g.num_nodes())
    detail::throw_invalid(fn, names.size(), " names for a graph of ", g.num_nodes(), " nodes");
  const auto it = std::find(names.begin(), names.end(), target);
  if (it == names.end()) detail::throw_invalid(fn, "'", target, "' is not a node of the graph");
  const int t = int(it - names.begin());
  std::vector<int> nodes = reachable(g, t, true);
  nodes.insert(nodes.begin(), t);
  std::vector<char> in(std::size_t(g.num_nodes()), 0);
  for (int v : nodes) in[std::size_t(v)] = 1;
  std::map<std::string, double> change;
  for (std::size_t k = 0; k < signature.ids.size(); ++k)
    change[signature.ids[k]] = signature.values[Eigen::Index(k)];
  auto quoted = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    return q + "\"";
  };
  os << "digraph " << quoted("downstream of " + target) << " {\n";
  for (int v : nodes) {
    const std::string& n = names[std::size_t(v)];
    os << "  " << quoted(n) << " [";
    if (v == t) os << "shape=box, penwidth=2, ";
    const auto c = change.find(n);
    if (c != change.end())
      os << "style=filled, fillcolor=" << (c->second > 0 ? "\"#f4a6a6\"" : "\"#a6c8f4\"")
         << ", label=" << quoted(n + "\\n" + std::to_string(c->second).substr(0, 6));
    else
      os << "label=" << quoted(n);
    os << "];\n";
  }
  for (int v : nodes) {
    for (int w : g.children(v))
      if (in[std::size_t(w)])
        os << "  " << quoted(names[std::size_t(v)]) << " -> " << quoted(names[std::size_t(w)])
           << ";\n";
    for (int w : g.undirected_neighbors(v))
      if (in[std::size_t(w)] && v < w)
        os << "  " << quoted(names[std::size_t(v)]) << " -> " << quoted(names[std::size_t(w)])
           << " [dir=none];\n";
  }
  os << "}\n";
}

} // namespace cimpute
