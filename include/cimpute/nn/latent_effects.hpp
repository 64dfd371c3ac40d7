/// @file latent_effects.hpp
/// @brief Perturbation effects as vectors (in expression, latent or PCA space) and their
/// alignment across contexts (Belyaeva et al. 2021; Jain, Radhakrishnan, Uhler).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/SVD>

#include <algorithm>
#include <vector>

namespace cimpute {

/// Cosines between the effects of the same perturbation in two different contexts.
struct EffectAlignment {
  Eigen::VectorXd cosines; ///< one per (perturbation, context pair), perturbations in order
  double mean = 0;         ///< mean cosine
  double median = 0;       ///< median cosine
  double mean_abs = 0;     ///< mean |cosine|
};

/// The alignment of effects: `effects` has one row per entry of `pairs` (e.g. the latent code of
/// (d, c) minus the code of c's control); for every perturbation, the cosine of its effects in
/// each pair of contexts where it was measured. Throws when no perturbation has two contexts.
inline EffectAlignment cross_context_alignment(const Eigen::MatrixXd& effects,
                                               const std::vector<PairIndex>& pairs) {
  const char* fn = "cross_context_alignment";
  if (Eigen::Index(pairs.size()) != effects.rows())
    detail::throw_invalid(fn, effects.rows(), " effects but ", pairs.size(), " pairs");
  Eigen::Index P = 0;
  for (const auto& p : pairs) P = std::max(P, p.perturbation + 1);
  std::vector<std::vector<Eigen::Index>> by_pert(static_cast<std::size_t>(P));
  for (std::size_t i = 0; i < pairs.size(); ++i)
    by_pert[std::size_t(pairs[i].perturbation)].push_back(Eigen::Index(i));
  std::vector<double> cos;
  for (const auto& rows : by_pert)
    for (std::size_t a = 0; a < rows.size(); ++a)
      for (std::size_t b = a + 1; b < rows.size(); ++b) {
        const double na = effects.row(rows[a]).norm(), nb = effects.row(rows[b]).norm();
        cos.push_back(na > 0 && nb > 0 ? effects.row(rows[a]).dot(effects.row(rows[b])) / (na * nb)
                                       : 0.0);
      }
  if (cos.empty()) detail::throw_invalid(fn, "no perturbation was measured in two contexts");
  EffectAlignment r;
  r.cosines = Eigen::Map<const Eigen::VectorXd>(cos.data(), Eigen::Index(cos.size()));
  r.mean = r.cosines.mean();
  r.mean_abs = r.cosines.cwiseAbs().mean();
  std::vector<double> s = cos;
  std::nth_element(s.begin(), s.begin() + std::ptrdiff_t(s.size() / 2), s.end());
  r.median = s[s.size() / 2];
  return r;
}

/// Principal components of the rows of X: `transform` projects rows onto the top k components
/// (centred by the training mean), the PCA space of the same size as a latent space.
class Pca {
public:
  Pca() = default;
  /// Fit on the rows of X; k is capped at the rank bound min(rows - 1, cols).
  Pca(const Eigen::MatrixXd& X, Eigen::Index k) {
    if (X.rows() < 2 || k < 1) detail::throw_invalid("Pca", "need >= 2 rows and k >= 1");
    m_mean = X.colwise().mean();
    const Eigen::MatrixXd C = X.rowwise() - m_mean;
    Eigen::BDCSVD<Eigen::MatrixXd> svd(C, Eigen::ComputeThinV);
    k = std::min({k, X.rows() - 1, X.cols()});
    m_components = svd.matrixV().leftCols(k);
  }
  Eigen::Index components() const noexcept { return m_components.cols(); }
  Eigen::MatrixXd transform(const Eigen::MatrixXd& X) const {
    return (X.rowwise() - m_mean) * m_components;
  }

private:
  Eigen::RowVectorXd m_mean;
  Eigen::MatrixXd m_components;
};

/// The closed-form aligned linear encoder (no gradient descent; from the code of Jain,
/// Radhakrishnan & Uhler's latent-space alignment work): with \f$ T = X^T X / (n d) + I \f$
/// (d x d, for the n x d data X) and \f$ M = T^{k} = U \operatorname{diag}(s) V^T \f$ (k = 11 in
/// the reference), the encoder is \f$ W = U \operatorname{diag}\big(\sqrt{s^2/2 +
/// \sqrt{1 + s^4/4}}\big) V^T \f$, and the code of a row x is \f$ W x \f$ (`X * W.transpose()`
/// for a batch). T is symmetric positive definite, so its eigendecomposition gives the SVD of M
/// (s = eigenvalue^k); the result is symmetric with eigenvalues >= 1. The map stretches the
/// directions of large variance of the data far more than the others (s^k), which is what aligns
/// effect vectors along the data's dominant directions.
template <class Derived>
Eigen::MatrixXd aligned_linear_encoder(const Eigen::MatrixBase<Derived>& X, int power = 11) {
  const char* fn = "aligned_linear_encoder";
  if (X.rows() < 1 || X.cols() < 1) detail::throw_invalid(fn, "empty data");
  if (power < 1) detail::throw_invalid(fn, "power must be >= 1, got ", power);
  if (!X.allFinite()) detail::throw_invalid(fn, "non-finite data");
  const Eigen::MatrixXd Xd = X.template cast<double>();
  const double nd = double(X.rows()) * double(X.cols());
  Eigen::MatrixXd T = Xd.transpose() * Xd / nd;
  T.diagonal().array() += 1.0;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(T);
  if (es.info() != Eigen::Success) detail::throw_invalid(fn, "the eigen-solver failed");
  const Eigen::ArrayXd s = es.eigenvalues().array().pow(double(power));
  // sqrt(s^2 / 2 + sqrt(1 + s^4 / 4)) = s sqrt(1 / 2 + sqrt(s^-4 + 1 / 4)): no overflow of s^4.
  const Eigen::VectorXd g = (s * (0.5 + (s.pow(-4) + 0.25).sqrt()).sqrt()).matrix();
  return es.eigenvectors() * g.asDiagonal() * es.eigenvectors().transpose();
}

} // namespace cimpute
