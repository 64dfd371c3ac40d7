/// @file
/// @brief `predicted_cells`: single-cell predictions from predicted signatures, each pair's
/// context's control cells shifted by the pair's predicted change, so that the cell-level
/// metrics (`des`, the energy distances: `score_cell_responses`) apply to every completion method.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/profile_groups.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

namespace cimpute {

/// Options of `predicted_cells`.
struct CellPredictionOptions {
  /// The column (obs) fields naming each output cell's perturbation and context: use the
  /// measured file's, so that one `--perturbation-field` / `--context-field` reads both.
  std::string perturbation_field = "perturbation", context_field = "context";
  /// Also write each context's control cells as they are (labelled with the control), so that
  /// the output is a whole prediction: `score_cell_responses` takes each side's deltas against
  /// its own control cells.
  bool include_control = true;
};

/// Cell-level predictions: for each column k of `changes` (features x pairs with column fields
/// `perturbation` and `context`, as `impute_pairs` returns them: predicted changes against the
/// control), the control cells of its context in `cells` (profiles as read, e.g. log1p CP10k)
/// plus the change, gene by gene; the mean of a pair's predicted cells is then the control's
/// mean plus the predicted change (the pseudobulk prediction when the changes were taken
/// against the control's mean, as `--aggregate mean` does), and their spread the control's.
/// The shift is not clipped (a log-scale value can fall below 0).
///
/// Returns features x cells with the rows of `changes` (each looked up in `cells` by id), the
/// control cells first when `opt.include_control` (ids as in `cells`), then each pair's cells
/// with ids `perturbation:context:cell`; column fields `opt.perturbation_field`,
/// `opt.context_field` and `source_cell` (the control cell shifted). Throws `invalid_argument`
/// for a gene of `changes` absent from `cells`, a pair's context without `control` cells, a
/// missing `perturbation` / `context` field, or a non-finite change.
template <class Scalar>
LabeledMatrix<Scalar>
predicted_cells(const ProfileGroups<Scalar>& cells, const std::string& control,
                const LabeledMatrix<Scalar>& changes, const CellPredictionOptions& opt = {}) {
  using Index = Eigen::Index;
  const char* fn = "predicted_cells";
  for (const char* f : {"perturbation", "context"})
    if (!changes.col_meta().has_field(f))
      detail::throw_invalid(fn, "the predicted changes have no column field '", f, "'");
  if (!changes.data().allFinite())
    for (Index j = 0; j < changes.cols(); ++j)
      for (Index i = 0; i < changes.rows(); ++i)
        if (!std::isfinite(changes.data()(i, j)))
          detail::throw_invalid(fn, "the predicted change of '", changes.col_ids()[std::size_t(j)],
                                "' is not finite at gene '", changes.row_ids()[std::size_t(i)],
                                "'");
  // The rows of `cells` in the order of `changes`.
  std::unordered_map<std::string, Index> row_of;
  for (Index i = 0; i < cells.profiles.rows(); ++i)
    row_of.emplace(cells.profiles.row_ids()[std::size_t(i)], i);
  std::vector<Index> rows;
  for (const std::string& g : changes.row_ids()) {
    const auto it = row_of.find(g);
    if (it == row_of.end())
      detail::throw_invalid(fn, "gene '", g, "' of the predicted changes is not among the ",
                            cells.profiles.rows(), " genes of the cells");
    rows.push_back(it->second);
  }
  // Each context's control cells.
  const Index control_index = cells.perturbations.find(control);
  std::unordered_map<std::string, std::vector<Index>> controls;
  for (std::size_t j = 0; j < cells.pair.size(); ++j)
    if (cells.pair[j].perturbation == control_index && control_index >= 0)
      controls[cells.contexts[cells.pair[j].context]].push_back(Index(j));
  const auto& pert = changes.col_meta().field("perturbation");
  const auto& ctx = changes.col_meta().field("context");
  std::vector<std::string> used; // contexts in order of first use
  Index total = 0;
  for (Index k = 0; k < changes.cols(); ++k) {
    const auto it = controls.find(ctx[std::size_t(k)]);
    if (it == controls.end())
      detail::throw_invalid(fn, "context '", ctx[std::size_t(k)], "' of '",
                            changes.col_ids()[std::size_t(k)], "' has no '", control, "' cells");
    if (std::find(used.begin(), used.end(), ctx[std::size_t(k)]) == used.end()) {
      used.push_back(ctx[std::size_t(k)]);
      if (opt.include_control) total += Index(it->second.size());
    }
    total += Index(it->second.size());
  }
  const auto& M = cells.profiles.data();
  typename LabeledMatrix<Scalar>::Matrix out(Index(rows.size()), total);
  std::vector<std::string> ids, out_pert, out_ctx, source;
  ids.reserve(std::size_t(total));
  Index col = 0;
  auto emit = [&](const std::vector<Index>& from, const std::string& p, const std::string& c,
                  Index change) {
    for (Index j : from) {
      const std::string& cell = cells.profiles.col_ids()[std::size_t(j)];
      if (change < 0)
        out.col(col) = M(rows, j);
      else
        out.col(col) = M(rows, j) + changes.data().col(change);
      ids.push_back(change < 0 ? cell : p + ":" + c + ":" + cell);
      out_pert.push_back(p);
      out_ctx.push_back(c);
      source.push_back(cell);
      ++col;
    }
  };
  if (opt.include_control)
    for (const std::string& c : used) emit(controls[c], control, c, -1);
  for (Index k = 0; k < changes.cols(); ++k)
    emit(controls[ctx[std::size_t(k)]], pert[std::size_t(k)], ctx[std::size_t(k)], k);
  MetadataTable meta(total);
  meta.add_field(opt.perturbation_field, std::move(out_pert));
  meta.add_field(opt.context_field, std::move(out_ctx));
  meta.add_field("source_cell", std::move(source));
  return LabeledMatrix<Scalar>(std::move(out), changes.row_ids(), std::move(ids),
                               changes.row_meta(), std::move(meta));
}

} // namespace cimpute
