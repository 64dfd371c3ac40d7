/// @file discovery_results.hpp
/// @brief Discovery results as files: the bootstrap stability table (CSV
/// `cause,effect,directed,adjacent`) and the learned graph as Graphviz DOT or JSON, with the
/// bootstrap frequencies of its edges (the formats of `cimpute discover --format dot|json`).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/discovery/discover.hpp"
#include "cimpute/io/text_file.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace cimpute {

/// Writes the bootstrap frequencies of `r` as CSV `cause,effect,directed,adjacent`: one row per
/// ordered pair (i, j) adjacent in at least one resample, with the fraction of resamples whose
/// essential graph has the arc i -> j and the fraction in which i and j are adjacent; rows
/// sorted by adjacency, then directed frequency (both descending), then names. Frequencies with
/// 4 decimals.
inline void write_stability(std::ostream& os, const DiscoveryResult& r,
                            const std::vector<std::string>& names) {
  const char* fn = "write_stability";
  if (r.bootstrap == 0) detail::throw_invalid(fn, "the result has no bootstrap frequencies");
  const Eigen::Index p = r.adjacency_frequency.rows();
  if (Eigen::Index(names.size()) != p)
    detail::throw_invalid(fn, names.size(), " names for ", p, " variables");
  std::vector<std::pair<Eigen::Index, Eigen::Index>> rows;
  for (Eigen::Index i = 0; i < p; ++i)
    for (Eigen::Index j = 0; j < p; ++j)
      if (i != j && r.adjacency_frequency(i, j) > 0) rows.push_back({i, j});
  std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    const double aa = r.adjacency_frequency(a.first, a.second),
                 ab = r.adjacency_frequency(b.first, b.second);
    if (aa != ab) return aa > ab;
    const double da = r.directed_frequency(a.first, a.second),
                 db = r.directed_frequency(b.first, b.second);
    if (da != db) return da > db;
    return std::tie(names[std::size_t(a.first)], names[std::size_t(a.second)]) <
           std::tie(names[std::size_t(b.first)], names[std::size_t(b.second)]);
  });
  os << "cause,effect,directed,adjacent\n";
  char buf[64];
  for (const auto& [i, j] : rows) {
    std::snprintf(buf, sizeof buf, "%.4f,%.4f", r.directed_frequency(i, j),
                  r.adjacency_frequency(i, j));
    os << names[std::size_t(i)] << ',' << names[std::size_t(j)] << ',' << buf << '\n';
  }
}
/// `write_stability` to a file, atomically (a temporary renamed into place).
inline void write_stability(const std::string& path, const DiscoveryResult& r,
                            const std::vector<std::string>& names) {
  detail::write_file_atomic(path, "write_stability",
                            [&](std::ostream& os) { write_stability(os, r, names); });
}

namespace detail {
/// An edge as the graph writers print it: cause -> effect, or cause - effect (undirected, the
/// names in order).
struct PrintedEdge {
  int cause, effect;
  bool directed;
};

/// The edges of `g`, arcs and undirected edges, sorted by (cause, effect) name.
inline std::vector<PrintedEdge> printed_edges(const Pdag& g,
                                              const std::vector<std::string>& names) {
  std::vector<PrintedEdge> edges;
  for (const auto& [i, j] : g.arcs()) edges.push_back({i, j, true});
  for (const auto& [i, j] : g.undirected_edges())
    edges.push_back(names[std::size_t(i)] <= names[std::size_t(j)] ? PrintedEdge{i, j, false}
                                                                   : PrintedEdge{j, i, false});
  std::sort(edges.begin(), edges.end(), [&](const PrintedEdge& a, const PrintedEdge& b) {
    return std::tie(names[std::size_t(a.cause)], names[std::size_t(a.effect)]) <
           std::tie(names[std::size_t(b.cause)], names[std::size_t(b.effect)]);
  });
  return edges;
}

/// The fraction of bootstrap resamples whose essential graph agrees with a printed edge: for an
/// arc a -> b, the resamples with a -> b, and, when the printed graph is a DAG (one member of its
/// class), also those that leave a - b unoriented; for an undirected edge, those in which a and b
/// are adjacent.
inline double bootstrap_agreement(const DiscoveryResult& r, const PrintedEdge& e, bool dag) {
  if (!e.directed) return r.adjacency_frequency(e.cause, e.effect);
  if (dag)
    return r.adjacency_frequency(e.cause, e.effect) - r.directed_frequency(e.effect, e.cause);
  return r.directed_frequency(e.cause, e.effect);
}

/// A DOT quoted string: `"` escaped, backslashes doubled.
inline std::string dot_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

/// A JSON string with the escapes of RFC 8259.
inline std::string json_quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
        out += buf;
      } else {
        out += char(c);
      }
    }
  }
  return out + '"';
}

