/// @file metrics.hpp
/// @brief Evaluation metrics of predicted signatures (as in the NTK matrix-completion protocol,
/// Radhakrishnan et al. 2022): pooled Pearson r, mean per-signature R^2 and cosine.
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <cmath>

namespace cimpute {

namespace detail {
template <class DA, class DB>
void check_same_shape(const char* fn, const Eigen::MatrixBase<DA>& a,
                      const Eigen::MatrixBase<DB>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols())
    throw_invalid(fn, "predictions are ", a.rows(), " x ", a.cols(), " but truths are ", b.rows(),
                  " x ", b.cols());
  if (a.size() == 0) throw_invalid(fn, "no signatures to evaluate");
  if (!a.allFinite() || !b.allFinite()) throw_invalid(fn, "non-finite values");
}
} // namespace detail

/// Pooled Pearson correlation: one correlation over all entries of all signatures (rows) at
/// once, \f$ r = \mathrm{corr}(\mathrm{vec}(\hat Y), \mathrm{vec}(Y)) \f$.
template <class DP, class DT>
double pooled_pearson(const Eigen::MatrixBase<DP>& pred, const Eigen::MatrixBase<DT>& truth) {
  detail::check_same_shape("pooled_pearson", pred, truth);
  const Eigen::ArrayXXd p = pred.template cast<double>().array(),
                        t = truth.template cast<double>().array();
  const Eigen::ArrayXXd pc = p - p.mean(), tc = t - t.mean();
  const double den = std::sqrt((pc * pc).sum() * (tc * tc).sum());
  return den > 0 ? (pc * tc).sum() / den : 0.0;
}

/// Mean over signatures (rows) of \f$ R^2 = 1 - \sum_g (y_g - \hat y_g)^2 / \sum_g (y_g - \bar
/// y)^2 \f$, \f$\bar y\f$ the mean of the true signature over its features.
template <class DP, class DT>
double mean_r2(const Eigen::MatrixBase<DP>& pred, const Eigen::MatrixBase<DT>& truth) {
  detail::check_same_shape("mean_r2", pred, truth);
  double sum = 0;
  for (Eigen::Index i = 0; i < truth.rows(); ++i) {
    const Eigen::ArrayXd t = truth.row(i).template cast<double>().transpose().array();
    const Eigen::ArrayXd p = pred.row(i).template cast<double>().transpose().array();
    const double ss = (t - t.mean()).square().sum();
    sum += 1.0 - (t - p).square().sum() / ss;
  }
  return sum / double(truth.rows());
}

/// Mean over signatures (rows) of the cosine similarity of prediction and truth.
template <class DP, class DT>
double mean_cosine(const Eigen::MatrixBase<DP>& pred, const Eigen::MatrixBase<DT>& truth) {
  detail::check_same_shape("mean_cosine", pred, truth);
  double sum = 0;
  for (Eigen::Index i = 0; i < truth.rows(); ++i) {
    const Eigen::VectorXd t = truth.row(i).template cast<double>().transpose();
    const Eigen::VectorXd p = pred.row(i).template cast<double>().transpose();
    const double den = t.norm() * p.norm();
    sum += den > 0 ? t.dot(p) / den : 0.0;
  }
  return sum / double(truth.rows());
}

/// The three completion metrics of one evaluation.
struct CompletionScores {
  double pearson = 0; ///< pooled Pearson r
  double r2 = 0;      ///< mean per-signature R^2
  double cosine = 0;  ///< mean per-signature cosine
};

/// All three metrics of predictions against truths (signatures as rows).
template <class DP, class DT>
CompletionScores completion_scores(const Eigen::MatrixBase<DP>& pred,
                                   const Eigen::MatrixBase<DT>& truth) {
  return {pooled_pearson(pred, truth), mean_r2(pred, truth), mean_cosine(pred, truth)};
}

} // namespace cimpute
