/// @file hdf5.hpp
/// @brief Thin RAII layer over the HDF5 C API shared by the GCTX, h5ad and 10x HDF5 readers.
// requires: HDF5
#pragma once

#include "cimpute/core/config.hpp"
#include "cimpute/core/errors.hpp"

#if !CIMPUTE_HAS_HDF5
#error "cimpute/io/hdf5.hpp needs the HDF5 component (CMake option CIMPUTE_WITH_HDF5)"
#endif

#include <hdf5.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace cimpute::detail::h5 {

/// Owns one HDF5 identifier and closes it with the matching H5*close function.
class Handle {
public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : m_id(id), m_close(close) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : m_id(o.m_id), m_close(o.m_close) { o.m_id = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      m_id = o.m_id;
      m_close = o.m_close;
      o.m_id = -1;
    }
    return *this;
  }
  ~Handle() { reset(); }
  hid_t get() const noexcept { return m_id; }
  operator hid_t() const noexcept { return m_id; }
  bool valid() const noexcept { return m_id >= 0; }
  void reset() noexcept {
    if (m_id >= 0 && m_close) m_close(m_id);
    m_id = -1;
  }

private:
  hid_t m_id = -1;
  Closer m_close = nullptr;
};

/// Turn off HDF5's automatic error printing (library code never prints); done once.
inline void silence() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

/// Throw `invalid_argument` "fn: file: object: message".
[[noreturn]] inline void fail(const char* fn, const std::string& file, const std::string& object,
                              const std::string& message) {
  throw_invalid(fn, file, object.empty() ? "" : ": ", object, ": ", message);
}

/// True when the file starts with the HDF5 signature.
inline bool has_signature(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char buf[8] = {};
  in.read(buf, 8);
  return in.gcount() == 8 && std::string(buf, 8) == std::string("\x89HDF\r\n\x1a\n", 8);
}

/// Open an HDF5 file read-only. A missing file, or a text file (e.g. a GCT named `.gctx`), gets a
/// clear error.
inline Handle open_file(const std::string& path, const char* fn) {
  silence();
  if (!std::filesystem::exists(path)) fail(fn, path, "", "no such file");
  if (!has_signature(path)) {
    std::ifstream in(path, std::ios::binary);
    std::string head(4, '\0');
    in.read(head.data(), 4);
    if (head == "#1.2" || head == "#1.3")
      fail(fn, path, "", "not an HDF5 file: it is a text GCT file (read it with read_gct)");
    fail(fn, path, "", "not an HDF5 file (no HDF5 signature)");
  }
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) fail(fn, path, "", "HDF5 cannot open the file");
  return Handle(id, H5Fclose);
}

/// True when `path` (absolute or relative to `loc`) names an existing link, every intermediate
/// group included.
inline bool exists(hid_t loc, const std::string& path) {
  std::size_t pos = path[0] == '/' ? 1 : 0;
  while (true) {
    const std::size_t slash = path.find('/', pos);
    const std::string prefix = path.substr(0, slash);
    if (prefix.empty() || prefix == "/") return true;
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) return true;
    pos = slash + 1;
  }
}

