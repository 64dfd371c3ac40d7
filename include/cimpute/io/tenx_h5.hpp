/// @file tenx_h5.hpp
/// @brief 10x Genomics HDF5 feature-barcode matrices (`filtered_feature_bc_matrix.h5`, v3).
// requires: HDF5
#pragma once

#include "cimpute/core/sparse_labeled_matrix.hpp"
#include "cimpute/io/hdf5.hpp"
#include "cimpute/io/sparse_hdf5.hpp"

#include <string>
#include <vector>

namespace cimpute {

/// Read a 10x Genomics HDF5 matrix (Cell Ranger >= 3): group `/matrix` with the CSC arrays
/// `data`, `indices`, `indptr`, the `shape` (features, barcodes), `barcodes`, and
/// `features/{id, name, feature_type}`. Rows are features (ids from `features/id`; `name`,
/// `feature_type` and `genome`, when present, as row metadata), columns are barcodes.
/// Throws `invalid_argument` naming the file and dataset for a missing or inconsistent part.
template <class Scalar = double>
SparseLabeledMatrix<Scalar> read_10x_h5(const std::string& path) {
  const char* fn = "read_10x_h5";
  namespace h5 = detail::h5;
  h5::Handle file = h5::open_file(path, fn);
  if (!h5::exists(file, "/matrix"))
    h5::fail(fn, path, "/matrix",
             "missing group (not a Cell Ranger >= 3 feature-barcode matrix; v2 files keep one "
             "group per genome, which is not supported)");
  h5::Handle shape_d = h5::open_dataset(file, "/matrix/shape", path, fn);
  const auto shape = h5::read_numeric<std::int64_t>(shape_d, path, "/matrix/shape", fn);
  if (shape.size() != 2 || shape[0] < 0 || shape[1] < 0)
    h5::fail(fn, path, "/matrix/shape", "expected two non-negative sizes");
  auto strings = [&](const std::string& obj) {
    h5::Handle d = h5::open_dataset(file, obj, path, fn);
    auto v = h5::read_as_strings(d, path, obj, fn);
    return v;
  };
  std::vector<std::string> ids = strings("/matrix/features/id");
  std::vector<std::string> barcodes = strings("/matrix/barcodes");
  if (static_cast<std::int64_t>(ids.size()) != shape[0])
    h5::fail(fn, path, "/matrix/features/id",
             detail::cat(ids.size(), " features for a shape of ", shape[0], " x ", shape[1]));
  if (static_cast<std::int64_t>(barcodes.size()) != shape[1])
    h5::fail(fn, path, "/matrix/barcodes",
             detail::cat(barcodes.size(), " barcodes for a shape of ", shape[0], " x ", shape[1]));
  MetadataTable rm(static_cast<Eigen::Index>(ids.size()));
  for (const char* f : {"name", "feature_type", "genome"}) {
    const std::string obj = std::string("/matrix/features/") + f;
    if (!h5::exists(file, obj)) continue;
    auto v = strings(obj);
    if (v.size() != ids.size())
      h5::fail(fn, path, obj, detail::cat(v.size(), " values for ", ids.size(), " features"));
    rm.add_field(f, std::move(v));
  }
  auto data = detail::read_compressed<Scalar>(file, "/matrix", shape[0], shape[1], path, fn);
  return SparseLabeledMatrix<Scalar>(std::move(data), std::move(ids), std::move(barcodes),
                                     std::move(rm), MetadataTable(shape[1]));
}

} // namespace cimpute
