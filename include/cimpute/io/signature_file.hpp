/// @file signature_file.hpp
/// @brief From a file of profiles to a `PerturbationTensor` in one call: CMap Level-5 GCT / GCTX
/// (several doses, times, replicates per pair; metadata in sidecar tables; only the selected
/// columns and genes read from disk) and single-cell screens (h5ad or 10x counts, normalised and
/// pooled into pseudobulk profiles per pair, relative to the control of each context).
#pragma once

#include "cimpute/core/config.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/core/profile_groups.hpp"
#include "cimpute/core/signature_selection.hpp"
#include "cimpute/core/sparse_labeled_matrix.hpp"
#include "cimpute/core/tensor_transforms.hpp"
#include "cimpute/io/cmap.hpp"
#include "cimpute/io/format.hpp"
#include "cimpute/io/gct.hpp"
#include "cimpute/io/mtx.hpp"
#include "cimpute/io/sidecar.hpp"
#include "cimpute/io/table.hpp"
#if CIMPUTE_HAS_HDF5
#include "cimpute/io/gctx.hpp"
#include "cimpute/io/h5ad.hpp"
#include "cimpute/io/tenx_h5.hpp"
#endif

#include <Eigen/Core>

#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// How the counts of single-cell input are normalised before they are pooled.
enum class CountNormalization {
  None,      ///< values as stored (e.g. already normalised, or CMap signatures)
  Log1pCp10k ///< \f$ \log(1 + 10^4 x_g / \sum_h x_h) \f$ per cell (scanpy's `normalize_total` +
             ///< `log1p`), the cell's total taken over every gene of the file
};

/// Parse `none` or `log1p-cp10k`; throws `invalid_argument` naming the text otherwise.
inline CountNormalization parse_count_normalization(const std::string& text) {
  if (text == "none") return CountNormalization::None;
  if (text == "log1p-cp10k") return CountNormalization::Log1pCp10k;
  detail::throw_invalid("parse_count_normalization", "normalization '", text,
                        "' is not none or log1p-cp10k");
}

/// Options of `read_signatures`. The defaults read a CMap Level-5 file with one signature per
/// (pert_id, cell_id) pair.
struct SignatureReadOptions {
  /// Column (obs) field naming each profile's perturbation; empty: CMap's `pert_id`.
  std::string perturbation_field;
  /// Column (obs) field naming each profile's context; empty: CMap's `cell_id`.
  std::string context_field;
  std::vector<ColumnFilter> filters; ///< applied before any value is read (GCTX)
  Aggregation aggregate;             ///< several profiles of a pair (for cells: mean)
  std::string col_meta;              ///< sidecar table of column (signature / cell) metadata
  std::string row_meta;              ///< sidecar table of row (gene) metadata
  /// Genes kept: empty (all), `landmark` (`cmap_landmark_rows`) or a file listing ids or symbols
  /// (one per line, or the first column of a CSV / TSV; a header that matches nothing is fine).
  std::string genes;
  CountNormalization normalize = CountNormalization::None; ///< for counts
  /// When not empty, the perturbation whose profile in each context is subtracted from that
  /// context's other profiles (e.g. `non-targeting`, `DMSO`); the control pairs are dropped.
  std::string control;
  std::string h5ad_matrix = "X"; ///< the matrix of an h5ad: X, raw/X or layers/NAME
  /// Read shard `shard_index` of `shard_count` (one process's share of a file for a distributed
  /// fit, e.g. `cimpute-mpi impute --method ntk-pcg`): the selected pairs, in order of first
  /// appearance, are cut into `shard_count` contiguous blocks of about equal size; a shard reads
  /// only its block's columns (plus every context's `control` columns) and its tensor has the
  /// perturbation and context labels of the whole selection, so that shards share indices. The
  /// shards' signatures together are those of the unsharded read.
  int shard_index = 0;
  int shard_count = 1; ///< see `shard_index`; 1: the whole file

