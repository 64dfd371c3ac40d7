/// @file perturbation_simulator.hpp
/// @brief `simulate_perturbations`: a gene-regulatory-network-shaped linear SEM over G genes in
/// several contexts (cell types), perturbed by drugs (soft or hard interventions on a few target
/// genes with hidden off-targets); produces a `PerturbationTensor` of samples and signatures with
/// the ground truth (graph, targets, exact signatures of every pair, observed mask).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/core/tensor3.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/sem/intervention.hpp"
#include "cimpute/sem/linear_gaussian_sem.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace cimpute {

/// Parameters of `simulate_perturbations`. The defaults make a CMap-like tensor (200 drugs x 20
/// cell types x 978 genes, half of the pairs observed, 3 replicates) in about a second.
struct PerturbationSimulatorParams {
  int genes = 978;               ///< G: nodes of the regulatory network
  int drugs = 200;               ///< D: perturbations besides the control
  int contexts = 20;             ///< C: cell types (same graph, own weights and baselines)
  int regulators = 2;            ///< parents per gene in the scale-free DAG (`scale_free_dag`'s m)
  int targets_per_drug = 2;      ///< known targets, drawn among genes with children
  int off_targets_per_drug = 1;  ///< hidden off-targets, drawn among all other genes
  double hard_fraction = 0.3;    ///< fraction of drugs acting as perfect interventions (knock-down)
  double effect_low = 1.0;       ///< on-target effect size range, in noise sd units:
  double effect_high = 3.0;      ///< shift magnitude (soft) or knock-down depth (hard)
  double off_target_scale = 0.5; ///< off-target shift relative to the on-target effect size
  double context_weight_sd = 0.3; ///< relative sd of each weight between contexts
  double baseline_sd = 1.0;       ///< sd of the context-specific gene baselines
  double noise_sd = 1.0;          ///< sd of every gene's noise
  double density = 0.5;           ///< fraction of (drug, context) pairs observed
  int replicates = 3;             ///< samples per observed (drug, context) pair
  int control_samples = 12;       ///< control samples per context
  std::uint64_t seed = 1;         ///< everything is deterministic for a given seed

  /// Throws `invalid_argument` naming the first bad field.
  void validate() const {
    const char* fn = "PerturbationSimulatorParams::validate";
    auto at_least = [&](const char* name, long long v, long long lo) {
      if (v < lo) detail::throw_invalid(fn, name, " must be >= ", lo, ", got ", v);
    };
    at_least("genes", genes, 2);
    at_least("drugs", drugs, 1);
    at_least("contexts", contexts, 1);
    at_least("regulators", regulators, 1);
    at_least("targets_per_drug", targets_per_drug, 1);
    at_least("off_targets_per_drug", off_targets_per_drug, 0);
    at_least("replicates", replicates, 1);
    at_least("control_samples", control_samples, 1);
    if (targets_per_drug + off_targets_per_drug > genes)
      detail::throw_invalid(fn, "targets_per_drug + off_targets_per_drug = ",
                            targets_per_drug + off_targets_per_drug, " exceeds genes = ", genes);
    auto in = [&](const char* name, double v, double lo, double hi) {
      if (!(v >= lo && v <= hi))
        detail::throw_invalid(fn, name, " must be in [", lo, ", ", hi, "], got ", v);
    };
    in("hard_fraction", hard_fraction, 0, 1);
    in("density", density, 0, 1);
    in("effect_low", effect_low, 0, 1e6);
    in("effect_high", effect_high, effect_low, 1e6);
    in("off_target_scale", off_target_scale, 0, 1e6);
    in("context_weight_sd", context_weight_sd, 0, 1e6);
    in("baseline_sd", baseline_sd, 0, 1e6);
    in("noise_sd", noise_sd, 1e-12, 1e6);
  }
};

/// The output of `simulate_perturbations`: data and ground truth.
template <class Scalar_ = double>
struct SimulatedPerturbations {
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  /// Per-sample profiles (samples x genes) of every observed pair and of the control
  /// (`control_name`, set as every context's control), for structure learning.
  PerturbationTensor<Scalar> samples;
  /// Measured signatures of the observed pairs: mean of the pair's replicates minus the mean of
  /// its context's control samples (equal to `relative_to_control(samples.aggregated())`).
  PerturbationTensor<Scalar> signatures;
  /// Exact expected signatures of every (drug, context) pair, observed or not (closed form):
  /// the planted truth for imputation.
  PerturbationTensor<Scalar> truth;
  /// Observed (drug, context) pairs, drugs x contexts.
  Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic> observed;
  Dag graph;                               ///< the regulatory network (nodes = genes)
  std::vector<Intervention> interventions; ///< per drug: known targets and hidden off-targets
  std::vector<LinearGaussianSem<Scalar>> context_sems; ///< per context: the unperturbed SEM
  std::string control_name = "DMSO";                   ///< the control perturbation's name
};

