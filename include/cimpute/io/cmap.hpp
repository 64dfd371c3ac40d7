/// @file cmap.hpp
/// @brief The Connectivity Map's conventions in one place: the metadata field names of its files
/// and the training-only reference cell line of its benchmarks. Only io/ and the command-line tool
/// use them; the algorithm modules take neutral names.
#pragma once

#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/signature_selection.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace cimpute::cmap {

/// Column-metadata field naming a signature's perturbagen.
inline const std::string perturbation_field = "pert_id";
/// Column-metadata field naming a signature's cell line.
inline const std::string context_field = "cell_id";
/// Row-metadata field holding the genes' symbols.
inline const std::string symbol_field = "pr_gene_symbol";
/// The reference (training-only) cell line of the CMap completion benchmarks.
inline const std::string reference_context = "MCF7";
/// The 2020 release's (`siginfo_beta.txt`) name of the cell-line field.
inline const std::string context_field_2020 = "cell_iname";

} // namespace cimpute::cmap

namespace cimpute {

/// `m` with the library's neutral column fields `perturbation` and `context` (as
/// `complete_missing` writes them) renamed to CMap's `pert_id` and `cell_id`, so that cmapPy /
/// cmapR read the pairs of a written GCT / GCTX. Fields that are absent are left alone.
template <class Scalar>
LabeledMatrix<Scalar> with_cmap_fields(LabeledMatrix<Scalar> m) {
  MetadataTable meta = m.col_meta();
  if (meta.has_field("perturbation")) meta.rename_field("perturbation", cmap::perturbation_field);
  if (meta.has_field("context")) meta.rename_field("context", cmap::context_field);
  return LabeledMatrix<Scalar>(m.data(), m.row_ids(), m.col_ids(), m.row_meta(), std::move(meta));
}

/// A `SignatureSelection` with CMap's fields (`pert_id`, `cell_id`, `pr_gene_symbol`), unless
/// `perturbation_field` / `context_field` name others.
inline SignatureSelection cmap_selection(std::string perturbation_field = "",
                                         std::string context_field = "") {
  SignatureSelection s;
  s.perturbation_field =
      perturbation_field.empty() ? cmap::perturbation_field : std::move(perturbation_field);
  s.context_field = context_field.empty() ? cmap::context_field : std::move(context_field);
  s.symbol_field = cmap::symbol_field;
  return s;
}

/// The field to use for `requested` in `meta`: itself when present, else the other CMap
/// release's name for it (GEO 2017 `cell_id` / `pert_iname` / `pr_gene_symbol` against the 2020
/// release's `cell_iname` / `cmap_name` / `gene_symbol`), with a line appended to `notes`; else
/// `requested` itself.
inline std::string cmap_release_field(const MetadataTable& meta, const std::string& requested,
                                      std::vector<std::string>& notes) {
  static const std::vector<std::pair<std::string, std::string>> names{
      {"cell_id", "cell_iname"}, {"pert_iname", "cmap_name"}, {"pr_gene_symbol", "gene_symbol"}};
  if (meta.has_field(requested)) return requested;
  for (const auto& [geo, beta] : names) {
    const std::string& other = requested == geo ? beta : requested == beta ? geo : std::string();
    if (!other.empty() && meta.has_field(other)) {
      notes.push_back("no '" + requested + "' field: using '" + other + "', its name in " +
                      (other == beta ? "the 2020 release" : "the GEO releases"));
      return other;
    }
  }
  return requested;
}

/// Adapt a selection with CMap's default context field to the release at hand: when `cell_id`
/// is absent from `col_meta` but the 2020 release's `cell_iname` is present, use that. Returns a
/// note saying so (empty when nothing changed).
inline std::string adapt_cmap_release(SignatureSelection& s, const MetadataTable& col_meta) {
  if (s.context_field != cmap::context_field) return {};
  std::vector<std::string> notes;
  s.context_field = cmap_release_field(col_meta, s.context_field, notes);
  return notes.empty() ? std::string() : notes.front();
}

/// The landmark genes (rows) of a CMap file from its row metadata: `pr_is_lm` or `is_lm` equal
/// to 1 (GEO releases, cmapPy files) or `feature_space` equal to `landmark` (the 2020 release).
/// Throws `invalid_argument` when none of these fields is present or no row is a landmark.
inline std::vector<Eigen::Index> cmap_landmark_rows(const MetadataTable& row_meta) {
  const char* fn = "cmap_landmark_rows";
  const std::vector<std::pair<std::string, std::vector<std::string>>> rules{
      {"pr_is_lm", {"1", "1.0", "True", "true"}},
      {"is_lm", {"1", "1.0", "True", "true"}},
      {"feature_space", {"landmark"}}};
  for (const auto& [field, yes] : rules) {
    if (!row_meta.has_field(field)) continue;
    std::vector<Eigen::Index> rows;
    const auto& v = row_meta.field(field);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (std::find(yes.begin(), yes.end(), v[i]) != yes.end()) rows.push_back(Eigen::Index(i));
    if (rows.empty()) detail::throw_invalid(fn, "no row has ", field, " marking a landmark gene");
    return rows;
  }
  detail::throw_invalid(fn, "the row metadata has none of pr_is_lm, is_lm, feature_space");
}

} // namespace cimpute