  /// Throws `invalid_argument` for an empty filter or `best:` without a field.
  void validate() const {
    SignatureSelection s;
    s.perturbation_field = s.context_field = "x";
    s.filters = filters;
    s.aggregate = aggregate;
    s.validate();
    if (shard_count < 1 || shard_index < 0 || shard_index >= shard_count)
      detail::throw_invalid("SignatureReadOptions::validate", "shard ", shard_index, " of ",
                            shard_count, ": need 0 <= shard_index < shard_count");
  }
};

/// What `read_signatures` did, for a note to the user.
struct SignatureReadReport {
  SelectionReport selection;      ///< profiles read, filtered out, merged; pairs
  Eigen::Index features_read = 0; ///< genes in the file
  Eigen::Index features_kept = 0; ///< genes in the result
  std::string perturbation_field; ///< the fields used (after the release's names)
  std::string context_field;
  std::vector<std::string> notes; ///< one line per thing the user should know
};

namespace detail {

/// The genes (row positions) named by `genes` (see `SignatureReadOptions::genes`); all when
/// empty.
inline std::vector<Eigen::Index> gene_rows(const std::string& genes, const Labels& ids,
                                           const MetadataTable& meta,
                                           const std::string& symbol_field,
                                           std::vector<std::string>& notes) {
  std::vector<Eigen::Index> rows;
  if (genes.empty()) {
    for (Eigen::Index i = 0; i < ids.size(); ++i) rows.push_back(i);
    return rows;
  }
  if (genes == "landmark") return cmap_landmark_rows(meta);
  const auto table = read_delimited(genes);
  std::vector<std::string> wanted{table.header.empty() ? std::string() : table.header[0]};
  for (const auto& row : table.rows)
    if (!row.empty()) wanted.push_back(row[0]);
  const bool symbols = meta.has_field(symbol_field);
  std::multimap<std::string, Eigen::Index> by_symbol;
  if (symbols)
    for (std::size_t i = 0; i < std::size_t(meta.size()); ++i)
      by_symbol.emplace(meta.field(symbol_field)[i], Eigen::Index(i));
  std::vector<char> keep(std::size_t(ids.size()), 0);
  long unmatched = 0;
  for (std::size_t k = 0; k < wanted.size(); ++k) {
    bool found = false;
    const Eigen::Index r = ids.find(wanted[k]);
    if (r >= 0) keep[std::size_t(r)] = found = true;
    const auto [b, e] = by_symbol.equal_range(wanted[k]);
    for (auto it = b; it != e; ++it) keep[std::size_t(it->second)] = found = true;
    if (!found && k > 0) ++unmatched; // the first line may be a header
  }
  for (std::size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) rows.push_back(Eigen::Index(i));
  if (rows.empty())
    throw_invalid("read_signatures", genes, ": lists no gene of the data (by id",
                  symbols ? " or " + symbol_field + ")" : std::string(")"));
  if (unmatched > 0)
    notes.push_back(genes + ": " + std::to_string(unmatched) + " listed genes are not in the data");
  return rows;
}

/// Joins the sidecar tables of `opt` to the ids of a file, with notes on what did not match.
inline void join_sidecars(const SignatureReadOptions& opt, const Labels& row_ids,
                          MetadataTable& row_meta, const Labels& col_ids, MetadataTable& col_meta,
                          std::vector<std::string>& notes) {
  auto join = [&](const std::string& path, const Labels& ids, MetadataTable& meta,
                  const char* what) {
    if (path.empty()) return;
    SidecarJoin j;
    const MetadataTable side = join_sidecar(path, ids, "", &j);
    const auto replaced = merge_metadata(meta, side);
    std::string n = path + ": " + std::to_string(j.fields.size()) + " " + what +
                    " fields joined by '" + j.key + "'";
    if (!replaced.empty()) n += " (replacing the file's " + cat(replaced.size()) + ")";
    if (!j.missing.empty())
      n += "; " + cat(j.missing.size(), " of the data's ", ids.size(), " ids have no row (first: '",
                      j.missing.front(), "')");
    if (j.unused_rows > 0) n += "; " + cat(j.unused_rows, " rows are not in the data");
    notes.push_back(n);
  };
  join(opt.col_meta, col_ids, col_meta, "column");
  join(opt.row_meta, row_ids, row_meta, "row");
}

/// log1p(CP10k) of every column (cell) of `x`, in place; an empty cell stays zero.
template <class Sparse>
void normalize_log1p_cp10k(Sparse& x) {
  using Scalar = typename Sparse::Scalar;
  for (Eigen::Index j = 0; j < x.outerSize(); ++j) {
    Scalar total(0);
    for (typename Sparse::InnerIterator it(x, j); it; ++it) {
      if (!(it.value() >= Scalar(0)) || !std::isfinite(it.value()))
        throw_invalid("read_signatures", "log1p-cp10k needs counts >= 0; column ", j, " row ",
                      it.row(), " holds ", it.value());
      total += it.value();
    }
    if (total > Scalar(0))
      for (typename Sparse::InnerIterator it(x, j); it; ++it)
        it.valueRef() = std::log1p(it.value() * Scalar(1e4) / total);
  }
}

/// For each row of a matrix of `n` rows, its position in `rows`, or -1 when not selected.
inline std::vector<Eigen::Index> row_positions(Eigen::Index n,
                                               const std::vector<Eigen::Index>& rows) {
  std::vector<Eigen::Index> out(std::size_t(n), -1);
  for (std::size_t r = 0; r < rows.size(); ++r) out[std::size_t(rows[r])] = Eigen::Index(r);
  return out;
}

/// The entries of `ids` at `idx`.
inline std::vector<std::string> ids_at(const std::vector<std::string>& ids,
                                       const std::vector<Eigen::Index>& idx) {
  std::vector<std::string> out;
  out.reserve(idx.size());
  for (Eigen::Index i : idx) out.push_back(ids[std::size_t(i)]);
  return out;
}

/// The mean profile of each (perturbation, context) pair over the columns `cols` of a sparse
/// matrix, restricted to the features `rows`: the columns are summed without densifying them.
/// One column per pair (in order of first appearance), with the pair fields and `n_profiles`
/// as column metadata. Missing pair labels throw, naming the column.
template <class Scalar>
LabeledMatrix<Scalar>
pooled_means(const SparseLabeledMatrix<Scalar>& x, const std::vector<Eigen::Index>& rows,
             const std::vector<Eigen::Index>& cols, const std::string& pf, const std::string& cf) {
  const char* fn = "read_signatures";
  const auto& pert = x.col_meta().field(pf);
  const auto& ctx = x.col_meta().field(cf);
  const std::vector<Eigen::Index> out_row = row_positions(x.rows(), rows);
  std::map<std::pair<std::string, std::string>, Eigen::Index> slot;
  std::vector<std::string> p_out, c_out, ids;
  std::vector<Eigen::Index> n;
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> sum(Eigen::Index(rows.size()), 0);
  std::vector<std::vector<Eigen::Index>> members;
  for (Eigen::Index j : cols) {
    const std::string &p = pert[std::size_t(j)], &c = ctx[std::size_t(j)];
    if (is_missing_token(p) || is_missing_token(c))
      throw_invalid(fn, "column '", x.col_ids()[std::size_t(j)], "' has no ",
                    is_missing_token(p) ? pf : cf, " (value '", is_missing_token(p) ? p : c,
                    "'); drop such columns with a filter, e.g. ", pf, "!=", p.empty() ? "-666" : p);
    const auto [it, inserted] = slot.emplace(std::make_pair(p, c), Eigen::Index(p_out.size()));
    if (inserted) {
      p_out.push_back(p);
      c_out.push_back(c);
      ids.push_back(p + ":" + c);
      n.push_back(0);
    }
    ++n[std::size_t(it->second)];
  }
  sum.setZero(Eigen::Index(rows.size()), Eigen::Index(p_out.size()));
  for (Eigen::Index j : cols) {
    const Eigen::Index g = slot.at({pert[std::size_t(j)], ctx[std::size_t(j)]});
    for (typename SparseLabeledMatrix<Scalar>::SparseMatrix::InnerIterator it(x.data(), j); it;
         ++it) {
      const Eigen::Index r = out_row[std::size_t(it.row())];
      if (r >= 0) sum(r, g) += it.value();
    }
  }
  std::vector<std::string> counts;
  for (std::size_t g = 0; g < n.size(); ++g) {
    sum.col(Eigen::Index(g)) /= Scalar(n[g]);
    counts.push_back(std::to_string(n[g]));
  }
  MetadataTable cm(Eigen::Index(p_out.size()));
  cm.add_field(pf, std::move(p_out));
  cm.add_field(cf, std::move(c_out));
  cm.add_field("n_profiles", std::move(counts));
  return LabeledMatrix<Scalar>(std::move(sum), ids_at(x.row_ids(), rows), std::move(ids),
                               x.row_meta().select(rows), std::move(cm));
}

/// The columns `cols` and rows `rows` of a sparse matrix, dense.
template <class Scalar>
LabeledMatrix<Scalar> dense_block(const SparseLabeledMatrix<Scalar>& x,
                                  const std::vector<Eigen::Index>& rows,
                                  const std::vector<Eigen::Index>& cols) {
  const std::vector<Eigen::Index> out_row = row_positions(x.rows(), rows);
  // Each column zeroed just before its entries are scattered (one pass over fresh memory),
  // columns split over the threads.
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> d(Eigen::Index(rows.size()),
                                                          Eigen::Index(cols.size()));
  parallel_for(long(cols.size()), [&](long k) {
    auto col = d.col(Eigen::Index(k));
    col.setZero();
    for (typename SparseLabeledMatrix<Scalar>::SparseMatrix::InnerIterator it(x.data(),
                                                                              cols[std::size_t(k)]);
         it; ++it)
      if (out_row[std::size_t(it.row())] >= 0) col(out_row[std::size_t(it.row())]) = it.value();
  });
  return LabeledMatrix<Scalar>(std::move(d), ids_at(x.row_ids(), rows), ids_at(x.col_ids(), cols),
                               x.row_meta().select(rows), x.col_meta().select(cols));
}

} // namespace detail

