/// @file edge_list.hpp
/// @brief Arc lists as CSV (`cause,effect` by node name): read into a `Dag`, write from a
/// `Dag` or a `Pdag`.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/discovery/background_knowledge.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/graph/pdag.hpp"
#include "cimpute/io/table.hpp"
#include "cimpute/io/text_file.hpp"

#include <algorithm>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// Read a CSV/TSV arc list with columns `cause` and `effect` (node names) into a named DAG. The
/// nodes are `nodes` when given (every name must be among them; e.g. a data set's variables, so
/// isolated variables are kept), otherwise the names in order of first appearance. Throws
/// `parse_error` / `invalid_argument` naming the file and line for unknown names, missing columns
/// or an arc that closes a cycle.
inline Dag read_edge_list(const std::string& path, std::vector<std::string> nodes = {}) {
  const char* fn = "read_edge_list";
  const DelimitedTable t = read_delimited(path);
  const std::size_t ci = t.column("cause"), ei = t.column("effect");
  const bool given = !nodes.empty();
  if (!given)
    for (const auto& row : t.rows)
      for (const std::string& s : {row[ci], row[ei]})
        if (std::find(nodes.begin(), nodes.end(), s) == nodes.end()) nodes.push_back(s);
  Dag g(nodes);
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::size_t line = t.line(r);
    int a = -1, b = -1;
    try {
      a = g.node(t.rows[r][ci]);
      b = g.node(t.rows[r][ei]);
      g.add_arc(a, b);
    } catch (const invalid_argument& e) {
      throw parse_error(path, line, detail::cat(fn, ": ", e.what()));
    }
  }
  return g;
}

/// Write the edges of `g` as CSV `cause,effect` with node i named `names[i]`, sorted by name; an
/// undirected edge (a CPDAG's a - b) appears as the two lines a,b and b,a.
inline void write_edge_list(std::ostream& os, const Pdag& g,
                            const std::vector<std::string>& names) {
  if (int(names.size()) != g.num_nodes())
    detail::throw_invalid("write_edge_list", names.size(), " names for ", g.num_nodes(), " nodes");
  std::vector<std::pair<std::string, std::string>> edges;
  for (const auto& [i, j] : g.arcs())
    edges.emplace_back(names[std::size_t(i)], names[std::size_t(j)]);
  for (const auto& [i, j] : g.undirected_edges()) {
    edges.emplace_back(names[std::size_t(i)], names[std::size_t(j)]);
    edges.emplace_back(names[std::size_t(j)], names[std::size_t(i)]);
  }
  std::sort(edges.begin(), edges.end());
  os << "cause,effect\n";
  for (const auto& [a, b] : edges) os << a << ',' << b << '\n';
}
/// The same, to a file (atomically).
inline void write_edge_list(const std::string& path, const Pdag& g,
                            const std::vector<std::string>& names) {
  detail::write_file_atomic(path, "write_edge_list",
                            [&](std::ostream& os) { write_edge_list(os, g, names); });
}

/// Write the arcs of `g` as CSV `cause,effect` by node name (atomically).
inline void write_edge_list(const std::string& path, const Dag& g) {
  detail::write_file_atomic(path, "write_edge_list", [&](std::ostream& os) {
    os << "cause,effect\n";
    for (const auto& [i, j] : g.arcs()) os << g.name(i) << ',' << g.name(j) << '\n';
  });
}

/// The pairs of a delimited file (tab, comma or semicolon, a header line first) whose first two
/// columns name the end points, further columns ignored: an edge list `cause,effect`, or an
/// interactome `protein1,protein2,cost`.
inline std::vector<KnowledgePairs::Pair> read_name_pairs(const std::string& path) {
  const DelimitedTable t = read_delimited(path);
  if (t.header.size() < 2)
    throw parse_error(path, 1, "read_name_pairs: expected at least two columns (two names)");
  std::vector<KnowledgePairs::Pair> out;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    if (t.rows[r][0].empty() || t.rows[r][1].empty())
      throw parse_error(path, t.line(r), "read_name_pairs: empty name");
    out.push_back({t.rows[r][0], t.rows[r][1], path, t.line(r)});
  }
  return out;
}

} // namespace cimpute
