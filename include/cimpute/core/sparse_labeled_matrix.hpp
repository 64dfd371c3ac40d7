/// @file sparse_labeled_matrix.hpp
/// @brief `SparseLabeledMatrix`: a sparse (CSC) matrix with row/column ids and metadata — what the
/// single-cell readers (10x Matrix Market, 10x HDF5, sparse h5ad) return.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/labels.hpp"
#include "cimpute/core/metadata_table.hpp"

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// A sparse `rows() x cols()` matrix (column-major compressed storage) with unique row ids, unique
/// column ids and a metadata table per axis. Rows are features (genes), columns are cells.
template <class Scalar_ = double>
class SparseLabeledMatrix {
public:
  using Scalar = Scalar_;
  using SparseMatrix = Eigen::SparseMatrix<Scalar, Eigen::ColMajor, std::int64_t>;

  SparseLabeledMatrix() = default;
  /// From a matrix taken over without a copy (Eigen 3.4's SparseMatrix has no move constructor:
  /// it is swapped in), its ids and metadata. Throws when the sizes disagree.
  SparseLabeledMatrix(SparseMatrix&& data, std::vector<std::string> row_ids,
                      std::vector<std::string> col_ids, MetadataTable row_meta,
                      MetadataTable col_meta)
      : m_rows(std::move(row_ids), "row id"), m_cols(std::move(col_ids), "column id"),
        m_row_meta(std::move(row_meta)), m_col_meta(std::move(col_meta)) {
    m_data.swap(data);
    detail::check_axes("SparseLabeledMatrix", m_data.rows(), m_data.cols(), m_rows, m_cols,
                       m_row_meta, m_col_meta);
  }
  /// As above, copying the matrix.
  SparseLabeledMatrix(const SparseMatrix& data, std::vector<std::string> row_ids,
                      std::vector<std::string> col_ids, MetadataTable row_meta,
                      MetadataTable col_meta)
      : SparseLabeledMatrix(SparseMatrix(data), std::move(row_ids), std::move(col_ids),
                            std::move(row_meta), std::move(col_meta)) {}
  SparseLabeledMatrix(const SparseLabeledMatrix&) = default;
  SparseLabeledMatrix& operator=(const SparseLabeledMatrix&) = default;
  /// Moves (the matrix is swapped: Eigen 3.4's SparseMatrix would copy on a move).
  SparseLabeledMatrix(SparseLabeledMatrix&& o) noexcept
      : m_rows(std::move(o.m_rows)), m_cols(std::move(o.m_cols)),
        m_row_meta(std::move(o.m_row_meta)), m_col_meta(std::move(o.m_col_meta)) {
    m_data.swap(o.m_data);
  }
  SparseLabeledMatrix& operator=(SparseLabeledMatrix&& o) noexcept {
    if (this == &o) return *this;
    m_data.swap(o.m_data);
    o.m_data = SparseMatrix(); // the moved-from object is empty, not holding our old matrix
    m_rows = std::move(o.m_rows);
    m_cols = std::move(o.m_cols);
    m_row_meta = std::move(o.m_row_meta);
    m_col_meta = std::move(o.m_col_meta);
    return *this;
  }

  Eigen::Index rows() const noexcept { return m_data.rows(); }
  Eigen::Index cols() const noexcept { return m_data.cols(); }
  /// Number of stored entries.
  Eigen::Index nonzeros() const noexcept { return m_data.nonZeros(); }
  const SparseMatrix& data() const noexcept { return m_data; }
  /// Moves the matrix out without copying it (e.g. to transform it and build a new object); the
  /// object keeps its labels and an empty matrix, fit only to be assigned to.
  SparseMatrix release_data() && {
    SparseMatrix out;
    out.swap(m_data);
    return out;
  }
  const std::vector<std::string>& row_ids() const noexcept { return m_rows.ids(); }
  const std::vector<std::string>& col_ids() const noexcept { return m_cols.ids(); }
  const Labels& row_labels() const noexcept { return m_rows; }
  const Labels& col_labels() const noexcept { return m_cols; }
  const MetadataTable& row_meta() const noexcept { return m_row_meta; }
  const MetadataTable& col_meta() const noexcept { return m_col_meta; }
  /// The transpose (cells x features when the matrix is features x cells).
  SparseLabeledMatrix transposed() const {
    SparseMatrix t = m_data.transpose();
    return SparseLabeledMatrix(std::move(t), col_ids(), row_ids(), m_col_meta, m_row_meta);
  }
  /// The dense copy, ids and metadata kept.
  LabeledMatrix<Scalar> to_dense() const {
    typename LabeledMatrix<Scalar>::Matrix d = m_data.toDense();
    return LabeledMatrix<Scalar>(std::move(d), row_ids(), col_ids(), m_row_meta, m_col_meta);
  }

private:
  SparseMatrix m_data;
  Labels m_rows, m_cols;
  MetadataTable m_row_meta, m_col_meta;
};

} // namespace cimpute