/// `select_signatures` for sparse profiles (features x profiles, such as cells x genes counts
/// transposed): `s.filters` select profiles from the metadata, `mean` sums each pair's sparse
/// columns without densifying them (pseudobulk), and the other aggregations densify only the
/// selected columns. The same result as `select_signatures` on the dense matrix.
template <class Scalar>
PerturbationTensor<Scalar> select_sparse_signatures(const SparseLabeledMatrix<Scalar>& x,
                                                    SignatureSelection s,
                                                    SelectionReport* report = nullptr) {
  s.validate();
  detail::require_field("select_sparse_signatures", x.col_meta(), s.perturbation_field,
                        "perturbation");
  detail::require_field("select_sparse_signatures", x.col_meta(), s.context_field, "context");
  const std::vector<Eigen::Index> cols = filter_columns(x.col_meta(), s.filters);
  std::vector<Eigen::Index> rows(static_cast<std::size_t>(x.rows()));
  std::iota(rows.begin(), rows.end(), Eigen::Index(0));
  const bool pooled = s.aggregate.kind == Aggregation::Kind::Mean;
  const LabeledMatrix<Scalar> m =
      pooled ? detail::pooled_means(x, rows, cols, s.perturbation_field, s.context_field)
             : detail::dense_block(x, rows, cols);
  s.filters.clear();
  SelectionReport sel;
  PerturbationTensor<Scalar> t = select_signatures(m, s, &sel);
  if (report) {
    report->read = x.cols();
    report->filtered_out = x.cols() - Eigen::Index(cols.size());
    report->merged = pooled ? Eigen::Index(cols.size()) - sel.pairs : sel.merged;
    report->pairs = sel.pairs;
  }
  return t;
}

