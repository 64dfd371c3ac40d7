/// @file soft_impute.hpp
/// @brief SoftImpute (Mazumder, Hastie, Tibshirani, JMLR 2010): nuclear-norm regularised matrix
/// completion by iterative singular-value soft thresholding, and the completion method that
/// applies it to an unfolding of the perturbation tensor.
#pragma once

#include "cimpute/completion/singular_value_shrinkage.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/tensor3.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace cimpute {

/// The result of `soft_impute`.
template <class Scalar>
struct SoftImputeResult {
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> estimate; ///< the low-rank estimate Z
  int iterations = 0;
  bool converged = false;
  Eigen::Index rank = 0; ///< singular values of Z above 0
};

/// SoftImpute for one \f$ \lambda \f$:
/// \f$ \min_Z \frac12 \|P_\Omega(X - Z)\|_F^2 + \lambda \|Z\|_* \f$ by the iteration
/// \f$ Z \leftarrow S_\lambda(P_\Omega(X) + P_\Omega^\perp(Z)) \f$ (soft thresholding of the
/// singular values), from `start` (warm start; zero when empty), until
/// \f$ \|Z_k - Z_{k-1}\|_F^2 / \|Z_{k-1}\|_F^2 < \f$ `tolerance`. Missing entries of X are NaN.
template <class Derived>
SoftImputeResult<typename Derived::Scalar> soft_impute(
    const Eigen::MatrixBase<Derived>& X, typename Derived::Scalar lambda,
    const Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic>& start = {},
    int max_iterations = 100, double tolerance = 1e-5) {
  using Scalar = typename Derived::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const char* fn = "soft_impute";
  if (!(lambda >= 0)) detail::throw_invalid(fn, "lambda must be >= 0, got ", lambda);
  if (max_iterations < 1)
    detail::throw_invalid(fn, "max_iterations must be >= 1, got ", max_iterations);
  if (start.size() > 0 && (start.rows() != X.rows() || start.cols() != X.cols()))
    detail::throw_invalid(fn, "warm start is ", start.rows(), " x ", start.cols(), ", X is ",
                          X.rows(), " x ", X.cols());
  const Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic> obs = !X.array().isNaN();
  if (!obs.select(X.array(), Scalar(0)).isFinite().all())
    detail::throw_invalid(fn, "X has an infinite entry");
  SoftImputeResult<Scalar> res;
  res.estimate = start.size() > 0 ? start : Matrix::Zero(X.rows(), X.cols());
  Matrix fill(X.rows(), X.cols()), next;
  for (int it = 1; it <= max_iterations; ++it) {
    fill = obs.select(X.array(), res.estimate.array()).matrix();
    res.rank = singular_value_threshold(fill, lambda, next).size();
    const double before = double(res.estimate.squaredNorm());
    const double delta = double((next - res.estimate).squaredNorm());
    res.estimate.swap(next);
    res.iterations = it;
    if (delta <= tolerance * std::max(before, std::numeric_limits<double>::min())) {
      res.converged = true;
      break;
    }
  }
  return res;
}

/// Which unfolding of the perturbations x features x contexts tensor SoftImpute completes.
enum class SoftImputeUnfolding {
  Perturbations, ///< perturbations x (features, contexts): a missing pair is a block of a row
  Contexts       ///< contexts x (perturbations, features)
};

