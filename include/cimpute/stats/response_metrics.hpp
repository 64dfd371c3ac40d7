/// @file response_metrics.hpp
/// @brief Perturbation response metrics the way the field scores them (GEARS, the 2025 Virtual
/// Cell Challenge's cell-eval, scPerturb): per perturbation, on pseudobulk means or single
/// cells, and the summary normalised against a baseline.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/stats/differential_expression.hpp"
#include "cimpute/stats/energy_distance.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

namespace cimpute {

/// One perturbation's scores. Means are expression profiles (pseudobulk); a delta is a mean
/// minus its own side's control mean (the prediction's control for the prediction, the
/// measurement's for the measurement). NaN: not computed (the single-cell metrics of pseudobulk
/// input, the E-test without permutations).
struct ResponseScores {
  static constexpr double na = std::numeric_limits<double>::quiet_NaN();
  double mae = na;                ///< mean |predicted mean - measured mean| over genes
  double mse = na;                ///< mean squared difference of the means
  double pearson = na;            ///< Pearson of the means over genes (GEARS's `pearson`)
  double cosine = na;             ///< cosine of the deltas
  double r2 = na;                 ///< R^2 of the measured delta by the predicted one
  double pearson_delta = na;      ///< Pearson of the deltas over genes
  double pearson_delta_de20 = na; ///< Pearson of the deltas over the 20 most changed genes
  double mse_de20 = na;           ///< mean squared difference of the means over those genes
  double pds = na;                ///< perturbation discrimination score, 1 - rank / N
  double des = na;                ///< DE overlap, k = the measured significant genes
  double des_at_k = na;           ///< DE overlap with k capped (`ResponseScoreOptions::des_cap`)
  double edistance = na;          ///< energy distance, predicted vs measured cells
  double edistance_truth_control = na;     ///< energy distance, measured vs control cells
  double edistance_predicted_control = na; ///< energy distance, predicted vs control cells
  double etest_p = na; ///< permutation E-test p-value of predicted vs measured cells
};

/// A column of the score tables: its name, where it lives, and its direction.
struct ResponseMetric {
  const char* name;
  double ResponseScores::*value;
  /// +1: higher is better (at most 1), -1: lower is better (at least 0), 0: descriptive.
  int direction;
  const char* description;
};

/// Every metric, in table order. `des@K` is named after the options' cap (`des@20`).
inline const std::vector<ResponseMetric>& response_metrics() {
  static const std::vector<ResponseMetric> table{
      {"mae", &ResponseScores::mae, -1, "mean absolute error of the means"},
      {"mse", &ResponseScores::mse, -1, "mean squared error of the means"},
      {"pearson", &ResponseScores::pearson, +1, "Pearson of the means"},
      {"cosine", &ResponseScores::cosine, +1, "cosine of the deltas"},
      {"r2", &ResponseScores::r2, +1, "R^2 of the deltas"},
      {"pearson-delta", &ResponseScores::pearson_delta, +1, "Pearson of the deltas"},
      {"pearson-delta-de20", &ResponseScores::pearson_delta_de20, +1,
       "Pearson of the deltas on the top DE genes"},
      {"mse-de20", &ResponseScores::mse_de20, -1, "MSE of the means on the top DE genes"},
      {"pds", &ResponseScores::pds, +1, "perturbation discrimination score (L1)"},
      {"des", &ResponseScores::des, +1, "DE gene overlap (BH FDR, Wilcoxon)"},
      {"des@K", &ResponseScores::des_at_k, +1, "DE gene overlap, k capped"},
      {"edistance", &ResponseScores::edistance, -1, "energy distance, predicted vs measured"},
      {"edistance-truth-control", &ResponseScores::edistance_truth_control, 0,
       "energy distance, measured vs control"},
      {"edistance-predicted-control", &ResponseScores::edistance_predicted_control, 0,
       "energy distance, predicted vs control"},
      {"etest-p", &ResponseScores::etest_p, 0, "E-test p-value, predicted vs measured"}};
  return table;
}

/// The metric called `name` ("des@20" and any "des@K" name `des@K`). Throws `invalid_argument`
/// listing the names.
inline const ResponseMetric& response_metric(const std::string& name) {
  const std::string key = name.rfind("des@", 0) == 0 ? std::string("des@K") : name;
  for (const auto& m : response_metrics())
    if (key == m.name) return m;
  std::string known;
  for (const auto& m : response_metrics()) known += std::string(known.empty() ? "" : ", ") + m.name;
  detail::throw_invalid("response_metric", "unknown metric '", name, "' (known: ", known, ")");
}

/// Options of `score_responses` and `score_cell_responses`.
struct ResponseScoreOptions {
  /// The genes of `pearson-delta-de20` / `mse-de20`: this many most changed per perturbation.
  Eigen::Index top_genes = 20;
  /// `des@K`: k = min(des_cap, the measured significant genes).
  Eigen::Index des_cap = 20;
  double fdr = 0.05; ///< significance of the DE tests (Benjamini-Hochberg q < fdr)
  DifferentialExpressionOptions de;
  EnergyDistanceOptions energy;
  int etest_permutations = 0; ///< 0: no E-test
  std::uint64_t seed = 0;     ///< of the E-test's permutations
  /// Per perturbation, the gene column of the perturbed gene (left out of `pds`'s distances), or
  /// -1; empty: none.
  std::vector<Eigen::Index> target_genes;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "ResponseScoreOptions::validate";
    if (top_genes < 1) detail::throw_invalid(fn, "top_genes must be >= 1, got ", top_genes);
    if (des_cap < 1) detail::throw_invalid(fn, "des_cap must be >= 1, got ", des_cap);
    if (!(fdr > 0 && fdr < 1)) detail::throw_invalid(fn, "fdr must lie in (0, 1), got ", fdr);
    if (etest_permutations < 0)
      detail::throw_invalid(fn, "etest_permutations must be >= 0, got ", etest_permutations);
    de.validate();
  }
};

