/// @file format.hpp
/// @brief Which file format a path holds: by extension, confirmed or decided by the first bytes.
#pragma once

#include "cimpute/core/errors.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>

namespace cimpute {

/// The file formats cimpute reads.
enum class FileFormat {
  Gct,        ///< GCT 1.2 / 1.3 text matrix
  Gctx,       ///< GCTX (HDF5)
  Table,      ///< delimited table (CSV / TSV), one row per sample
  Mtx,        ///< Matrix Market file (`.mtx`, `.mtx.gz`)
  TenxMtxDir, ///< a 10x folder with `matrix.mtx[.gz]`, features / genes and barcodes
  TenxH5,     ///< 10x Genomics HDF5 (`filtered_feature_bc_matrix.h5`)
  H5ad        ///< AnnData (HDF5)
};

/// A short lower-case name of a format ("gct", "gctx", "table", "mtx", "10x-mtx", "10x-h5",
/// "h5ad").
inline const char* to_string(FileFormat f) noexcept {
  switch (f) {
  case FileFormat::Gct:
    return "gct";
  case FileFormat::Gctx:
    return "gctx";
  case FileFormat::Table:
    return "table";
  case FileFormat::Mtx:
    return "mtx";
  case FileFormat::TenxMtxDir:
    return "10x-mtx";
  case FileFormat::TenxH5:
    return "10x-h5";
  case FileFormat::H5ad:
    return "h5ad";
  }
  return "unknown";
}

namespace detail {
inline bool ends_with(const std::string& s, const std::string& suffix) {
  if (suffix.size() > s.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}
/// The first n bytes of a file (fewer when the file is shorter).
inline std::string file_head(const std::string& path, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_invalid("detect_format", "cannot open '", path, "'");
  std::string buf(n, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(n));
  buf.resize(static_cast<std::size_t>(in.gcount()));
  return buf;
}
} // namespace detail

/// The format of `path`. Folders are 10x Matrix Market folders; files are classified by
/// extension (`.gct`, `.gctx`, `.h5ad`, `.h5`, `.mtx[.gz]`, `.csv`/`.tsv`/`.txt[.gz]`), and files
/// with another extension by their first bytes (`#1.2`/`#1.3` GCT, `%%MatrixMarket`, otherwise a
/// table). A file whose content contradicts its extension is left to the reader, which says so.
/// Throws `invalid_argument` when the path does not exist, or for an HDF5 file with an unknown
/// extension (its layout decides between GCTX, h5ad and 10x HDF5; rename it).
inline FileFormat detect_format(const std::string& path) {
  namespace fs = std::filesystem;
  if (!fs::exists(path))
    detail::throw_invalid("detect_format", "no such file or folder '", path, "'");
  if (fs::is_directory(path)) {
    for (const char* m : {"matrix.mtx", "matrix.mtx.gz"})
      if (fs::exists(fs::path(path) / m)) return FileFormat::TenxMtxDir;
    detail::throw_invalid("detect_format", "folder '", path,
                          "' holds no matrix.mtx or matrix.mtx.gz (expected a 10x folder)");
  }
  using detail::ends_with;
  if (ends_with(path, ".gct")) return FileFormat::Gct;
  if (ends_with(path, ".gctx")) return FileFormat::Gctx;
  if (ends_with(path, ".h5ad")) return FileFormat::H5ad;
  if (ends_with(path, ".h5")) return FileFormat::TenxH5;
  if (ends_with(path, ".mtx") || ends_with(path, ".mtx.gz")) return FileFormat::Mtx;
  for (const char* e : {".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz"})
    if (ends_with(path, e)) return FileFormat::Table;
  const std::string head = detail::file_head(path, 16);
  if (head.rfind("\x89HDF\r\n\x1a\n", 0) == 0)
    detail::throw_invalid(
        "detect_format", "'", path,
        "' is an HDF5 file with an unknown extension: name it .gctx, .h5ad or .h5");
  if (head.rfind("#1.2", 0) == 0 || head.rfind("#1.3", 0) == 0) return FileFormat::Gct;
  if (head.rfind("%%MatrixMarket", 0) == 0) return FileFormat::Mtx;
  return FileFormat::Table;
}

/// The format the signature writers (`write_gct`, `write_gctx`, `write_h5ad`) produce for
/// `path`, by its extension (`.gct`, `.gctx`, `.h5ad`, any case): what the front ends write when
/// no format is named. Throws `invalid_argument` naming the path for any other extension.
inline FileFormat written_format(const std::string& path) {
  using detail::ends_with;
  if (ends_with(path, ".gct")) return FileFormat::Gct;
  if (ends_with(path, ".gctx")) return FileFormat::Gctx;
  if (ends_with(path, ".h5ad")) return FileFormat::H5ad;
  detail::throw_invalid("written_format", "'", path,
                        "' does not end in .gct, .gctx or .h5ad (the formats written)");
}

} // namespace cimpute