/// Simulates a perturbation screen on a gene regulatory network.
///
/// - Graph: `scale_free_dag(genes, regulators)`; gene names `G0001`, ... (`graph` is named).
/// - Contexts `cell01`, ...: weights \f$ B_c = B \odot (1 + \sigma_w Z_c) \f$ on the shared
///   arcs, with \f$ B_{ij} = \pm U[0.25, 1] / \sqrt{|pa(j)|} \f$ (keeps variances bounded along
///   long regulatory chains); noise means (baselines) \f$ m + \sigma_b Z_c \f$ with gene means
///   m ~ N(0, 1); noise sd `noise_sd`.
/// - Drugs `drug001`, ...: `targets_per_drug` known targets among genes with children, and
///   `off_targets_per_drug` hidden ones. A hard drug (probability `hard_fraction`) knocks its
///   targets down to N(m_t - depth, 0.1 noise_sd^2) (depth ~ U[effect_low, effect_high] noise sds;
///   the same level in every context, so the effect size depends on the context's baseline); a
///   soft drug shifts them by ±U[effect_low, effect_high] noise sds. Off-targets are shifted by
///   `off_target_scale` times an on-target-sized effect. Interventions are the same in every
///   context; responses differ through the context's weights and baselines.
/// - Observed pairs: each with probability `density`; every drug is then observed in at least one
///   context and every context has at least one drug (a random pair is added where needed).
template <class Scalar = double>
SimulatedPerturbations<Scalar>
simulate_perturbations(const PerturbationSimulatorParams& params = {}) {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  params.validate();
  const int G = params.genes, D = params.drugs, C = params.contexts;
  std::mt19937_64 rng(params.seed);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u01(0, 1);
  auto name = [](const char* prefix, int i, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%0*d", prefix, width, i + 1);
    return std::string(buf);
  };

  SimulatedPerturbations<Scalar> out;
  std::vector<std::string> genes, drugs, cells;
  for (int g = 0; g < G; ++g) genes.push_back(name("G", g, 4));
  for (int d = 0; d < D; ++d) drugs.push_back(name("drug", d, 3));
  for (int c = 0; c < C; ++c) cells.push_back(name("cell", c, 2));

  // The network, shared weights and gene means.
  const Dag shape = scale_free_dag(G, params.regulators, rng());
  out.graph = Dag(genes);
  for (const auto& [i, j] : shape.arcs()) out.graph.add_arc(i, j);
  const Dag& g = out.graph;
  Matrix B = Matrix::Zero(G, G);
  for (const auto& [i, j] : g.arcs()) {
    const double w = (0.25 + 0.75 * u01(rng)) / std::sqrt(double(g.parents(j).size()));
    B(i, j) = Scalar(u01(rng) < 0.5 ? -w : w);
  }
  Vector gene_mean(G);
  for (int j = 0; j < G; ++j) gene_mean[j] = Scalar(n01(rng));
  const Vector noise_var = Vector::Constant(G, Scalar(params.noise_sd * params.noise_sd));
  for (int c = 0; c < C; ++c) {
    Matrix Bc = B;
    for (const auto& [i, j] : g.arcs()) Bc(i, j) *= Scalar(1 + params.context_weight_sd * n01(rng));
    Vector mu(G);
    for (int j = 0; j < G; ++j) mu[j] = gene_mean[j] + Scalar(params.baseline_sd * n01(rng));
    out.context_sems.emplace_back(g, std::move(Bc), std::move(mu), noise_var);
  }

  // Drugs: targets among regulators (genes with children), off-targets among the rest.
  std::vector<int> regulators;
  for (int j = 0; j < G; ++j)
    if (!g.children(j).empty()) regulators.push_back(j);
  if (int(regulators.size()) < params.targets_per_drug)
    detail::throw_invalid(
        "simulate_perturbations", "only ", regulators.size(),
        " genes have children, fewer than targets_per_drug = ", params.targets_per_drug);
  const double sd = params.noise_sd;
  auto effect = [&] {
    return sd * (params.effect_low + (params.effect_high - params.effect_low) * u01(rng));
  };
  for (int d = 0; d < D; ++d) {
    std::vector<int> pool = regulators, hit;
    std::shuffle(pool.begin(), pool.end(), rng);
    hit.assign(pool.begin(), pool.begin() + params.targets_per_drug);
    const bool hard = u01(rng) < params.hard_fraction;
    Intervention iv;
    for (int t : hit) {
      NodeIntervention ni;
      ni.node = t;
      if (hard) {
        ni.kind = InterventionKind::Perfect;
        ni.mean = double(gene_mean[t]) - effect();
        ni.variance = 0.1 * sd * sd;
      } else {
        ni.kind = InterventionKind::Shift;
        ni.shift = (u01(rng) < 0.5 ? -1.0 : 1.0) * effect();
      }
      iv.targets.push_back(ni);
    }
    std::vector<char> taken(static_cast<std::size_t>(G), 0);
    for (int t : hit) taken[std::size_t(t)] = 1;
    for (int k = 0; k < params.off_targets_per_drug;) {
      const int v = int(u01(rng) * G) % G;
      if (taken[std::size_t(v)]) continue;
      taken[std::size_t(v)] = 1;
      NodeIntervention ni;
      ni.node = v;
      ni.kind = InterventionKind::Shift;
      ni.shift = (u01(rng) < 0.5 ? -1.0 : 1.0) * params.off_target_scale * effect();
      iv.off_targets.push_back(ni);
      ++k;
    }
    out.interventions.push_back(std::move(iv));
  }

  // Observed pairs.
  out.observed.resize(D, C);
  for (int c = 0; c < C; ++c)
    for (int d = 0; d < D; ++d) out.observed(d, c) = u01(rng) < params.density;
  for (int d = 0; d < D; ++d)
    if (!out.observed.row(d).any()) out.observed(d, int(u01(rng) * C) % C) = true;
  for (int c = 0; c < C; ++c)
    if (!out.observed.col(c).any()) out.observed(int(u01(rng) * D) % D, c) = true;

  // Samples, measured signatures and exact signatures, context by context.
  const Eigen::Index n_samples = Eigen::Index(C) * params.control_samples +
                                 out.observed.count() * Eigen::Index(params.replicates);
  Matrix X(n_samples, G);
  const Scalar nan = std::numeric_limits<Scalar>::quiet_NaN();
  Tensor3<Scalar> S(D, G, C, nan), T(D, G, C, nan);
  std::vector<std::string> sample_drug, sample_cell;
  Eigen::Index row = 0;
  auto append = [&](const Matrix& block, const std::string& drug, const std::string& cell) {
    X.middleRows(row, block.rows()) = block;
    row += block.rows();
    sample_drug.insert(sample_drug.end(), std::size_t(block.rows()), drug);
    sample_cell.insert(sample_cell.end(), std::size_t(block.rows()), cell);
  };
  for (int c = 0; c < C; ++c) {
    const auto& sem = out.context_sems[std::size_t(c)];
    const Matrix ctrl = sem.sample(params.control_samples, rng());
    append(ctrl, out.control_name, cells[std::size_t(c)]);
    const Vector ctrl_mean = ctrl.colwise().mean();
    const Vector base = sem.mean();
    for (int d = 0; d < D; ++d) {
      const Intervention& iv = out.interventions[std::size_t(d)];
      T.slice(c).row(d) = (sem.mean(iv) - base).transpose();
      if (!out.observed(d, c)) continue;
      const Matrix rep = sem.sample(params.replicates, rng(), iv);
      append(rep, drugs[std::size_t(d)], cells[std::size_t(c)]);
      S.slice(c).row(d) = rep.colwise().mean() - ctrl_mean.transpose();
    }
  }
  out.samples =
      PerturbationTensor<Scalar>::from_samples(std::move(X), sample_drug, sample_cell, genes);
  out.samples.set_control(out.control_name);
  out.signatures = PerturbationTensor<Scalar>::from_dense(S, drugs, cells, genes);
  out.truth = PerturbationTensor<Scalar>::from_dense(T, drugs, cells, genes);
  return out;
}

} // namespace cimpute
