/// @file table.hpp
/// @brief Delimited text tables (CSV / TSV): tidy sample tables with label columns read into a
/// `LabeledMatrix` (features x samples), and a generic string table reader.
///
/// Format: a header line naming the columns, then one record per line. The delimiter is tab,
/// comma or semicolon, detected from the header (the most frequent of the three) unless given.
/// A field starting with `"` is quoted: it runs to the closing quote and `""` inside stands for
/// `"` (quoted fields may hold the delimiter but not a line break). Blank lines are skipped.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/io/text_file.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <deque>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace cimpute {

/// Options of `read_table`.
struct TableReadOptions {
  /// Field delimiter; 0 detects it from the header line (tab, comma or semicolon).
  char delimiter = 0;
  /// Columns holding labels (strings) rather than numbers; they become column-metadata fields of
  /// the result, in this order.
  std::vector<std::string> label_columns;
  /// Column holding the sample ids. Empty: the first column when its header is empty (a pandas
  /// index, as in the L1000 tables), otherwise the ids are `row1`, `row2`, ... (data-row numbers).
  std::string id_column;
  /// Columns to drop entirely.
  std::vector<std::string> ignore_columns;

  /// Throws `invalid_argument` naming the offending option: a delimiter that is a quote, a line
  /// break or a space-like character other than tab; a column named twice across the lists.
  void validate() const {
    const char* fn = "TableReadOptions::validate";
    if (delimiter == '"' || delimiter == '\n' || delimiter == '\r' || delimiter == ' ')
      detail::throw_invalid(fn, "delimiter of character code ", static_cast<int>(delimiter),
                            " is not allowed (use tab, comma, semicolon, ... or 0 to detect)");
    std::vector<std::string> all = label_columns;
    all.insert(all.end(), ignore_columns.begin(), ignore_columns.end());
    if (!id_column.empty()) all.push_back(id_column);
    std::vector<std::string> sorted = all;
    std::sort(sorted.begin(), sorted.end());
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    if (dup != sorted.end())
      detail::throw_invalid(fn, "column '", *dup,
                            "' is named more than once across id_column, label_columns and "
                            "ignore_columns");
  }
};

/// A table of strings as read by `read_delimited`.
struct DelimitedTable {
  /// Column names (the header line).
  std::vector<std::string> header;
  /// The records, each with `header.size()` fields.
  std::vector<std::vector<std::string>> rows;
  /// The file line of each record (blank lines and comments skipped by the reader count).
  std::vector<std::size_t> lines;
  /// The file line of record r (r + 2 for a table built without `lines`: header on line 1).
  std::size_t line(std::size_t r) const { return r < lines.size() ? lines[r] : r + 2; }
  /// Position of a column by name; throws `invalid_argument` when absent.
  std::size_t column(std::string_view name) const {
    for (std::size_t k = 0; k < header.size(); ++k)
      if (header[k] == name) return k;
    detail::throw_invalid("DelimitedTable::column", "no column named '", name, "'");
  }
};

namespace detail {

/// The delimiter of a table: the most frequent of tab, comma, semicolon in its header line
/// (outside quotes; tab wins ties, then comma). Tab when the header has none of them.
inline char detect_delimiter(std::string_view header) {
  std::size_t tabs = 0, commas = 0, semis = 0;
  bool quoted = false;
  for (char c : header) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    tabs += c == '\t';
    commas += c == ',';
    semis += c == ';';
  }
  if (tabs >= commas && tabs >= semis && tabs > 0) return '\t';
  if (commas >= semis && commas > 0) return ',';
  if (semis > 0) return ';';
  return '\t';
}

/// Tokenises a delimited buffer record by record: header first, then the non-blank lines,
/// checking that every record has as many fields as the header.
class DelimitedReader {
public:
  DelimitedReader(std::string_view buffer, const std::string& name, char delimiter,
                  const char* function)
      : m_reader(buffer), m_name(name), m_function(function) {
    if (has_hdf5_signature(buffer))
      throw error(0, 0, "this is an HDF5 file, not a delimited text table");
    std::string_view line;
    if (is_blank(buffer) || !m_reader.next(line))
      throw error(1, 0, "empty file, expected a header line");
    if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.remove_prefix(3);
    m_delim = delimiter != 0 ? delimiter : detect_delimiter(line);
    split(line);
    m_header.assign(m_fields.begin(), m_fields.end());
  }
  /// The delimiter in use.
  char delimiter() const noexcept { return m_delim; }
  /// The header fields.
  const std::vector<std::string>& header() const noexcept { return m_header; }
  /// Next record (views valid until the following call); false at the end.
  bool next(const std::vector<std::string_view>*& fields) {
    std::string_view line;
    do {
      if (!m_reader.next(line)) return false;
    } while (is_blank(line));
    split(line);
    if (m_fields.size() != m_header.size())
      throw error(
          m_reader.line_number(), 0,
          cat("expected ", m_header.size(), " fields (as in the header), found ", m_fields.size()));
    fields = &m_fields;
    return true;
  }
  /// 1-based line number of the current record.
  std::size_t line_number() const noexcept { return m_reader.line_number(); }
  /// A `parse_error` at (line, column) with the function name in front of the message.
  parse_error error(std::size_t line, std::size_t column, const std::string& message) const {
    return parse_error(m_name, line, column, cat(m_function, ": ", message));
  }

private:
  void split(std::string_view line) {
    const std::size_t bad = split_quoted(line, m_delim, m_fields, m_scratch);
    if (bad != 0)
      throw error(m_reader.line_number(), bad,
                  "malformed quoted field (unterminated quote, or text after the closing quote)");
  }
  LineReader m_reader;
  const std::string& m_name;
  const char* m_function;
  char m_delim = '\t';
  std::vector<std::string> m_header;
  std::vector<std::string_view> m_fields;
  std::deque<std::string> m_scratch;
};

