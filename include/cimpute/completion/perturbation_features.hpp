/// @file perturbation_features.hpp
/// @brief Priors for perturbations never measured: the perturbed gene of each perturbation, a
/// gene embedding from the principal components of training responses, perturbation features
/// built from it or from a user table (e.g. a gene embedding), and how the front ends name them
/// (`pca:K` or a file).
#pragma once

#include "cimpute/completion/combinations.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

namespace cimpute {

/// Per perturbation of `t`, the column of the feature (gene) whose id, or else whose symbol
/// (`feature_symbols()`, e.g. CMap's `pr_gene_symbol` beside numeric gene ids; the first column
/// of a repeated symbol), is the perturbation's name, or -1: the perturbed gene of a genetic
/// perturbation named after its target (a knock-down of `STAT1`).
template <class Scalar>
std::vector<Eigen::Index> target_gene_columns(const PerturbationTensor<Scalar>& t) {
  std::unordered_map<std::string, Eigen::Index> by_symbol;
  const auto& symbols = t.feature_symbols();
  for (std::size_t g = symbols.size(); g-- > 0;) by_symbol[symbols[g]] = Eigen::Index(g);
  std::vector<Eigen::Index> out(std::size_t(t.num_perturbations()), -1);
  for (Eigen::Index p = 0; p < t.num_perturbations(); ++p) {
    const std::string& name = t.perturbations()[p];
    Eigen::Index g = t.features().find(name);
    if (g < 0) {
      const auto it = by_symbol.find(name);
      if (it != by_symbol.end()) g = it->second;
    }
    out[std::size_t(p)] = g;
  }
  return out;
}

/// The genes' coordinates on the top `components` principal components of `responses` (rows:
/// responses, already centred; columns: genes): \f$ G = U_K S_K \f$ of the genes x responses
/// matrix \f$ Y^\top = U S V^\top \f$, genes x K (K capped at the rank; signs are arbitrary).
/// Computed from the smaller of the two Gram matrices. Throws for `components` < 1 or a
/// non-finite entry.
inline Eigen::MatrixXd gene_embedding(const Eigen::Ref<const Eigen::MatrixXd>& responses,
                                      Eigen::Index components) {
  const char* fn = "gene_embedding";
  if (components < 1) detail::throw_invalid(fn, "components must be >= 1, got ", components);
  if (!responses.allFinite()) detail::throw_invalid(fn, "a response has a non-finite entry");
  const Eigen::Index n = responses.rows(), G = responses.cols();
  const bool by_genes = G <= n; // eigenvectors of Y^T Y are U; of Y Y^T, V
  const Eigen::MatrixXd gram = by_genes ? Eigen::MatrixXd(responses.transpose() * responses)
                                        : Eigen::MatrixXd(responses * responses.transpose());
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);
  const Eigen::VectorXd& values = eig.eigenvalues(); // ascending
  const double floor = std::max(values.size() > 0 ? values[values.size() - 1] : 0.0, 0.0) *
                       double(std::max(n, G)) * Eigen::NumTraits<double>::epsilon();
  Eigen::Index k = 0;
  while (k < std::min(components, values.size()) && values[values.size() - 1 - k] > floor) ++k;
  Eigen::MatrixXd out(G, k);
  for (Eigen::Index j = 0; j < k; ++j) {
    const Eigen::Index at = values.size() - 1 - j;
    if (by_genes) // U_j s_j
      out.col(j) = eig.eigenvectors().col(at) * std::sqrt(values[at]);
    else // Y^T V_j = U_j s_j
      out.col(j) = responses.transpose() * eig.eigenvectors().col(at);
  }
  return out;
}

/// Scale a perturbation feature table (one row per perturbation) by one number so that the root
/// mean square of its non-zero rows' norms is 1 (relative sizes and directions are kept; a table
/// of zeros is returned as it is): the NTK prior's parts then weigh alike whatever the table's
/// units.
inline Eigen::MatrixXd unit_rms_rows(Eigen::MatrixXd features) {
  const Eigen::VectorXd norms = features.rowwise().squaredNorm();
  const Eigen::Index nonzero = (norms.array() > 0).count();
  if (nonzero > 0) features /= std::sqrt(norms.sum() / double(nonzero));
  return features;
}