/// The kind of the object at `path` (H5O_TYPE_GROUP, H5O_TYPE_DATASET, or H5O_TYPE_UNKNOWN when
/// absent).
inline H5O_type_t object_type(hid_t loc, const std::string& path) {
  if (!exists(loc, path)) return H5O_TYPE_UNKNOWN;
  H5O_info_t info;
  if (H5Oget_info_by_name(loc, path.c_str(), &info, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
  return info.type;
}

inline Handle open_group(hid_t loc, const std::string& path, const std::string& file,
                         const char* fn) {
  if (object_type(loc, path) != H5O_TYPE_GROUP) fail(fn, file, path, "missing group");
  const hid_t id = H5Gopen2(loc, path.c_str(), H5P_DEFAULT);
  if (id < 0) fail(fn, file, path, "cannot open group");
  return Handle(id, H5Gclose);
}

inline Handle open_dataset(hid_t loc, const std::string& path, const std::string& file,
                           const char* fn) {
  if (object_type(loc, path) != H5O_TYPE_DATASET) fail(fn, file, path, "missing dataset");
  const hid_t id = H5Dopen2(loc, path.c_str(), H5P_DEFAULT);
  if (id < 0) fail(fn, file, path, "cannot open dataset");
  return Handle(id, H5Dclose);
}

/// Dimensions of a dataset (empty for a scalar).
inline std::vector<hsize_t> dims(hid_t dset) {
  Handle space(H5Dget_space(dset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> d(static_cast<std::size_t>(rank > 0 ? rank : 0));
  if (rank > 0) H5Sget_simple_extent_dims(space, d.data(), nullptr);
  return d;
}

/// Names of the links in a group, in HDF5's name order.
inline std::vector<std::string> members(hid_t group) {
  H5G_info_t info;
  H5Gget_info(group, &info);
  std::vector<std::string> out;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n =
        H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string name(static_cast<std::size_t>(n), '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(),
                       static_cast<std::size_t>(n) + 1, H5P_DEFAULT);
    out.push_back(std::move(name));
  }
  return out;
}

/// The HDF5 memory type of a C++ arithmetic type.
template <class T>
hid_t native_type() {
  if constexpr (std::is_same_v<T, float>)
    return H5T_NATIVE_FLOAT;
  else if constexpr (std::is_same_v<T, double>)
    return H5T_NATIVE_DOUBLE;
  else if constexpr (std::is_same_v<T, std::int32_t>)
    return H5T_NATIVE_INT32;
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return H5T_NATIVE_INT64;
  else if constexpr (std::is_same_v<T, std::int8_t>)
    return H5T_NATIVE_INT8;
  else
    static_assert(sizeof(T) == 0, "cimpute::detail::h5::native_type: unsupported type");
}

/// The number of values of a numeric dataset (its extents' product); throws for a non-numeric
/// one.
inline hsize_t numeric_size(hid_t dset, const std::string& file, const std::string& object,
                            const char* fn) {
  Handle type(H5Dget_type(dset), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT && cls != H5T_ENUM)
    fail(fn, file, object, "expected a numeric dataset");
  hsize_t n = 1;
  for (hsize_t d : dims(dset)) n *= d;
  return n;
}

/// Read a whole numeric dataset of `n` values (`numeric_size`) into `out`, converted to T.
template <class T>
void read_numeric_into(hid_t dset, T* out, std::size_t n, const std::string& file,
                       const std::string& object, const char* fn) {
  if (n > 0 && H5Dread(dset, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    fail(fn, file, object, "reading the values failed");
}

/// Read a whole numeric dataset (any stored integer or float type; HDF5 converts).
template <class T>
std::vector<T> read_numeric(hid_t dset, const std::string& file, const std::string& object,
                            const char* fn) {
  std::vector<T> out(static_cast<std::size_t>(numeric_size(dset, file, object, fn)));
  read_numeric_into(dset, out.data(), out.size(), file, object, fn);
  return out;
}

/// Read the strings held by a dataset or attribute whose type is `type` and extent `n`, via
/// `read(memtype, buffer)`; fixed- and variable-length strings, any character set.
template <class ReadFn>
std::vector<std::string> read_string_values(hid_t type, hid_t space, std::size_t n, ReadFn&& read,
                                            const std::string& file, const std::string& object,
                                            const char* fn) {
  std::vector<std::string> out(n);
  if (n == 0) return out;
  if (H5Tis_variable_str(type) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem, H5T_VARIABLE);
    H5Tset_cset(mem, H5Tget_cset(type));
    std::vector<char*> ptrs(n, nullptr);
    if (read(mem.get(), static_cast<void*>(ptrs.data())) < 0)
      fail(fn, file, object, "reading strings failed");
    for (std::size_t i = 0; i < n; ++i) out[i] = ptrs[i] ? ptrs[i] : "";
    H5Dvlen_reclaim(mem, space, H5P_DEFAULT, ptrs.data());
  } else {
    const std::size_t size = H5Tget_size(type);
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem, size);
    H5Tset_cset(mem, H5Tget_cset(type));
    H5Tset_strpad(mem, H5T_STR_NULLPAD);
    std::vector<char> buf(n * size);
    if (read(mem.get(), static_cast<void*>(buf.data())) < 0)
      fail(fn, file, object, "reading strings failed");
    for (std::size_t i = 0; i < n; ++i) {
      const char* s = buf.data() + i * size;
      std::size_t len = 0;
      while (len < size && s[len] != '\0') ++len;
      while (len > 0 && s[len - 1] == ' ') --len; // space-padded strings
      out[i].assign(s, len);
    }
  }
  return out;
}

/// Format a number as metadata text: integers exactly, floats with round-trip digits.
template <class T>
std::string number_to_string(T v) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

/// Read a 1-D dataset as strings: strings as they are, integers and floats formatted, booleans
/// (HDF5 enums, e.g. numpy bool) as their enum names.
inline std::vector<std::string> read_as_strings(hid_t dset, const std::string& file,
                                                const std::string& object, const char* fn) {
  Handle type(H5Dget_type(dset), H5Tclose);
  hsize_t n = 1;
  for (hsize_t d : dims(dset)) n *= d;
  switch (H5Tget_class(type)) {
  case H5T_STRING: {
    Handle space(H5Dget_space(dset), H5Sclose);
    return read_string_values(
        type, space, static_cast<std::size_t>(n),
        [&](hid_t mem, void* buf) {
          return H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        },
        file, object, fn);
  }
  case H5T_INTEGER: {
    const auto v = read_numeric<std::int64_t>(dset, file, object, fn);
    std::vector<std::string> out;
    out.reserve(v.size());
    for (auto x : v) out.push_back(number_to_string(x));
    return out;
  }
  case H5T_FLOAT: {
    const auto v = read_numeric<double>(dset, file, object, fn);
    std::vector<std::string> out;
    out.reserve(v.size());
    for (double x : v) out.push_back(x != x ? std::string("NaN") : number_to_string(x));
    return out;
  }
  case H5T_ENUM: { // e.g. numpy booleans: names FALSE / TRUE
    Handle mem(H5Tget_native_type(type, H5T_DIR_ASCEND), H5Tclose);
    const std::size_t size = H5Tget_size(mem);
    std::vector<unsigned char> raw(static_cast<std::size_t>(n) * size);
    if (n > 0 && H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
      fail(fn, file, object, "reading the values failed");
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      char name[64] = {};
      if (H5Tenum_nameof(mem, raw.data() + i * size, name, sizeof(name)) < 0)
        fail(fn, file, object, "value outside its enumeration");
      const std::string s(name);
      out.push_back(s == "TRUE" ? "true" : s == "FALSE" ? "false" : s);
    }
    return out;
  }
  default:
    fail(fn, file, object, "unsupported element type (expected strings or numbers)");
  }
}

/// A string attribute of an object: a scalar string, or the first element of a string array;
/// nullopt when absent. Non-string attributes throw.
inline std::optional<std::string> string_attribute(hid_t obj, const char* name,
                                                   const std::string& file,
                                                   const std::string& object, const char* fn) {
  if (H5Aexists(obj, name) <= 0) return std::nullopt;
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attr), H5Tclose);
  Handle space(H5Aget_space(attr), H5Sclose);
  if (H5Tget_class(type) != H5T_STRING)
    fail(fn, file, object + "@" + name, "expected a string attribute");
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 1) return std::string();
  const auto v = read_string_values(
      type, space, static_cast<std::size_t>(n),
      [&](hid_t mem, void* buf) { return H5Aread(attr, mem, buf); }, file, object + "@" + name, fn);
  return v.front();
}

