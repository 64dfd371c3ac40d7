/// @file interactome.hpp
/// @brief Interactomes (`protein1,protein2,cost` tables) and node prizes (`name,prize` tables),
/// the inputs of the prize-collecting Steiner forest, as OmicsIntegrator2 writes them.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/graph/undirected_network.hpp"
#include "cimpute/io/table.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// An interactome read from a file, with what was merged on the way.
struct Interactome {
  UndirectedNetwork network;
  /// Lines naming a pair already read (in either order): the pair keeps its lowest cost.
  std::size_t repeated_pairs = 0;
  /// Lines joining a protein to itself (homodimers): a Steiner forest has no use for them, so
  /// they are counted here and left out of the network.
  std::size_t self_loops = 0;
};

/// Read an interactome: a delimited table (tab, comma or semicolon) with the columns `protein1`,
/// `protein2` and `cost` (OmicsIntegrator2's format; further columns are ignored). Nodes are
/// numbered in order of first appearance. A pair listed twice (A,B then B,A, as some databases
/// list them) keeps its lowest cost and is counted in `repeated_pairs`; a self-loop (a homodimer)
/// is counted in `self_loops` and left out. Throws `parse_error` (file and line) for a missing
/// column, an empty name, or a cost that is not a finite number >= 0.
inline Interactome read_interactome(const std::string& path) {
  const char* fn = "read_interactome";
  const DelimitedTable t = read_delimited(path);
  std::size_t ia = 0, ib = 0, ic = 0;
  try {
    ia = t.column("protein1");
    ib = t.column("protein2");
    ic = t.column("cost");
  } catch (const invalid_argument&) {
    throw parse_error(path, 1,
                      std::string(fn) + ": expected the columns protein1, protein2 and "
                                        "cost in the header");
  }
  Interactome out;
  std::map<std::pair<int, int>, int> seen;
  std::vector<double> costs;
  std::vector<std::pair<int, int>> ends;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    const std::size_t line = t.line(r);
    if (row[ia].empty() || row[ib].empty())
      throw parse_error(path, line, std::string(fn) + ": empty protein name");
    double c = 0;
    if (!detail::parse_double(row[ic], c) || !std::isfinite(c) || c < 0)
      throw parse_error(path, line, ic + 1,
                        std::string(fn) + ": cost '" + row[ic] + "' of " + row[ia] + " - " +
                            row[ib] + " is not a finite number >= 0");
    const int a = out.network.add_node(row[ia]), b = out.network.add_node(row[ib]);
    if (a == b) {
      ++out.self_loops;
      continue;
    }
    const auto key = std::minmax(a, b);
    const auto [it, added] = seen.emplace(key, int(costs.size()));
    if (added) {
      ends.emplace_back(a, b);
      costs.push_back(c);
    } else {
      ++out.repeated_pairs;
      costs[std::size_t(it->second)] = std::min(costs[std::size_t(it->second)], c);
    }
  }
  if (ends.empty()) detail::throw_invalid(fn, "'", path, "' holds no edge");
  for (std::size_t e = 0; e < ends.size(); ++e)
    out.network.add_edge(ends[e].first, ends[e].second, costs[e]);
  return out;
}

/// Node prizes for a network, read from a file.
struct NodePrizes {
  Eigen::VectorXd prizes;          ///< one per node of the network (0 for nodes not listed)
  std::vector<std::string> absent; ///< names in the file that are not nodes of the network
  std::size_t repeated = 0;        ///< names listed more than once (the largest prize is kept)
};

/// Read node prizes for `network`: a delimited table whose first column is the node name and
/// second its prize (OmicsIntegrator2's `name, prize, ...`; further columns are ignored; a header
/// line is expected). A name listed twice keeps its largest prize (as OmicsIntegrator2 does);
/// names absent from the network are listed in `absent`. Throws `parse_error` (file and line)
/// for a prize that is not a finite number >= 0 or an empty name, and `invalid_argument` when no
/// name is a node of the network.
inline NodePrizes read_node_prizes(const std::string& path, const UndirectedNetwork& network) {
  const char* fn = "read_node_prizes";
  const DelimitedTable t = read_delimited(path);
  if (t.header.size() < 2)
    throw parse_error(path, 1, std::string(fn) + ": expected at least two columns (name, prize)");
  NodePrizes out;
  out.prizes = Eigen::VectorXd::Zero(network.num_nodes());
  std::vector<char> listed(std::size_t(network.num_nodes()), 0);
  std::size_t found = 0;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    const std::size_t line = t.line(r);
    if (row[0].empty()) throw parse_error(path, line, 1, std::string(fn) + ": empty name");
    double p = 0;
    if (!detail::parse_double(row[1], p) || !std::isfinite(p) || p < 0)
      throw parse_error(path, line, 2,
                        std::string(fn) + ": prize '" + row[1] + "' of '" + row[0] +
                            "' is not a finite number >= 0");
    const int v = network.find(row[0]);
    if (v < 0) {
      out.absent.push_back(row[0]);
      continue;
    }
    if (listed[std::size_t(v)]) ++out.repeated;
    listed[std::size_t(v)] = 1;
    ++found;
    out.prizes[v] = std::max(out.prizes[v], p);
  }
  if (found == 0)
    detail::throw_invalid(fn, "no name in '", path, "' is a node of the network (",
                          out.absent.size(), " names read)");
  return out;
}

/// Read a drug-target table: the gene in the column `name` (else the first column) and the drug
/// in the column `drug` (else the second), further columns ignored, one (gene, drug) pair per
/// line, as in `../shared/data/covid/drug_targets_in_network.tsv`. Throws `parse_error` (file and
/// line) for an empty gene or drug, `invalid_argument` for a table without rows.
inline std::vector<std::pair<std::string, std::string>> read_drug_targets(const std::string& path) {
  const char* fn = "read_drug_targets";
  const DelimitedTable t = read_delimited(path);
  if (t.header.size() < 2)
    throw parse_error(path, 1, std::string(fn) + ": expected at least two columns (gene, drug)");
  auto column = [&](const char* name, std::size_t otherwise) {
    const auto it = std::find(t.header.begin(), t.header.end(), name);
    return it == t.header.end() ? otherwise : std::size_t(it - t.header.begin());
  };
  const std::size_t gene = column("name", 0), drug = column("drug", 1);
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    if (row[gene].empty() || row[drug].empty())
      throw parse_error(path, t.line(r), std::string(fn) + ": empty gene or drug");
    out.emplace_back(row[gene], row[drug]);
  }
  if (out.empty()) detail::throw_invalid(fn, "'", path, "' holds no drug target");
  return out;
}

} // namespace cimpute
