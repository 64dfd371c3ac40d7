/// @file pairwise_scores.hpp
/// @brief Cosine, Pearson and Spearman connectivity of one query signature with many reference
/// signatures over the same genes (Lamb et al. 2006; Belyaeva et al. 2021 use the correlation).
#pragma once

#include "cimpute/connectivity/ranking.hpp"
#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <cmath>

namespace cimpute {

namespace detail {
template <class Derived>
void check_scoring_input(const char* fn, const Eigen::MatrixBase<Derived>& references,
                         const Eigen::Ref<const Eigen::VectorXd>& query) {
  if (references.cols() != query.size())
    detail::throw_invalid(fn, "the references have ", references.cols(), " genes, the query ",
                          query.size());
  if (query.size() < 2) detail::throw_invalid(fn, "need at least 2 genes, got ", query.size());
  if (!query.allFinite()) detail::throw_invalid(fn, "the query has a non-finite value");
  if (!references.allFinite())
    detail::throw_invalid(fn, "a reference signature has a non-finite value");
}
inline double safe_ratio(double num, double den) {
  return den > 0 ? num / den : 0.0;
}
} // namespace detail

/// Cosine similarity of `query` with every row of `references` (signatures x genes, float or
/// double): \f$ \langle r_i, q\rangle / (\|r_i\| \|q\|) \f$; 0 when either is the zero vector.
/// One matrix-vector product in the references' scalar type.
template <class Derived>
Eigen::VectorXd cosine_scores(const Eigen::MatrixBase<Derived>& references,
                              const Eigen::Ref<const Eigen::VectorXd>& query) {
  using S = typename Derived::Scalar;
  detail::check_scoring_input("cosine_scores", references, query);
  const Eigen::Matrix<S, Eigen::Dynamic, 1> q = query.cast<S>();
  const Eigen::VectorXd dots = (references * q).template cast<double>();
  const Eigen::VectorXd norms = references.rowwise().norm().template cast<double>();
  const double qn = query.norm();
  Eigen::VectorXd out(dots.size());
  for (Eigen::Index i = 0; i < out.size(); ++i) out[i] = detail::safe_ratio(dots[i], norms[i] * qn);
  return out;
}

/// Pearson correlation of `query` with every row of `references` (rows centred exactly, in
/// blocks, in double precision); 0 for a constant signature.
template <class Derived>
Eigen::VectorXd pearson_scores(const Eigen::MatrixBase<Derived>& references,
                               const Eigen::Ref<const Eigen::VectorXd>& query) {
  detail::check_scoring_input("pearson_scores", references, query);
  const Eigen::VectorXd qc = query.array() - query.mean();
  const double qn = qc.norm();
  Eigen::VectorXd out(references.rows());
  struct None {};
  detail::for_each_row<None>(references, [&](None&, Eigen::Index i, const auto& row) {
    const Eigen::RowVectorXd x = row.template cast<double>();
    const Eigen::RowVectorXd xc = x.array() - x.mean();
    out[i] = detail::safe_ratio(xc.dot(qc.transpose()), xc.norm() * qn);
  });
  return out;
}

/// Spearman correlation of `query` with every row of `references`: the Pearson correlation of
/// their midranks (ties share the mean rank); one sort per reference signature.
template <class Derived>
Eigen::VectorXd spearman_scores(const Eigen::MatrixBase<Derived>& references,
                                const Eigen::Ref<const Eigen::VectorXd>& query) {
  detail::check_scoring_input("spearman_scores", references, query);
  const Eigen::Index n = query.size();
  const double mean_rank = double(n + 1) / 2;
  const Eigen::VectorXd qc = average_ranks(query).array() - mean_rank;
  const double qn = qc.norm();
  Eigen::VectorXd out(references.rows());
  using S = typename Derived::Scalar;
  struct Workspace {
    detail::SortedSignature<S> sorted;
    Eigen::VectorXd rank;
  };
  detail::for_each_row<Workspace>(references, [&](Workspace& w, Eigen::Index i, const auto& row) {
    // Descending sort; rank n + 1 - midrank_descending is the ascending midrank.
    w.sorted.assign(row);
    w.rank.resize(n);
    std::size_t a = 0;
    for (std::size_t k = 0; k < w.sorted.order.size(); ++k)
      if (w.sorted.block_end(k)) {
        const double mid = double(n) - (double(a) + double(k)) / 2; // n + 1 - ((a+k)/2 + 1)
        for (std::size_t j = a; j <= k; ++j) w.rank[w.sorted.order[j].second] = mid - mean_rank;
        a = k + 1;
      }
    out[i] = detail::safe_ratio(w.rank.dot(qc), w.rank.norm() * qn);
  });
  return out;
}

} // namespace cimpute
