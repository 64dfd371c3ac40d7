/// @file discovery_results.hpp
/// @brief Discovery results as files: the bootstrap stability table (CSV
/// `cause,effect,directed,adjacent`).
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

} // namespace cimpute