/// `read_delimited` on a buffer; `name` is used in error messages.
inline DelimitedTable parse_delimited_buffer(std::string_view buffer, const std::string& name,
                                             char delimiter = 0) {
  DelimitedReader reader(buffer, name, delimiter, "read_delimited");
  DelimitedTable table;
  table.header = reader.header();
  const std::vector<std::string_view>* fields = nullptr;
  while (reader.next(fields)) {
    table.rows.emplace_back(fields->begin(), fields->end());
    table.lines.push_back(reader.line_number());
  }
  return table;
}

/// `read_table` on a buffer; `name` is used in error messages.
template <class Scalar = double>
LabeledMatrix<Scalar> parse_table_buffer(std::string_view buffer, const std::string& name,
                                         const TableReadOptions& options) {
  static_assert(std::is_floating_point<Scalar>::value,
                "read_table: Scalar must be float or double");
  options.validate();
  DelimitedReader reader(buffer, name, options.delimiter, "read_table");
  const std::vector<std::string>& header = reader.header();
  const std::size_t ncol = header.size();
  auto find_column = [&](const std::string& col, const char* role) {
    for (std::size_t k = 0; k < ncol; ++k)
      if (header[k] == col) return k;
    throw reader.error(1, 0, cat(role, " '", col, "' is not in the header"));
  };
  enum Role : char { Feature, Label, Id, Ignored };
  std::vector<Role> role(ncol, Feature);
  std::size_t id_col = ncol; // ncol: none
  if (!options.id_column.empty()) {
    id_col = find_column(options.id_column, "id column");
  } else if (ncol > 0 && header[0].empty()) {
    id_col = 0;
  }
  if (id_col < ncol) role[id_col] = Id;
  std::vector<std::size_t> label_cols;
  for (const auto& c : options.label_columns) {
    label_cols.push_back(find_column(c, "label column"));
    role[label_cols.back()] = Label;
  }
  for (const auto& c : options.ignore_columns) role[find_column(c, "ignored column")] = Ignored;
  std::vector<std::string> feature_ids;
  std::vector<std::size_t> feature_cols;
  std::unordered_map<std::string_view, std::size_t> seen;
  for (std::size_t k = 0; k < ncol; ++k) {
    if (role[k] != Feature) continue;
    if (header[k].empty())
      throw reader.error(1, k + 1,
                         cat("numeric column ", k + 1,
                             " has an empty header (only the first column may be an unnamed id "
                             "column)"));
    check_unique(seen, "read_table", header[k], k + 1, name, 1, k + 1, "column name", "field");
    feature_ids.push_back(header[k]);
    feature_cols.push_back(k);
  }

  std::vector<Scalar> values; // sample-major = features x samples column-major
  std::vector<std::string> sample_ids;
  std::vector<std::vector<std::string>> labels(label_cols.size());
  std::unordered_map<std::string, std::size_t> id_line;
  const std::vector<std::string_view>* fields = nullptr;
  while (reader.next(fields)) {
    const std::size_t ln = reader.line_number();
    const auto& f = *fields;
    if (id_col < ncol) {
      auto [it, inserted] = id_line.emplace(std::string(f[id_col]), ln);
      if (!inserted)
        throw reader.error(ln, id_col + 1,
                           cat("duplicate sample id '", f[id_col], "' (first seen on line ",
                               it->second, "); sample ids must be unique"));
      sample_ids.push_back(it->first);
    } else {
      sample_ids.push_back(cat("row", sample_ids.size() + 1));
    }
    for (std::size_t k = 0; k < label_cols.size(); ++k) labels[k].emplace_back(f[label_cols[k]]);
    for (std::size_t k : feature_cols) {
      Scalar v;
      if (!parse_number(f[k].data(), f[k].data() + f[k].size(), v))
        throw reader.error(ln, k + 1,
                           cat("expected a number in column '", header[k], "', found '",
                               f[k].substr(0, 40),
                               "' (name non-numeric columns in "
                               "TableReadOptions::label_columns or ignore_columns)"));
      values.push_back(v);
    }
  }
  const Eigen::Index nfeat = static_cast<Eigen::Index>(feature_ids.size());
  const Eigen::Index nsamp = static_cast<Eigen::Index>(sample_ids.size());
  typename LabeledMatrix<Scalar>::Matrix data =
      Eigen::Map<const typename LabeledMatrix<Scalar>::Matrix>(values.data(), nfeat, nsamp);
  MetadataTable col_meta(nsamp);
  for (std::size_t k = 0; k < label_cols.size(); ++k)
    col_meta.add_field(header[label_cols[k]], std::move(labels[k]));
  return LabeledMatrix<Scalar>(std::move(data), std::move(feature_ids), std::move(sample_ids),
                               MetadataTable(nfeat), std::move(col_meta));
}