/// Per perturbation, its target gene's row of a gene embedding (genes x K), zeros for a
/// perturbation without a target gene (`target`, from `target_gene_columns`); a combination
/// (`parts`, from `combination_parts`) gets the sum of its parts' rows.
inline Eigen::MatrixXd target_gene_rows(const Eigen::MatrixXd& genes,
                                        const std::vector<Eigen::Index>& target,
                                        const std::vector<std::vector<Eigen::Index>>& parts) {
  Eigen::MatrixXd e = Eigen::MatrixXd::Zero(Eigen::Index(target.size()), genes.cols());
  for (Eigen::Index p = 0; p < e.rows(); ++p)
    if (target[std::size_t(p)] >= 0) e.row(p) = genes.row(target[std::size_t(p)]);
  sum_combination_rows(e, parts);
  return e;
}

/// Perturbation features for perturbations never measured, from training responses only: each
/// perturbation's target gene (`target_gene_columns`) has coordinates on the top `components`
/// principal components of the training signatures (every training and reference row, each
/// context centred by its mean; `gene_embedding`), and those coordinates are the perturbation's
/// features (the idea of the linear baseline's P, Ahlmann-Eltze, Huber & Anders 2025, pooled
/// over contexts here; `LinearModelCompletion` builds its own per context). A perturbation
/// whose name is not a gene gets zeros (no prior: the average perturbation). Scaled by
/// `unit_rms_rows`. A combination (`combination_parts`, e.g. a double knock-down `A+B`) gets the
/// sum of its parts' rows. One row per perturbation of the tensor.
template <class Scalar>
Eigen::MatrixXd pca_perturbation_features(const TrainingSet<Scalar>& train_only,
                                          Eigen::Index components) {
  const TrainingSet<Scalar> train = train_only.with_reference();
  const auto& t = train.tensor();
  Eigen::MatrixXd y(train.size(), t.num_features());
  Eigen::Index at = 0;
  for (Eigen::Index c = 0; c < t.num_contexts(); ++c) {
    const auto& rows = train.context_rows(c);
    if (rows.empty()) continue;
    const Eigen::RowVectorXd mean = train.mean_of(rows).template cast<double>();
    for (Eigen::Index r : rows) y.row(at++) = t.observed().row(r).template cast<double>() - mean;
  }
  return unit_rms_rows(target_gene_rows(gene_embedding(y, components), target_gene_columns(t),
                                        combination_parts(t)));
}

/// Perturbation features for combinations never measured, from their single perturbations'
/// training signatures: a perturbation's row is the mean of its training (and reference)
/// signatures, zero without any; a combination's row (`combination_parts`) is the sum of its
/// parts' rows, never its own signature, so that a training combination's features are built
/// as a held-out one's. Scaled by `unit_rms_rows`. One row per perturbation of the tensor.
template <class Scalar>
Eigen::MatrixXd signature_perturbation_features(const TrainingSet<Scalar>& train_only) {
  const TrainingSet<Scalar> train = train_only.with_reference();
  const auto& t = train.tensor();
  const auto parts = combination_parts(t);
  Eigen::MatrixXd e = Eigen::MatrixXd::Zero(t.num_perturbations(), t.num_features());
  for (Eigen::Index p = 0; p < e.rows(); ++p)
    if (parts[std::size_t(p)].empty() && !train.perturbation_rows(p).empty())
      e.row(p) = train.mean_of(train.perturbation_rows(p)).template cast<double>();
  sum_combination_rows(e, parts);
  return unit_rms_rows(std::move(e));
}

/// Where the perturbations' prior comes from when they have no measurement: nothing, the
/// principal components of the training responses (`pca:K`, `pca_perturbation_features`), the
/// single perturbations' training signatures (`signatures`, `signature_perturbation_features`,
/// for combinations), or a table with one row per perturbation (e.g. a gene embedding).
struct PerturbationFeatureSource {
  Eigen::Index pca_components = 0; ///< K of `pca:K`; 0: not pca
  bool signatures = false;         ///< `signatures`
  Eigen::MatrixXd table;           ///< one row per perturbation of the tensor (empty: none)
  bool empty() const noexcept { return pca_components == 0 && !signatures && table.size() == 0; }
};

/// K of a `pca:K` value (K >= 1), or 0 when `value` does not start with `pca:`. Throws
/// `invalid_argument` for `pca:` followed by anything but a whole number >= 1.
inline Eigen::Index parse_pca_components(const std::string& value) {
  if (value.rfind("pca:", 0) != 0) return 0;
  const std::string num = value.substr(4);
  char* end = nullptr;
  const long k = num.empty() ? 0 : std::strtol(num.c_str(), &end, 10);
  if (!end || *end != 0 || k < 1 || k > 100000)
    detail::throw_invalid("parse_pca_components", "'", value,
                          "' is not pca:K with a whole number K >= 1");
  return Eigen::Index(k);
}

} // namespace cimpute
