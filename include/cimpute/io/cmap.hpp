/// @file cmap.hpp
/// @brief The Connectivity Map's conventions in one place: the metadata field names of its files
/// and the training-only reference cell line of its benchmarks. Only io/ and the command-line tool
/// use them; the algorithm modules take neutral names.
#pragma once

#include "cimpute/core/labeled_matrix.hpp"

#include <string>

namespace cimpute::cmap {

/// Column-metadata field naming a signature's perturbagen.
inline const std::string perturbation_field = "pert_id";
/// Column-metadata field naming a signature's cell line.
inline const std::string context_field = "cell_id";
/// Row-metadata field holding the genes' symbols.
inline const std::string symbol_field = "pr_gene_symbol";
/// The reference (training-only) cell line of the CMap completion benchmarks.
inline const std::string reference_context = "MCF7";

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

} // namespace cimpute