namespace detail {
/// What `read_profile_columns` read.
template <class Scalar>
struct ProfileColumns {
  LabeledMatrix<Scalar> m;        ///< features x profiles (or x pairs when `pooled`), with metadata
  SignatureSelection s;           ///< the resolved pair and symbol fields, the aggregation
  std::vector<Eigen::Index> cols; ///< the file's columns selected
  bool pooled = false;            ///< sparse input already pooled into one mean column per pair
  Labels all_perturbations, all_contexts; ///< of the whole selection (sharded reads)
  SignatureReadReport report;
};

/// Steps 1-4 of `read_signatures` up to the merge: the selected columns (profiles) and rows of
/// `path` as a dense features x profiles matrix with their metadata. Sparse input is pooled per
/// pair when `opt.aggregate` is mean and `keep_profiles` is false.
template <class Scalar>
ProfileColumns<Scalar> read_profile_columns(const std::string& path,
                                            const SignatureReadOptions& opt, const char* fn,
                                            bool keep_profiles) {
  using Index = Eigen::Index;
  opt.validate();
  ProfileColumns<Scalar> out;
  SignatureSelection& s = out.s;
  SignatureReadReport& rep = out.report;
  std::vector<Index>& cols = out.cols;
  Labels &all_perturbations = out.all_perturbations, &all_contexts = out.all_contexts;
  s = cmap_selection(opt.perturbation_field, opt.context_field);
  s.aggregate = opt.aggregate;
  const FileFormat fmt = detect_format(path);
  const bool counts =
      fmt == FileFormat::H5ad || fmt == FileFormat::TenxH5 || fmt == FileFormat::TenxMtxDir;
  if (opt.normalize != CountNormalization::None && !counts)
    detail::throw_invalid(
        fn, path, ": normalization applies to counts (h5ad or 10x input), not to ", to_string(fmt));
  // Resolve the fields, select columns and rows from the metadata alone.
  std::vector<Index> rows;
  // Sharded reads: the labels of the whole selection, in order of first appearance (as
  // `select_signatures` interns them), and only this shard's columns kept.
  auto shard_columns = [&](const Labels& cid, const MetadataTable& cmeta) {
    const auto& pert = cmeta.field(s.perturbation_field);
    const auto& ctx = cmeta.field(s.context_field);
    std::map<std::pair<std::string, std::string>, Index> pair_of;
    std::vector<Index> ordinal;
    for (Index j : cols) {
      const std::string &p = pert[std::size_t(j)], &c = ctx[std::size_t(j)];
      if (detail::is_missing_token(p) || detail::is_missing_token(c))
        detail::throw_invalid(fn, path, ": column '", cid[j], "' has no ",
                              detail::is_missing_token(p) ? s.perturbation_field : s.context_field,
                              " (value '", detail::is_missing_token(p) ? p : c, "')");
      all_perturbations.intern(p);
      all_contexts.intern(c);
      // Control columns go to every shard (each context's control is subtracted there).
      ordinal.push_back(
          !opt.control.empty() && p == opt.control
              ? -1
              : pair_of.emplace(std::make_pair(p, c), Index(pair_of.size())).first->second);
    }
    const Index n = Index(pair_of.size()), count = opt.shard_count;
    std::vector<Index> mine;
    bool own = false;
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const bool in_shard = ordinal[k] >= 0 && ordinal[k] * count / n == opt.shard_index;
      if (in_shard || ordinal[k] < 0) mine.push_back(cols[k]);
      own = own || in_shard;
    }
    if (!own)
      detail::throw_invalid(fn, path, ": shard ", opt.shard_index, " of ", count,
                            " has no pair: the selection has ", n, " pairs (use fewer shards)");
    rep.notes.push_back("shard " + std::to_string(opt.shard_index) + " of " +
                        std::to_string(count) + ": " + std::to_string(mine.size()) + " of " +
                        std::to_string(cols.size()) + " selected columns read");
    cols = std::move(mine);
  };
  auto plan = [&](const Labels& rid, MetadataTable& rmeta, const Labels& cid,
                  MetadataTable& cmeta) {
    detail::join_sidecars(opt, rid, rmeta, cid, cmeta, rep.notes);
    s.perturbation_field = cmap_release_field(cmeta, s.perturbation_field, rep.notes);
    s.context_field = cmap_release_field(cmeta, s.context_field, rep.notes);
    s.symbol_field = cmap_release_field(rmeta, s.symbol_field, rep.notes);
    detail::require_field(fn, cmeta, s.perturbation_field, "perturbation");
    detail::require_field(fn, cmeta, s.context_field, "context");
    cols = filter_columns(cmeta, opt.filters);
    rep.selection.filtered_out = cid.size() - Index(cols.size());
    if (opt.shard_count > 1) shard_columns(cid, cmeta);
    rows = detail::gene_rows(opt.genes, rid, rmeta, s.symbol_field, rep.notes);
    rep.features_read = rid.size();
    rep.selection.read = cid.size();
  };
  LabeledMatrix<Scalar>& m = out.m;
  bool& pooled = out.pooled;
  if (fmt == FileFormat::Gct) {
    m = read_gct<Scalar>(path);
    MetadataTable rmeta = m.row_meta(), cmeta = m.col_meta();
    plan(m.row_labels(), rmeta, m.col_labels(), cmeta);
    m = LabeledMatrix<Scalar>(m.data(), m.row_ids(), m.col_ids(), std::move(rmeta),
                              std::move(cmeta))
            .select(rows, cols);
  }
#if CIMPUTE_HAS_HDF5
  else if (fmt == FileFormat::Gctx) {
    GctxInfo info = read_gctx_info(path);
    plan(Labels(info.row_ids, "row id"), info.row_meta, Labels(info.col_ids, "column id"),
         info.col_meta);
    m = read_gctx<Scalar>(path, info, rows, cols);
  }
#endif
  else if (counts) {
    SparseLabeledMatrix<Scalar> x;
#if CIMPUTE_HAS_HDF5
    if (fmt == FileFormat::H5ad) {
      H5adOptions ho;
      ho.matrix = opt.h5ad_matrix;
      x = read_h5ad<Scalar>(path, ho); // genes x cells
    } else if (fmt == FileFormat::TenxH5) {
      x = read_10x_h5<Scalar>(path);
    }
#endif
    if (fmt == FileFormat::TenxMtxDir) x = read_10x_mtx<Scalar>(path);
    if (x.rows() == 0 && x.cols() == 0)
      detail::throw_invalid(fn, path, ": this build cannot read ", to_string(fmt),
                            " (HDF5 support is off)");
    MetadataTable rmeta = x.row_meta(), cmeta = x.col_meta();
    plan(x.row_labels(), rmeta, x.col_labels(), cmeta);
    std::vector<std::string> row_ids = x.row_ids(), col_ids = x.col_ids();
    auto data = std::move(x).release_data(); // no copy of the counts
    if (opt.normalize == CountNormalization::Log1pCp10k) detail::normalize_log1p_cp10k(data);
    x = SparseLabeledMatrix<Scalar>(std::move(data), std::move(row_ids), std::move(col_ids),
                                    std::move(rmeta), std::move(cmeta));
    pooled = !keep_profiles && opt.aggregate.kind == Aggregation::Kind::Mean;
    m = pooled ? detail::pooled_means(x, rows, cols, s.perturbation_field, s.context_field)
               : detail::dense_block(x, rows, cols);
  } else {
    detail::throw_invalid(fn, path, ": ", to_string(fmt),
                          " is not a file of profiles with pair metadata (GCT, GCTX, h5ad, 10x)");
  }
  rep.features_kept = Index(rows.size());
  rep.perturbation_field = s.perturbation_field;
  rep.context_field = s.context_field;
  return out;
}
} // namespace detail

