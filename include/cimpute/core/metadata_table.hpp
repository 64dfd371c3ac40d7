/// @file metadata_table.hpp
/// @brief String-valued metadata fields (one value per row or column of a matrix).
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace cimpute {

namespace detail {
/// Values that GCT files and CMap tools use to mean "missing" in metadata.
inline bool is_missing_token(std::string_view s) {
  return s.empty() || s == "-666" || s == "-666.0" || s == "na" || s == "NA" || s == "NaN" ||
         s == "nan" || s == "-666.000000";
}
/// Parse a whole string as a double (std::from_chars; also accepts nan/inf). False on failure.
inline bool parse_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (*first == '+') ++first;
  auto res = std::from_chars(first, last, out);
  return res.ec == std::errc() && res.ptr == last;
}
/// Parse a whole string as a signed 64-bit integer. False on failure.
inline bool parse_int64(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (*first == '+') ++first;
  auto res = std::from_chars(first, last, out);
  return res.ec == std::errc() && res.ptr == last;
}
} // namespace detail

/// A table of named metadata fields over `size()` entries (the rows or the columns of a matrix).
///
/// Values are stored as strings, exactly as read; typed accessors convert on demand and treat the
/// CMap missing-value tokens (`-666`, `na`, `NaN`, empty) as missing.
class MetadataTable {
public:
  MetadataTable() = default;
  /// An empty table (no fields) over `size` entries.
  explicit MetadataTable(Eigen::Index size) : m_size(size) {
    if (size < 0) detail::throw_invalid("MetadataTable", "negative size ", size);
  }

  /// Number of entries (rows or columns described).
  Eigen::Index size() const noexcept { return m_size; }
  /// Number of fields.
  Eigen::Index num_fields() const noexcept { return static_cast<Eigen::Index>(m_names.size()); }
  /// Field names in insertion order.
  const std::vector<std::string>& field_names() const noexcept { return m_names; }
  /// True when a field of that name exists.
  bool has_field(std::string_view name) const noexcept { return find(name) >= 0; }

  /// Add a field; throws when the name exists already or the value count differs from `size()`.
  void add_field(std::string name, std::vector<std::string> values) {
    if (static_cast<Eigen::Index>(values.size()) != m_size)
      detail::throw_invalid("MetadataTable::add_field", "field '", name, "' has ", values.size(),
                            " values, expected ", m_size);
    if (has_field(name))
      detail::throw_invalid("MetadataTable::add_field", "duplicate field '", name, "'");
    m_names.push_back(std::move(name));
    m_values.push_back(std::move(values));
  }

  /// Rename field `from` to `to`; throws `invalid_argument` when `from` does not exist or `to`
  /// does already (renaming a field to itself does nothing).
  void rename_field(std::string_view from, std::string to) {
    const char* fn = "MetadataTable::rename_field";
    const Eigen::Index k = index_of(from, fn);
    if (to == from) return;
    if (has_field(to)) detail::throw_invalid(fn, "a field named '", to, "' exists already");
    m_names[static_cast<std::size_t>(k)] = std::move(to);
  }

  /// The values of a field; throws `invalid_argument` naming the field when it does not exist.
  const std::vector<std::string>& field(std::string_view name) const {
    return m_values[static_cast<std::size_t>(index_of(name, "MetadataTable::field"))];
  }
  /// The values of field number `k` (insertion order).
  const std::vector<std::string>& field(Eigen::Index k) const {
    if (k < 0 || k >= num_fields())
      detail::throw_invalid("MetadataTable::field", "field index ", k, " out of range [0, ",
                            num_fields(), ")");
    return m_values[static_cast<std::size_t>(k)];
  }
  /// One value as a string.
  const std::string& value(std::string_view name, Eigen::Index i) const {
    check_entry(i, "MetadataTable::value");
    return field(name)[static_cast<std::size_t>(i)];
  }
  /// True when the value is one of the missing tokens (`-666`, `na`, `NaN`, empty).
  bool is_missing(std::string_view name, Eigen::Index i) const {
    return detail::is_missing_token(value(name, i));
  }
  /// Number of missing values in a field.
  Eigen::Index missing_count(std::string_view name) const {
    Eigen::Index n = 0;
    for (const auto& v : field(name)) n += detail::is_missing_token(v) ? 1 : 0;
    return n;
  }
  /// A field as doubles; missing values become NaN; a non-numeric value throws naming field and
  /// entry.
  Eigen::VectorXd as_double(std::string_view name) const {
    const auto& vals = field(name);
    Eigen::VectorXd out(m_size);
    for (Eigen::Index i = 0; i < m_size; ++i) {
      const auto& s = vals[static_cast<std::size_t>(i)];
      double d = 0;
      if (detail::is_missing_token(s))
        d = std::numeric_limits<double>::quiet_NaN();
      else if (!detail::parse_double(s, d))
        detail::throw_invalid("MetadataTable::as_double", "field '", name, "' entry ", i,
                              " value '", s, "' is not a number");
      out[i] = d;
    }
    return out;
  }
  /// A field as 64-bit integers; missing or non-integer values throw naming field and entry.
  std::vector<std::int64_t> as_int64(std::string_view name) const {
    const auto& vals = field(name);
    std::vector<std::int64_t> out(vals.size());
    for (std::size_t i = 0; i < vals.size(); ++i)
      if (!detail::parse_int64(vals[i], out[i]))
        detail::throw_invalid("MetadataTable::as_int64", "field '", name, "' entry ", i, " value '",
                              vals[i], "' is not an integer");
    return out;
  }

  /// The table restricted to / reordered by the given entry indices.
  MetadataTable select(const std::vector<Eigen::Index>& idx) const {
    MetadataTable out(static_cast<Eigen::Index>(idx.size()));
    for (Eigen::Index i : idx) check_entry(i, "MetadataTable::select");
    for (std::size_t k = 0; k < m_names.size(); ++k) {
      std::vector<std::string> v;
      v.reserve(idx.size());
      for (Eigen::Index i : idx) v.push_back(m_values[k][static_cast<std::size_t>(i)]);
      out.m_names.push_back(m_names[k]);
      out.m_values.push_back(std::move(v));
    }
    return out;
  }

  friend bool operator==(const MetadataTable& a, const MetadataTable& b) {
    return a.m_size == b.m_size && a.m_names == b.m_names && a.m_values == b.m_values;
  }
  friend bool operator!=(const MetadataTable& a, const MetadataTable& b) { return !(a == b); }

private:
  Eigen::Index find(std::string_view name) const noexcept {
    for (std::size_t k = 0; k < m_names.size(); ++k)
      if (m_names[k] == name) return static_cast<Eigen::Index>(k);
    return -1;
  }
  Eigen::Index index_of(std::string_view name, const char* fn) const {
    const Eigen::Index k = find(name);
    if (k < 0) detail::throw_invalid(fn, "no metadata field named '", name, "'");
    return k;
  }
  void check_entry(Eigen::Index i, const char* fn) const {
    if (i < 0 || i >= m_size)
      detail::throw_invalid(fn, "entry index ", i, " out of range [0, ", m_size, ")");
  }

  Eigen::Index m_size = 0;
  std::vector<std::string> m_names;
  std::vector<std::vector<std::string>> m_values;
};

} // namespace cimpute
