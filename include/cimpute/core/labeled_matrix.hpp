/// @file labeled_matrix.hpp
/// @brief `LabeledMatrix`: a dense matrix with row and column ids and metadata; what readers
/// return.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/labels.hpp"
#include "cimpute/core/metadata_table.hpp"

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <vector>

namespace cimpute {

namespace detail {
/// Check that ids and metadata tables match a rows x cols matrix (shared by the labelled types).
inline void check_axes(const char* fn, Eigen::Index rows, Eigen::Index cols, const Labels& row_ids,
                       const Labels& col_ids, const MetadataTable& row_meta,
                       const MetadataTable& col_meta) {
  if (row_ids.size() != rows) throw_invalid(fn, row_ids.size(), " row ids for ", rows, " rows");
  if (col_ids.size() != cols)
    throw_invalid(fn, col_ids.size(), " column ids for ", cols, " columns");
  if (row_meta.size() != rows)
    throw_invalid(fn, "row metadata has ", row_meta.size(), " entries for ", rows, " rows");
  if (col_meta.size() != cols)
    throw_invalid(fn, "column metadata has ", col_meta.size(), " entries for ", cols, " columns");
}
} // namespace detail

/// A dense `rows() x cols()` matrix with unique row ids, unique column ids and a metadata table
/// for each axis. In CMap convention rows are features (genes) and columns are samples.
///
/// Invariants (checked by every constructor and setter): the id lists and the metadata tables
/// have exactly as many entries as the matrix has rows / columns, and ids are unique.
template <class Scalar_ = double>
class LabeledMatrix {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  LabeledMatrix() = default;
  /// Matrix with ids and no metadata.
  LabeledMatrix(Matrix data, std::vector<std::string> row_ids, std::vector<std::string> col_ids)
      : m_data(std::move(data)), m_rows(std::move(row_ids), "row id"),
        m_cols(std::move(col_ids), "column id"), m_row_meta(m_rows.size()),
        m_col_meta(m_cols.size()) {
    check("LabeledMatrix");
  }
  /// Matrix with ids and metadata tables.
  LabeledMatrix(Matrix data, std::vector<std::string> row_ids, std::vector<std::string> col_ids,
                MetadataTable row_meta, MetadataTable col_meta)
      : m_data(std::move(data)), m_rows(std::move(row_ids), "row id"),
        m_cols(std::move(col_ids), "column id"), m_row_meta(std::move(row_meta)),
        m_col_meta(std::move(col_meta)) {
    check("LabeledMatrix");
  }

  Eigen::Index rows() const noexcept { return m_data.rows(); }
  Eigen::Index cols() const noexcept { return m_data.cols(); }
  /// The values.
  const Matrix& data() const noexcept { return m_data; }
  /// Mutable values (the shape must not change).
  Matrix& data() noexcept { return m_data; }
  const std::vector<std::string>& row_ids() const noexcept { return m_rows.ids(); }
  const std::vector<std::string>& col_ids() const noexcept { return m_cols.ids(); }
  const Labels& row_labels() const noexcept { return m_rows; }
  const Labels& col_labels() const noexcept { return m_cols; }
  const MetadataTable& row_meta() const noexcept { return m_row_meta; }
  const MetadataTable& col_meta() const noexcept { return m_col_meta; }
  /// Replace the row metadata (size must equal `rows()`).
  void set_row_meta(MetadataTable m) {
    if (m.size() != rows())
      detail::throw_invalid("LabeledMatrix::set_row_meta", "table has ", m.size(),
                            " entries, matrix has ", rows(), " rows");
    m_row_meta = std::move(m);
  }
  /// Replace the column metadata (size must equal `cols()`).
  void set_col_meta(MetadataTable m) {
    if (m.size() != cols())
      detail::throw_invalid("LabeledMatrix::set_col_meta", "table has ", m.size(),
                            " entries, matrix has ", cols(), " columns");
    m_col_meta = std::move(m);
  }
  /// Position of a row id (throws naming the id when absent).
  Eigen::Index row_index(const std::string& id) const {
    return m_rows.index(id, "LabeledMatrix::row_index");
  }
  /// Position of a column id (throws naming the id when absent).
  Eigen::Index col_index(const std::string& id) const {
    return m_cols.index(id, "LabeledMatrix::col_index");
  }
  /// The value at (row id, column id).
  Scalar at(const std::string& row_id, const std::string& col_id) const {
    return m_data(row_index(row_id), col_index(col_id));
  }

  /// Rows and columns selected (and reordered) by position, metadata included.
  LabeledMatrix select(const std::vector<Eigen::Index>& rows,
                       const std::vector<Eigen::Index>& cols) const {
    Matrix d(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(cols.size()));
    Labels r = m_rows.select(rows), c = m_cols.select(cols);
    for (std::size_t j = 0; j < cols.size(); ++j)
      for (std::size_t i = 0; i < rows.size(); ++i)
        d(Eigen::Index(i), Eigen::Index(j)) = m_data(rows[i], cols[j]);
    return LabeledMatrix(std::move(d), r.ids(), c.ids(), m_row_meta.select(rows),
                         m_col_meta.select(cols));
  }
  /// Rows selected by id, all columns.
  LabeledMatrix select_rows(const std::vector<std::string>& ids) const {
    return select(m_rows.indices(ids, "LabeledMatrix::select_rows"), all(cols()));
  }
  /// Columns selected by id, all rows.
  LabeledMatrix select_cols(const std::vector<std::string>& ids) const {
    return select(all(rows()), m_cols.indices(ids, "LabeledMatrix::select_cols"));
  }
  /// The transpose: rows become columns, with their ids and metadata.
  LabeledMatrix transposed() const {
    return LabeledMatrix(m_data.transpose(), col_ids(), row_ids(), m_col_meta, m_row_meta);
  }
  /// Number of NaN entries in the data.
  Eigen::Index missing_count() const { return m_data.array().isNaN().count(); }
  /// Cast the values to another scalar type.
  template <class Other>
  LabeledMatrix<Other> cast() const {
    return LabeledMatrix<Other>(m_data.template cast<Other>(), row_ids(), col_ids(), m_row_meta,
                                m_col_meta);
  }

private:
  static std::vector<Eigen::Index> all(Eigen::Index n) {
    std::vector<Eigen::Index> v(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
    return v;
  }
  void check(const char* fn) const {
    detail::check_axes(fn, m_data.rows(), m_data.cols(), m_rows, m_cols, m_row_meta, m_col_meta);
  }

  Matrix m_data;
  Labels m_rows, m_cols;
  MetadataTable m_row_meta, m_col_meta;
};

} // namespace cimpute
