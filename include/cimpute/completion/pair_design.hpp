/// @file pair_design.hpp
/// @brief Choosing the (perturbation, context) pairs to measure next: greedy reduction of the
/// kernel posterior variance summed over the unmeasured pairs, with rank-one updates of the
/// posterior covariance (no refit per candidate).
#pragma once

#include "cimpute/completion/any_completion.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace cimpute {

/// Options of `design_pairs`.
struct PairDesignOptions {
  int budget = 1; ///< pairs to choose (B)
  /// Candidates above this count throw (the design holds their candidates x candidates posterior
  /// covariance: 20,000 pairs take 3.2 GB); pass a subset of candidates for more.
  Eigen::Index max_candidates = 20000;
};

/// One chosen pair: its posterior variance when chosen (given the pairs chosen before it) and
/// the posterior variance summed over the candidates still unmeasured once it and those before
/// it are measured. Variances are fractions of the prior variance, as `impute`'s `variance`.
struct ChosenPair {
  PairIndex pair;
  double variance_before = 0;
  double total_variance_after = 0;
};

/// The result of `design_pairs`.
struct PairDesign {
  std::vector<ChosenPair> chosen;
  double total_variance_before = 0; ///< summed over all candidates, before any measurement
};

/// Chooses `options.budget` of the `candidates` (unmeasured pairs) to measure next with a fitted
/// kernel method `method` (the NTK: `NtkCompletion`, `NtkCompletionCV`, or an `AnyCompletion`
/// holding one): greedily, the pair whose measurement lowers the posterior variance summed over
/// the still unmeasured candidates the most, the posterior covariance then updated by a
/// rank-one downdate \f$ \Sigma \leftarrow \Sigma - \Sigma_{:x}\Sigma_{x:} / (\Sigma_{xx} +
/// \lambda) \f$ (\f$ \lambda \f$: the method's ridge). A Gaussian process's posterior covariance
/// depends on where the data are, not on their values, so the choice needs no measurement; the
/// kernel is the one fitted now (a prior built from training signatures is not rebuilt). Ties go
/// to the earlier candidate. Throws for a budget below 1 or above the candidates, repeated
/// candidates, or a method without a kernel posterior covariance.
template <class Method>
PairDesign design_pairs(const Method& method, const std::vector<PairIndex>& candidates,
                        const PairDesignOptions& options = {}) {
  const char* fn = "design_pairs";
  const Eigen::Index m = Eigen::Index(candidates.size());
  if (options.budget < 1)
    detail::throw_invalid(fn, "the budget must be >= 1, got ", options.budget);
  if (options.budget > m)
    detail::throw_invalid(fn, "a budget of ", options.budget, " exceeds the ", m,
                          " candidate pairs");
  if (m > options.max_candidates)
    detail::throw_invalid(fn, m, " candidate pairs exceed max_candidates (", options.max_candidates,
                          "): the design holds their posterior covariance (",
                          8e-9 * double(m) * double(m), " GB); pass fewer candidates");
  {
    std::vector<PairIndex> sorted = candidates;
    std::sort(sorted.begin(), sorted.end(), [](const PairIndex& a, const PairIndex& b) {
      return a.perturbation != b.perturbation ? a.perturbation < b.perturbation
                                              : a.context < b.context;
    });
    for (std::size_t i = 1; i < sorted.size(); ++i)
      if (sorted[i].perturbation == sorted[i - 1].perturbation &&
          sorted[i].context == sorted[i - 1].context)
        detail::throw_invalid(fn, "candidate pair (", sorted[i].perturbation, ", ",
                              sorted[i].context, ") is listed twice");
  }
  double ridge = 0;
  Eigen::MatrixXd S = detail::relative_posterior_covariance(method, candidates, ridge);
  if (!S.allFinite()) detail::throw_invalid(fn, "non-finite posterior covariance");
  const double tiny = 64 * std::numeric_limits<double>::epsilon();
  std::vector<char> unmeasured(std::size_t(m), 1);
  Eigen::VectorXd mask = Eigen::VectorXd::Ones(m);
  PairDesign out;
  double total = S.diagonal().sum();
  out.total_variance_before = total;
  Eigen::VectorXd column_sq(m);
  for (int step = 0; step < options.budget; ++step) {
    // Reduction of the unmeasured total by measuring x: its own variance, plus what it explains
    // of the other unmeasured pairs.
    for (Eigen::Index x = 0; x < m; ++x)
      column_sq(x) = unmeasured[std::size_t(x)] ? S.col(x).cwiseAbs2().dot(mask) : 0.0;
    Eigen::Index best = -1;
    double best_reduction = -1;
    for (Eigen::Index x = 0; x < m; ++x) {
      if (!unmeasured[std::size_t(x)]) continue;
      const double v = std::max(S(x, x), 0.0), den = v + ridge;
      const double reduction = den > tiny ? v + (column_sq(x) - v * v) / den : v;
      if (reduction > best_reduction) best_reduction = reduction, best = x;
    }
    ChosenPair c;
    c.pair = candidates[std::size_t(best)];
    c.variance_before = std::max(S(best, best), 0.0);
    unmeasured[std::size_t(best)] = 0;
    mask(best) = 0;
    const double den = c.variance_before + ridge;
    if (den > tiny) {
      const Eigen::VectorXd col = S.col(best);
      S.noalias() -= (col / den) * col.transpose();
    }
    total = 0;
    for (Eigen::Index u = 0; u < m; ++u)
      if (unmeasured[std::size_t(u)]) total += std::max(S(u, u), 0.0);
    c.total_variance_after = total;
    out.chosen.push_back(c);
  }
  return out;
}

} // namespace cimpute