/// Read a file of profiles into one signature per (perturbation, context) pair.
///
/// Formats: GCT, GCTX, h5ad (obs are profiles), a 10x Matrix Market folder or 10x HDF5 (cells
/// as columns; their metadata from `opt.col_meta`). Steps, in order:
/// 1. the sidecar tables `opt.col_meta` / `opt.row_meta` are joined to the file's ids
///    (`join_sidecar`); the pair and symbol fields fall back to the other CMap release's names
///    (`cell_iname`, `cmap_name`, `gene_symbol`) when absent, with a note;
/// 2. `opt.filters` select columns and `opt.genes` rows from the metadata alone: on a GCTX only
///    those columns (and the genes between the first and last selected) are read from disk;
/// 3. counts are normalised (`opt.normalize`) cell by cell;
/// 4. the profiles of a pair are merged by `opt.aggregate` (`select_signatures`); for sparse
///    input (h5ad, 10x) `mean` sums the sparse columns directly (pseudobulk);
/// 5. with `opt.control`, each context's control profile is subtracted (`relative_to_control`).
///
/// Throws `invalid_argument` (file and line where it applies) for an unreadable file, an
/// unknown field or a filter matching nothing (listing the fields or values), duplicates
/// without an aggregation, and a control missing from a context.
template <class Scalar = double>
PerturbationTensor<Scalar> read_signatures(const std::string& path,
                                           const SignatureReadOptions& opt = {},
                                           SignatureReadReport* report = nullptr) {
  using Index = Eigen::Index;
  const char* fn = "read_signatures";
  detail::ProfileColumns<Scalar> in = detail::read_profile_columns<Scalar>(path, opt, fn, false);
  SignatureReadReport& rep = in.report;
  const SignatureSelection& s = in.s;
  SelectionReport sel;
  PerturbationTensor<Scalar> t = select_signatures(in.m, s, &sel);
  rep.selection.pairs = sel.pairs;
  rep.selection.merged = in.pooled ? Index(in.cols.size()) - sel.pairs : sel.merged;
  if (!opt.control.empty()) {
    if (t.perturbations().find(opt.control) < 0)
      detail::throw_invalid(fn, path, ": the control '", opt.control, "' is not a value of ",
                            s.perturbation_field,
                            " (values: ", detail::distinct_values(t.perturbations().ids()), ")");
    t.set_control(opt.control);
    for (Index c = 0; c < t.num_contexts(); ++c)
      if (t.pair_index(t.control(c), c) < 0)
        detail::throw_invalid(fn, path, ": context '", t.contexts()[c], "' has no profile of the ",
                              "control '", opt.control, "'");
    t = relative_to_control(t);
  }
  if (opt.shard_count > 1) t = t.with_labels(in.all_perturbations.ids(), in.all_contexts.ids());
  if (report) *report = std::move(rep);
  return t;
}

