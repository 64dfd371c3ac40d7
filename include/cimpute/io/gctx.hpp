/// @file gctx.hpp
/// @brief GCTX (the HDF5 form of GCT): read whole files or subsets by id, and write.
// requires: HDF5
#pragma once

#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/io/hdf5.hpp"
#include "cimpute/io/text_file.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

namespace cimpute {

/// Which rows (features) and columns (samples) `read_gctx` reads; an empty list means all.
struct GctxSelection {
  std::vector<std::string> row_ids; ///< row ids to read, in the order wanted
  std::vector<std::string> col_ids; ///< column ids to read, in the order wanted
};

/// A GCTX file's layout without its matrix: ids, metadata and the stored element type.
struct GctxInfo {
  Eigen::Index rows = 0, cols = 0;  ///< features x samples
  std::vector<std::string> row_ids; ///< `/0/META/ROW/id`
  std::vector<std::string> col_ids; ///< `/0/META/COL/id`
  MetadataTable row_meta, col_meta; ///< other datasets of META/ROW and META/COL
  std::string element_type;         ///< "float32", "float64", "int32", ...
  std::string version;              ///< root attribute `version` ("" when absent)
};

/// Options of `write_gctx`.
struct GctxWriteOptions {
  bool float64 = false;      ///< store float64 instead of float32
  int compression = 4;       ///< gzip level 0-9; -1 stores the matrix contiguous, unchunked
  hsize_t chunk_columns = 8; ///< samples per chunk
  /// Features per chunk; 0 (the default): all. cmapPy's writer uses 1000 samples x
  /// 1024 * 256 / 1000 features for float32 (about 1 MB chunks).
  hsize_t chunk_rows = 0;
  /// Throws `invalid_argument` for a level outside [-1, 9] or a zero chunk size.
  void validate() const {
    if (compression < -1 || compression > 9)
      detail::throw_invalid("GctxWriteOptions::validate", "compression must be in [-1, 9], got ",
                            compression);
    if (chunk_columns == 0)
      detail::throw_invalid("GctxWriteOptions::validate", "chunk_columns must be >= 1");
  }
};

namespace detail {

inline const char* h5_type_name(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) return size == 4 ? "float32" : size == 8 ? "float64" : "float";
  if (cls == H5T_INTEGER)
    return size == 4 ? "int32" : size == 8 ? "int64" : size == 2 ? "int16" : "int8";
  return "unsupported";
}

inline MetadataTable read_gctx_meta(hid_t file, const std::string& group, Eigen::Index n,
                                    const std::string& path, const char* fn) {
  MetadataTable meta(n);
  if (!h5::exists(file, group)) return meta;
  h5::Handle g = h5::open_group(file, group, path, fn);
  for (const auto& name : h5::members(g)) {
    if (name == "id") continue;
    const std::string obj = group + "/" + name;
    if (h5::object_type(file, obj) != H5O_TYPE_DATASET) continue;
    h5::Handle d = h5::open_dataset(file, obj, path, fn);
    auto values = h5::read_as_strings(d, path, obj, fn);
    if (static_cast<Eigen::Index>(values.size()) != n)
      h5::fail(fn, path, obj, cat("has ", values.size(), " values, expected ", n));
    meta.add_field(name, std::move(values));
  }
  return meta;
}

inline std::vector<std::string> read_gctx_ids(hid_t file, const std::string& dset,
                                              const std::string& path, const char* fn) {
  h5::Handle d = h5::open_dataset(file, dset, path, fn);
  if (h5::dims(d).size() != 1) h5::fail(fn, path, dset, "ids must be a 1-D dataset");
  return h5::read_as_strings(d, path, dset, fn);
}

/// A dataset access property list whose chunk cache holds every chunk that one sample block
/// of the features [first, first + count) touches (at most 512 MB), so that reading the samples of
/// a chunk one run at a time decompresses each chunk once. Contiguous datasets get the default.
inline h5::Handle gctx_access_plist(hid_t file, const std::string& path, hsize_t first,
                                    hsize_t count, const char* fn) {
  h5::Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  h5::Handle d = h5::open_dataset(file, "/0/DATA/0/matrix", path, fn);
  h5::Handle dcpl(H5Dget_create_plist(d), H5Pclose);
  if (H5Pget_layout(dcpl) != H5D_CHUNKED) return dapl;
  hsize_t chunk[2] = {1, 1};
  if (H5Pget_chunk(dcpl, 2, chunk) != 2 || chunk[0] == 0 || chunk[1] == 0) return dapl;
  h5::Handle type(H5Dget_type(d), H5Tclose);
  const hsize_t across = (first % chunk[1] + count + chunk[1] - 1) / chunk[1] + 1;
  const double bytes =
      double(chunk[0]) * double(chunk[1]) * double(H5Tget_size(type)) * double(across) * 1.25;
  const double cap = 512.0 * 1024 * 1024;
  if (bytes > 1024.0 * 1024) // HDF5's default cache holds 1 MB
    H5Pset_chunk_cache(dapl, 100003, std::size_t(std::min(bytes, cap)), 1.0);
  return dapl;
}

/// Read the features `rows` and samples `cols` (positions, each unique and in range, any order)
/// of the transposed HDF5 matrix into `out` (rows.size() x cols.size(), in the given orders).
/// Samples are read in file order, in batches of at most 64 MB of the features' range
/// [min(rows), max(rows)], so memory beyond `out` stays bounded.
template <class Scalar>
void read_gctx_block(const std::string& path, const std::vector<Eigen::Index>& rows,
                     const std::vector<Eigen::Index>& cols,
                     Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>& out, const char* fn) {
  out.resize(Eigen::Index(rows.size()), Eigen::Index(cols.size()));
  if (rows.empty() || cols.empty()) return;
  const Eigen::Index rmin = *std::min_element(rows.begin(), rows.end());
  const Eigen::Index rspan = *std::max_element(rows.begin(), rows.end()) - rmin + 1;
  const bool all_rows =
      Eigen::Index(rows.size()) == rspan && std::is_sorted(rows.begin(), rows.end());
  std::vector<std::size_t> order(cols.size());
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return cols[a] < cols[b]; });
  h5::Handle file = h5::open_file(path, fn);
  h5::Handle dapl = gctx_access_plist(file, path, hsize_t(rmin), hsize_t(rspan), fn);
  h5::Handle d(H5Dopen2(file, "/0/DATA/0/matrix", dapl), H5Dclose);
  if (!d.valid()) h5::fail(fn, path, "/0/DATA/0/matrix", "cannot open the matrix");
  h5::Handle fspace(H5Dget_space(d), H5Sclose);
  const std::size_t max_run =
      std::max<std::size_t>(1, (std::size_t(64) << 20) / (sizeof(Scalar) * std::size_t(rspan)));
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> buf;
  // Batches of runs of consecutive samples (at most max_run samples, 1024 runs): one H5Dread
  // per batch, its runs OR-ed into one selection, so that HDF5 maps the batch onto the chunks
  // once (a read per run costs time in proportion to the file's chunks, HDF5 1.10).
  std::size_t k = 0;
  while (k < order.size()) {
    H5Sselect_none(fspace);
    std::size_t taken = 0, runs = 0;
    while (k + taken < order.size() && taken < max_run && runs < 1024) {
      const std::size_t first = k + taken;
      std::size_t run = 1;
      while (first + run < order.size() && taken + run < max_run &&
             cols[order[first + run]] == cols[order[first]] + static_cast<Eigen::Index>(run))
        ++run;
      const hsize_t start[2] = {static_cast<hsize_t>(cols[order[first]]),
                                static_cast<hsize_t>(rmin)};
      const hsize_t count[2] = {static_cast<hsize_t>(run), static_cast<hsize_t>(rspan)};
      H5Sselect_hyperslab(fspace, H5S_SELECT_OR, start, nullptr, count, nullptr);
      taken += run;
      ++runs;
    }
    // The selection's elements in file order: sample after sample, rspan features each.
    const hsize_t mcount[2] = {static_cast<hsize_t>(taken), static_cast<hsize_t>(rspan)};
    h5::Handle mspace(H5Screate_simple(2, mcount, nullptr), H5Sclose);
    buf.resize(rspan, Eigen::Index(taken)); // column-major features x samples
    if (H5Dread(d, h5::native_type<Scalar>(), mspace, fspace, H5P_DEFAULT, buf.data()) < 0)
      h5::fail(fn, path, "/0/DATA/0/matrix", "reading the matrix failed");
    for (std::size_t i = 0; i < taken; ++i) {
      const Eigen::Index dst = Eigen::Index(order[k + i]);
      if (all_rows)
        out.col(dst) = buf.col(Eigen::Index(i));
      else
        for (std::size_t r = 0; r < rows.size(); ++r)
          out(Eigen::Index(r), dst) = buf(rows[r] - rmin, Eigen::Index(i));
    }
    k += taken;
  }
}

} // namespace detail