/// `printf`-style formatting of one number into a string.
inline std::string formatted(const char* fmt, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, x);
  return buf;
}

inline void check_graph_names(const char* fn, const Pdag& g, const std::vector<std::string>& names,
                              const DiscoveryResult& r) {
  if (Eigen::Index(names.size()) != Eigen::Index(g.num_nodes()))
    throw_invalid(fn, names.size(), " names for a graph of ", g.num_nodes(), " nodes");
  if (r.bootstrap > 0 && r.adjacency_frequency.rows() != Eigen::Index(names.size()))
    throw_invalid(fn, "bootstrap frequencies of ", r.adjacency_frequency.rows(), " variables for ",
                  names.size(), " names");
}
} // namespace detail

/// Writes `g` (the learned graph of `r`: its DAG or its essential graph) as a Graphviz digraph:
/// `description` as a leading comment, one node per name, undirected edges with `dir=none`, and
/// when `r` has bootstrap frequencies each edge's agreement as its label and pen width. `dag`
/// says that `g` is one member of its class (a DAG), so that an arc also agrees with resamples
/// leaving it unoriented.
inline void write_graph_dot(std::ostream& os, const Pdag& g, const std::vector<std::string>& names,
                            const DiscoveryResult& r, bool dag, const std::string& description) {
  detail::check_graph_names("write_graph_dot", g, names, r);
  os << "// " << description << '\n';
  if (r.bootstrap > 0)
    os << "// edge labels: fraction of the " << r.bootstrap
       << " bootstrap resamples whose essential graph agrees with the edge\n";
  os << "digraph cimpute {\n";
  for (const auto& n : names) os << "  " << detail::dot_quoted(n) << ";\n";
  for (const auto& e : detail::printed_edges(g, names)) {
    os << "  " << detail::dot_quoted(names[std::size_t(e.cause)]) << " -> "
       << detail::dot_quoted(names[std::size_t(e.effect)]);
    std::string attributes;
    const auto add = [&](const std::string& a) {
      attributes += (attributes.empty() ? "" : ", ") + a;
    };
    if (!e.directed) add("dir=none");
    if (r.bootstrap > 0) {
      const double f = detail::bootstrap_agreement(r, e, dag);
      add(detail::formatted("label=\"%.2f\"", f));
      add(detail::formatted("penwidth=%.2f", 0.5 + 2.5 * f));
    }
    if (!attributes.empty()) os << " [" << attributes << ']';
    os << ";\n";
  }
  os << "}\n";
}

/// Writes `g` as JSON: `{"variables": [...], "bootstrap": B (with frequencies), "edges": [{"cause",
/// "effect", "directed", "frequency" (with bootstrap)}]}`; `dag` as for `write_graph_dot`.
inline void write_graph_json(std::ostream& os, const Pdag& g, const std::vector<std::string>& names,
                             const DiscoveryResult& r, bool dag) {
  detail::check_graph_names("write_graph_json", g, names, r);
  os << "{\n  \"variables\": [";
  for (std::size_t k = 0; k < names.size(); ++k)
    os << (k ? ", " : "") << detail::json_quoted(names[k]);
  os << "],\n";
  if (r.bootstrap > 0) os << "  \"bootstrap\": " << r.bootstrap << ",\n";
  os << "  \"edges\": [";
  const auto edges = detail::printed_edges(g, names);
  for (std::size_t k = 0; k < edges.size(); ++k) {
    const auto& e = edges[k];
    os << (k ? ",\n" : "\n")
       << "    {\"cause\": " << detail::json_quoted(names[std::size_t(e.cause)])
       << ", \"effect\": " << detail::json_quoted(names[std::size_t(e.effect)])
       << ", \"directed\": " << (e.directed ? "true" : "false");
    if (r.bootstrap > 0)
      os << detail::formatted(", \"frequency\": %.4g", detail::bootstrap_agreement(r, e, dag));
    os << '}';
  }
  os << (edges.empty() ? "]\n}\n" : "\n  ]\n}\n");
}

/// `write_graph_dot` to a file, atomically.
inline void write_graph_dot(const std::string& path, const Pdag& g,
                            const std::vector<std::string>& names, const DiscoveryResult& r,
                            bool dag, const std::string& description) {
  detail::write_file_atomic(path, "write_graph_dot", [&](std::ostream& os) {
    write_graph_dot(os, g, names, r, dag, description);
  });
}

/// `write_graph_json` to a file, atomically.
inline void write_graph_json(const std::string& path, const Pdag& g,
                             const std::vector<std::string>& names, const DiscoveryResult& r,
                             bool dag) {
  detail::write_file_atomic(path, "write_graph_json",
                            [&](std::ostream& os) { write_graph_json(os, g, names, r, dag); });
}

} // namespace cimpute