namespace detail {
inline double pearson_of(const Eigen::Ref<const Eigen::VectorXd>& a,
                         const Eigen::Ref<const Eigen::VectorXd>& b) {
  const Eigen::ArrayXd x = a.array() - a.mean(), y = b.array() - b.mean();
  const double den = std::sqrt((x * x).sum() * (y * y).sum());
  return den > 0 ? (x * y).sum() / den : 0.0;
}
} // namespace detail

/// Per-perturbation scores of predicted against measured pseudobulk profiles: row p of each
/// means matrix is perturbation p (the same order on both sides; genes as columns), each side
/// with its own control mean. The top-20 genes of a perturbation are `de_genes[p]` when given
/// (e.g. ranked by a Wilcoxon test on single cells), else its 20 largest |measured delta|.
/// `pds`: the L1 distance of p's predicted delta to every measured delta q (p's target gene's
/// column left out); rank = #{q != p closer than p's own}; score 1 - rank / N. Undefined
/// correlations (a constant vector) score 0, as does R^2 of a constant measured delta.
/// The single-cell metrics stay NaN. Throws `invalid_argument` for mismatched shapes, NaN
/// (naming the row and column) or bad options.
inline std::vector<ResponseScores>
score_responses(const Eigen::Ref<const Eigen::MatrixXd>& predicted_means,
                const Eigen::Ref<const Eigen::MatrixXd>& measured_means,
                const Eigen::Ref<const Eigen::RowVectorXd>& predicted_control,
                const Eigen::Ref<const Eigen::RowVectorXd>& measured_control,
                const ResponseScoreOptions& opt = {},
                const std::vector<std::vector<Eigen::Index>>& de_genes = {}) {
  const char* fn = "score_responses";
  opt.validate();
  const Eigen::Index P = measured_means.rows(), G = measured_means.cols();
  if (predicted_means.rows() != P || predicted_means.cols() != G)
    detail::throw_invalid(fn, "predictions are ", predicted_means.rows(), " x ",
                          predicted_means.cols(), " (perturbations x genes) but measurements ", P,
                          " x ", G);
  if (P == 0 || G < 2) detail::throw_invalid(fn, "needs at least one perturbation and 2 genes");
  if (predicted_control.size() != G || measured_control.size() != G)
    detail::throw_invalid(fn, "control profiles have ", predicted_control.size(), " and ",
                          measured_control.size(), " genes, the means ", G);
  for (const auto* m : {&predicted_means, &measured_means})
    for (Eigen::Index j = 0; j < G; ++j)
      for (Eigen::Index i = 0; i < P; ++i)
        if (!std::isfinite((*m)(i, j)))
          detail::throw_invalid(fn, m == &predicted_means ? "predicted" : "measured",
                                " mean of perturbation ", i, ", gene ", j, " is not finite");
  if (!predicted_control.allFinite() || !measured_control.allFinite())
    detail::throw_invalid(fn, "a control profile has a non-finite value");
  if (!opt.target_genes.empty() && Eigen::Index(opt.target_genes.size()) != P)
    detail::throw_invalid(fn, "target_genes has ", opt.target_genes.size(), " entries for ", P,
                          " perturbations");
  for (Eigen::Index t : opt.target_genes)
    if (t < -1 || t >= G)
      detail::throw_invalid(fn, "target gene column ", t, " outside 0 .. ", G - 1);
  if (!de_genes.empty() && Eigen::Index(de_genes.size()) != P)
    detail::throw_invalid(fn, "de_genes has ", de_genes.size(), " lists for ", P, " perturbations");

  const Eigen::MatrixXd dp = predicted_means.rowwise() - predicted_control;
  const Eigen::MatrixXd dm = measured_means.rowwise() - measured_control;
  std::vector<ResponseScores> out(static_cast<std::size_t>(P));
  detail::parallel_for(long(P), [&](long pl) {
    const Eigen::Index p = pl;
    ResponseScores& s = out[std::size_t(p)];
    const Eigen::VectorXd a = predicted_means.row(p).transpose(),
                          b = measured_means.row(p).transpose();
    const Eigen::VectorXd da = dp.row(p).transpose(), db = dm.row(p).transpose();
    s.mae = (a - b).cwiseAbs().mean();
    s.mse = (a - b).squaredNorm() / double(G);
    s.pearson = detail::pearson_of(a, b);
    const double den = da.norm() * db.norm();
    s.cosine = den > 0 ? da.dot(db) / den : 0.0;
    const double ss = (db.array() - db.mean()).square().sum();
    s.r2 = ss > 0 ? 1.0 - (db - da).squaredNorm() / ss : 0.0;
    s.pearson_delta = detail::pearson_of(da, db);
    std::vector<Eigen::Index> top;
    if (!de_genes.empty()) {
      top = de_genes[std::size_t(p)];
      for (Eigen::Index g : top)
        if (g < 0 || g >= G)
          detail::throw_invalid(fn, "de_genes of perturbation ", p, " names gene ", g);
      if (Eigen::Index(top.size()) > opt.top_genes) top.resize(std::size_t(opt.top_genes));
    } else {
      top.resize(std::size_t(G));
      std::iota(top.begin(), top.end(), Eigen::Index(0));
      const auto k = std::size_t(std::min(opt.top_genes, G));
      std::partial_sort(top.begin(), top.begin() + long(k), top.end(),
                        [&](Eigen::Index x, Eigen::Index y) {
                          const double ax = std::abs(db[x]), ay = std::abs(db[y]);
                          return ax != ay ? ax > ay : x < y;
                        });
      top.resize(k);
    }
    if (!top.empty()) {
      s.pearson_delta_de20 = detail::pearson_of(da(top), db(top));
      s.mse_de20 = (a(top) - b(top)).squaredNorm() / double(top.size());
    }
    // pds: L1 distances of p's predicted delta to every measured delta.
    const Eigen::Index target = opt.target_genes.empty() ? -1 : opt.target_genes[std::size_t(p)];
    Eigen::MatrixXd diff = (dm.rowwise() - dp.row(p)).cwiseAbs();
    if (target >= 0) diff.col(target).setZero(); // before the sums: no rounding of its entry
    const Eigen::VectorXd dist = diff.rowwise().sum();
    Eigen::Index rank = 0;
    for (Eigen::Index q = 0; q < P; ++q)
      if (q != p && dist[q] < dist[p]) ++rank;
    s.pds = 1.0 - double(rank) / double(P);
  });
  return out;
}

