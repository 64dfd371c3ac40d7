/// @file pcg_nystrom_solver.hpp
/// @brief `PcgNystromSolver`: large-scale kernel ridge regression by preconditioned conjugate
/// gradients with a Nyström preconditioner, kernel blocks computed on the fly — on the full
/// system or, Falkon-style, restricted to the centres.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/kernels/gram.hpp"
#include "cimpute/kernels/kernel_traits.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace cimpute {

/// How the Nyström centres are chosen.
enum class NystromSampling {
  Uniform,       ///< m points uniformly without replacement
  LeverageScores ///< m points without replacement, proportional to approximate ridge leverage
                 ///< scores
};

/// Which linear system `PcgNystromSolver` solves.
enum class PcgSystem {
  /// \f$ (K + \lambda I)\alpha = Y \f$ on all n points: the exact kernel ridge solution (the same
  /// as `ExactKernelSolver`), preconditioned by \f$ (\hat K + \lambda I)^{-1} \f$ with the
  /// Nyström approximation \f$ \hat K = K_{nm} K_{mm}^{-1} K_{mn} \f$ (Woodbury). Each
  /// iteration costs one matrix-free \f$ K P \f$ product: \f$ O(n^2 d) \f$ unless K is cached.
  Full,
  /// Falkon (Rudi, Carratino & Rosasco 2017): the estimator restricted to the span of the centres,
  /// \f$ (K_{nm}^T K_{nm} + \lambda K_{mm})\beta = K_{nm}^T Y \f$, predictions
  /// \f$ K(x, C)\beta \f$; preconditioned as in the paper. Each iteration costs
  /// \f$ O(n m d) \f$ (or \f$ O(n m) \f$ with \f$ K_{nm} \f$ cached): the mode for n where even
  /// one pass over K is too expensive. With m = n it is the exact solution.
  Restricted
};

/// Options of `PcgNystromSolver` (a value type).
struct PcgNystromOptions {
  Eigen::Index centres = 1000; ///< m, the number of Nyström centres (clamped to n)
  NystromSampling sampling = NystromSampling::Uniform; ///< how centres are chosen
  PcgSystem system = PcgSystem::Full;                  ///< the full or the restricted system
  /// Stop when every column's residual norm is below tolerance x its right-hand side's norm;
  /// 0 = 100 x the scalar type's epsilon.
  double tolerance = 0;
  int max_iterations = 1000;      ///< iteration cap (`info()` reports NoConvergence)
  Eigen::Index block_rows = 1024; ///< rows of the kernel blocks computed on the fly
  double memory_budget = 4e9;     ///< bytes: K (Full) or K_nm (Restricted) is cached when it fits
  std::uint64_t seed = 1;         ///< centre sampling is deterministic for a given seed

  /// Throws `invalid_argument` naming the first bad field.
  void validate() const {
    const char* fn = "PcgNystromOptions::validate";
    if (centres < 0) detail::throw_invalid(fn, "centres must be >= 0, got ", centres);
    if (!(tolerance >= 0) || !std::isfinite(tolerance))
      detail::throw_invalid(fn, "tolerance must be finite and >= 0, got ", tolerance);
    if (max_iterations < 1)
      detail::throw_invalid(fn, "max_iterations must be >= 1, got ", max_iterations);
    if (block_rows < 1) detail::throw_invalid(fn, "block_rows must be >= 1, got ", block_rows);
    if (!(memory_budget >= 0)) detail::throw_invalid(fn, "memory_budget must be >= 0");
  }
};

/// Progress of a `PcgNystromSolver::solve`: called after every iteration.
struct PcgProgress {
  int iteration;            ///< 1, 2, ...
  double relative_residual; ///< max over the right-hand sides of |r| / |b|
  Eigen::Index converged;   ///< right-hand sides that have reached the tolerance
};

/// Kernel ridge regression by preconditioned conjugate gradients with a Nyström preconditioner
/// (see `PcgSystem` for the two systems). Kernel values are computed block by block from the
/// points (one GEMM and the kernel's entrywise transform per block), so memory is
/// O(n m + block_rows x n) without a cached K; several right-hand sides share every kernel pass
/// (each column has its own CG scalars and stops on its own). Deterministic for a given seed.
///
/// \code
/// cimpute::NtkKernel<double> k(1, 0.0);
/// cimpute::PcgNystromOptions o; o.centres = 2000; o.system = cimpute::PcgSystem::Restricted;
/// cimpute::PcgNystromSolver<cimpute::NtkKernel<double>> s(k, o);
/// s.compute(X, /*ridge*/ 1e-3).solve(Y);        // X: n x d points, Y: n x r targets
/// Eigen::MatrixXd F = s.predict(X_test);
/// \endcode
template <class Kernel>
class PcgNystromSolver {
public:
  using Scalar = typename Kernel::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  using Callback = std::function<void(const PcgProgress&)>;

