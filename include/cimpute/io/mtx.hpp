/// @file mtx.hpp
/// @brief Matrix Market coordinate files and 10x Genomics `matrix.mtx` + `features.tsv` /
/// `genes.tsv` + `barcodes.tsv` folders (Cell Ranger v2 and v3 layouts).
///
/// Supported: `%%MatrixMarket matrix coordinate {integer|real|double|pattern} general`, `%`
/// comment lines (e.g. v3's `%metadata_json`), whitespace-separated 1-based `row col value`
/// entries. Not supported (clear `parse_error`): `array` format, `complex` field, `symmetric`,
/// `skew-symmetric` and `hermitian` storage. Duplicate (row, col) entries are summed, as
/// scipy.io.mmread and R's Matrix::readMM do. Reference:
/// https://math.nist.gov/MatrixMarket/formats.html
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/core/sparse_labeled_matrix.hpp"
#include "cimpute/io/text_file.hpp"

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace cimpute {
namespace detail {

/// Largest row or column count accepted by default (2^31 - 1, the 32-bit index limit of 10x and
/// scipy); the Matrix Market parser allocates O(rows + cols + nnz) memory.
inline constexpr std::uint64_t mtx_max_dim = 2147483647ull;

/// A `parse_error` whose message starts with `function: `.
inline parse_error mtx_error(const char* function, const std::string& name, std::size_t line,
                             std::size_t column, const std::string& message) {
  return parse_error(name, line, column, cat(function, ": ", message));
}

/// Next whitespace-separated token of `[p, end)`, advancing `p`; empty at the end.
inline std::string_view next_token(const char*& p, const char* end) noexcept {
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  const char* start = p;
  while (p < end && *p != ' ' && *p != '\t') ++p;
  return std::string_view(start, static_cast<std::size_t>(p - start));
}

/// ASCII lower-case copy.
inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Parse a Matrix Market coordinate matrix held in `buffer` (`name` is used in error messages).
/// Rows or columns beyond `max_dim` are rejected before any allocation, as is an entry count the
/// buffer cannot hold. Throws `parse_error` with file and line on any inconsistency.
template <class Scalar = double>
typename SparseLabeledMatrix<Scalar>::SparseMatrix
parse_mtx_buffer(std::string_view buffer, const std::string& name,
                 std::uint64_t max_dim = mtx_max_dim) {
  static_assert(std::is_floating_point<Scalar>::value, "read_mtx: Scalar must be float or double");
  using SparseMatrix = typename SparseLabeledMatrix<Scalar>::SparseMatrix;
  const char* fn = "read_mtx";
  if (has_hdf5_signature(buffer))
    throw mtx_error(fn, name, 0, 0, "this is an HDF5 file (10x .h5?), not a Matrix Market file");
  LineReader reader(buffer);
  std::string_view line;
  if (is_blank(buffer) || !reader.next(line))
    throw mtx_error(fn, name, 1, 0, "empty file, expected '%%MatrixMarket matrix coordinate ...'");
  const char* p = line.data();
  const char* end = p + line.size();
  std::string tok[5];
  for (auto& t : tok) t = to_lower(next_token(p, end));
  if (tok[0] != "%%matrixmarket")
    throw mtx_error(fn, name, 1, 1,
                    cat("expected the banner '%%MatrixMarket matrix coordinate <field> general', "
                        "found '",
                        line.substr(0, 60), "'"));
  if (tok[1] != "matrix")
    throw mtx_error(fn, name, 1, 2, cat("unsupported object '", tok[1], "', expected 'matrix'"));
  if (tok[2] != "coordinate")
    throw mtx_error(fn, name, 1, 3,
                    cat("unsupported format '", tok[2], "', only 'coordinate' is supported"));
  const bool pattern = tok[3] == "pattern";
  const bool integer = tok[3] == "integer";
  if (!pattern && !integer && tok[3] != "real" && tok[3] != "double")
    throw mtx_error(
        fn, name, 1, 4,
        cat("unsupported field '", tok[3], "', expected integer, real, double or pattern"));
  if (tok[4] != "general")
    throw mtx_error(fn, name, 1, 5,
                    cat("unsupported symmetry '", tok[4], "', only 'general' is supported"));
  if (!next_token(p, end).empty())
    throw mtx_error(fn, name, 1, 6, "unexpected text after the symmetry in the banner");

  // Size line (after comments and blank lines).
  bool have_size = false;
  while (reader.next(line)) {
    if (line.empty() || line[0] == '%' || is_blank(line)) continue;
    have_size = true;
    break;
  }
  if (!have_size)
    throw mtx_error(fn, name, reader.line_number() + 1, 0,
                    "file ends before the size line 'rows cols nnz'");
  const std::size_t size_line = reader.line_number();
  p = line.data();
  end = p + line.size();
  std::uint64_t dims[3] = {0, 0, 0};
  static const char* const dim_names[3] = {"rows", "cols", "nnz"};
  for (std::size_t k = 0; k < 3; ++k) {
    const std::string_view t = next_token(p, end);
    if (!parse_count(t, ~std::uint64_t(0), dims[k]))
      throw mtx_error(fn, name, size_line, k + 1,
                      cat("expected the size line 'rows cols nnz' (non-negative integers); ",
                          dim_names[k], " is '", t.substr(0, 40), "'"));
  }
  if (!next_token(p, end).empty())
    throw mtx_error(fn, name, size_line, 4, "expected 3 numbers on the size line 'rows cols nnz'");
  const std::uint64_t nrows = dims[0], ncols = dims[1], nnz = dims[2];
  if (nrows > max_dim || ncols > max_dim)
    throw mtx_error(fn, name, size_line, nrows > max_dim ? 1 : 2,
                    cat("declared size ", nrows, " x ", ncols, " exceeds the supported maximum of ",
                        max_dim, " rows or columns"));
  if (nnz > 0 && (nrows == 0 || ncols == 0))
    throw mtx_error(fn, name, size_line, 3,
                    cat("nnz ", nnz, " entries in an empty ", nrows, " x ", ncols, " matrix"));
  const std::uint64_t min_entry_bytes = pattern ? 4 : 6; // "1 1\n" or "1 1 1\n"
  if (nnz > (reader.remaining() + 1) / min_entry_bytes)
    throw mtx_error(fn, name, size_line, 3,
                    cat("nnz ", nnz, " entries cannot fit in the ", reader.remaining(),
                        " bytes left in the file"));

  std::vector<Eigen::Triplet<Scalar, std::int64_t>> triplets;
  triplets.reserve(static_cast<std::size_t>(nnz));
  while (reader.next(line)) {
    if (line.empty() || line[0] == '%' || is_blank(line)) continue;
    const std::size_t ln = reader.line_number();
    if (triplets.size() == nnz)
      throw mtx_error(fn, name, ln, 0,
                      cat("more entries than the nnz = ", nnz, " declared on line ", size_line));
    p = line.data();
    end = p + line.size();
    std::uint64_t idx[2] = {0, 0};
    for (std::size_t k = 0; k < 2; ++k) {
      const std::string_view t = next_token(p, end);
      const std::uint64_t bound = k == 0 ? nrows : ncols;
      if (!parse_count(t, ~std::uint64_t(0), idx[k]) || idx[k] < 1 || idx[k] > bound)
        throw mtx_error(fn, name, ln, k + 1,
                        cat(k == 0 ? "row" : "column", " index '", t.substr(0, 40),
                            "' is not an integer in [1, ", bound, "]"));
    }
    Scalar v = Scalar(1);
    if (!pattern) {
      const std::string_view t = next_token(p, end);
      bool ok = !t.empty();
      if (ok && integer) {
        std::int64_t iv = 0;
        ok = parse_int64(t, iv);
        v = static_cast<Scalar>(iv);
      } else if (ok) {
        ok = parse_number(t.data(), t.data() + t.size(), v);
      }
      if (!ok)
        throw mtx_error(fn, name, ln, 3,
                        cat("expected ", integer ? "an integer" : "a real", " value, found '",
                            t.substr(0, 40), "'"));
    }
    if (!next_token(p, end).empty())
      throw mtx_error(fn, name, ln, pattern ? 3 : 4,
                      cat("expected ", pattern ? 2 : 3, " fields 'row col", pattern ? "" : " value",
                          "', found more"));
    triplets.emplace_back(static_cast<std::int64_t>(idx[0] - 1),
                          static_cast<std::int64_t>(idx[1] - 1), v);
  }
  if (triplets.size() != nnz)
    throw mtx_error(fn, name, size_line, 3,
                    cat("declares nnz = ", nnz, " but the file has only ", triplets.size(),
                        " entries (it ends at line ", reader.line_number(), ")"));
  SparseMatrix m(static_cast<Eigen::Index>(nrows), static_cast<Eigen::Index>(ncols));
  m.setFromTriplets(triplets.begin(), triplets.end()); // duplicates are summed
  return m;
}

/// Ids (first field), and when present names (second) and types (third) of a 10x features /
/// genes / barcodes file held in `buffer`. Blank lines are skipped; every line must have the
/// field count of the first one; ids must be unique (`parse_error` naming both lines otherwise).
struct TenxLabels {
  std::vector<std::string> ids;   ///< first column (Ensembl id for features; the barcode)
  std::vector<std::string> names; ///< second column (gene symbol), empty when absent
  std::vector<std::string> types; ///< third column (feature type), empty when absent
};

/// Parse a 10x `features.tsv` / `genes.tsv` / `barcodes.tsv` buffer (see `TenxLabels`).
inline TenxLabels parse_tenx_labels(std::string_view buffer, const std::string& name,
                                    const char* what) {
  const char* fn = "read_10x_mtx";
  TenxLabels out;
  LineReader reader(buffer);
  std::string_view line;
  std::vector<std::string_view> f;
  std::unordered_map<std::string_view, std::size_t> seen;
  std::size_t nfields = 0;
  while (reader.next(line)) {
    if (is_blank(line)) continue;
    const std::size_t ln = reader.line_number();
    split_fields(line, '\t', f);
    if (nfields == 0) nfields = f.size();
    if (f.size() != nfields)
      throw mtx_error(fn, name, ln, 0,
                      cat("expected ", nfields,
                          " tab-separated fields (as on the first line), found ", f.size()));
    check_unique(seen, fn, f[0], ln, name, ln, 1, what, "line");
    out.ids.emplace_back(f[0]);
    if (nfields >= 2) out.names.emplace_back(f[1]);
    if (nfields >= 3) out.types.emplace_back(f[2]);
  }
  return out;
}

/// The first existing file among `base + candidate`; throws `invalid_argument` listing them.
inline std::string find_first_file(const std::string& base,
                                   std::initializer_list<const char*> candidates,
                                   const char* function) {
  std::string tried;
  std::error_code ec;
  for (const char* c : candidates) {
    const std::string path = base + c;
    if (std::filesystem::is_regular_file(path, ec)) return path;
    tried += (tried.empty() ? "" : ", ") + path;
  }
  throw_invalid(function, "none of these files exists: ", tried);
}

} // namespace detail

/// Read a bare Matrix Market coordinate file (`.mtx`, or `.mtx.gz` with zlib support); row and
/// column ids are "1".."n". Duplicate entries are summed. Throws `parse_error` with file and line
/// on a malformed file (bad banner, unsupported symmetry, indices out of range, entry count
/// disagreeing with nnz, sizes the file cannot hold).
template <class Scalar = double>
SparseLabeledMatrix<Scalar> read_mtx(const std::string& matrix_path) {
  auto m =
      detail::parse_mtx_buffer<Scalar>(detail::read_file(matrix_path, "read_mtx"), matrix_path);
  auto numbers = [](Eigen::Index n) {
    std::vector<std::string> ids(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = std::to_string(i + 1);
    return ids;
  };
  const Eigen::Index r = m.rows(), c = m.cols();
  return SparseLabeledMatrix<Scalar>(std::move(m), numbers(r), numbers(c), MetadataTable(r),
                                     MetadataTable(c));
}

/// Read a 10x matrix from explicit paths: `matrix_path` (Matrix Market, features x barcodes),
/// `features_path` (one line per row: id, optionally name and feature type — 10x v3
/// `features.tsv`, v2 `genes.tsv`, or a single id column) and `barcodes_path` (one barcode per
/// line, first field used). Row ids are the first (unique) column of the features file, e.g. the
/// Ensembl id, since gene symbols can repeat; the second and third columns become row-metadata
/// fields `name` and `feature_type`. Throws `parse_error` when the feature / barcode counts differ
/// from the matrix dimensions or ids repeat.
template <class Scalar = double>
SparseLabeledMatrix<Scalar> read_10x_mtx(const std::string& matrix_path,
                                         const std::string& features_path,
                                         const std::string& barcodes_path) {
  const char* fn = "read_10x_mtx";
  auto m = detail::parse_mtx_buffer<Scalar>(detail::read_file(matrix_path, fn), matrix_path);
  auto feats =
      detail::parse_tenx_labels(detail::read_file(features_path, fn), features_path, "feature id");
  auto cells =
      detail::parse_tenx_labels(detail::read_file(barcodes_path, fn), barcodes_path, "barcode");
  if (static_cast<Eigen::Index>(feats.ids.size()) != m.rows())
    throw detail::mtx_error(fn, features_path, 0, 0,
                            detail::cat(feats.ids.size(), " features, but the matrix '",
                                        matrix_path, "' has ", m.rows(), " rows"));
  if (static_cast<Eigen::Index>(cells.ids.size()) != m.cols())
    throw detail::mtx_error(fn, barcodes_path, 0, 0,
                            detail::cat(cells.ids.size(), " barcodes, but the matrix '",
                                        matrix_path, "' has ", m.cols(), " columns"));
  MetadataTable row_meta(m.rows());
  if (!feats.names.empty()) row_meta.add_field("name", std::move(feats.names));
  if (!feats.types.empty()) row_meta.add_field("feature_type", std::move(feats.types));
  const Eigen::Index c = m.cols();
  return SparseLabeledMatrix<Scalar>(std::move(m), std::move(feats.ids), std::move(cells.ids),
                                     std::move(row_meta), MetadataTable(c));
}

/// Read a 10x Matrix Market folder (Cell Ranger `filtered_feature_bc_matrix/` or v2
/// `filtered_gene_bc_matrices/<genome>/`), or files sharing a prefix when `directory_or_prefix`
/// is not a directory (e.g. "sample1_" for `sample1_matrix.mtx.gz`...). Looks for
/// `matrix.mtx[.gz]`, `features.tsv[.gz]` (else `genes.tsv[.gz]`) and `barcodes.tsv[.gz]`; see the
/// three-path overload for the result.
template <class Scalar = double>
SparseLabeledMatrix<Scalar> read_10x_mtx(const std::string& directory_or_prefix) {
  const char* fn = "read_10x_mtx";
  std::error_code ec;
  std::string base = directory_or_prefix;
  if (std::filesystem::is_directory(base, ec) && !base.empty() && base.back() != '/') base += '/';
  const std::string matrix = detail::find_first_file(base, {"matrix.mtx.gz", "matrix.mtx"}, fn);
  const std::string features = detail::find_first_file(
      base, {"features.tsv.gz", "features.tsv", "genes.tsv.gz", "genes.tsv"}, fn);
  const std::string barcodes =
      detail::find_first_file(base, {"barcodes.tsv.gz", "barcodes.tsv"}, fn);
  return read_10x_mtx<Scalar>(matrix, features, barcodes);
}

/// Write the matrix of `m` as a Matrix Market coordinate file (uncompressed, atomically):
/// field `integer` when every stored value is a whole number below 2^53 in magnitude, `real`
/// otherwise (values as in `write_gct`: `precision` -1 = shortest exact round trip). Entries are
/// written column by column; ids are not written (see `write_10x_mtx`).
template <class Scalar>
void write_mtx(const std::string& path, const SparseLabeledMatrix<Scalar>& m, int precision = -1) {
  const char* fn = "write_mtx";
  detail::check_precision<Scalar>(precision, fn);
  using SparseMatrix = typename SparseLabeledMatrix<Scalar>::SparseMatrix;
  const SparseMatrix& a = m.data();
  bool integer = true;
  for (Eigen::Index j = 0; j < a.outerSize() && integer; ++j)
    for (typename SparseMatrix::InnerIterator it(a, j); it; ++it)
      if (!(std::abs(it.value()) < Scalar(9007199254740992.0)) ||
          std::trunc(it.value()) != it.value()) {
        integer = false;
        break;
      }
  detail::write_file_atomic(path, fn, [&](std::ostream& os) {
    std::string out =
        detail::cat("%%MatrixMarket matrix coordinate ", integer ? "integer" : "real",
                    " general\n%\n", a.rows(), ' ', a.cols(), ' ', a.nonZeros(), '\n');
    for (Eigen::Index j = 0; j < a.outerSize(); ++j)
      for (typename SparseMatrix::InnerIterator it(a, j); it; ++it) {
        out += std::to_string(it.row() + 1);
        out += ' ';
        out += std::to_string(j + 1);
        out += ' ';
        if (integer)
          out += std::to_string(static_cast<long long>(it.value()));
        else
          detail::append_number(out, it.value(), precision);
        out += '\n';
        detail::flush_buffer(os, out);
      }
    detail::flush_buffer(os, out, 0);
  });
}

/// Write `m` as a 10x folder (created when missing): `matrix.mtx` (see `write_mtx`),
/// `features.tsv` (row id, plus the row-metadata fields `name` and `feature_type` when present)
/// and `barcodes.tsv` (column ids), each atomically. Reads back with `read_10x_mtx(directory)`.
template <class Scalar>
void write_10x_mtx(const std::string& directory, const SparseLabeledMatrix<Scalar>& m,
                   int precision = -1) {
  const char* fn = "write_10x_mtx";
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) detail::throw_invalid(fn, "cannot create directory '", directory, "': ", ec.message());
  const std::filesystem::path dir(directory);
  const MetadataTable& rm = m.row_meta();
  const bool has_name = rm.has_field("name");
  const bool has_type = rm.has_field("feature_type");
  auto write_lines = [&](const std::string& path, Eigen::Index n, auto&& line_of) {
    detail::write_file_atomic(path, fn, [&](std::ostream& os) {
      std::string out;
      for (Eigen::Index i = 0; i < n; ++i) {
        line_of(out, static_cast<std::size_t>(i));
        out += '\n';
        detail::flush_buffer(os, out);
      }
      detail::flush_buffer(os, out, 0);
    });
  };
  auto put = [&](std::string& out, const std::string& s) {
    detail::check_writable_field(s, '\t', fn, "id or metadata value");
    out += s;
  };
  write_lines((dir / "features.tsv").string(), m.rows(), [&](std::string& out, std::size_t i) {
    put(out, m.row_ids()[i]);
    if (has_name || has_type) put(out += '\t', has_name ? rm.field("name")[i] : m.row_ids()[i]);
    if (has_type) put(out += '\t', rm.field("feature_type")[i]);
  });
  write_lines((dir / "barcodes.tsv").string(), m.cols(),
              [&](std::string& out, std::size_t j) { put(out, m.col_ids()[j]); });
  write_mtx((dir / "matrix.mtx").string(), m, precision);
}

} // namespace cimpute