/// Read `path` as `read_signatures` does, keeping every profile (`opt.aggregate` and
/// `opt.control` are ignored): the input of single-cell metrics (`score_cell_responses`).
/// Throws as `read_signatures`, and for a profile without a perturbation or context label.
template <class Scalar = double>
ProfileGroups<Scalar> read_profile_groups(const std::string& path,
                                          const SignatureReadOptions& opt = {},
                                          SignatureReadReport* report = nullptr) {
  const char* fn = "read_profile_groups";
  SignatureReadOptions o = opt;
  o.aggregate = Aggregation{};
  o.control.clear();
  detail::ProfileColumns<Scalar> in = detail::read_profile_columns<Scalar>(path, o, fn, true);
  SignatureReadReport& rep = in.report;
  const SignatureSelection& s = in.s;
  ProfileGroups<Scalar> g;
  g.profiles = std::move(in.m);
  g.symbol_field = s.symbol_field;
  const auto& pert = g.profiles.col_meta().field(s.perturbation_field);
  const auto& ctx = g.profiles.col_meta().field(s.context_field);
  for (Eigen::Index j = 0; j < g.profiles.cols(); ++j) {
    const std::string &p = pert[std::size_t(j)], &c = ctx[std::size_t(j)];
    if (detail::is_missing_token(p) || detail::is_missing_token(c))
      detail::throw_invalid(fn, path, ": column '", g.profiles.col_ids()[std::size_t(j)],
                            "' has no ",
                            detail::is_missing_token(p) ? s.perturbation_field : s.context_field);
    g.pair.push_back({g.perturbations.intern(p), g.contexts.intern(c)});
  }
  rep.selection.pairs = Eigen::Index((g.counts().array() > 0).count());
  if (report) *report = std::move(rep);
  return g;
}

} // namespace cimpute