  explicit PcgNystromSolver(Kernel k, PcgNystromOptions options = {})
      : m_k(std::move(k)), m_opt(options) {
    detail::check_kernel_concept<Kernel>();
    m_opt.validate();
  }

  /// Choose the centres among the rows of X (n x d) and build the preconditioner for the ridge
  /// \f$ \lambda \f$ > 0 (the same \f$ \lambda \f$ as `ExactKernelSolver::compute(K, ridge)`).
  PcgNystromSolver& compute(const Eigen::Ref<const Matrix>& X, Scalar ridge) {
    const char* fn = "PcgNystromSolver::compute";
    if (X.rows() < 1) detail::throw_invalid(fn, "no points");
    if (!(ridge > Scalar(0)) || !std::isfinite(ridge))
      detail::throw_invalid(fn, "ridge must be finite and > 0, got ", ridge);
    detail::check_points(fn, X, "X");
    m_X = X;
    m_xx = m_X.rowwise().squaredNorm();
    m_ridge = ridge;
    const Eigen::Index n = m_X.rows();
    const Eigen::Index m = std::min(m_opt.centres, n);
    if (m_opt.system == PcgSystem::Restricted && m < 1)
      detail::throw_invalid(fn, "the restricted system needs at least one centre");
    m_centres = choose_centres(m);
    m_C.resize(m, m_X.cols());
    for (Eigen::Index c = 0; c < m; ++c) m_C.row(c) = m_X.row(m_centres[std::size_t(c)]);
    m_cc = m_C.rowwise().squaredNorm();
    const double cache_bytes =
        double(sizeof(Scalar)) * double(n) * double(m_opt.system == PcgSystem::Full ? n : m);
    m_cache.resize(0, 0);
    if (cache_bytes <= m_opt.memory_budget)
      m_cache = m_opt.system == PcgSystem::Full ? cross(m_X, m_xx, m_X, m_xx)
                                                : cross(m_X, m_xx, m_C, m_cc);
    if (m_opt.system == PcgSystem::Full)
      build_full_preconditioner();
    else
      build_falkon_preconditioner();
    m_computed = true;
    m_solved = false;
    return *this;
  }

  /// Solve for the right-hand sides Y (n x r); returns the coefficients (n x r for the full
  /// system, m x r on the centres for the restricted one) and keeps them for `predict`.
  const Matrix& solve(const Eigen::Ref<const Matrix>& Y, const Callback& progress = {}) {
    const char* fn = "PcgNystromSolver::solve";
    if (!m_computed) detail::throw_logic(fn, "call compute() first");
    if (Y.rows() != m_X.rows())
      detail::throw_invalid(fn, "Y has ", Y.rows(), " rows for ", m_X.rows(), " points");
    if (!Y.allFinite()) detail::throw_invalid(fn, "Y has non-finite values");
    if (m_opt.system == PcgSystem::Full) {
      m_alpha = pcg(
          Y, [&](const Matrix& P) { return apply_full(P); },
          [&](const Matrix& R) { return precondition_full(R); }, progress);
    } else {
      // Falkon: CG on B^T H B u = B^T K_nm^T Y with H = K_nm^T K_nm + lambda K_mm, B = T^-1 A^-1.
      const Matrix b = apply_Bt(knm_transpose_times(Y));
      const Matrix u = pcg(
          b, [&](const Matrix& P) { return apply_falkon(P); }, [](const Matrix& R) { return R; },
          progress);
      m_alpha = apply_B(u);
    }
    m_solved = true;
    return m_alpha;
  }

  /// Predictions \f$ K(X_{new}, X)\alpha \f$ (full) or \f$ K(X_{new}, C)\beta \f$ (restricted),
  /// block by block.
  Matrix predict(const Eigen::Ref<const Matrix>& X_new) const {
    const char* fn = "PcgNystromSolver::predict";
    if (!m_solved) detail::throw_logic(fn, "call solve() first");
    if (X_new.cols() != m_X.cols())
      detail::throw_invalid(fn, "points have ", X_new.cols(), " columns, training had ",
                            m_X.cols());
    detail::check_points(fn, X_new, "X_new");
    const bool full = m_opt.system == PcgSystem::Full;
    return gram_product(m_k, X_new, full ? m_X : m_C, m_alpha, m_opt.block_rows);
  }

