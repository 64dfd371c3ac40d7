/// @file drug_ranking.hpp
/// @brief Ranking candidate signatures against a disease signature: the connectivity of each with
/// the reversed disease signature (cosine, Pearson, Spearman, or minus the CLUE WTCS / Lamb KS
/// connectivity with the disease's up / down gene sets), competition ranks and the ranking order.
/// Takes signatures only; `repurpose` (workflow/repurposing.hpp) imputes the missing drugs first.
#pragma once

#include "cimpute/connectivity/alignment.hpp"
#include "cimpute/connectivity/gene_set_query.hpp"
#include "cimpute/connectivity/ks_score.hpp"
#include "cimpute/connectivity/pairwise_scores.hpp"
#include "cimpute/connectivity/ranking.hpp"
#include "cimpute/connectivity/wtcs.hpp"
#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

namespace cimpute {

/// How a drug signature is compared with the disease signature.
enum class ConnectivityScore {
  Cosine,   ///< cosine over the shared genes
  Pearson,  ///< Pearson correlation over the shared genes
  Spearman, ///< Spearman correlation over the shared genes
  Wtcs,     ///< CLUE weighted connectivity score of the disease's up/down gene sets
  Ks        ///< Lamb's KS connectivity score of the disease's up/down gene sets, scaled
};

/// The command-line name of a score: cosine, pearson, spearman, wtcs, ks.
inline std::string to_string(ConnectivityScore s) {
  switch (s) {
  case ConnectivityScore::Cosine:
    return "cosine";
  case ConnectivityScore::Pearson:
    return "pearson";
  case ConnectivityScore::Spearman:
    return "spearman";
  case ConnectivityScore::Wtcs:
    return "wtcs";
  default:
    return "ks";
  }
}

/// The score called `name` (see `to_string`); throws `invalid_argument` for another name.
inline ConnectivityScore parse_connectivity_score(const std::string& name) {
  for (ConnectivityScore s :
       {ConnectivityScore::Cosine, ConnectivityScore::Pearson, ConnectivityScore::Spearman,
        ConnectivityScore::Wtcs, ConnectivityScore::Ks})
    if (name == to_string(s)) return s;
  detail::throw_invalid("parse_connectivity_score", "unknown score '", name,
                        "' (known: cosine, pearson, spearman, wtcs, ks)");
}

/// The result of `rank_by_reversal`.
struct ReversalRanking {
  /// Connectivity of each signature (row) with the reversed disease signature: higher = more
  /// reversing; for wtcs and ks minus the connectivity with the disease's gene sets (ks scaled
  /// over the rows). Never "-0".
  Eigen::VectorXd score;
  std::vector<Eigen::Index> rank;  ///< competition rank of each row (1 = most reversing)
  std::vector<Eigen::Index> order; ///< the rows, most reversing first (ties by tie key)
  GeneSetQuery gene_sets;          ///< (wtcs, ks) the disease's up / down sets, as positions
};

/// Rank the signatures `S` (one per row, on the same genes as `disease`, e.g. an
/// `AlignedSignature`'s columns) by `score` against the reversed `disease`; `set_size` genes per
/// up / down set for wtcs and ks. Tied rows are ordered by `tie_key` (one entry per row, e.g. the
/// perturbation index; empty: the row index). Throws `invalid_argument` for mismatched sizes,
/// no row, or a set size below 1.
inline ReversalRanking rank_by_reversal(const Eigen::MatrixXd& S, const Eigen::VectorXd& disease,
                                        ConnectivityScore score, Eigen::Index set_size,
                                        const std::vector<Eigen::Index>& tie_key = {}) {
  const char* fn = "rank_by_reversal";
  if (S.rows() == 0) detail::throw_invalid(fn, "no signature to rank");
  if (S.cols() != disease.size())
    detail::throw_invalid(fn, "signatures have ", S.cols(), " genes, the disease ", disease.size());
  if (!tie_key.empty() && Eigen::Index(tie_key.size()) != S.rows())
    detail::throw_invalid(fn, tie_key.size(), " tie keys for ", S.rows(), " signatures");
  if (set_size < 1) detail::throw_invalid(fn, "set size must be >= 1, got ", set_size);
  ReversalRanking out;
  const Eigen::VectorXd reversed = -disease;
  switch (score) {
  case ConnectivityScore::Cosine:
    out.score = cosine_scores(S, reversed);
    break;
  case ConnectivityScore::Pearson:
    out.score = pearson_scores(S, reversed);
    break;
  case ConnectivityScore::Spearman:
    out.score = spearman_scores(S, reversed);
    break;
  default: {
    AlignedSignature shared;
    shared.values = disease;
    shared.columns.resize(std::size_t(disease.size()));
    std::iota(shared.columns.begin(), shared.columns.end(), Eigen::Index(0));
    out.gene_sets = top_gene_sets(shared, set_size);
    out.score = score == ConnectivityScore::Wtcs
                    ? Eigen::VectorXd(-wtcs_scores(S, out.gene_sets))
                    : Eigen::VectorXd(-scale_ks_scores(ks_scores(S, out.gene_sets)));
  }
  }
  out.score = (out.score.array() == 0).select(0.0, out.score); // no "-0" from negating a zero
  out.rank = competition_ranks(out.score);
  out.order.resize(std::size_t(S.rows()));
  std::iota(out.order.begin(), out.order.end(), Eigen::Index(0));
  const auto key = [&](Eigen::Index k) { return tie_key.empty() ? k : tie_key[std::size_t(k)]; };
  std::sort(out.order.begin(), out.order.end(), [&](Eigen::Index a, Eigen::Index b) {
    return out.rank[std::size_t(a)] != out.rank[std::size_t(b)]
               ? out.rank[std::size_t(a)] < out.rank[std::size_t(b)]
               : key(a) < key(b);
  });
  return out;
}

} // namespace cimpute