/// Parameters of `SoftImputeCompletion`.
struct SoftImputeOptions {
  SoftImputeUnfolding unfolding = SoftImputeUnfolding::Perturbations;
  /// The regularisation path, as fractions of the largest singular value of the centred,
  /// zero-filled training matrix (descending; solved with warm starts).
  std::vector<double> lambda_path{0.5, 0.35, 0.25, 0.18, 0.12, 0.08, 0.05, 0.03, 0.02, 0.01};
  /// Fraction of the training pairs held out to choose lambda on the path (0: the last lambda).
  double validation_fraction = 0.2;
  unsigned seed = 0;        ///< for the validation split
  int max_iterations = 200; ///< per lambda
  double tolerance = 1e-5;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "SoftImputeOptions::validate";
    if (lambda_path.empty()) detail::throw_invalid(fn, "empty lambda path");
    for (std::size_t i = 0; i < lambda_path.size(); ++i) {
      if (!(lambda_path[i] >= 0) || !std::isfinite(lambda_path[i]))
        detail::throw_invalid(fn, "lambda fraction ", lambda_path[i], " is not finite and >= 0");
      if (i > 0 && lambda_path[i] > lambda_path[i - 1])
        detail::throw_invalid(fn, "the lambda path must descend (", lambda_path[i - 1], " then ",
                              lambda_path[i], ")");
    }
    if (!(validation_fraction >= 0 && validation_fraction < 1))
      detail::throw_invalid(fn, "validation_fraction must be in [0, 1), got ", validation_fraction);
    if (max_iterations < 1)
      detail::throw_invalid(fn, "max_iterations must be >= 1, got ", max_iterations);
    if (!(tolerance >= 0)) detail::throw_invalid(fn, "tolerance must be >= 0, got ", tolerance);
  }
};

/// SoftImpute as a completion method, the standard low-rank baseline. Training signatures (and
/// the reference context's, as data) fill the perturbations x (features, contexts) unfolding of
/// the tensor (or the contexts one); a missing pair is then a block of missing entries in a row
/// that has other observed blocks, which is what makes it recoverable (in the pairs x features
/// matrix a missing pair would be a whole missing row, which no low-rank model can fill). Columns
/// are centred by their observed means (the context mean, for the perturbation unfolding; the
/// feature's overall mean for a column with no observation), lambda is chosen on the path by the
/// error on held-out training pairs, and the path is then refitted on all training pairs.
template <class Scalar_ = double>
class SoftImputeCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  explicit SoftImputeCompletion(SoftImputeOptions opt = {}) : m_opt(std::move(opt)) {
    m_opt.validate();
  }
  std::string name() const { return "soft-impute"; }
  const SoftImputeOptions& options() const noexcept { return m_opt; }
  /// The lambda (absolute) chosen by the last fit, and its index on the path.
  double lambda() const noexcept { return m_lambda; }
  std::size_t lambda_index() const noexcept { return m_lambda_index; }

  SoftImputeCompletion& fit(const TrainingSet<Scalar>& train_only) {
    const TrainingSet<Scalar> train = train_only.with_reference();
    const auto& t = train.tensor();
    m_tensor = &t;
    std::vector<Eigen::Index> rows = train.rows();
    Matrix X = unfolded(t, rows);
    // Column centring.
    const Eigen::Index G = t.num_features();
    Eigen::Array<Scalar, 1, Eigen::Dynamic> fsum = Eigen::Array<Scalar, 1, Eigen::Dynamic>::Zero(G);
    for (Eigen::Index r : rows) fsum += t.observed().row(r).array();
    fsum /= Scalar(rows.size());
    m_center.resize(X.cols());
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      const auto col = X.col(j).array();
      const Eigen::Index n = (!col.isNaN()).count();
      m_center[j] =
          n > 0 ? (!col.isNaN()).select(col, Scalar(0)).sum() / Scalar(n) : fsum[feature_of(j, t)];
    }
    X.rowwise() -= m_center.transpose();
    const Matrix zero_filled = X.array().isNaN().select(Scalar(0), X.array()).matrix();
    const auto sigma = singular_value_shrinkage(zero_filled, Scalar(0));
    const double smax = sigma.size() ? double(sigma.maxCoeff()) : 0.0;

    // Choose lambda on held-out training pairs.
    m_lambda_index = m_opt.lambda_path.size() - 1;
    if (m_opt.validation_fraction > 0 && rows.size() >= 2) {
      std::vector<Eigen::Index> shuffled = rows;
      std::mt19937_64 rng(m_opt.seed);
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      const std::size_t nv = std::max<std::size_t>(
          1, std::size_t(std::lround(m_opt.validation_fraction * double(rows.size()))));
      Matrix Xv = X;
      std::vector<PairIndex> held;
      for (std::size_t i = 0; i < nv && i + 1 < shuffled.size(); ++i) {
        held.push_back(t.observed_pairs()[std::size_t(shuffled[i])]);
        block(Xv, held.back(), t).setConstant(std::numeric_limits<Scalar>::quiet_NaN());
      }
      Matrix Z;
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t l = 0; l < m_opt.lambda_path.size(); ++l) {
        Z = soft_impute(Xv, Scalar(m_opt.lambda_path[l] * smax), Z, m_opt.max_iterations,
                        m_opt.tolerance)
                .estimate;
        double err = 0;
        for (const auto& p : held) err += double((block(Z, p, t) - block(X, p, t)).squaredNorm());
        if (err < best) {
          best = err;
          m_lambda_index = l;
        }
      }
    }
    Matrix Z;
    for (std::size_t l = 0; l <= m_lambda_index; ++l)
      Z = soft_impute(X, Scalar(m_opt.lambda_path[l] * smax), Z, m_opt.max_iterations,
                      m_opt.tolerance)
              .estimate;
    m_lambda = m_opt.lambda_path[m_lambda_index] * smax;
    Z.rowwise() += m_center.transpose();
    m_completed = std::move(Z);
    return *this;
  }

  /// The completed signatures of `pairs`, one per row.
  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_tensor) detail::throw_logic("SoftImputeCompletion::predict", "call fit() first");
    detail::check_pairs("SoftImputeCompletion::predict", *m_tensor, pairs);
    Matrix out(Eigen::Index(pairs.size()), m_tensor->num_features());
    for (std::size_t i = 0; i < pairs.size(); ++i)
      out.row(Eigen::Index(i)) = block(m_completed, pairs[i], *m_tensor);
    return out;
  }

