/// @file gct.hpp
/// @brief Reading and writing Broad CMap GCT text matrices (versions 1.2 and 1.3).
///
/// GCT 1.3: line 1 `#1.3`; line 2 `nrow ncol n_row_meta n_col_meta`; line 3 `id`, the row-metadata
/// field names, the column ids; `n_col_meta` column-metadata lines (field name, `n_row_meta` filler
/// cells, one value per column); `nrow` data lines (row id, row metadata, `ncol` numbers).
/// GCT 1.2: `#1.2`; `nrow ncol`; `Name Description <column ids>`; data lines `id description
/// <numbers>` (the description becomes the row-metadata field `Description`).
/// All fields are tab-separated. Reference: https://clue.io/connectopedia/gct_format
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/io/text_file.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace cimpute {
namespace detail {

/// Parse the fields of a GCT header line (1 or 2): trailing empty fields (tabs) are dropped.
inline void gct_header_fields(std::string_view line, std::vector<std::string_view>& out) {
  split_fields(line, '\t', out);
  while (out.size() > 1 && trim(out.back()).empty()) out.pop_back();
}

/// A `parse_error` whose message starts with "read_gct: ".
inline parse_error gct_error(const std::string& name, std::size_t line, std::size_t column,
                             const std::string& message) {
  return parse_error(name, line, column, "read_gct: " + message);
}
/// A `parse_error` whose message starts with "read_gct: " (no column).
inline parse_error gct_error(const std::string& name, std::size_t line,
                             const std::string& message) {
  return gct_error(name, line, 0, message);
}

/// Parse a GCT 1.2 / 1.3 document held in `buffer`; `name` (usually the file path) is used in
/// error messages. Throws `parse_error` (file, line, field) on any inconsistency.
template <class Scalar = double>
LabeledMatrix<Scalar> parse_gct_buffer(std::string_view buffer, const std::string& name) {
  static_assert(std::is_floating_point<Scalar>::value, "read_gct: Scalar must be float or double");
  using Matrix = typename LabeledMatrix<Scalar>::Matrix;
  if (has_hdf5_signature(buffer))
    throw gct_error(name, 0,
                    "this is an HDF5 file (a GCTX?), not a text GCT; read it with read_gctx");
  LineReader reader(buffer);
  std::string_view line;
  std::vector<std::string_view> f;

  // Line 1: version.
  if (is_blank(buffer) || !reader.next(line))
    throw gct_error(name, 1, "empty file, expected a GCT header '#1.2' or '#1.3'");
  if (line.size() >= 3 && static_cast<unsigned char>(line[0]) == 0xEF &&
      static_cast<unsigned char>(line[1]) == 0xBB && static_cast<unsigned char>(line[2]) == 0xBF)
    line.remove_prefix(3); // UTF-8 byte-order mark
  gct_header_fields(line, f);
  const std::string_view version = trim(f[0]);
  if (f.size() != 1 || (version != "#1.2" && version != "#1.3"))
    throw gct_error(
        name, 1, 1,
        cat("expected the GCT version line '#1.2' or '#1.3', found '", line.substr(0, 40), "'"));
  const bool v13 = version == "#1.3";

  // Line 2: dimensions.
  if (!reader.next(line))
    throw gct_error(name, 2, "file ends after line 1, expected the dimensions line");
  gct_header_fields(line, f);
  const std::size_t n_dims = v13 ? 4 : 2;
  if (f.size() != n_dims)
    throw gct_error(name, 2,
                    cat("expected ", n_dims, " tab-separated counts (",
                        v13 ? "nrow, ncol, n_row_meta, n_col_meta" : "nrow, ncol", ") for GCT ",
                        version, ", found ", f.size(), " fields"));
  const std::uint64_t bytes = buffer.size();
  std::uint64_t dims[4] = {0, 0, 0, 0};
  static const char* const dim_names[4] = {"nrow", "ncol", "n_row_meta", "n_col_meta"};
  for (std::size_t k = 0; k < n_dims; ++k)
    if (!parse_count(f[k], bytes, dims[k]))
      throw gct_error(name, 2, k + 1,
                      cat("expected ", dim_names[k], " as a count no larger than the file size (",
                          bytes, " bytes), found '", f[k].substr(0, 40), "'"));
  const std::uint64_t nrow = dims[0], ncol = dims[1];
  const std::uint64_t nrm = v13 ? dims[2] : 1, ncm = v13 ? dims[3] : 0;
  // Every data / column-metadata line holds at least nrm + ncol tab characters: reject sizes the
  // file cannot hold before allocating anything.
  const std::uint64_t tabs_per_line = nrm + ncol;
  if (product_exceeds(nrow + ncm + 1, tabs_per_line, bytes))
    throw gct_error(name, 2,
                    cat("declared sizes (", nrow, " rows, ", ncol, " columns, ", nrm,
                        " row-metadata and ", ncm, " column-metadata fields) need more than the ",
                        bytes, " bytes of the file"));
  const std::uint64_t expected_lines = 3 + ncm + nrow;
  const std::uint64_t actual_lines = count_lines(buffer);
  if (actual_lines < expected_lines)
    throw gct_error(name, 2,
                    cat("the header declares ", nrow, " data rows",
                        v13 ? cat(" and ", ncm, " column-metadata rows") : std::string(), ", i.e. ",
                        expected_lines, " lines, but the file has only ", actual_lines, " lines"));

  // Line 3: row-metadata names and column ids.
  reader.next(line);
  const std::size_t n_fields = static_cast<std::size_t>(1 + nrm + ncol);
  split_fields(line, '\t', f);
  while (f.size() > n_fields && f.back().empty()) f.pop_back(); // trailing tabs
  if (f.size() != n_fields)
    throw gct_error(name, 3,
                    cat("expected ", n_fields, " fields (id, ", nrm, " row-metadata names, ", ncol,
                        " column ids), found ", f.size()));
  std::vector<std::string> row_meta_names, col_ids;
  row_meta_names.reserve(nrm);
  col_ids.reserve(ncol);
  std::unordered_map<std::string_view, std::size_t> seen;
  for (std::size_t k = 1; k <= nrm; ++k) {
    std::string_view field_name = v13 ? f[k] : std::string_view("Description");
    check_unique(seen, "read_gct", field_name, k + 1, name, 3, k + 1, "row-metadata field",
                 "field");
    row_meta_names.emplace_back(field_name);
  }
  seen.clear();
  for (std::size_t k = 1 + nrm; k < n_fields; ++k) {
    check_unique(seen, "read_gct", f[k], k + 1, name, 3, k + 1, "column id", "field");
    col_ids.emplace_back(f[k]);
  }

  // Column-metadata lines.
  MetadataTable col_meta(static_cast<Eigen::Index>(ncol));
  seen.clear();
  std::vector<std::string> values;
  for (std::uint64_t m = 0; m < ncm; ++m) {
    reader.next(line);
    const std::size_t ln = reader.line_number();
    split_fields(line, '\t', f);
    if (f.size() != n_fields)
      throw gct_error(name, ln,
                      cat("column-metadata row ", m + 1, " of ", ncm, ": expected ", n_fields,
                          " fields (field name, ", nrm, " filler cells, ", ncol, " values), found ",
                          f.size()));
    check_unique(seen, "read_gct", f[0], ln, name, ln, 1, "column-metadata field", "line");
    values.assign(f.begin() + static_cast<std::ptrdiff_t>(1 + nrm), f.end());
    col_meta.add_field(std::string(f[0]), std::move(values));
    values = {};
  }

  // Data lines.
  Matrix data(static_cast<Eigen::Index>(nrow), static_cast<Eigen::Index>(ncol));
  std::vector<std::string> row_ids;
  row_ids.reserve(nrow);
  std::vector<std::vector<std::string>> row_meta(nrm);
  for (auto& v : row_meta) v.reserve(nrow);
  seen.clear();
  seen.reserve(nrow);
  for (std::uint64_t i = 0; i < nrow; ++i) {
    reader.next(line);
    const std::size_t ln = reader.line_number();
    const char* p = line.data();
    const char* const end = p + line.size();
    std::size_t field = 0;
    auto next_field = [&](bool last) -> std::string_view {
      const char* tab =
          static_cast<const char*>(std::memchr(p, '\t', static_cast<std::size_t>(end - p)));
      if (tab == nullptr && !last)
        throw gct_error(name, ln, field + 1,
                        cat("data row ", i + 1, ": expected ", n_fields, " fields (id, ", nrm,
                            " row-metadata values, ", ncol, " numbers), found ", field + 1));
      if (tab != nullptr && last)
        throw gct_error(name, ln, field + 2,
                        cat("data row ", i + 1, ": expected ", n_fields,
                            " fields, found more (extra text after the last column)"));
      const char* stop = tab ? tab : end;
      std::string_view s(p, static_cast<std::size_t>(stop - p));
      p = tab ? tab + 1 : end;
      ++field;
      return s;
    };
    const std::string_view id = next_field(n_fields == 1);
    check_unique(seen, "read_gct", id, ln, name, ln, 1, "row id", "line");
    row_ids.emplace_back(id);
    for (std::uint64_t k = 0; k < nrm; ++k)
      row_meta[k].emplace_back(next_field(field + 1 == n_fields));
    const Eigen::Index r = static_cast<Eigen::Index>(i);
    for (std::uint64_t j = 0; j < ncol; ++j) {
      const std::string_view cell = next_field(j + 1 == ncol);
      Scalar value;
      if (!parse_number(cell.data(), cell.data() + cell.size(), value))
        throw gct_error(name, ln, field,
                        cat("expected a number for row '", id, "', column '", col_ids[j],
                            "', found '", cell.substr(0, 40), "'"));
      data(r, static_cast<Eigen::Index>(j)) = value;
    }
  }
  if (!reader.only_blank_left())
    throw gct_error(name, reader.line_number() + 1,
                    cat("unexpected text after the last data row: the header (line 2) declares ",
                        nrow, " data rows", v13 ? cat(" and ", ncm, " column-metadata rows") : "",
                        ", so the file should end at line ", expected_lines));

  MetadataTable rmeta(static_cast<Eigen::Index>(nrow));
  for (std::size_t k = 0; k < row_meta.size(); ++k)
    rmeta.add_field(std::move(row_meta_names[k]), std::move(row_meta[k]));
  return LabeledMatrix<Scalar>(std::move(data), std::move(row_ids), std::move(col_ids),
                               std::move(rmeta), std::move(col_meta));
}

} // namespace detail

/// Read a GCT text file (version 1.2 or 1.3; gzip-compressed files are decompressed when zlib
/// support is on). Rows are features, columns samples; row metadata (1.2: `Description`) goes to
/// `row_meta()`, column metadata to `col_meta()`, strings kept byte for byte. Empty cells and
/// `NaN`, `nan`, `NA`, `na` are read as NaN.
///
/// Throws `parse_error` (file, line, field, what was expected) on a malformed file: header counts
/// that disagree with the body, ragged rows, non-numeric cells, duplicate ids, declared sizes the
/// file cannot hold, an HDF5 (GCTX) file; `invalid_argument` when the file cannot be read.
/// @tparam Scalar float or double.
template <class Scalar = double>
LabeledMatrix<Scalar> read_gct(const std::string& path) {
  const std::string buffer = detail::read_file(path, "read_gct");
  return detail::parse_gct_buffer<Scalar>(buffer, path);
}

/// Write `m` as GCT 1.3 with all its row and column metadata (values written as they are, missing
/// ones included; the filler cells of column-metadata lines are `-666`). Numbers: `precision` -1
/// writes the shortest text that reads back to the identical value (at most 9 significant digits
/// for float, 17 for double), otherwise `precision` significant digits; NaN is written `NaN`.
/// The file is written atomically (temporary file + rename). Throws `invalid_argument` when an
/// id or metadata value contains a tab or newline, or on an I/O error.
template <class Scalar>
void write_gct(const std::string& path, const LabeledMatrix<Scalar>& m, int precision = -1) {
  const char* fn = "write_gct";
  detail::check_precision<Scalar>(precision, fn);
  const MetadataTable& rm = m.row_meta();
  const MetadataTable& cm = m.col_meta();
  for (const auto& s : m.row_ids()) detail::check_writable_field(s, '\t', fn, "row id");
  for (const auto& s : m.col_ids()) detail::check_writable_field(s, '\t', fn, "column id");
  for (const auto* t : {&rm, &cm})
    for (Eigen::Index k = 0; k < t->num_fields(); ++k) {
      detail::check_writable_field(t->field_names()[static_cast<std::size_t>(k)], '\t', fn,
                                   "metadata field name");
      for (const auto& s : t->field(k)) detail::check_writable_field(s, '\t', fn, "metadata value");
    }
  detail::write_file_atomic(path, fn, [&](std::ostream& os) {
    std::string out;
    out.reserve(1 << 16);
    out += detail::cat("#1.3\n", m.rows(), '\t', m.cols(), '\t', rm.num_fields(), '\t',
                       cm.num_fields(), "\nid");
    for (const auto& s : rm.field_names()) (out += '\t') += s;
    for (const auto& s : m.col_ids()) (out += '\t') += s;
    out += '\n';
    for (Eigen::Index k = 0; k < cm.num_fields(); ++k) {
      out += cm.field_names()[static_cast<std::size_t>(k)];
      for (Eigen::Index r = 0; r < rm.num_fields(); ++r) out += "\t-666";
      for (const auto& s : cm.field(k)) (out += '\t') += s;
      out += '\n';
      detail::flush_buffer(os, out);
    }
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      out += m.row_ids()[static_cast<std::size_t>(i)];
      for (Eigen::Index k = 0; k < rm.num_fields(); ++k)
        (out += '\t') += rm.field(k)[static_cast<std::size_t>(i)];
      for (Eigen::Index j = 0; j < m.cols(); ++j) {
        out += '\t';
        detail::append_number(out, m.data()(i, j), precision);
      }
      out += '\n';
      detail::flush_buffer(os, out);
    }
    detail::flush_buffer(os, out, 0);
  });
}

} // namespace cimpute
