/// @file alignment.hpp
/// @brief Match a query signature over named genes to the feature axis of reference signatures.
#pragma once

#include "cimpute/connectivity/gene_signature.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/labels.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace cimpute {

/// A query signature restricted to the genes it shares with a reference feature axis.
struct AlignedSignature {
  /// Reference feature positions of the shared genes, in reference order.
  std::vector<Eigen::Index> columns;
  /// The query's values at those genes (`values[k]` belongs to `columns[k]`).
  Eigen::VectorXd values;
  /// Query genes absent from the reference, in query order (reported, never silently lost).
  std::vector<std::string> unmatched_query;
  /// Reference genes absent from the query, in reference order.
  std::vector<std::string> unmatched_reference;
};

/// Align `query` to the reference features `reference` by id (map ids beforehand, e.g. with
/// `cimpute::rename_features` and `read_id_mapping`, when the two use different id
/// types). Throws `invalid_argument` when fewer than `min_shared` genes are shared.
inline AlignedSignature align_signature(const GeneSignature& query, const Labels& reference,
                                        Eigen::Index min_shared = 2) {
  const char* fn = "align_signature";
  if (Eigen::Index(query.ids.size()) != query.values.size())
    detail::throw_invalid(fn, query.ids.size(), " ids but ", query.values.size(), " values");
  const Labels q(query.ids, "query gene");
  AlignedSignature a;
  std::vector<double> v;
  for (Eigen::Index g = 0; g < reference.size(); ++g) {
    const Eigen::Index k = q.find(reference[g]);
    if (k < 0) {
      a.unmatched_reference.push_back(reference[g]);
      continue;
    }
    a.columns.push_back(g);
    v.push_back(query.values[k]);
  }
  for (const auto& id : query.ids)
    if (!reference.contains(id)) a.unmatched_query.push_back(id);
  if (Eigen::Index(a.columns.size()) < min_shared)
    detail::throw_invalid(fn, "the query shares ", a.columns.size(), " gene(s) with the ",
                          reference.size(), " reference features (at least ", min_shared,
                          " needed; do the id types match?)");
  a.values = Eigen::Map<const Eigen::VectorXd>(v.data(), Eigen::Index(v.size()));
  return a;
}

} // namespace cimpute
