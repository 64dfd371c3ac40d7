/// @file pair_kernel.hpp
/// @brief `PairKernel`: a kernel between (perturbation, context) pairs built from a perturbation
/// Gram and a context Gram, without materialising concatenated pair features.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/kernels/kernel_traits.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace cimpute {

/// Weights of the pair features \f$ f_{(d,c)} = [a\, r_c,\ b\, e_d] \f$ and the private identity
/// coordinate of weight \f$\beta_{id}\f$ (Radhakrishnan et al., PNAS 2022).
struct PairKernelOptions {
  double context_weight = 1.0;      ///< a, scales the context features r_c
  double perturbation_weight = 1.0; ///< b, scales the perturbation features e_d
  double identity_weight = 0.0;     ///< beta_id, weight of each pair's private one-hot coordinate
  bool normalize = true;            ///< project every pair feature to the unit sphere (reference)
  /// Throws `invalid_argument` for negative or non-finite weights.
  void validate() const {
    for (double w : {context_weight, perturbation_weight, identity_weight})
      if (!(w >= 0.0) || !std::isfinite(w))
        detail::throw_invalid("PairKernelOptions::validate",
                              "weights must be finite and >= 0, got ", w);
  }
};

/// The kernel between pairs p = (d, c) and p' = (d', c') of an inner-product kernel k applied to
/// the pair features \f$ [a r_c, b e_d, \beta_{id} 1_p] \f$:
/// \f[ \langle f_p, f_{p'} \rangle = a^2 R_{cc'} + b^2 E_{dd'} + \beta_{id}^2 [p = p'] \f]
/// with R the context Gram and E the perturbation Gram (any PSD matrices: one-hot gives the
/// identity, feature priors give \f$ F F^T \f$). With `normalize`, the features are projected to
/// the unit sphere first, \f$ u = \langle f_p, f_{p'}\rangle / (|f_p| |f_{p'}|) \f$, and the
/// kernel is \f$ k(u) \f$ = `from_inner(u, 1, 1)`. Nothing of size (pairs x features) is built.
template <class Kernel>
class PairKernel {
public:
  using Scalar = typename Kernel::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  /// `perturbation_gram` is D x D (E), `context_gram` is C x C (R), both symmetric.
  PairKernel(Kernel k, Matrix perturbation_gram, Matrix context_gram,
             const PairKernelOptions& opt = {})
      : m_k(std::move(k)), m_E(std::move(perturbation_gram)), m_R(std::move(context_gram)),
        m_opt(opt) {
    detail::check_kernel_concept<Kernel>();
    static_assert(detail::has_from_inner<Kernel>::value,
                  "cimpute::PairKernel needs an inner-product kernel (from_inner)");
    opt.validate();
    check_gram(m_E, "perturbation_gram");
    check_gram(m_R, "context_gram");
    m_a2 = Scalar(opt.context_weight * opt.context_weight);
    m_b2 = Scalar(opt.perturbation_weight * opt.perturbation_weight);
    m_id2 = Scalar(opt.identity_weight * opt.identity_weight);
  }

  Eigen::Index num_perturbations() const noexcept { return m_E.rows(); }
  Eigen::Index num_contexts() const noexcept { return m_R.rows(); }

  /// The kernel value between two pairs.
  Scalar operator()(const PairIndex& p, const PairIndex& q) const {
    check_pair(p);
    check_pair(q);
    return value(p, q);
  }
  /// The symmetric Gram matrix of a list of pairs.
  Matrix gram(const std::vector<PairIndex>& pairs) const {
    for (const auto& p : pairs) check_pair(p);
    const Eigen::Index n = static_cast<Eigen::Index>(pairs.size());
    Matrix K(n, n);
    for (Eigen::Index j = 0; j < n; ++j)
      for (Eigen::Index i = j; i < n; ++i)
        K(i, j) = K(j, i) = value(pairs[std::size_t(i)], pairs[std::size_t(j)]);
    return K;
  }
  /// The cross Gram matrix between two lists of pairs (rows: `a`, columns: `b`); the identity
  /// coordinate contributes only where a pair occurs in both lists.
  Matrix gram(const std::vector<PairIndex>& a, const std::vector<PairIndex>& b) const {
    for (const auto& p : a) check_pair(p);
    for (const auto& p : b) check_pair(p);
    Matrix K(static_cast<Eigen::Index>(a.size()), static_cast<Eigen::Index>(b.size()));
    for (std::size_t j = 0; j < b.size(); ++j)
      for (std::size_t i = 0; i < a.size(); ++i)
        K(Eigen::Index(i), Eigen::Index(j)) = value(a[i], b[j]);
    return K;
  }

private:
  Scalar sq_norm(const PairIndex& p) const {
    return m_a2 * m_R(p.context, p.context) + m_b2 * m_E(p.perturbation, p.perturbation) + m_id2;
  }
  Scalar value(const PairIndex& p, const PairIndex& q) const {
    const bool same = p == q;
    const Scalar ip = m_a2 * m_R(p.context, q.context) +
                      m_b2 * m_E(p.perturbation, q.perturbation) + (same ? m_id2 : Scalar(0));
    const Scalar np = sq_norm(p), nq = sq_norm(q);
    if (!m_opt.normalize) return m_k.from_inner(ip, np, nq);
    const Scalar n = std::sqrt(np * nq);
    const Scalar u = same ? Scalar(1) : (n > Scalar(0) ? ip / n : Scalar(0));
    return m_k.from_inner(u, Scalar(1), Scalar(1));
  }
  void check_gram(const Matrix& G, const char* name) const {
    if (G.rows() != G.cols())
      detail::throw_invalid("PairKernel", name, " is ", G.rows(), " x ", G.cols(), ", not square");
    if (!G.allFinite()) detail::throw_invalid("PairKernel", name, " has non-finite entries");
    const Scalar tol = Scalar(100) * std::numeric_limits<Scalar>::epsilon() *
                       std::max(Scalar(1), G.cwiseAbs().maxCoeff());
    if ((G - G.transpose()).cwiseAbs().maxCoeff() > tol)
      detail::throw_invalid("PairKernel", name, " is not symmetric");
  }
  void check_pair(const PairIndex& p) const {
    if (p.perturbation < 0 || p.perturbation >= m_E.rows() || p.context < 0 ||
        p.context >= m_R.rows())
      detail::throw_invalid("PairKernel", "pair (", p.perturbation, ", ", p.context,
                            ") outside the ", m_E.rows(), " perturbations x ", m_R.rows(),
                            " contexts");
  }

  Kernel m_k;
  Matrix m_E, m_R;
  PairKernelOptions m_opt;
  Scalar m_a2, m_b2, m_id2;
};

} // namespace cimpute
