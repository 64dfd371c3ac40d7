/// @file wtcs.hpp
/// @brief The CLUE weighted connectivity score (WTCS), its normalisation (NCS) and the tau
/// percentile (Subramanian et al., Cell 2017).
#pragma once

#include "cimpute/connectivity/gene_set_query.hpp"
#include "cimpute/connectivity/ranking.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace cimpute {

/// Weighted connectivity score of the query sets with every reference signature (rows of
/// `references`, signatures x genes). Each signature is sorted once, largest value first; for a
/// set S of t genes the running sum walks the list, rising by \f$ |r_g| / \sum_{h \in S} |r_h|
/// \f$ at a gene of S and falling by \f$ 1/(n - t) \f$ elsewhere (the weighted KS statistic of
/// GSEA with weight exponent 1); its enrichment score ES is the extreme of the largest absolute
/// value (the negative one on a tie). WTCS = (ES_up - ES_down) / 2 when the two have different
/// signs, else 0; with one set empty, ES_up (or -ES_down).
///
/// Ties: the running sum is read only after each block of tied values, so the score does not
/// depend on how tied genes are ordered. A set whose genes all have weight 0 in a signature is
/// walked with equal steps 1/t.
template <class Derived>
Eigen::VectorXd wtcs_scores(const Eigen::MatrixBase<Derived>& references, const GeneSetQuery& q) {
  const char* fn = "wtcs_scores";
  const Eigen::Index n = references.cols();
  q.validate(n);
  if (!references.allFinite())
    detail::throw_invalid(fn, "a reference signature has a non-finite value");
  const std::vector<signed char> member = detail::membership(q, n);
  const double t_up = double(q.up.size()), t_down = double(q.down.size());
  const double miss_up = t_up > 0 ? 1.0 / (double(n) - t_up) : 0.0;
  const double miss_down = t_down > 0 ? 1.0 / (double(n) - t_down) : 0.0;
  Eigen::VectorXd out(references.rows());
  using S = typename Derived::Scalar;
  struct Workspace {
    detail::SortedSignature<S> sorted;
  };
  detail::for_each_row<Workspace>(references, [&](Workspace& w, Eigen::Index i, const auto& row) {
    double norm_up = 0, norm_down = 0;
    for (Eigen::Index g : q.up) norm_up += std::abs(double(row[g]));
    for (Eigen::Index g : q.down) norm_down += std::abs(double(row[g]));
    w.sorted.assign(row);
    double s_up = 0, s_down = 0, hi_up = 0, lo_up = 0, hi_down = 0, lo_down = 0;
    for (std::size_t k = 0; k < w.sorted.order.size(); ++k) {
      const auto& [value, g] = w.sorted.order[k];
      const double weight = std::abs(double(value));
      const signed char m = member[std::size_t(g)];
      // A gene is a hit for its own set and a miss for the other.
      if (m > 0)
        s_up += norm_up > 0 ? weight / norm_up : 1.0 / t_up;
      else
        s_up -= miss_up;
      if (m < 0)
        s_down += norm_down > 0 ? weight / norm_down : 1.0 / t_down;
      else
        s_down -= miss_down;
      if (w.sorted.block_end(k)) {
        hi_up = std::max(hi_up, s_up);
        lo_up = std::min(lo_up, s_up);
        hi_down = std::max(hi_down, s_down);
        lo_down = std::min(lo_down, s_down);
      }
    }
    const double es_up = hi_up > -lo_up ? hi_up : lo_up;
    const double es_down = hi_down > -lo_down ? hi_down : lo_down;
    out[i] = detail::combine_up_down(es_up, es_down, t_up > 0, t_down > 0, 2.0);
  });
  return out;
}

/// Normalised connectivity scores (NCS): each WTCS divided by the mean of the positive WTCS
/// (for a positive score) or by the absolute mean of the negative WTCS (for a negative one) of
/// the references in the same group, the group being the cell line and perturbation type
/// (e.g. "A549|trt_cp"). Zero stays zero.
inline Eigen::VectorXd normalized_connectivity(const Eigen::Ref<const Eigen::VectorXd>& wtcs,
                                               const std::vector<std::string>& groups) {
  const char* fn = "normalized_connectivity";
  if (Eigen::Index(groups.size()) != wtcs.size())
    detail::throw_invalid(fn, wtcs.size(), " scores but ", groups.size(), " group labels");
  if (!wtcs.allFinite()) detail::throw_invalid(fn, "non-finite score");
  struct Sums {
    double pos = 0, neg = 0;
    Eigen::Index npos = 0, nneg = 0;
  };
  std::map<std::string, Sums> sums;
  for (Eigen::Index i = 0; i < wtcs.size(); ++i) {
    Sums& s = sums[groups[std::size_t(i)]];
    if (wtcs[i] > 0) s.pos += wtcs[i], ++s.npos;
    if (wtcs[i] < 0) s.neg += wtcs[i], ++s.nneg;
  }
  Eigen::VectorXd out(wtcs.size());
  for (Eigen::Index i = 0; i < wtcs.size(); ++i) {
    const Sums& s = sums[groups[std::size_t(i)]];
    const double w = wtcs[i];
    out[i] = w > 0 ? w / (s.pos / double(s.npos)) : w < 0 ? w / (-s.neg / double(s.nneg)) : 0.0;
  }
  return out;
}

/// The tau score of CLUE: \f$ \tau = \mathrm{sign}(ncs) \cdot 100 \cdot
/// |\{c : |ncs_c| < |ncs|\}| / N \f$, the signed percentile of |ncs| among the N reference
/// values `reference` (the NCS of the same signature against a compendium of queries).
/// Vectorized: the references are sorted once.
inline Eigen::VectorXd tau_scores(const Eigen::Ref<const Eigen::VectorXd>& ncs,
                                  const Eigen::Ref<const Eigen::VectorXd>& reference) {
  const char* fn = "tau_scores";
  if (reference.size() == 0) detail::throw_invalid(fn, "empty reference distribution");
  if (!ncs.allFinite() || !reference.allFinite()) detail::throw_invalid(fn, "non-finite score");
  std::vector<double> r(std::size_t(reference.size()));
  for (Eigen::Index i = 0; i < reference.size(); ++i) r[std::size_t(i)] = std::abs(reference[i]);
  std::sort(r.begin(), r.end());
  Eigen::VectorXd out(ncs.size());
  for (Eigen::Index i = 0; i < ncs.size(); ++i) {
    const double below = double(std::lower_bound(r.begin(), r.end(), std::abs(ncs[i])) - r.begin());
    const double sign = ncs[i] > 0 ? 1.0 : ncs[i] < 0 ? -1.0 : 0.0;
    out[i] = sign * 100.0 * below / double(r.size());
  }
  return out;
}

} // namespace cimpute