/// Append `s` to `out` as one field, quoted (with `""` escapes) when it holds the delimiter or a
/// quote or starts with a quote. Throws `invalid_argument` on a line break.
inline void append_table_field(std::string& out, std::string_view s, char delim) {
  check_writable_field(s, '\n', "write_table", "value");
  if (s.find(delim) == std::string_view::npos && s.find('"') == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

} // namespace detail

/// Read a delimited table of strings (header + records), e.g. a label-only table. Every record
/// must have as many fields as the header (`parse_error` with file:line otherwise). Gzip files
/// are decompressed when zlib support is on.
inline DelimitedTable read_delimited(const std::string& path, char delimiter = 0) {
  return detail::parse_delimited_buffer(detail::read_file(path, "read_delimited"), path, delimiter);
}

/// The label columns of a tidy table, guessed from its first record: the named columns whose
/// first value is not a number as `read_table` reads numbers (the missing-value tokens — empty,
/// `NA`, `na`, `N/A`, `#N/A`, `nan` — count as numbers). Unnamed columns are never label columns
/// (an unnamed first column is a pandas index of sample ids); a table without records has none.
/// Pass the result as `TableReadOptions::label_columns` to read a table whose label columns are not
/// known (as `cimpute inspect` does).
inline std::vector<std::string> guess_label_columns(const DelimitedTable& table) {
  std::vector<std::string> labels;
  if (table.rows.empty()) return labels;
  const std::vector<std::string>& first = table.rows.front();
  for (std::size_t j = 0; j < table.header.size() && j < first.size(); ++j) {
    if (table.header[j].empty()) continue; // an unnamed (index) column holds sample ids
    const std::string& s = first[j];
    double v = 0;
    if (!detail::parse_number(s.data(), s.data() + s.size(), v)) labels.push_back(table.header[j]);
  }
  return labels;
}

/// Read a tidy table with one sample per record into a features x samples `LabeledMatrix`: the
/// numeric columns (all but the id, label and ignored columns) are the features, named by their
/// headers; each record is a column of the result; label columns become column-metadata fields;
/// sample ids come from `options.id_column`, else from an unnamed first column, else `row1`,
/// `row2`, ... Empty cells and `NA`, `na`, `NaN`, `nan` are NaN.
///
/// Throws `parse_error` (file, line, field) on ragged records, a non-numeric cell in a numeric
/// column (naming the column), duplicate column names or sample ids, unknown option columns.
template <class Scalar = double>
LabeledMatrix<Scalar> read_table(const std::string& path,
                                 const TableReadOptions& options = TableReadOptions()) {
  return detail::parse_table_buffer<Scalar>(detail::read_file(path, "read_table"), path, options);
}

/// Write `m` (features x samples) as a table with one record per sample: header = empty id
/// column, the column-metadata field names, the row (feature) ids. Reads back with `read_table`
/// given the metadata field names as `label_columns`. Fields holding the delimiter or a quote are
/// quoted; numbers as in `write_gct` (`precision` -1: shortest exact round trip). Atomic write.
template <class Scalar>
void write_table(const std::string& path, const LabeledMatrix<Scalar>& m, char delim = '\t',
                 int precision = -1) {
  const char* fn = "write_table";
  detail::check_precision<Scalar>(precision, fn);
  if (delim == '"' || delim == '\n' || delim == '\r' || delim == 0 || delim == ' ')
    detail::throw_invalid(fn, "invalid delimiter code ", static_cast<int>(delim));
  const MetadataTable& cm = m.col_meta();
  for (const auto& s : m.row_ids())
    if (s.empty()) detail::throw_invalid(fn, "empty row id: a numeric column needs a header");
  detail::write_file_atomic(path, fn, [&](std::ostream& os) {
    std::string out;
    for (const auto& s : cm.field_names()) detail::append_table_field((out += delim), s, delim);
    for (const auto& s : m.row_ids()) detail::append_table_field((out += delim), s, delim);
    out += '\n';
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      detail::append_table_field(out, m.col_ids()[static_cast<std::size_t>(j)], delim);
      for (Eigen::Index k = 0; k < cm.num_fields(); ++k)
        detail::append_table_field((out += delim), cm.field(k)[static_cast<std::size_t>(j)], delim);
      for (Eigen::Index i = 0; i < m.rows(); ++i) {
        out += delim;
        detail::append_number(out, m.data()(i, j), precision);
      }
      out += '\n';
      detail::flush_buffer(os, out);
    }
    detail::flush_buffer(os, out, 0);
  });
}

} // namespace cimpute
