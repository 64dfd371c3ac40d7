/// @file h5ad.hpp
/// @brief AnnData `.h5ad` files (anndata >= 0.7 layout): the matrix with `obs` / `var` tables.
// requires: HDF5
#pragma once

#include "cimpute/core/sparse_labeled_matrix.hpp"
#include "cimpute/io/hdf5.hpp"
#include "cimpute/io/sparse_hdf5.hpp"

#include <string>
#include <vector>

namespace cimpute {

/// Options of `read_h5ad`.
struct H5adOptions {
  /// The matrix to read: "X" (default), "raw/X" (with `raw/var` as the feature table), or
  /// "layers/NAME".
  std::string matrix = "X";
  /// Throws `invalid_argument` for anything else.
  void validate() const {
    if (matrix != "X" && matrix != "raw/X" && matrix.rfind("layers/", 0) != 0)
      detail::throw_invalid("H5adOptions::validate",
                            "matrix must be X, raw/X or layers/NAME, got '", matrix, "'");
  }
};

namespace detail {

/// Read an AnnData dataframe group: its index (named by the `_index` attribute) and the columns
/// listed in `column-order`, categoricals decoded (code -1 becomes an empty, i.e. missing,
/// value), nullable columns with their mask applied, numbers formatted, booleans true / false.
inline MetadataTable read_h5ad_frame(hid_t file, const std::string& group,
                                     std::vector<std::string>& index, const std::string& path,
                                     const char* fn) {
  h5::Handle g = h5::open_group(file, group, path, fn);
  const std::string index_name =
      h5::string_attribute(g, "_index", path, group, fn).value_or("_index");
  {
    h5::Handle d = h5::open_dataset(file, group + "/" + index_name, path, fn);
    index = h5::read_as_strings(d, path, group + "/" + index_name, fn);
  }
  MetadataTable meta(static_cast<Eigen::Index>(index.size()));
  for (const auto& col : h5::string_array_attribute(g, "column-order", path, group, fn)) {
    const std::string obj = group + "/" + col;
    std::vector<std::string> values;
    const H5O_type_t t = h5::object_type(file, obj);
    if (t == H5O_TYPE_DATASET) {
      h5::Handle d = h5::open_dataset(file, obj, path, fn);
      values = h5::read_as_strings(d, path, obj, fn);
    } else if (t == H5O_TYPE_GROUP && h5::exists(file, obj + "/codes")) {
      h5::Handle dc = h5::open_dataset(file, obj + "/codes", path, fn);
      h5::Handle dk = h5::open_dataset(file, obj + "/categories", path, fn);
      const auto codes = h5::read_numeric<std::int64_t>(dc, path, obj + "/codes", fn);
      const auto cats = h5::read_as_strings(dk, path, obj + "/categories", fn);
      values.reserve(codes.size());
      for (std::size_t i = 0; i < codes.size(); ++i) {
        if (codes[i] < -1 || codes[i] >= static_cast<std::int64_t>(cats.size()))
          h5::fail(fn, path, obj + "/codes",
                   cat("code ", codes[i], " at position ", i, " has no category (", cats.size(),
                       " categories)"));
        values.push_back(codes[i] < 0 ? std::string() : cats[std::size_t(codes[i])]);
      }
    } else if (t == H5O_TYPE_GROUP && h5::exists(file, obj + "/values")) {
      h5::Handle dv = h5::open_dataset(file, obj + "/values", path, fn);
      values = h5::read_as_strings(dv, path, obj + "/values", fn);
      if (h5::exists(file, obj + "/mask")) {
        h5::Handle dm = h5::open_dataset(file, obj + "/mask", path, fn);
        const auto mask = h5::read_numeric<std::int64_t>(dm, path, obj + "/mask", fn);
        for (std::size_t i = 0; i < mask.size() && i < values.size(); ++i)
          if (mask[i]) values[i].clear();
      }
    } else {
      h5::fail(fn, path, obj, "column listed in column-order is missing or of an unknown kind");
    }
    if (values.size() != index.size())
      h5::fail(fn, path, obj, cat(values.size(), " values for ", index.size(), " rows"));
    meta.add_field(col, std::move(values));
  }
  return meta;
}

} // namespace detail

/// Read an AnnData file. **Orientation:** AnnData stores cells x genes (`obs` x `var`); cimpute's
/// convention is features x samples, so the result is the transpose: rows are the `var` entries
/// (ids from the var index, var columns as row metadata), columns are the cells (obs index,
/// obs columns as column metadata).
///
/// The matrix may be a dense 2-D dataset, or a group with `encoding-type` `csr_matrix` /
/// `csc_matrix` (or the older `h5sparse_format` attribute) holding `data`, `indices`, `indptr`
/// and a `shape` attribute. Throws `invalid_argument` naming the file and HDF5 object for a
/// missing or inconsistent part, and for a file that is not HDF5.
template <class Scalar = double>
SparseLabeledMatrix<Scalar> read_h5ad(const std::string& path, const H5adOptions& opt = {}) {
  const char* fn = "read_h5ad";
  namespace h5 = detail::h5;
  opt.validate();
  h5::Handle file = h5::open_file(path, fn);
  const std::string var_group = opt.matrix == "raw/X" ? "/raw/var" : "/var";
  std::vector<std::string> obs, var;
  MetadataTable obs_meta = detail::read_h5ad_frame(file, "/obs", obs, path, fn);
  MetadataTable var_meta = detail::read_h5ad_frame(file, var_group, var, path, fn);
  const Eigen::Index n_obs = static_cast<Eigen::Index>(obs.size());
  const Eigen::Index n_var = static_cast<Eigen::Index>(var.size());
  const std::string mpath = "/" + opt.matrix;
  using Sparse = typename SparseLabeledMatrix<Scalar>::SparseMatrix;
  Sparse data;
  const H5O_type_t t = h5::object_type(file, mpath);
  if (t == H5O_TYPE_DATASET) {
    h5::Handle d = h5::open_dataset(file, mpath, path, fn);
    const auto dims = h5::dims(d);
    if (dims.size() != 2 || Eigen::Index(dims[0]) != n_obs || Eigen::Index(dims[1]) != n_var)
      h5::fail(fn, path, mpath,
               detail::cat("expected a ", n_obs, " x ", n_var, " (obs x var) dense matrix"));
    // Row-major obs x var in the file is column-major var x obs in memory.
    Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> dense(n_var, n_obs);
    if (dense.size() > 0 &&
        H5Dread(d, h5::native_type<Scalar>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, dense.data()) < 0)
      h5::fail(fn, path, mpath, "reading the matrix failed");
    data = dense.sparseView(Scalar(0), Scalar(0));
  } else if (t == H5O_TYPE_GROUP) {
    h5::Handle g = h5::open_group(file, mpath, path, fn);
    std::string enc = h5::string_attribute(g, "encoding-type", path, mpath, fn).value_or("");
    if (enc.empty()) enc = h5::string_attribute(g, "h5sparse_format", path, mpath, fn).value_or("");
    std::vector<std::int64_t> shape = h5::int_array_attribute(g, "shape");
    if (shape.empty()) shape = h5::int_array_attribute(g, "h5sparse_shape");
    if (shape.size() != 2 || shape[0] != n_obs || shape[1] != n_var)
      h5::fail(fn, path, mpath,
               detail::cat("shape attribute must be (", n_obs, ", ", n_var, ") = (obs, var)"));
    if (enc == "csr_matrix" || enc == "csr") {
      // CSR of obs x var = CSC of var x obs.
      data = detail::read_compressed<Scalar>(file, mpath, n_var, n_obs, path, fn);
    } else if (enc == "csc_matrix" || enc == "csc") {
      data =
          Sparse(detail::read_compressed<Scalar>(file, mpath, n_obs, n_var, path, fn).transpose());
    } else {
      h5::fail(fn, path, mpath, detail::cat("unsupported encoding-type '", enc, "'"));
    }
  } else {
    h5::fail(fn, path, mpath, "missing matrix");
  }
  data.makeCompressed();
  return SparseLabeledMatrix<Scalar>(std::move(data), std::move(var), std::move(obs),
                                     std::move(var_meta), std::move(obs_meta));
}

} // namespace cimpute