/// Cells of one context: a cells x genes matrix and each cell's group, a perturbation index
/// 0 .. P-1 or -1 for a control cell.
struct CellGroups {
  Eigen::MatrixXd cells;
  std::vector<Eigen::Index> group;
};

/// Single-cell scores: every metric of `score_responses` on the groups' means (each side's
/// control the mean of its own control cells; the top-20 genes by the measured Wilcoxon |z|
/// against control), plus `des` / `des@K` (Wilcoxon tests of each side's perturbed cells
/// against its own control cells, BH within the perturbation) and the energy distances (and the
/// E-test when `etest_permutations` > 0). Throws `invalid_argument` for mismatched genes, a
/// perturbation with fewer than 2 cells on either side, fewer than 2 control cells, or a group
/// outside -1 .. P-1.
inline std::vector<ResponseScores> score_cell_responses(const CellGroups& predicted,
                                                        const CellGroups& measured,
                                                        Eigen::Index perturbations,
                                                        const ResponseScoreOptions& opt = {}) {
  const char* fn = "score_cell_responses";
  opt.validate();
  const Eigen::Index P = perturbations, G = measured.cells.cols();
  if (P < 1) detail::throw_invalid(fn, "needs at least one perturbation");
  if (predicted.cells.cols() != G)
    detail::throw_invalid(fn, "predicted cells have ", predicted.cells.cols(), " genes, measured ",
                          G);
  using Rows = std::vector<Eigen::Index>;
  auto split = [&](const CellGroups& c, const char* side) {
    if (Eigen::Index(c.group.size()) != c.cells.rows())
      detail::throw_invalid(fn, side, ": ", c.group.size(), " group labels for ", c.cells.rows(),
                            " cells");
    std::vector<Rows> rows(std::size_t(P + 1)); // [0]: control
    for (std::size_t i = 0; i < c.group.size(); ++i) {
      const Eigen::Index g = c.group[i];
      if (g < -1 || g >= P)
        detail::throw_invalid(fn, side, " cell ", i, " has group ", g, " outside -1 .. ", P - 1);
      rows[std::size_t(g + 1)].push_back(Eigen::Index(i));
    }
    if (rows[0].size() < 2)
      detail::throw_invalid(fn, side, " has ", rows[0].size(), " control cells (needs at least 2)");
    for (Eigen::Index p = 0; p < P; ++p)
      if (rows[std::size_t(p + 1)].size() < 2)
        detail::throw_invalid(fn, side, " perturbation ", p, " has ",
                              rows[std::size_t(p + 1)].size(), " cells (needs at least 2)");
    for (Eigen::Index j = 0; j < G; ++j)
      for (Eigen::Index i = 0; i < c.cells.rows(); ++i)
        if (!std::isfinite(c.cells(i, j)))
          detail::throw_invalid(fn, side, " cell ", i, ", gene ", j, " is not finite");
    return rows;
  };
  const std::vector<Rows> pr = split(predicted, "predicted"), mr = split(measured, "measured");
  // Each side's control cells once: sorted per gene for the DE tests, summarised (or copied, for
  // the Euclidean variants) for the energy distances.
  const Eigen::MatrixXd pcells = predicted.cells(pr[0], Eigen::all);
  const Eigen::MatrixXd mcells = measured.cells(mr[0], Eigen::all);
  const ControlCells pc(pcells, opt.de), mc(mcells, opt.de);
  const PopulationMoments pmom(pcells), mmom(mcells);
  Eigen::MatrixXd pm(P, G), mm(P, G);
  std::vector<ResponseScores> cell(static_cast<std::size_t>(P));
  std::vector<Rows> top(static_cast<std::size_t>(P));
  detail::parallel_for(long(P), [&](long pl) {
    const Eigen::Index p = pl;
    const Eigen::MatrixXd x = predicted.cells(pr[std::size_t(p + 1)], Eigen::all);
    const Eigen::MatrixXd y = measured.cells(mr[std::size_t(p + 1)], Eigen::all);
    pm.row(p) = x.colwise().mean();
    mm.row(p) = y.colwise().mean();
    const DifferentialExpression de_m = mc.test(y), de_p = pc.test(x);
    top[std::size_t(p)] = de_m.top_by_statistic(opt.top_genes);
    ResponseScores& s = cell[std::size_t(p)];
    s.des = de_overlap(de_m, de_p, opt.fdr);
    s.des_at_k = de_overlap(de_m, de_p, opt.fdr, opt.des_cap);
    if (opt.energy.squared) {
      const PopulationMoments xm(x), ym(y);
      s.edistance = energy_distance(xm, ym, opt.energy);
      s.edistance_truth_control = energy_distance(ym, mmom, opt.energy);
      s.edistance_predicted_control = energy_distance(xm, pmom, opt.energy);
    } else {
      s.edistance = energy_distance(x, y, opt.energy);
      s.edistance_truth_control = energy_distance(y, mcells, opt.energy);
      s.edistance_predicted_control = energy_distance(x, pcells, opt.energy);
    }
    if (opt.etest_permutations > 0)
      s.etest_p = energy_test(x, y, opt.etest_permutations, opt.seed + std::uint64_t(p), opt.energy)
                      .p_value;
  });
  std::vector<ResponseScores> out = score_responses(pm, mm, pmom.centroid, mmom.centroid, opt, top);
  for (std::size_t p = 0; p < out.size(); ++p) {
    out[p].des = cell[p].des;
    out[p].des_at_k = cell[p].des_at_k;
    out[p].edistance = cell[p].edistance;
    out[p].edistance_truth_control = cell[p].edistance_truth_control;
    out[p].edistance_predicted_control = cell[p].edistance_predicted_control;
    out[p].etest_p = cell[p].etest_p;
  }
  return out;
}

