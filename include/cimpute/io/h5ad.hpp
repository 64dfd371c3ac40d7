/// @file h5ad.hpp
/// @brief AnnData `.h5ad` files (anndata >= 0.7 layout): the matrix with `obs` / `var` tables;
/// read (dense or sparse) and write (dense, the anndata 0.8 encoding).
// requires: HDF5
#pragma once

#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/sparse_labeled_matrix.hpp"
#include "cimpute/io/hdf5.hpp"
#include "cimpute/io/sparse_hdf5.hpp"
#include "cimpute/io/text_file.hpp"

#include <cmath>
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
      // CSR of obs x var = CSC of var x obs (swapped in: Eigen's SparseMatrix copies on
      // assignment).
      Sparse read = detail::read_compressed<Scalar>(file, mpath, n_var, n_obs, path, fn);
      data.swap(read);
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

namespace detail {

inline void h5ad_encoding(hid_t obj, const char* type, const char* version) {
  h5::write_utf8_attribute(obj, "encoding-type", {type}, false);
  h5::write_utf8_attribute(obj, "encoding-version", {version}, false);
}

/// An AnnData dataframe group: the index, then each field as numbers (float64) when every value
/// is a finite number, else as strings.
inline void write_h5ad_frame(hid_t file, const std::string& group,
                             const std::vector<std::string>& index, const MetadataTable& meta) {
  h5::create_groups(file, group);
  h5::Handle g = h5::open_group(file, group, "", "write_h5ad");
  h5ad_encoding(g, "dataframe", "0.2.0");
  h5::write_utf8_attribute(g, "_index", {"_index"}, false);
  std::vector<std::string> order;
  for (const auto& f : meta.field_names())
    if (f != "_index") order.push_back(f);
  h5::write_utf8_attribute(g, "column-order", order, true);
  h5::write_utf8_strings(file, group + "/_index", index);
  {
    h5::Handle d = h5::open_dataset(file, group + "/_index", "", "write_h5ad");
    h5ad_encoding(d, "string-array", "0.2.0");
  }
  for (const auto& f : order) {
    const auto& v = meta.field(f);
    std::vector<double> x(v.size());
    bool numeric = !v.empty();
    for (std::size_t i = 0; i < v.size() && numeric; ++i)
      numeric = parse_double(v[i], x[i]) && std::isfinite(x[i]);
    const std::string path = group + "/" + f;
    if (numeric)
      h5::write_numeric(file, path, x);
    else
      h5::write_utf8_strings(file, path, v);
    h5::Handle d = h5::open_dataset(file, path, "", "write_h5ad");
    h5ad_encoding(d, numeric ? "array" : "string-array", "0.2.0");
  }
}

} // namespace detail

/// Write `m` as an AnnData file (the anndata 0.8 encoding, read by anndata >= 0.8 and scanpy):
/// **transposed** to AnnData's orientation, so the columns of `m` (samples, e.g. imputed pairs)
/// are `obs` with the column metadata as obs columns, and the rows (features) are `var` with
/// the row metadata. `X` is dense float32 (float64 with `float64`); a field whose every value is
/// a finite number is written as a float64 column, others as strings; a field named `_index` is
/// left out. Atomic: written to a temporary file, then renamed.
template <class Scalar>
void write_h5ad(const std::string& path, const LabeledMatrix<Scalar>& m, bool float64 = false) {
  const char* fn = "write_h5ad";
  namespace h5 = detail::h5;
  h5::silence();
  detail::create_file_atomic(path, fn, [&](const std::string& tmp) {
    h5::Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) detail::throw_invalid(fn, "cannot create '", tmp, "'");
    detail::h5ad_encoding(file, "anndata", "0.1.0");
    // Column-major features x samples is row-major samples x features: obs x var as it is.
    const hsize_t dims[2] = {static_cast<hsize_t>(m.cols()), static_cast<hsize_t>(m.rows())};
    h5::Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
    const hid_t ftype = float64 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE;
    h5::Handle d(H5Dcreate2(file, "/X", ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose);
    if (!d.valid() || (m.data().size() > 0 && H5Dwrite(d, h5::native_type<Scalar>(), H5S_ALL,
                                                       H5S_ALL, H5P_DEFAULT, m.data().data()) < 0))
      detail::throw_invalid(fn, "writing the matrix to '", tmp, "' failed");
    detail::h5ad_encoding(d, "array", "0.2.0");
    detail::write_h5ad_frame(file, "/obs", m.col_ids(), m.col_meta());
    detail::write_h5ad_frame(file, "/var", m.row_ids(), m.row_meta());
    for (const char* g : {"/uns", "/obsm", "/varm", "/obsp", "/varp", "/layers"}) {
      h5::create_groups(file, g);
      h5::Handle grp = h5::open_group(file, g, tmp, fn);
      detail::h5ad_encoding(grp, "dict", "0.1.0");
    }
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0)
      detail::throw_invalid(fn, "flushing '", tmp, "' failed");
  });
}

} // namespace cimpute