/// All strings of a string-array attribute (empty when absent or of a non-string type, as
/// anndata writes an empty `column-order` as an empty float array).
inline std::vector<std::string> string_array_attribute(hid_t obj, const char* name,
                                                       const std::string& file,
                                                       const std::string& object, const char* fn) {
  if (H5Aexists(obj, name) <= 0) return {};
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attr), H5Tclose);
  Handle space(H5Aget_space(attr), H5Sclose);
  if (H5Tget_class(type) != H5T_STRING) return {};
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  return read_string_values(
      type, space, static_cast<std::size_t>(n < 0 ? 0 : n),
      [&](hid_t mem, void* buf) { return H5Aread(attr, mem, buf); }, file, object + "@" + name, fn);
}

/// A numeric array attribute (e.g. a sparse matrix's `shape`); empty when absent.
inline std::vector<std::int64_t> int_array_attribute(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return {};
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  Handle space(H5Aget_space(attr), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  std::vector<std::int64_t> out(static_cast<std::size_t>(n < 0 ? 0 : n));
  if (!out.empty() && H5Aread(attr, H5T_NATIVE_INT64, out.data()) < 0) return {};
  return out;
}

// ------------------------------------------------------------------------------------ writing

/// Create the groups along `path` (like `mkdir -p`).
inline void create_groups(hid_t file, const std::string& path) {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl, 1);
  if (!exists(file, path)) {
    Handle g(H5Gcreate2(file, path.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!g.valid()) throw_invalid("h5::create_groups", "cannot create group ", path);
  }
}

/// Write a 1-D dataset of fixed-length ASCII strings.
inline void write_strings(hid_t loc, const std::string& path, const std::vector<std::string>& v) {
  std::size_t width = 1;
  for (const auto& s : v) width = std::max(width, s.size() + 1);
  std::vector<char> buf(v.size() * width, '\0');
  for (std::size_t i = 0; i < v.size(); ++i)
    std::memcpy(buf.data() + i * width, v[i].data(), v[i].size());
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, width);
  H5Tset_strpad(type, H5T_STR_NULLTERM);
  const hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle d(H5Dcreate2(loc, path.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           H5Dclose);
  if (!d.valid() || (n > 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) < 0))
    throw_invalid("h5::write_strings", "cannot write dataset ", path);
}