  /// Success, or NoConvergence when a right-hand side missed the tolerance.
  ComputationInfo info() const noexcept { return m_info; }
  /// Iterations of the last solve.
  int iterations() const noexcept { return m_iterations; }
  /// Max over the right-hand sides of the final |r| / |b| (of the system actually solved).
  double relative_residual() const noexcept { return m_residual; }
  /// Indices of the Nyström centres (rows of X).
  const std::vector<Eigen::Index>& centres() const noexcept { return m_centres; }
  /// True when K (full) or K_nm (restricted) is held in memory.
  bool kernel_cached() const noexcept { return m_cache.size() > 0; }
  /// The coefficients of the last solve.
  const Matrix& coefficients() const noexcept { return m_alpha; }

private:
  Scalar tolerance() const {
    return m_opt.tolerance > 0 ? Scalar(m_opt.tolerance)
                               : Scalar(100) * std::numeric_limits<Scalar>::epsilon();
  }

  // K(A, B) for two point sets with their squared norms.
  Matrix cross(const Matrix& A, const Vector& aa, const Matrix& B, const Vector& bb) const {
    Matrix G(A.rows(), B.rows());
    G.noalias() = A * B.transpose();
    detail::transform_inner(m_k, G, aa, bb, -1);
    return G;
  }
  // Calls f(r0, G) for consecutive blocks of rows of X, with G = K(X[r0 : r0 + b], B): the one
  // place kernel blocks are computed on the fly.
  template <class F>
  void for_each_block(const Matrix& B, const Vector& bb, F&& f) const {
    Matrix G;
    for (Eigen::Index r0 = 0; r0 < m_X.rows(); r0 += m_opt.block_rows) {
      const Eigen::Index b = std::min(m_opt.block_rows, m_X.rows() - r0);
      G.resize(b, B.rows());
      G.noalias() = m_X.middleRows(r0, b) * B.transpose();
      detail::transform_inner(m_k, G, m_xx.segment(r0, b), bb, -1);
      f(r0, static_cast<const Matrix&>(G));
    }
  }
  // K(X, B) V block by block.
  Matrix kernel_times(const Matrix& B, const Vector& bb, const Matrix& V) const {
    Matrix out(m_X.rows(), V.cols());
    for_each_block(B, bb, [&](Eigen::Index r0, const Matrix& G) {
      out.middleRows(r0, G.rows()).noalias() = G * V;
    });
    return out;
  }
  // K_nm^T Y block by block (or from the cache).
  Matrix knm_transpose_times(const Matrix& Y) const {
    if (kernel_cached()) return m_cache.transpose() * Y;
    Matrix out = Matrix::Zero(m_C.rows(), Y.cols());
    for_each_block(m_C, m_cc, [&](Eigen::Index r0, const Matrix& G) {
      out.noalias() += G.transpose() * Y.middleRows(r0, G.rows());
    });
    return out;
  }
  Matrix knm_times(const Matrix& V) const {
    return kernel_cached() ? Matrix(m_cache * V) : kernel_times(m_C, m_cc, V);
  }

