/// @file linear_model.hpp
/// @brief The linear baseline of perturbation response prediction (Ahlmann-Eltze, Huber &
/// Anders, Nature Methods 2025): a bilinear model on gene and perturbation embeddings that deep
/// models keep failing to beat on unseen perturbations.
#pragma once

#include "cimpute/completion/perturbation_features.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/errors.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <cmath>
#include <string>
#include <vector>

namespace cimpute {

/// Settings of `LinearModelCompletion` (the paper's defaults).
struct LinearModelOptions {
  Eigen::Index components = 10; ///< K: principal components of the gene embedding
  double ridge = 0.1;           ///< lambda of both ridge solves
  /// One row per perturbation of the tensor (e.g. a gene embedding of each target); empty: the
  /// perturbation's target gene's row of the context's gene embedding (`target_gene_columns`).
  Eigen::MatrixXd perturbation_features;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "LinearModelOptions::validate";
    if (components < 1) detail::throw_invalid(fn, "components must be >= 1, got ", components);
    if (!(ridge >= 0) || !std::isfinite(ridge))
      detail::throw_invalid(fn, "ridge must be finite and >= 0, got ", ridge);
    if (!perturbation_features.allFinite())
      detail::throw_invalid(fn, "perturbation_features has a non-finite entry");
  }
};

/// The linear baseline, fitted in each context on its training signatures Y (genes x training
/// perturbations): \f$ Y \approx G W P^\top + b \f$ with b the mean training signature, G the
/// genes' coordinates on the top K principal components of the centred Y (`gene_embedding`),
/// P the training perturbations' embeddings (their target genes' rows of G, or the rows of a
/// supplied table; a combination `A+B` without its own row: the sum of its parts' rows), and
/// \f$ W = (G^\top G + \lambda I)^{-1} G^\top (Y - b) P (P^\top P + \lambda I)^{-1} \f$.
/// A perturbation with embedding p is predicted as \f$ b + G W p^\top \f$: b alone when it has
/// none (its name is not a gene and no table is given). A context without training signatures
/// is predicted as the global training mean.
template <class Scalar_ = double>
class LinearModelCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  explicit LinearModelCompletion(LinearModelOptions opt = {}) : m_opt(std::move(opt)) {
    m_opt.validate();
  }
  std::string name() const { return "linear"; }

  LinearModelCompletion& fit(const TrainingSet<Scalar>& train) {
    const char* fn = "LinearModelCompletion::fit";
    const auto& t = train.tensor();
    const Eigen::Index P = t.num_perturbations(), C = t.num_contexts();
    if (m_opt.perturbation_features.size() > 0 && m_opt.perturbation_features.rows() != P)
      detail::throw_invalid(fn, "perturbation_features has ", m_opt.perturbation_features.rows(),
                            " rows, the tensor ", P, " perturbations");
    const std::vector<Eigen::Index> target = target_gene_columns(t);
    const auto parts = combination_parts(t);
    m_global = train.global_mean().template cast<double>();
    m_mean.assign(std::size_t(C), Eigen::RowVectorXd());
    m_genes.assign(std::size_t(C), Eigen::MatrixXd());
    m_embedding.assign(std::size_t(C), Eigen::MatrixXd());
    for (Eigen::Index c = 0; c < C; ++c) {
      const auto& rows = train.context_rows(c);
      if (rows.empty()) continue;
      const Eigen::RowVectorXd b = train.mean_of(rows).template cast<double>();
      Eigen::MatrixXd y(Eigen::Index(rows.size()), t.num_features()); // responses x genes
      for (std::size_t i = 0; i < rows.size(); ++i)
        y.row(Eigen::Index(i)) = t.observed().row(rows[i]).template cast<double>() - b;
      const Eigen::MatrixXd g = gene_embedding(y, m_opt.components); // genes x K
      Eigen::MatrixXd emb = m_opt.perturbation_features.size() > 0
                                ? m_opt.perturbation_features
                                : target_gene_rows(g, target, parts); // P x K' for every pert
      sum_combination_rows(emb, parts); // a table's pairs without a row: the sum of their singles
      Eigen::MatrixXd ptrain(Eigen::Index(rows.size()), emb.cols());
      for (std::size_t i = 0; i < rows.size(); ++i)
        ptrain.row(Eigen::Index(i)) =
            emb.row(t.observed_pairs()[std::size_t(rows[i])].perturbation);
      Eigen::MatrixXd gg = g.transpose() * g;
      gg.diagonal().array() += m_opt.ridge;
      Eigen::MatrixXd pp = ptrain.transpose() * ptrain;
      pp.diagonal().array() += m_opt.ridge;
      const Eigen::LDLT<Eigen::MatrixXd> lg(gg), lp(pp);
      if (lg.info() != Eigen::Success || lp.info() != Eigen::Success)
        detail::throw_invalid(fn, "the ridge systems of context '", t.contexts()[c],
                              "' could not be factorised (raise the ridge)");
      // W = (G^T G + l)^-1 [G^T Y^T P] (P^T P + l)^-1, Y^T = y^T (genes x responses).
      const Eigen::MatrixXd middle = (g.transpose() * y.transpose()) * ptrain; // K x K'
      const Eigen::MatrixXd w = lp.solve(lg.solve(middle).transpose()).transpose();
      m_mean[std::size_t(c)] = b;
      m_genes[std::size_t(c)] = g * w; // genes x K': G W
      m_embedding[std::size_t(c)] = std::move(emb);
    }
    m_tensor = &t;
    return *this;
  }

  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_tensor) detail::throw_logic("LinearModelCompletion::predict", "call fit() first");
    detail::check_pairs("LinearModelCompletion::predict", *m_tensor, pairs);
    Matrix out(Eigen::Index(pairs.size()), m_global.size());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const auto c = std::size_t(pairs[i].context);
      if (m_mean[c].size() == 0) {
        out.row(Eigen::Index(i)) = m_global.template cast<Scalar>();
        continue;
      }
      const Eigen::RowVectorXd p = m_embedding[c].row(pairs[i].perturbation);
      out.row(Eigen::Index(i)) = (m_mean[c] + p * m_genes[c].transpose()).template cast<Scalar>();
    }
    return out;
  }

private:
  LinearModelOptions m_opt;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
  Eigen::RowVectorXd m_global;
  std::vector<Eigen::RowVectorXd> m_mean;
  std::vector<Eigen::MatrixXd> m_genes, m_embedding;
};

} // namespace cimpute