private:
  bool by_perturbation() const { return m_opt.unfolding == SoftImputeUnfolding::Perturbations; }
  // The unfolded matrix of the given rows (NaN elsewhere): row p, columns g + G c; or row c,
  // columns p + P g.
  Matrix unfolded(const PerturbationTensor<Scalar>& t,
                  const std::vector<Eigen::Index>& rows) const {
    const Eigen::Index P = t.num_perturbations(), G = t.num_features(), C = t.num_contexts();
    Matrix X = by_perturbation() ? Matrix(P, G * C) : Matrix(C, P * G);
    X.setConstant(std::numeric_limits<Scalar>::quiet_NaN());
    for (Eigen::Index r : rows)
      block(X, t.observed_pairs()[std::size_t(r)], t) = t.observed().row(r);
    return X;
  }
  Eigen::Index feature_of(Eigen::Index col, const PerturbationTensor<Scalar>& t) const {
    return by_perturbation() ? col % t.num_features() : col / t.num_perturbations();
  }
  // The G entries of pair p in the unfolded matrix X (const or not), as a strided 1 x G map:
  // row p from column G c (stride: the rows), or row c from column p (stride: P rows).
  template <class M>
  auto block(M& X, const PairIndex& p, const PerturbationTensor<Scalar>& t) const {
    using Elem = std::remove_pointer_t<decltype(X.data())>; // Scalar or const Scalar
    using Row = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
    using Target = std::conditional_t<std::is_const<Elem>::value, const Row, Row>;
    const Eigen::Index G = t.num_features();
    const bool by_p = by_perturbation();
    const Eigen::Index offset =
        by_p ? p.perturbation + X.rows() * G * p.context : p.context + X.rows() * p.perturbation;
    const Eigen::Index stride = by_p ? X.rows() : X.rows() * t.num_perturbations();
    return Eigen::Map<Target, 0, Eigen::InnerStride<>>(X.data() + offset, G,
                                                       Eigen::InnerStride<>(stride));
  }

  SoftImputeOptions m_opt;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> m_center;
  Matrix m_completed;
  double m_lambda = 0;
  std::size_t m_lambda_index = 0;
};

} // namespace cimpute