/// Write a 1-D numeric dataset.
template <class T>
void write_numeric(hid_t loc, const std::string& path, const std::vector<T>& v) {
  const hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle d(
      H5Dcreate2(loc, path.c_str(), native_type<T>(), space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose);
  if (!d.valid() ||
      (n > 0 && H5Dwrite(d, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0))
    throw_invalid("h5::write_numeric", "cannot write dataset ", path);
}

/// Write a 1-D int64 array attribute (e.g. a sparse matrix's `shape`).
inline void write_int_array_attribute(hid_t obj, const char* name,
                                      const std::vector<std::int64_t>& v) {
  const hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle a(H5Acreate2(obj, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.valid() || H5Awrite(a, H5T_NATIVE_INT64, v.data()) < 0)
    throw_invalid("h5::write_int_array_attribute", "cannot write attribute ", name);
}

/// A variable-length UTF-8 string type (as h5py writes `str`).
inline Handle utf8_vlen_type() {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  return type;
}

/// Write a 1-D dataset of variable-length UTF-8 strings (what h5py and anndata write for `str`).
inline void write_utf8_strings(hid_t loc, const std::string& path,
                               const std::vector<std::string>& v) {
  Handle type = utf8_vlen_type();
  std::vector<const char*> ptr;
  for (const auto& x : v) ptr.push_back(x.c_str());
  const hsize_t n = v.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle d(H5Dcreate2(loc, path.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           H5Dclose);
  if (!d.valid() || (n > 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptr.data()) < 0))
    throw_invalid("h5::write_utf8_strings", "cannot write dataset ", path);
}

/// Write a variable-length UTF-8 string attribute: a scalar, or (`array`) a 1-D array of `v`.
inline void write_utf8_attribute(hid_t obj, const char* name, const std::vector<std::string>& v,
                                 bool array) {
  Handle type = utf8_vlen_type();
  std::vector<const char*> ptr;
  for (const auto& x : v) ptr.push_back(x.c_str());
  const hsize_t n = v.size();
  Handle space(array ? H5Screate_simple(1, &n, nullptr) : H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.valid() || (!ptr.empty() && H5Awrite(a, type, ptr.data()) < 0))
    throw_invalid("h5::write_utf8_attribute", "cannot write attribute ", name);
}

/// Write a scalar string attribute.
inline void write_string_attribute(hid_t obj, const char* name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, std::max<std::size_t>(1, value.size()));
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  std::vector<char> buf(std::max<std::size_t>(1, value.size()), '\0');
  std::memcpy(buf.data(), value.data(), value.size());
  if (!a.valid() || H5Awrite(a, type, buf.data()) < 0)
    throw_invalid("h5::write_string_attribute", "cannot write attribute ", name);
}

} // namespace cimpute::detail::h5