  std::vector<Eigen::Index> choose_centres(Eigen::Index m) {
    const Eigen::Index n = m_X.rows();
    std::mt19937_64 rng(m_opt.seed);
    std::vector<Eigen::Index> idx(static_cast<std::size_t>(n));
    std::iota(idx.begin(), idx.end(), Eigen::Index(0));
    if (m == n) return idx;
    if (m_opt.sampling == NystromSampling::Uniform || m == 0) {
      std::shuffle(idx.begin(), idx.end(), rng);
      idx.resize(static_cast<std::size_t>(m));
      std::sort(idx.begin(), idx.end());
      return idx;
    }
    // Approximate ridge leverage scores from a uniform pilot set S of size min(n, 2m)
    // (Alaoui & Mahoney 2015): l_i ~ (K_ii - K_iS (K_SS + lambda I)^-1 K_Si) / lambda.
    std::vector<Eigen::Index> pilot = idx;
    std::shuffle(pilot.begin(), pilot.end(), rng);
    pilot.resize(static_cast<std::size_t>(std::min(n, 2 * m)));
    Matrix S(Eigen::Index(pilot.size()), m_X.cols());
    for (std::size_t k = 0; k < pilot.size(); ++k) S.row(Eigen::Index(k)) = m_X.row(pilot[k]);
    const Vector ss = S.rowwise().squaredNorm();
    Matrix Kss = cross(S, ss, S, ss);
    Kss.diagonal().array() += m_ridge;
    const Eigen::LLT<Matrix> llt(Kss);
    Vector score(n);
    for_each_block(S, ss, [&](Eigen::Index r0, const Matrix& G) {
      const Matrix L = llt.matrixL().solve(G.transpose()); // |S| x b
      for (Eigen::Index i = 0; i < G.rows(); ++i)
        score[r0 + i] =
            std::max(Scalar(0), detail::self_value(m_k, m_xx[r0 + i]) - L.col(i).squaredNorm()) /
            m_ridge;
    });
    // Weighted sampling without replacement (Efraimidis & Spirakis): the m largest
    // log(u) / w keys.
    std::uniform_real_distribution<double> u(std::numeric_limits<double>::min(), 1.0);
    const double floor_w = std::max(1e-300, double(score.maxCoeff()) * 1e-12);
    std::vector<std::pair<double, Eigen::Index>> keys(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i)
      keys[std::size_t(i)] = {std::log(u(rng)) / std::max(floor_w, double(score[i])), i};
    std::partial_sort(keys.begin(), keys.begin() + m, keys.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<Eigen::Index> out;
    for (Eigen::Index k = 0; k < m; ++k) out.push_back(keys[std::size_t(k)].second);
    std::sort(out.begin(), out.end());
    return out;
  }

  // Full system. K_mm = L L^T (with jitter); B = K_nm L^-T so that K_hat = B B^T;
  // (K_hat + lambda I)^-1 r = (r - B (lambda I + B^T B)^-1 B^T r) / lambda (Woodbury).
  void build_full_preconditioner() {
    m_B.resize(0, 0);
    if (m_C.rows() == 0) return; // no centres: plain CG
    Matrix Kmm = cross(m_C, m_cc, m_C, m_cc);
    const Eigen::LLT<Matrix> lmm = jittered_llt(Kmm);
    Matrix Knm =
        kernel_cached() ? Matrix(m_cache(Eigen::all, m_centres)) : kernel_times_identity(m_C, m_cc);
    m_B = lmm.matrixL().solve(Knm.transpose()).transpose(); // n x m
    Matrix S = m_B.transpose() * m_B;
    S.diagonal().array() += m_ridge;
    m_small.compute(S);
  }
  Matrix kernel_times_identity(const Matrix& B, const Vector& bb) const {
    Matrix out(m_X.rows(), B.rows());
    for_each_block(B, bb,
                   [&](Eigen::Index r0, const Matrix& G) { out.middleRows(r0, G.rows()) = G; });
    return out;
  }
  Matrix apply_full(const Matrix& P) const {
    Matrix KP = kernel_cached() ? Matrix(m_cache * P) : kernel_times(m_X, m_xx, P);
    return KP + m_ridge * P;
  }
  Matrix precondition_full(const Matrix& R) const {
    if (m_B.size() == 0) return R;
    return (R - m_B * m_small.solve(m_B.transpose() * R)) / m_ridge;
  }

  // Falkon (Rudi et al. 2017, Algorithm 1, with lambda_Falkon = ridge / n): T^T T = K_mm
  // (+ jitter), A^T A = T T^T / m + lambda_F I; B = T^-1 A^-1 / sqrt(n) so that
  // B^T (K_nm^T K_nm + n lambda_F K_mm) B is well conditioned.
  void build_falkon_preconditioner() {
    const Eigen::Index m = m_C.rows();
    const Matrix Kmm = cross(m_C, m_cc, m_C, m_cc);
    m_Kmm = Kmm;
    const Eigen::LLT<Matrix> lt = jittered_llt(Kmm);
    m_T = lt.matrixU(); // K_mm = T^T T
    const Scalar lambda_f = m_ridge / Scalar(m_X.rows());
    Matrix TTt = m_T * m_T.transpose() / Scalar(m);
    TTt.diagonal().array() += lambda_f;
    const Eigen::LLT<Matrix> la(TTt);
    m_A = la.matrixU();
  }
  Matrix apply_B(const Matrix& U) const { // T^-1 A^-1 U / sqrt(n)
    const Matrix v = m_A.template triangularView<Eigen::Upper>().solve(U);
    return m_T.template triangularView<Eigen::Upper>().solve(v) / std::sqrt(Scalar(m_X.rows()));
  }
  Matrix apply_Bt(const Matrix& U) const { // A^-T T^-T U / sqrt(n)
    const Matrix v = m_T.transpose().template triangularView<Eigen::Lower>().solve(U);
    return m_A.transpose().template triangularView<Eigen::Lower>().solve(v) /
           std::sqrt(Scalar(m_X.rows()));
  }
  Matrix apply_falkon(const Matrix& U) const { // B^T (K_nm^T K_nm + ridge K_mm) B U
    const Matrix v = apply_B(U);
    return apply_Bt(knm_transpose_times(knm_times(v)) + m_ridge * (m_Kmm * v));
  }

  Eigen::LLT<Matrix> jittered_llt(Matrix K) const {
    const Eigen::Index m = K.rows();
    const Scalar base = std::numeric_limits<Scalar>::epsilon() * Scalar(m) *
                        std::max(Scalar(1), K.diagonal().cwiseAbs().maxCoeff());
    Eigen::LLT<Matrix> llt;
    for (int k = 0; k < 12; ++k) {
      llt.compute(K);
      if (llt.info() == Eigen::Success) return llt;
      K.diagonal().array() += base * std::pow(Scalar(10), Scalar(k));
    }
    detail::throw_invalid("PcgNystromSolver", "the centres' Gram matrix is not positive definite");
  }

  // Conjugate gradients on A x = b for every column of b, sharing each product A P; the
  // preconditioner M ~ A^-1. Converged columns stop moving.
  template <class ApplyA, class ApplyM>
  Matrix pcg(const Matrix& b, ApplyA&& apply_a, ApplyM&& apply_m, const Callback& progress) {
    const Eigen::Index r = b.cols();
    const Scalar tol = tolerance();
    Matrix x = Matrix::Zero(b.rows(), r), res = b, z = apply_m(res), p = z;
    Vector bnorm = b.colwise().norm().transpose(), rz(r);
    for (Eigen::Index j = 0; j < r; ++j) rz[j] = res.col(j).dot(z.col(j));
    std::vector<char> done(static_cast<std::size_t>(r), 0);
    auto relative = [&](Eigen::Index j) {
      return bnorm[j] > Scalar(0) ? double(res.col(j).norm() / bnorm[j]) : 0.0;
    };
    m_iterations = 0;
    m_residual = 0;
    for (Eigen::Index j = 0; j < r; ++j) m_residual = std::max(m_residual, relative(j));
    Eigen::Index n_done = 0;
    for (Eigen::Index j = 0; j < r; ++j)
      if (relative(j) <= double(tol)) done[std::size_t(j)] = 1, ++n_done;
    while (n_done < r && m_iterations < m_opt.max_iterations) {
      const Matrix Ap = apply_a(p);
      for (Eigen::Index j = 0; j < r; ++j) {
        if (done[std::size_t(j)]) continue;
        const Scalar pAp = p.col(j).dot(Ap.col(j));
        if (!(pAp > Scalar(0))) { // breakdown: A not positive definite in floating point
          done[std::size_t(j)] = 1, ++n_done;
          continue;
        }
        const Scalar a = rz[j] / pAp;
        x.col(j) += a * p.col(j);
        res.col(j) -= a * Ap.col(j);
      }
      ++m_iterations;
      const Matrix znew = apply_m(res);
      m_residual = 0;
      for (Eigen::Index j = 0; j < r; ++j) {
        const double rel = relative(j);
        m_residual = std::max(m_residual, rel);
        if (done[std::size_t(j)]) continue;
        if (rel <= double(tol)) {
          done[std::size_t(j)] = 1, ++n_done;
          continue;
        }
        const Scalar rz_new = res.col(j).dot(znew.col(j));
        p.col(j) = znew.col(j) + (rz_new / rz[j]) * p.col(j);
        rz[j] = rz_new;
      }
      if (progress) progress(PcgProgress{m_iterations, m_residual, n_done});
    }
    m_info = m_residual <= double(tol) ? ComputationInfo::Success : ComputationInfo::NoConvergence;
    return x;
  }

  Kernel m_k;
  PcgNystromOptions m_opt;
  Matrix m_X, m_C, m_cache, m_B, m_T, m_A, m_Kmm, m_alpha;
  Vector m_xx, m_cc;
  Eigen::LLT<Matrix> m_small;
  std::vector<Eigen::Index> m_centres;
  Scalar m_ridge = 0;
  bool m_computed = false, m_solved = false;
  ComputationInfo m_info = ComputationInfo::Success;
  int m_iterations = 0;
  double m_residual = 0;
};

} // namespace cimpute
