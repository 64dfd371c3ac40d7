/// @file differential_expression.hpp
/// @brief Per-gene differential expression of perturbed cells against control cells: two-sided
/// Wilcoxon rank-sum tests, Benjamini-Hochberg within the perturbation, log2 fold changes.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/stats/multiple_testing.hpp"
#include "cimpute/stats/rank_tests.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>
#include <vector>

namespace cimpute {

/// Options of `differential_expression`.
struct DifferentialExpressionOptions {
  /// The values are log1p-transformed (log-normalised counts): fold changes compare the means of
  /// expm1(value) (as pdex and cell-eval do). False: the means of the values as given.
  bool log1p_input = true;
  /// Added to both means before the ratio, so that genes absent on one side stay finite.
  double pseudocount = 1e-9;
  /// Throws `invalid_argument` naming a negative or non-finite pseudocount.
  void validate() const {
    if (!(pseudocount >= 0) || !std::isfinite(pseudocount))
      detail::throw_invalid("DifferentialExpressionOptions::validate",
                            "pseudocount must be finite and >= 0, got ", pseudocount);
  }
};

/// One perturbation's per-gene tests against control.
struct DifferentialExpression {
  /// log2 of (perturbed mean + c) / (control mean + c), the means clamped at 0
  Eigen::VectorXd log2_fold_change;
  Eigen::VectorXd z;       ///< rank-sum statistic (positive: higher in the perturbed cells)
  Eigen::VectorXd p_value; ///< two-sided
  Eigen::VectorXd q_value; ///< Benjamini-Hochberg over the genes
  /// The genes with q < `fdr`, ordered by |log2 fold change| (largest first; ties by gene).
  std::vector<Eigen::Index> significant(double fdr = 0.05) const {
    std::vector<Eigen::Index> g;
    for (Eigen::Index i = 0; i < q_value.size(); ++i)
      if (q_value[i] < fdr) g.push_back(i);
    std::stable_sort(g.begin(), g.end(), [&](Eigen::Index a, Eigen::Index b) {
      return std::abs(log2_fold_change[a]) > std::abs(log2_fold_change[b]);
    });
    return g;
  }
  /// The `k` genes with the largest |z| (the most significant first; ties by gene).
  std::vector<Eigen::Index> top_by_statistic(Eigen::Index k) const {
    std::vector<Eigen::Index> g(static_cast<std::size_t>(z.size()));
    std::iota(g.begin(), g.end(), Eigen::Index(0));
    std::stable_sort(g.begin(), g.end(), [&](Eigen::Index a, Eigen::Index b) {
      return std::abs(z[a]) > std::abs(z[b]);
    });
    g.resize(std::size_t(std::min<Eigen::Index>(k, z.size())));
    return g;
  }
};

/// The control cells of a context, prepared for many tests: every gene's values sorted once
/// (`RankSumReference`) and the control means of the fold changes.
class ControlCells {
public:
  /// `control`: cells as rows, genes as columns. Throws `invalid_argument` for fewer than 2
  /// cells or non-finite values.
  explicit ControlCells(const Eigen::Ref<const Eigen::MatrixXd>& control,
                        DifferentialExpressionOptions opt = {})
      : m_opt(opt) {
    const char* fn = "ControlCells";
    m_opt.validate();
    if (control.rows() < 2)
      detail::throw_invalid(fn, "needs at least 2 control cells, got ", control.rows());
    if (!control.allFinite()) detail::throw_invalid(fn, "non-finite value in the control cells");
    m_genes.resize(static_cast<std::size_t>(control.cols()));
    m_mean = linear_mean(control, m_opt);
    detail::parallel_for(long(control.cols()), [&](long g) {
      m_genes[std::size_t(g)] = RankSumReference(control.col(Eigen::Index(g)));
    });
  }
  Eigen::Index genes() const noexcept { return Eigen::Index(m_genes.size()); }
  Eigen::Index cells() const noexcept { return m_genes.empty() ? 0 : m_genes[0].size(); }
  const DifferentialExpressionOptions& options() const noexcept { return m_opt; }

  /// The tests of `perturbed` (cells x the same genes) against these control cells.
  DifferentialExpression test(const Eigen::Ref<const Eigen::MatrixXd>& perturbed) const {
    const char* fn = "ControlCells::test";
    if (perturbed.cols() != genes())
      detail::throw_invalid(fn, "perturbed cells have ", perturbed.cols(), " genes, control ",
                            genes());
    if (perturbed.rows() < 1) detail::throw_invalid(fn, "no perturbed cells");
    if (!perturbed.allFinite())
      detail::throw_invalid(fn, "non-finite value in the perturbed cells");
    const Eigen::Index G = genes();
    DifferentialExpression d;
    d.z.resize(G);
    d.p_value.resize(G);
    for (Eigen::Index g = 0; g < G; ++g) {
      const RankSumResult r = m_genes[std::size_t(g)].test(perturbed.col(g));
      d.z[g] = r.z;
      d.p_value[g] = r.p_value;
    }
    d.q_value = benjamini_hochberg(d.p_value);
    // Means clamped at 0 (values below 0 are not expression), so that the ratio is defined.
    const Eigen::VectorXd a = linear_mean(perturbed, m_opt).cwiseMax(0.0);
    const Eigen::VectorXd c = m_mean.cwiseMax(0.0);
    d.log2_fold_change.resize(G);
    for (Eigen::Index g = 0; g < G; ++g) {
      const double num = a[g] + m_opt.pseudocount, den = c[g] + m_opt.pseudocount;
      d.log2_fold_change[g] = num == den ? 0.0 : std::log2(num / den);
      if (!std::isfinite(d.log2_fold_change[g]))
        detail::throw_invalid(
            fn, "the fold change of gene ", g, " is not finite (means ", a[g], " and ", c[g],
            m_opt.log1p_input ? "; values above about 709 overflow expm1: if they are not "
                                "log1p-transformed, set log1p_input to false)"
                              : "; a pseudocount > 0 keeps absent genes finite)");
    }
    return d;
  }

private:
  static Eigen::VectorXd linear_mean(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                     const DifferentialExpressionOptions& o) {
    if (o.log1p_input) return x.array().exp().matrix().colwise().mean().transpose().array() - 1.0;
    return x.colwise().mean().transpose();
  }
  DifferentialExpressionOptions m_opt;
  std::vector<RankSumReference> m_genes;
  Eigen::VectorXd m_mean;
};

/// The differential-expression overlap (`des`) of one perturbation: with M the measured
/// significant genes (q < fdr) ordered by |log2 fold change|, k = |M| (or min(`cap`, |M|) when
/// `cap` > 0, `des@cap`), the share of M's top k among the predicted significant genes' top k:
/// \f$ |top_k(M) \cap top_k(\hat M)| / k \f$. An empty measured set scores 0.
inline double de_overlap(const DifferentialExpression& measured,
                         const DifferentialExpression& predicted, double fdr = 0.05,
                         Eigen::Index cap = 0) {
  std::vector<Eigen::Index> m = measured.significant(fdr), p = predicted.significant(fdr);
  std::size_t k = m.size();
  if (cap > 0) k = std::min(k, std::size_t(cap));
  if (k == 0) return 0.0;
  m.resize(k);
  p.resize(std::min(k, p.size()));
  std::sort(m.begin(), m.end());
  std::sort(p.begin(), p.end());
  std::vector<Eigen::Index> both;
  std::set_intersection(m.begin(), m.end(), p.begin(), p.end(), std::back_inserter(both));
  return double(both.size()) / double(k);
}

} // namespace cimpute