/// True for a metric that needs single cells (`des`, `des@K`, the energy distances, the E-test);
/// the others are computed from pseudobulk means by `score_responses`.
inline bool needs_cells(const ResponseMetric& m) {
  return m.value == &ResponseScores::des || m.value == &ResponseScores::des_at_k ||
         m.value == &ResponseScores::edistance ||
         m.value == &ResponseScores::edistance_truth_control ||
         m.value == &ResponseScores::edistance_predicted_control ||
         m.value == &ResponseScores::etest_p;
}

/// Means and standard errors (sample s.d. / sqrt(runs); 0 for one run) of every metric over
/// runs (e.g. one `mean_scores` per seed of a protocol); NaN stays NaN.
struct ResponseRunSummary {
  ResponseScores mean, standard_error;
  int runs = 0;
};

/// Summarise runs of scores (see `ResponseRunSummary`); throws for an empty list.
inline ResponseRunSummary summarize_response_runs(const std::vector<ResponseScores>& runs) {
  if (runs.empty()) detail::throw_invalid("summarize_response_runs", "no runs");
  ResponseRunSummary out;
  out.runs = int(runs.size());
  const double n = double(runs.size());
  for (const auto& metric : response_metrics()) {
    double mean = 0, var = 0;
    for (const auto& r : runs) mean += r.*metric.value;
    mean /= n;
    for (const auto& r : runs) var += (r.*metric.value - mean) * (r.*metric.value - mean);
    out.mean.*metric.value = mean;
    out.standard_error.*metric.value =
        runs.size() > 1 ? std::sqrt(var / (n - 1) / n) : (std::isnan(mean) ? mean : 0.0);
  }
  return out;
}

