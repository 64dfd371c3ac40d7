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
#include <map>
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
    const std::size_t line = r + 2; // header is line 1
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
      throw parse_error(path, r + 2, "read_name_pairs: empty name");
    out.push_back({t.rows[r][0], t.rows[r][1], path, r + 2});
  }
  return out;
}

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
  for (std::size_t v = 0; v < variables.size(); ++v) index.emplace(variables[v], int(v));
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
  if (pairs.has_skeleton) {
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
