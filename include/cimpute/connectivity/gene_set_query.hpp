/// @file gene_set_query.hpp
/// @brief The up and down gene sets of a connectivity query (Lamb et al. 2006; Subramanian et
/// al. 2017), as positions on the reference signatures' gene axis.
#pragma once

#include "cimpute/connectivity/alignment.hpp"
#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <numeric>
#include <vector>

namespace cimpute {

/// Up- and down-regulated genes of a query, as column positions of the reference signatures.
/// Either set may be empty, not both; the sets must be disjoint and without repeats.
struct GeneSetQuery {
  std::vector<Eigen::Index> up;   ///< genes up in the query
  std::vector<Eigen::Index> down; ///< genes down in the query

  /// Throws `invalid_argument` for a position outside [0, genes), a repeated gene, a gene in
  /// both sets, both sets empty, or a set that covers every gene (no misses to walk over).
  void validate(Eigen::Index genes) const {
    const char* fn = "GeneSetQuery::validate";
    if (up.empty() && down.empty()) detail::throw_invalid(fn, "both gene sets are empty");
    std::vector<signed char> seen(std::size_t(genes), 0);
    for (const auto* set : {&up, &down}) {
      const signed char tag = set == &up ? 1 : -1;
      if (Eigen::Index(set->size()) >= genes && genes > 0)
        detail::throw_invalid(fn, "a set of ", set->size(), " genes covers all ", genes, " genes");
      for (Eigen::Index g : *set) {
        if (g < 0 || g >= genes)
          detail::throw_invalid(fn, "gene position ", g, " is outside [0, ", genes, ")");
        signed char& s = seen[std::size_t(g)];
        if (s == tag) detail::throw_invalid(fn, "gene position ", g, " appears twice in a set");
        if (s != 0) detail::throw_invalid(fn, "gene position ", g, " is both up and down");
        s = tag;
      }
    }
  }
};

/// The query sets of an aligned signature: the `size` genes with the largest positive values
/// (up) and the `size` with the most negative values (down), fewer when fewer genes have that
/// sign; positions are the reference columns (`a.columns`). Equal values at the cut-off are
/// taken in reference gene order.
inline GeneSetQuery top_gene_sets(const AlignedSignature& a, Eigen::Index size) {
  if (size < 1) detail::throw_invalid("top_gene_sets", "set size must be >= 1, got ", size);
  const Eigen::Index n = a.values.size();
  std::vector<Eigen::Index> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), Eigen::Index(0));
  std::stable_sort(idx.begin(), idx.end(),
                   [&](Eigen::Index x, Eigen::Index y) { return a.values[x] > a.values[y]; });
  GeneSetQuery q;
  for (std::size_t k = 0; k < idx.size() && Eigen::Index(q.up.size()) < size; ++k)
    if (a.values[idx[k]] > 0) q.up.push_back(a.columns[std::size_t(idx[k])]);
  std::stable_sort(idx.begin(), idx.end(),
                   [&](Eigen::Index x, Eigen::Index y) { return a.values[x] < a.values[y]; });
  for (std::size_t k = 0; k < idx.size() && Eigen::Index(q.down.size()) < size; ++k)
    if (a.values[idx[k]] < 0) q.down.push_back(a.columns[std::size_t(idx[k])]);
  return q;
}

namespace detail {
/// +1 for up genes, -1 for down genes, 0 otherwise; and the set sizes.
inline std::vector<signed char> membership(const GeneSetQuery& q, Eigen::Index genes) {
  std::vector<signed char> m(std::size_t(genes), 0);
  for (Eigen::Index g : q.up) m[std::size_t(g)] = 1;
  for (Eigen::Index g : q.down) m[std::size_t(g)] = -1;
  return m;
}
/// Combine the enrichment of the up and the down set: (up - down) / divisor when the signs
/// differ, else 0; with one set empty, the other alone (its sign kept for up, flipped for down).
inline double combine_up_down(double up, double down, bool has_up, bool has_down, double divisor) {
  if (!has_down) return up;
  if (!has_up) return -down;
  return ((up > 0 && down < 0) || (up < 0 && down > 0)) ? (up - down) / divisor : 0.0;
}
} // namespace detail

} // namespace cimpute