/// Ids, metadata and layout of a GCTX file, without reading its matrix. Throws
/// `invalid_argument` naming the file and the HDF5 object for a missing or malformed part, and
/// for a file that is not HDF5 (a text GCT named `.gctx` is recognised as such).
inline GctxInfo read_gctx_info(const std::string& path) {
  const char* fn = "read_gctx";
  namespace h5 = detail::h5;
  h5::Handle file = h5::open_file(path, fn);
  GctxInfo info;
  h5::Handle d = h5::open_dataset(file, "/0/DATA/0/matrix", path, fn);
  const auto dims = h5::dims(d);
  if (dims.size() != 2) h5::fail(fn, path, "/0/DATA/0/matrix", "expected a 2-D dataset");
  h5::Handle type(H5Dget_type(d), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    h5::fail(fn, path, "/0/DATA/0/matrix", "expected a numeric matrix");
  info.element_type = detail::h5_type_name(type);
  info.cols = static_cast<Eigen::Index>(dims[0]);
  info.rows = static_cast<Eigen::Index>(dims[1]);
  info.row_ids = detail::read_gctx_ids(file, "/0/META/ROW/id", path, fn);
  info.col_ids = detail::read_gctx_ids(file, "/0/META/COL/id", path, fn);
  if (static_cast<Eigen::Index>(info.row_ids.size()) != info.rows)
    h5::fail(fn, path, "/0/META/ROW/id",
             detail::cat(info.row_ids.size(), " row ids for a matrix stored as ", dims[0], " x ",
                         dims[1], " (samples x features), i.e. ", info.rows, " rows"));
  if (static_cast<Eigen::Index>(info.col_ids.size()) != info.cols)
    h5::fail(fn, path, "/0/META/COL/id",
             detail::cat(info.col_ids.size(), " column ids for a matrix stored as ", dims[0], " x ",
                         dims[1], " (samples x features), i.e. ", info.cols, " columns"));
  info.row_meta = detail::read_gctx_meta(file, "/0/META/ROW", info.rows, path, fn);
  info.col_meta = detail::read_gctx_meta(file, "/0/META/COL", info.cols, path, fn);
  info.version = h5::string_attribute(file, "version", path, "/", fn).value_or("");
  return info;
}

/// The features `rows` and samples `cols` (positions, unique and in range, in the order wanted)
/// of the GCTX file at `path`, whose layout `info` was read by `read_gctx_info` (its metadata
/// possibly extended, e.g. by `join_sidecar`): only these samples, and the features between the
/// first and last selected one, are read from disk. Throws `invalid_argument` for a position out
/// of range or repeated.
template <class Scalar = double>
LabeledMatrix<Scalar> read_gctx(const std::string& path, const GctxInfo& info,
                                const std::vector<Eigen::Index>& rows,
                                const std::vector<Eigen::Index>& cols) {
  static_assert(std::is_floating_point<Scalar>::value, "read_gctx: Scalar must be float or double");
  const char* fn = "read_gctx";
  auto check = [&](const std::vector<Eigen::Index>& idx, Eigen::Index n, const char* what) {
    std::vector<char> seen(std::size_t(n), 0);
    for (Eigen::Index i : idx) {
      if (i < 0 || i >= n)
        detail::throw_invalid(fn, path, ": ", what, " position ", i, " is outside [0, ", n, ")");
      if (seen[std::size_t(i)]++)
        detail::throw_invalid(fn, path, ": ", what, " position ", i, " is selected twice");
    }
  };
  check(rows, info.rows, "row");
  check(cols, info.cols, "column");
  if (Eigen::Index(info.row_ids.size()) != info.rows || info.row_meta.size() != info.rows ||
      Eigen::Index(info.col_ids.size()) != info.cols || info.col_meta.size() != info.cols)
    detail::throw_invalid(fn, path, ": the layout's ids or metadata do not match its shape");
  typename LabeledMatrix<Scalar>::Matrix data;
  detail::read_gctx_block(path, rows, cols, data, fn);
  std::vector<std::string> rid, cid;
  for (Eigen::Index i : rows) rid.push_back(info.row_ids[std::size_t(i)]);
  for (Eigen::Index j : cols) cid.push_back(info.col_ids[std::size_t(j)]);
  return LabeledMatrix<Scalar>(std::move(data), std::move(rid), std::move(cid),
                               info.row_meta.select(rows), info.col_meta.select(cols));
}

/// Read a subset of a GCTX file by ids: only the selected samples (and the features between the
/// first and last selected one) are read from disk, one hyperslab per run of consecutive samples.
/// The result follows the requested order; unknown or repeated ids throw `invalid_argument` naming
/// the id. Rows are features, columns samples (the HDF5 matrix is stored transposed).
template <class Scalar = double>
LabeledMatrix<Scalar> read_gctx(const std::string& path, const GctxSelection& sel) {
  static_assert(std::is_floating_point<Scalar>::value, "read_gctx: Scalar must be float or double");
  const char* fn = "read_gctx";
  GctxInfo info = read_gctx_info(path);
  const Labels rows(info.row_ids, "row id"), cols(info.col_ids, "column id");
  auto pick = [&](const Labels& all, const std::vector<std::string>& want, const char* what) {
    std::vector<Eigen::Index> idx;
    if (want.empty()) {
      idx.resize(static_cast<std::size_t>(all.size()));
      std::iota(idx.begin(), idx.end(), Eigen::Index(0));
      return idx;
    }
    Labels check(want, what); // rejects repeats
    for (const auto& id : want) {
      const Eigen::Index k = all.find(id);
      if (k < 0) detail::throw_invalid(fn, path, ": no ", what, " '", id, "' in the file");
      idx.push_back(k);
    }
    return idx;
  };
  const std::vector<Eigen::Index> ri = pick(rows, sel.row_ids, "row id");
  const std::vector<Eigen::Index> ci = pick(cols, sel.col_ids, "column id");
  return read_gctx<Scalar>(path, info, ri, ci);
}

/// Read a whole GCTX file (float32, float64 or int32 matrix; string, int64 or float64 ids and
/// metadata; `version` attribute scalar, 1-element array or absent). Rows are features, columns
/// samples. Errors as for `read_gctx_info`.
template <class Scalar = double>
LabeledMatrix<Scalar> read_gctx(const std::string& path) {
  return read_gctx<Scalar>(path, GctxSelection{});
}

/// Write `m` as GCTX 1.0: the matrix transposed at `/0/DATA/0/matrix` (float32 unless
/// `opt.float64`; chunked by `opt.chunk_columns` samples x `opt.chunk_rows` features and
/// gzip-compressed at level
/// `opt.compression`, or contiguous with -1), ids and metadata as fixed-length strings, root
/// attribute `version` = "GCTX1.0". Atomic: written to a temporary file, then renamed.
template <class Scalar>
void write_gctx(const std::string& path, const LabeledMatrix<Scalar>& m,
                const GctxWriteOptions& opt = {}) {
  const char* fn = "write_gctx";
  opt.validate();
  namespace h5 = detail::h5;
  h5::silence();
  detail::create_file_atomic(path, fn, [&](const std::string& tmp) {
    h5::Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) detail::throw_invalid(fn, "cannot create '", tmp, "'");
    h5::write_string_attribute(file, "version", "GCTX1.0");
    h5::create_groups(file, "/0/DATA/0");
    h5::create_groups(file, "/0/META/ROW");
    h5::create_groups(file, "/0/META/COL");
    const hsize_t dims[2] = {static_cast<hsize_t>(m.cols()), static_cast<hsize_t>(m.rows())};
    h5::Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    if (opt.compression >= 0 && m.rows() > 0 && m.cols() > 0) {
      const hsize_t chunk[2] = {std::min<hsize_t>(opt.chunk_columns, dims[0]),
                                opt.chunk_rows == 0 ? dims[1]
                                                    : std::min<hsize_t>(opt.chunk_rows, dims[1])};
      H5Pset_chunk(dcpl, 2, chunk);
      if (opt.compression > 0) H5Pset_deflate(dcpl, static_cast<unsigned>(opt.compression));
    }
    const hid_t ftype = opt.float64 ? H5T_IEEE_F64LE : H5T_IEEE_F32LE;
    h5::Handle d(H5Dcreate2(file, "/0/DATA/0/matrix", ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                 H5Dclose);
    if (!d.valid()) detail::throw_invalid(fn, "cannot create the matrix dataset in '", tmp, "'");
    // Column-major features x samples is row-major samples x features: written as it is.
    if (m.data().size() > 0 &&
        H5Dwrite(d, h5::native_type<Scalar>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, m.data().data()) < 0)
      detail::throw_invalid(fn, "writing the matrix to '", tmp, "' failed");
    h5::write_strings(file, "/0/META/ROW/id", m.row_ids());
    h5::write_strings(file, "/0/META/COL/id", m.col_ids());
    for (const auto& f : m.row_meta().field_names())
      h5::write_strings(file, "/0/META/ROW/" + f, m.row_meta().field(f));
    for (const auto& f : m.col_meta().field_names())
      h5::write_strings(file, "/0/META/COL/" + f, m.col_meta().field(f));
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0)
      detail::throw_invalid(fn, "flushing '", tmp, "' failed");
  });
}

} // namespace cimpute
