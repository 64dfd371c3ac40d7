/// @file gene_signature.hpp
/// @brief One signature over named genes (e.g. a disease's log fold change) read from a two-column
/// table, and gene-id mapping tables (e.g. Entrez id -> symbol from a CMap plate's row metadata).
#pragma once

#include "cimpute/connectivity/gene_signature.hpp"
#include "cimpute/core/config.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/core/tensor_transforms.hpp"
#include "cimpute/io/format.hpp"
#include "cimpute/io/gct.hpp"
#include "cimpute/io/table.hpp"
#if CIMPUTE_HAS_HDF5
#include "cimpute/io/gctx.hpp"
#endif

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cimpute {

/// Read a gene signature from a delimited text file (comma, tab or semicolon) with the gene id in
/// the first column and the value in the second, such as
/// `../shared/data/covid/sarscov2_a549_log2fc.csv` (header `,0`, then `SYMBOL,log2fc` rows). The
/// first line is a header when its second field is not a number. Throws `parse_error` (file and
/// line) for a missing, non-finite or non-numeric value, an empty id or a repeated id; further
/// columns are an error, so that a wrong file is not read half-way.
inline GeneSignature read_gene_signature(const std::string& path) {
  const char* fn = "read_gene_signature";
  const DelimitedTable t = read_delimited(path);
  std::vector<std::vector<std::string>> rows = t.rows;
  std::size_t first_line = 2; // line of rows[0] in the file
  double v = 0;
  if (t.header.size() == 2 && detail::parse_double(t.header[1], v) && !t.header[0].empty()) {
    rows.insert(rows.begin(), t.header); // no header line: the first line is data
    first_line = 1;
  }
  if (t.header.size() != 2)
    throw parse_error(path, 1,
                      std::string(fn) + ": expected two columns (gene id, value), found " +
                          std::to_string(t.header.size()));
  GeneSignature s;
  s.values.resize(Eigen::Index(rows.size()));
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const std::size_t line = first_line + i;
    if (r[0].empty()) throw parse_error(path, line, 1, std::string(fn) + ": empty gene id");
    if (!detail::parse_double(r[1], v) || !std::isfinite(v))
      throw parse_error(path, line, 2,
                        std::string(fn) + ": value '" + r[1] + "' of gene '" + r[0] +
                            "' is not a finite number");
    if (!seen.insert(r[0]).second)
      throw parse_error(path, line, 1, std::string(fn) + ": gene '" + r[0] + "' appears twice");
    s.ids.push_back(r[0]);
    s.values[Eigen::Index(i)] = v;
  }
  if (s.ids.empty()) detail::throw_invalid(fn, "'", path, "' holds no gene");
  return s;
}

/// Read a gene-id mapping. A GCT (or, with HDF5, GCTX) file maps its row-metadata field `from`
/// to `to` (defaults: `pr_gene_id` = Entrez id -> `pr_gene_symbol`, as on CMap plates; `id`
/// names the row ids); any
/// other file is a delimited table whose first two columns map the first to the second (a header
/// line is expected). Missing values (`-666`, `na`, empty) are skipped; an id mapped to two
/// different values throws.
inline std::unordered_map<std::string, std::string>
read_id_mapping(const std::string& path, const std::string& from = "pr_gene_id",
                const std::string& to = "pr_gene_symbol") {
  const char* fn = "read_id_mapping";
  const FileFormat f = detect_format(path);
  if (f == FileFormat::Gct || f == FileFormat::Gctx) {
    MetadataTable meta;
    std::vector<std::string> row_ids;
    if (f == FileFormat::Gct) {
      const auto m = read_gct<float>(path);
      meta = m.row_meta();
      row_ids = m.row_ids();
    } else {
#if CIMPUTE_HAS_HDF5
      auto info = read_gctx_info(path);
      meta = std::move(info.row_meta);
      row_ids = std::move(info.row_ids);
#else
      detail::throw_invalid(fn, "'", path, "' is GCTX, which needs HDF5 support");
#endif
    }
    for (const std::string* field : {&from, &to})
      if (*field != "id" && !meta.has_field(*field))
        detail::throw_invalid(fn, "'", path, "' has no row-metadata field '", *field, "'");
    return id_mapping(from == "id" ? row_ids : meta.field(from),
                      to == "id" ? row_ids : meta.field(to));
  }
  const DelimitedTable t = read_delimited(path);
  if (t.header.size() < 2)
    detail::throw_invalid(fn, "'", path, "' needs two columns (from id, to id)");
  std::vector<std::string> a, b;
  for (const auto& r : t.rows) {
    a.push_back(r[0]);
    b.push_back(r[1]);
  }
  return id_mapping(a, b);
}

} // namespace cimpute
