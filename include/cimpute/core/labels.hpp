/// @file labels.hpp
/// @brief `Labels`: an ordered list of unique string ids with hashed lookup.
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cimpute {

/// An ordered list of unique string labels (gene ids, sample ids, perturbation or context names)
/// with O(1) lookup of a label's position. Duplicates are rejected at construction.
class Labels {
public:
  Labels() = default;
  /// Build from a list; `what` names the list in error messages (e.g. "row id").
  explicit Labels(std::vector<std::string> ids, const char* what = "label")
      : m_ids(std::move(ids)) {
    m_pos.reserve(m_ids.size());
    for (std::size_t i = 0; i < m_ids.size(); ++i) {
      auto [it, inserted] = m_pos.emplace(m_ids[i], static_cast<Eigen::Index>(i));
      if (!inserted)
        detail::throw_invalid("Labels", "duplicate ", what, " '", m_ids[i], "' at positions ",
                              it->second, " and ", i);
    }
  }

  /// Number of labels.
  Eigen::Index size() const noexcept { return static_cast<Eigen::Index>(m_ids.size()); }
  bool empty() const noexcept { return m_ids.empty(); }
  /// The label at position i.
  const std::string& operator[](Eigen::Index i) const { return m_ids[static_cast<std::size_t>(i)]; }
  /// All labels in order.
  const std::vector<std::string>& ids() const noexcept { return m_ids; }
  /// Position of a label, or -1 when absent.
  Eigen::Index find(std::string_view id) const {
    auto it = m_pos.find(std::string(id));
    return it == m_pos.end() ? -1 : it->second;
  }
  /// True when the label exists.
  bool contains(std::string_view id) const { return find(id) >= 0; }
  /// Position of a label; throws `invalid_argument` naming `function` and the label when absent.
  Eigen::Index index(std::string_view id, const char* function = "Labels::index") const {
    const Eigen::Index k = find(id);
    if (k < 0) detail::throw_invalid(function, "unknown label '", id, "'");
    return k;
  }
  /// Positions of several labels (throws on the first unknown one).
  std::vector<Eigen::Index> indices(const std::vector<std::string>& ids,
                                    const char* function = "Labels::indices") const {
    std::vector<Eigen::Index> out;
    out.reserve(ids.size());
    for (const auto& id : ids) out.push_back(index(id, function));
    return out;
  }
  /// Append a label; returns its position. Throws on a duplicate.
  Eigen::Index push_back(std::string id) {
    const Eigen::Index k = size();
    auto [it, inserted] = m_pos.emplace(id, k);
    if (!inserted) detail::throw_invalid("Labels::push_back", "duplicate label '", id, "'");
    m_ids.push_back(std::move(id));
    return k;
  }
  /// Position of a label, appending it when absent.
  Eigen::Index intern(const std::string& id) {
    const Eigen::Index k = find(id);
    return k >= 0 ? k : push_back(id);
  }
  /// The labels at the given positions.
  Labels select(const std::vector<Eigen::Index>& idx) const {
    std::vector<std::string> out;
    out.reserve(idx.size());
    for (Eigen::Index i : idx) {
      if (i < 0 || i >= size())
        detail::throw_invalid("Labels::select", "index ", i, " out of range [0, ", size(), ")");
      out.push_back(m_ids[static_cast<std::size_t>(i)]);
    }
    return Labels(std::move(out));
  }

  friend bool operator==(const Labels& a, const Labels& b) { return a.m_ids == b.m_ids; }
  friend bool operator!=(const Labels& a, const Labels& b) { return !(a == b); }

private:
  std::vector<std::string> m_ids;
  std::unordered_map<std::string, Eigen::Index> m_pos;
};

} // namespace cimpute
