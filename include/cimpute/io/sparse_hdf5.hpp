/// @file sparse_hdf5.hpp
/// @brief Compressed sparse arrays (`data`, `indices`, `indptr`) stored in HDF5, as written by
/// 10x Genomics and AnnData; shared by `read_10x_h5` and `read_h5ad`.
// requires: HDF5
#pragma once

#include "cimpute/core/sparse_labeled_matrix.hpp"
#include "cimpute/io/hdf5.hpp"

#include <Eigen/SparseCore>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

namespace cimpute::detail {

/// Read the compressed arrays in `group` as a column-major sparse matrix with `outer` columns
/// (the length of `indptr` minus one) and `inner` rows (the range of `indices`). Validates that
/// `indptr` starts at 0, never decreases and ends at the number of stored values, that indices
/// are in range and not repeated within a column; unsorted columns are sorted.
template <class Scalar>
Eigen::SparseMatrix<Scalar, Eigen::ColMajor, std::int64_t>
read_compressed(hid_t file, const std::string& group, Eigen::Index inner, Eigen::Index outer,
                const std::string& path, const char* fn) {
  h5::Handle d_data = h5::open_dataset(file, group + "/data", path, fn);
  h5::Handle d_ind = h5::open_dataset(file, group + "/indices", path, fn);
  h5::Handle d_ptr = h5::open_dataset(file, group + "/indptr", path, fn);
  // Read straight into the matrix's storage: no second copy of the values and indices.
  using Sparse = Eigen::SparseMatrix<Scalar, Eigen::ColMajor, std::int64_t>;
  Sparse out(inner, outer);
  const hsize_t nnz = h5::numeric_size(d_data, path, group + "/data", fn);
  const std::string where = group + "/indptr";
  if (h5::numeric_size(d_ind, path, group + "/indices", fn) != nnz)
    h5::fail(fn, path, group,
             cat("data has ", nnz, " values but indices has ",
                 h5::numeric_size(d_ind, path, group + "/indices", fn)));
  if (h5::numeric_size(d_ptr, path, where, fn) != hsize_t(outer + 1))
    h5::fail(
        fn, path, where,
        cat("has ", h5::numeric_size(d_ptr, path, where, fn), " entries, expected ", outer + 1));
  out.resizeNonZeros(Eigen::Index(nnz));
  Scalar* values = out.valuePtr();
  std::int64_t* idx = out.innerIndexPtr();
  std::int64_t* ptr = out.outerIndexPtr();
  h5::read_numeric_into(d_data, values, std::size_t(nnz), path, group + "/data", fn);
  h5::read_numeric_into(d_ind, idx, std::size_t(nnz), path, group + "/indices", fn);
  h5::read_numeric_into(d_ptr, ptr, std::size_t(outer + 1), path, where, fn);
  if (ptr[0] != 0 || ptr[outer] != static_cast<std::int64_t>(nnz))
    h5::fail(fn, path, where,
             cat("must run from 0 to ", nnz, ", runs from ", ptr[0], " to ", ptr[outer]));
  std::vector<std::size_t> order;
  for (Eigen::Index j = 0; j < outer; ++j) {
    const std::int64_t b = ptr[std::size_t(j)], e = ptr[std::size_t(j) + 1];
    if (e < b) h5::fail(fn, path, where, cat("decreases at position ", j + 1));
    bool sorted = true;
    for (std::int64_t k = b; k < e; ++k) {
      if (idx[std::size_t(k)] < 0 || idx[std::size_t(k)] >= inner)
        h5::fail(
            fn, path, group + "/indices",
            cat("index ", idx[std::size_t(k)], " at position ", k, " is outside [0, ", inner, ")"));
      if (k > b && idx[std::size_t(k)] <= idx[std::size_t(k) - 1]) sorted = false;
    }
    if (sorted) continue;
    order.resize(std::size_t(e - b));
    std::iota(order.begin(), order.end(), std::size_t(b));
    std::sort(order.begin(), order.end(),
              [&](std::size_t x, std::size_t y) { return idx[x] < idx[y]; });
    std::vector<std::int64_t> si(order.size());
    std::vector<Scalar> sv(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
      si[k] = idx[order[k]];
      sv[k] = values[order[k]];
      if (k > 0 && si[k] == si[k - 1])
        h5::fail(fn, path, group + "/indices", cat("index ", si[k], " repeated in column ", j));
    }
    std::copy(si.begin(), si.end(), idx + b);
    std::copy(sv.begin(), sv.end(), values + b);
  }
  return out;
}

} // namespace cimpute::detail
