/// @file sidecar.hpp
/// @brief Metadata kept beside a matrix file ("sidecar" tables such as CMap's `sig_info.txt`,
/// `gene_info.txt`, `siginfo_beta.txt`, `geneinfo_beta.txt`), joined to the file's ids.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/labels.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/io/table.hpp"
#include "cimpute/io/text_file.hpp"

#include <Eigen/Core>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cimpute {

/// Which column of a sidecar table holds the ids, and what the join found.
struct SidecarJoin {
  std::string key;                  ///< the key column used
  std::vector<std::string> fields;  ///< the fields joined (every column but the key)
  std::vector<std::string> missing; ///< the file's ids without a row in the table
  Eigen::Index unused_rows = 0;     ///< table rows whose id is not in the file
};

/// The key columns `join_sidecar` looks for, in this order, when none is named: CMap's
/// signature, instance and gene ids of both release layouts, then generic names.
inline const std::vector<std::string>& sidecar_key_columns() {
  static const std::vector<std::string> keys{"sig_id",  "distil_id", "inst_id", "pr_gene_id",
                                             "gene_id", "cid",       "rid",     "id"};
  return keys;
}

namespace detail {

/// `join_sidecar` on the text of a table; `name` is used in error messages.
inline MetadataTable join_sidecar_buffer(std::string_view buffer, const std::string& name,
                                         const Labels& ids, const std::string& key,
                                         SidecarJoin* join) {
  const char* fn = "join_sidecar";
  DelimitedReader reader(buffer, name, 0, fn);
  const auto& header = reader.header();
  std::size_t k = header.size();
  if (!key.empty()) {
    for (std::size_t i = 0; i < header.size() && k == header.size(); ++i)
      if (header[i] == key) k = i;
    if (k == header.size())
      throw reader.error(1, 0, cat("no key column '", key, "' in the header"));
  } else {
    for (const auto& cand : sidecar_key_columns()) {
      for (std::size_t i = 0; i < header.size() && k == header.size(); ++i)
        if (header[i] == cand) k = i;
      if (k != header.size()) break;
    }
    if (k == header.size()) k = 0; // no known name: the first column
  }
  if (header.size() < 2) throw reader.error(1, 0, "a sidecar table needs a key and a field");
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i].empty()) throw reader.error(1, i + 1, "empty column name");
    for (std::size_t j = 0; j < i; ++j)
      if (header[j] == header[i])
        throw reader.error(1, i + 1, cat("column '", header[i], "' is named twice"));
  }
  const std::size_t n = std::size_t(ids.size());
  std::vector<std::vector<std::string>> cols(header.size());
  for (std::size_t i = 0; i < header.size(); ++i)
    if (i != k) cols[i].resize(n);
  std::vector<std::size_t> line_of(n, 0);
  Eigen::Index unused = 0;
  const std::vector<std::string_view>* fields = nullptr;
  while (reader.next(fields)) {
    const Eigen::Index r = ids.find((*fields)[k]);
    if (r < 0) {
      ++unused;
      continue;
    }
    if (line_of[std::size_t(r)] != 0)
      throw reader.error(reader.line_number(), k + 1,
                         cat("id '", (*fields)[k], "' repeats line ", line_of[std::size_t(r)]));
    line_of[std::size_t(r)] = reader.line_number();
    for (std::size_t i = 0; i < header.size(); ++i)
      if (i != k) cols[i][std::size_t(r)] = std::string((*fields)[i]);
  }
  MetadataTable meta(ids.size());
  SidecarJoin out;
  out.key = header[k];
  for (std::size_t i = 0; i < header.size(); ++i)
    if (i != k) {
      out.fields.push_back(header[i]);
      meta.add_field(header[i], std::move(cols[i]));
    }
  for (std::size_t r = 0; r < n; ++r)
    if (line_of[r] == 0) out.missing.push_back(ids[Eigen::Index(r)]);
  out.unused_rows = unused;
  if (out.missing.size() == n && n > 0)
    throw reader.error(0, 0,
                       cat("no id of the data is in column '", out.key,
                           "' (the data's first id is '", ids[0],
                           "'); name the key column, or check that the table belongs to the data"));
  if (join) *join = std::move(out);
  return meta;
}

} // namespace detail

/// The fields of the sidecar table at `path` (CSV / TSV, gzipped or not), one value per id of
/// `ids` in that order: the table's key column (`key`, or when empty the first of
/// `sidecar_key_columns()` in the header, or else its first column) is matched to `ids`. Ids
/// without a row get empty (missing) values and are listed in `join->missing`; rows whose key
/// is not an id are counted in `join->unused_rows`. Throws `parse_error` naming the file and
/// line for a malformed table, a key named twice or repeated, and when no id matches at all.
inline MetadataTable join_sidecar(const std::string& path, const Labels& ids,
                                  const std::string& key = "", SidecarJoin* join = nullptr) {
  return detail::join_sidecar_buffer(detail::read_file(path, "join_sidecar"), path, ids, key, join);
}

/// `meta` with the fields of `sidecar` added; a field both have takes the sidecar's values.
/// Returns the names of the fields replaced.
inline std::vector<std::string> merge_metadata(MetadataTable& meta, const MetadataTable& sidecar) {
  if (meta.size() != sidecar.size())
    detail::throw_invalid("merge_metadata", "tables of ", meta.size(), " and ", sidecar.size(),
                          " entries");
  std::vector<std::string> replaced;
  MetadataTable out(meta.size());
  for (const auto& f : meta.field_names())
    if (!sidecar.has_field(f))
      out.add_field(f, meta.field(f));
    else
      replaced.push_back(f);
  for (const auto& f : sidecar.field_names()) out.add_field(f, sidecar.field(f));
  meta = std::move(out);
  return replaced;
}

} // namespace cimpute