/// The mean of every metric over perturbations (a metric NaN for every perturbation stays NaN;
/// one NaN among values is an error: the metrics are computed for all or none).
inline ResponseScores mean_scores(const std::vector<ResponseScores>& per) {
  ResponseScores m;
  if (per.empty()) detail::throw_invalid("mean_scores", "no perturbation scores");
  for (const auto& metric : response_metrics()) {
    double sum = 0;
    std::size_t defined = 0;
    for (const auto& s : per)
      if (!std::isnan(s.*metric.value)) sum += s.*metric.value, ++defined;
    if (defined > 0 && defined < per.size())
      detail::throw_invalid("mean_scores", "metric ", metric.name, " is defined for ", defined,
                            " of ", per.size(), " perturbations");
    m.*metric.value = defined ? sum / double(defined) : ResponseScores::na;
  }
  return m;
}

/// A model's score on one metric normalised against a baseline's, as the 2025 Virtual Cell
/// Challenge does: 1 - u / b when lower is better, (u - b) / (1 - b) when higher is better,
/// clipped to [0, 1] (0: no better than the baseline, 1: perfect; the distinct-pairs energy
/// distance can fall below 0, which would otherwise score above 1). A baseline already at the
/// metric's best (b <= 0, or b >= 1) leaves nothing to improve: 0. Throws `invalid_argument` for
/// a descriptive metric (direction 0).
inline double normalised_score(const ResponseMetric& metric, double u, double b) {
  if (metric.direction == 0)
    detail::throw_invalid("normalised_score", "metric ", metric.name,
                          " is descriptive (it has no better direction)");
  double v;
  if (metric.direction < 0)
    v = b > 0 ? 1.0 - u / b : 0.0;
  else
    v = b < 1 ? (u - b) / (1.0 - b) : 0.0;
  return std::clamp(v, 0.0, 1.0);
}

/// The mean over `metrics` (names) of `normalised_score` of the model's mean scores against the
/// baseline's. The challenge's summary uses des, pds and mae. Throws for an unknown or
/// descriptive metric, or one that is NaN on either side.
inline double normalised_summary(const ResponseScores& model, const ResponseScores& baseline,
                                 const std::vector<std::string>& metrics) {
  const char* fn = "normalised_summary";
  if (metrics.empty()) detail::throw_invalid(fn, "no metrics");
  double sum = 0;
  for (const auto& name : metrics) {
    const ResponseMetric& m = response_metric(name);
    const double u = model.*m.value, b = baseline.*m.value;
    if (std::isnan(u) || std::isnan(b))
      detail::throw_invalid(fn, "metric ", name, " was not computed for the model or the baseline");
    sum += normalised_score(m, u, b);
  }
  return sum / double(metrics.size());
}

} // namespace cimpute
