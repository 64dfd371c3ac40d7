/// @file pcg_nystrom_solver.hpp
/// @brief `PcgNystromSolver`: large-scale kernel ridge regression by preconditioned conjugate
/// gradients with a Nyström preconditioner, kernel blocks computed on the fly — on the full
/// system or, Falkon-style, restricted to the centres; on one process or, with a communicator
/// policy such as `MpiCommunicator`, with the points split in row blocks over processes.
#pragma once

#include "cimpute/core/communicator.hpp"
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
/// **Several processes** (`Comm` = `MpiCommunicator`): every process passes its own contiguous
/// block of the training rows, in rank order (rank 0 the first rows), to `compute` and `solve`.
/// The centres are the same global rows as on one process (same seed); each process computes the
/// kernel blocks of its own rows only; the m x m preconditioner is built on rank 0 and
/// broadcast. Restricted system: one `sum` of m x r per iteration; the preconditioner's m^2 r
/// triangular solves and the K_mm products are split by columns of the r right-hand sides (two
/// `share_rows` of m x r per iteration); coefficients on every process.
/// Full system: the search directions (n x r) are shared every iteration, the other processes'
/// points are broadcast block by block unless this process's rows of K are cached; each process
/// keeps the coefficients of its own rows. Results equal the single-process ones up to the
/// summation order (about 1e-14 relative). Every member is collective.
///
/// \code
/// cimpute::NtkKernel<double> k(1, 0.0);
/// cimpute::PcgNystromOptions o; o.centres = 2000; o.system = cimpute::PcgSystem::Restricted;
/// cimpute::PcgNystromSolver<cimpute::NtkKernel<double>> s(k, o);
/// s.compute(X, /*ridge*/ 1e-3).solve(Y);        // X: n x d points, Y: n x r targets
/// Eigen::MatrixXd F = s.predict(X_test);
/// \endcode
template <class Kernel, class Comm = SingleProcess>
class PcgNystromSolver {
public:
  using Scalar = typename Kernel::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  using Callback = std::function<void(const PcgProgress&)>;

  explicit PcgNystromSolver(Kernel k, PcgNystromOptions options = {}, Comm comm = {})
      : m_k(std::move(k)), m_opt(options), m_comm(std::move(comm)) {
    detail::check_kernel_concept<Kernel>();
    m_opt.validate();
  }

  /// Choose the centres among the rows of X (n x d; on several processes, this process's block
  /// of rows) and build the preconditioner for the ridge \f$ \lambda \f$ > 0 (the same
  /// \f$ \lambda \f$ as `ExactKernelSolver::compute(K, ridge)`).
  PcgNystromSolver& compute(const Eigen::Ref<const Matrix>& X, Scalar ridge) {
    const char* fn = "PcgNystromSolver::compute";
    collectively(m_comm, [&] {
      if (!(ridge > Scalar(0)) || !std::isfinite(ridge))
        detail::throw_invalid(fn, "ridge must be finite and > 0, got ", ridge);
      detail::check_points(fn, X, "X");
    });
    m_counts = m_comm.gather_sizes(X.rows());
    const std::vector<Eigen::Index> cols = m_comm.gather_sizes(X.cols());
    m_n = std::accumulate(m_counts.begin(), m_counts.end(), Eigen::Index(0));
    m_first = offset(m_comm.rank());
    m_owner = block_owners(m_counts);
    collectively(m_comm, [&] {
      if (m_n < 1) detail::throw_invalid(fn, "no points");
      for (Eigen::Index c : cols)
        if (c != X.cols())
          detail::throw_invalid(fn, "the processes' points have ", X.cols(), " and ", c,
                                " columns");
    });
    m_X = X;
    m_xx = m_X.rowwise().squaredNorm();
    m_ridge = ridge;
    const Eigen::Index n = m_n;
    const Eigen::Index m = std::min(m_opt.centres, n);
    if (m_opt.system == PcgSystem::Restricted && m < 1)
      detail::throw_invalid(fn, "the restricted system needs at least one centre");
    m_centres = choose_centres(m);
    m_C = global_rows(m_centres);
    m_cc = m_C.rowwise().squaredNorm();
    // Cached on every process or on none (the full system's products are collective): the
    // largest process decides.
    const double cache_bytes = m_comm.max(double(sizeof(Scalar)) * double(m_X.rows()) *
                                          double(m_opt.system == PcgSystem::Full ? n : m));
    m_cache.resize(0, 0);
    if (cache_bytes <= m_opt.memory_budget) {
      if (m_opt.system == PcgSystem::Restricted) {
        m_cache = kernel_block(m_C, m_cc, m_centres);
      } else {
        m_cache.resize(m_X.rows(), n);
        for_each_process_block([&](int q, const Matrix& Xq, const Vector& xxq, const auto& ids) {
          m_cache.middleCols(offset(q), Xq.rows()) = kernel_block(Xq, xxq, ids);
        });
      }
    }
    if (m_opt.system == PcgSystem::Full)
      build_full_preconditioner();
    else
      build_falkon_preconditioner();
    m_computed = true;
    m_solved = false;
    return *this;
  }

  /// Solve for the right-hand sides Y (n x r; on several processes, the rows of this process's
  /// points); returns the coefficients (n x r for the full system, this process's rows of them
  /// on several processes; m x r on the centres for the restricted one) and keeps them for
  /// `predict`.
  const Matrix& solve(const Eigen::Ref<const Matrix>& Y, const Callback& progress = {}) {
    const char* fn = "PcgNystromSolver::solve";
    if (!m_computed) detail::throw_logic(fn, "call compute() first");
    collectively(m_comm, [&] {
      if (Y.rows() != m_X.rows())
        detail::throw_invalid(fn, "Y has ", Y.rows(), " rows for ", m_X.rows(), " points");
      if (!Y.allFinite()) detail::throw_invalid(fn, "Y has non-finite values");
    });
    const std::vector<Eigen::Index> rhs = m_comm.gather_sizes(Y.cols());
    collectively(m_comm, [&] {
      for (Eigen::Index r : rhs)
        if (r != Y.cols())
          detail::throw_invalid(fn, "the processes have ", Y.cols(), " and ", r,
                                " right-hand sides");
    });
    if (m_opt.system == PcgSystem::Full) {
      m_alpha = pcg(
          Y, [&](const Matrix& P) { return apply_full(P); },
          [&](const Matrix& R) { return precondition_full(R); }, true, progress);
    } else {
      // Falkon: CG on B^T H B u = B^T K_nm^T Y with H = K_nm^T K_nm + lambda K_mm, B = T^-1 A^-1.
      const Matrix b = apply_Bt(knm_transpose_times(Y));
      const Matrix u = pcg(
          b, [&](const Matrix& P) { return apply_falkon(P); }, [](const Matrix& R) { return R; },
          false, progress);
      m_alpha = apply_B(u);
    }
    m_solved = true;
    return m_alpha;
  }

  /// Predictions \f$ K(X_{new}, X)\alpha \f$ (full) or \f$ K(X_{new}, C)\beta \f$ (restricted),
  /// block by block. On several processes each passes its own points (any number, none
  /// included) and gets their predictions.
  Matrix predict(const Eigen::Ref<const Matrix>& X_new) const {
    const char* fn = "PcgNystromSolver::predict";
    if (!m_solved) detail::throw_logic(fn, "call solve() first");
    collectively(m_comm, [&] {
      if (X_new.cols() != m_X.cols())
        detail::throw_invalid(fn, "points have ", X_new.cols(), " columns, training had ",
                              m_X.cols());
      detail::check_points(fn, X_new, "X_new");
    });
    if (m_opt.system == PcgSystem::Restricted)
      return gram_product(m_k, X_new, m_C, m_alpha, m_opt.block_rows);
    Matrix out = Matrix::Zero(X_new.rows(), m_alpha.cols());
    Matrix alpha_q;
    for_each_process_block([&](int q, const Matrix& Xq, const Vector&, const auto&) {
      alpha_q = m_alpha;
      if (m_comm.size() > 1) m_comm.broadcast(alpha_q, q);
      if (X_new.rows() > 0 && Xq.rows() > 0)
        out.noalias() += gram_product(m_k, X_new, Xq, alpha_q, m_opt.block_rows);
    });
    return out;
  }

  /// Success, or NoConvergence when a right-hand side missed the tolerance.
  ComputationInfo info() const noexcept { return m_info; }
  /// Iterations of the last solve.
  int iterations() const noexcept { return m_iterations; }
  /// Max over the right-hand sides of the final |r| / |b| (of the system actually solved).
  double relative_residual() const noexcept { return m_residual; }
  /// Indices of the Nyström centres (rows of X; on several processes, global row numbers).
  const std::vector<Eigen::Index>& centres() const noexcept { return m_centres; }
  /// True when K (full) or K_nm (restricted) is held in memory.
  bool kernel_cached() const noexcept { return m_cache.size() > 0; }
  /// The coefficients of the last solve.
  const Matrix& coefficients() const noexcept { return m_alpha; }

  /// The communicator.
  const Comm& communicator() const noexcept { return m_comm; }

private:
  Scalar tolerance() const {
    return m_opt.tolerance > 0 ? Scalar(m_opt.tolerance)
                               : Scalar(100) * std::numeric_limits<Scalar>::epsilon();
  }

  // K(A, A) for a set of training points with their squared norms, with the exact self values
  // on the diagonal (see `for_each_block`).
  Matrix self_gram(const Matrix& A, const Vector& aa) const {
    Matrix G(A.rows(), A.rows());
    G.noalias() = A * A.transpose();
    detail::transform_inner(m_k, G, aa, aa, -1);
    for (Eigen::Index i = 0; i < A.rows(); ++i) G(i, i) = detail::self_value(m_k, aa[i]);
    return G;
  }
  // Global row numbers first, first + 1, ..., first + count - 1.
  static std::vector<Eigen::Index> id_range(Eigen::Index first, Eigen::Index count) {
    std::vector<Eigen::Index> ids(static_cast<std::size_t>(count));
    std::iota(ids.begin(), ids.end(), first);
    return ids;
  }
  // First global row of process q's block.
  Eigen::Index offset(int q) const {
    return std::accumulate(m_counts.begin(), m_counts.begin() + q, Eigen::Index(0));
  }
  // The global rows `rows` of the training points on every process.
  Matrix global_rows(const std::vector<Eigen::Index>& rows) const {
    Matrix out = Matrix::Zero(Eigen::Index(rows.size()), m_X.cols());
    std::vector<int> from(rows.size());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      from[k] = m_owner[std::size_t(rows[k])];
      if (from[k] == m_comm.rank()) out.row(Eigen::Index(k)) = m_X.row(rows[k] - m_first);
    }
    m_comm.share_rows(out, from);
    return out;
  }
  // Calls f(q, X_q, |x|^2_q) for every process q's block of points, in rank order (one process:
  // this process's points, no copy; several: broadcast from q).
  template <class F>
  void for_each_process_block(F&& f) const {
    if (m_comm.size() == 1) return f(0, m_X, m_xx, id_range(0, m_n));
    Matrix Xq;
    Vector xxq;
    for (int q = 0; q < m_comm.size(); ++q) {
      if (q == m_comm.rank()) Xq = m_X, xxq = m_xx;
      m_comm.broadcast(Xq, q);
      m_comm.broadcast(xxq, q);
      f(q, static_cast<const Matrix&>(Xq), static_cast<const Vector&>(xxq),
        id_range(offset(q), m_counts[std::size_t(q)]));
    }
  }
  // Calls f(r0, G) for consecutive blocks of rows of X, with G = K(X[r0 : r0 + b], B): the one
  // place kernel blocks are computed on the fly. B's rows are the training points with global
  // row numbers `ids`; where a block's row and column are the same point, G holds the kernel's
  // exact self value: from inner products such an entry carries a rounding error (about
  // sqrt(epsilon) for the NTK's arccos near 1) that would depend on the block layout, and so on
  // the number of processes.
  template <class F>
  void for_each_block(const Matrix& B, const Vector& bb, const std::vector<Eigen::Index>& ids,
                      F&& f) const {
    Matrix G;
    for (Eigen::Index r0 = 0; r0 < m_X.rows(); r0 += m_opt.block_rows) {
      const Eigen::Index b = std::min(m_opt.block_rows, m_X.rows() - r0);
      G.resize(b, B.rows());
      G.noalias() = m_X.middleRows(r0, b) * B.transpose();
      detail::transform_inner(m_k, G, m_xx.segment(r0, b), bb, -1);
      const Eigen::Index g0 = m_first + r0;
      for (std::size_t j = 0; j < ids.size(); ++j)
        if (ids[j] >= g0 && ids[j] < g0 + b)
          G(ids[j] - g0, Eigen::Index(j)) = detail::self_value(m_k, m_xx[ids[j] - m_first]);
      f(r0, static_cast<const Matrix&>(G));
    }
  }
  // K(X, B) V block by block.
  Matrix kernel_times(const Matrix& B, const Vector& bb, const std::vector<Eigen::Index>& ids,
                      const Matrix& V) const {
    Matrix out(m_X.rows(), V.cols());
    for_each_block(B, bb, ids, [&](Eigen::Index r0, const Matrix& G) {
      out.middleRows(r0, G.rows()).noalias() = G * V;
    });
    return out;
  }
  // K_nm^T Y block by block (or from the cache), summed over the processes.
  Matrix knm_transpose_times(const Matrix& Y) const {
    Matrix out;
    if (kernel_cached()) {
      out = m_cache.transpose() * Y;
    } else {
      out = Matrix::Zero(m_C.rows(), Y.cols());
      for_each_block(m_C, m_cc, m_centres, [&](Eigen::Index r0, const Matrix& G) {
        out.noalias() += G.transpose() * Y.middleRows(r0, G.rows());
      });
    }
    m_comm.sum(out);
    return out;
  }
  Matrix knm_times(const Matrix& V) const {
    return kernel_cached() ? Matrix(m_cache * V) : kernel_times(m_C, m_cc, m_centres, V);
  }

  // Global row numbers of the centres: the same on every process and for any split.
  std::vector<Eigen::Index> choose_centres(Eigen::Index m) {
    const Eigen::Index n = m_n;
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
    const Matrix S = global_rows(pilot);
    const Vector ss = S.rowwise().squaredNorm();
    Matrix Kss = self_gram(S, ss);
    Kss.diagonal().array() += m_ridge;
    const Eigen::LLT<Matrix> llt(Kss);
    Vector score = Vector::Zero(n);
    for_each_block(S, ss, pilot, [&](Eigen::Index r0, const Matrix& G) {
      const Matrix L = llt.matrixL().solve(G.transpose()); // |S| x b
      for (Eigen::Index i = 0; i < G.rows(); ++i)
        score[m_first + r0 + i] =
            std::max(Scalar(0), detail::self_value(m_k, m_xx[r0 + i]) - L.col(i).squaredNorm()) /
            m_ridge;
    });
    m_comm.share_rows(score, m_owner);
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
  // Several processes: L is factored on rank 0 and broadcast; each keeps its rows of B.
  void build_full_preconditioner() {
    m_B.resize(0, 0);
    if (m_C.rows() == 0) return; // no centres: plain CG
    Matrix L;
    collectively(m_comm, [&] {
      if (m_comm.rank() == 0) L = jittered_llt(self_gram(m_C, m_cc)).matrixL();
    });
    m_comm.broadcast(L, 0);
    Matrix Knm = kernel_cached() ? Matrix(m_cache(Eigen::all, m_centres))
                                 : kernel_block(m_C, m_cc, m_centres);
    m_B = L.template triangularView<Eigen::Lower>().solve(Knm.transpose()).transpose(); // n x m
    Matrix S = m_B.transpose() * m_B;
    m_comm.sum(S);
    S.diagonal().array() += m_ridge;
    m_small.compute(S);
  }
  // K(X, B) for the training points B with global row numbers `ids`.
  Matrix kernel_block(const Matrix& B, const Vector& bb,
                      const std::vector<Eigen::Index>& ids) const {
    Matrix out(m_X.rows(), B.rows());
    for_each_block(B, bb, ids,
                   [&](Eigen::Index r0, const Matrix& G) { out.middleRows(r0, G.rows()) = G; });
    return out;
  }
  // K P + lambda P for this process's rows, from every process's rows of P.
  Matrix apply_full(const Matrix& P) const {
    Matrix all = P;
    if (m_comm.size() > 1) {
      all = Matrix::Zero(m_n, P.cols());
      all.middleRows(m_first, P.rows()) = P;
      m_comm.share_rows(all, m_owner);
    }
    Matrix KP;
    if (kernel_cached()) {
      KP = m_cache * all;
    } else {
      KP = Matrix::Zero(m_X.rows(), P.cols());
      for_each_process_block([&](int q, const Matrix& Xq, const Vector& xxq, const auto& ids) {
        const auto Pq = all.middleRows(offset(q), Xq.rows());
        for_each_block(Xq, xxq, ids, [&](Eigen::Index r0, const Matrix& G) {
          KP.middleRows(r0, G.rows()).noalias() += G * Pq;
        });
      });
    }
    return KP + m_ridge * P;
  }
  Matrix precondition_full(const Matrix& R) const {
    if (m_B.size() == 0) return R;
    Matrix BtR = m_B.transpose() * R;
    m_comm.sum(BtR);
    return (R - m_B * m_small.solve(BtR)) / m_ridge;
  }

  // Falkon (Rudi et al. 2017, Algorithm 1, with lambda_Falkon = ridge / n): T^T T = K_mm
  // (+ jitter), A^T A = T T^T / m + lambda_F I; B = T^-1 A^-1 / sqrt(n) so that
  // B^T (K_nm^T K_nm + n lambda_F K_mm) B is well conditioned. Several processes: built on
  // rank 0 and broadcast.
  void build_falkon_preconditioner() {
    const Eigen::Index m = m_C.rows();
    collectively(m_comm, [&] {
      if (m_comm.rank() != 0) return;
      m_Kmm = self_gram(m_C, m_cc);
      const Eigen::LLT<Matrix> lt = jittered_llt(m_Kmm);
      m_T = lt.matrixU(); // K_mm = T^T T
      const Scalar lambda_f = m_ridge / Scalar(m_n);
      Matrix TTt = m_T * m_T.transpose() / Scalar(m);
      TTt.diagonal().array() += lambda_f;
      const Eigen::LLT<Matrix> la(TTt);
      m_A = la.matrixU();
    });
    for (Matrix* M : {&m_Kmm, &m_T, &m_A}) m_comm.broadcast(*M, 0);
  }
  // f(first, U_q) for this process's contiguous block U_q of U's columns (starting at column
  // `first`), the blocks then shared: the m^2 r triangular solves and K_mm products of the
  // restricted system are split over the processes instead of repeated on each (one process:
  // f(0, U)). Each column is computed as on one process.
  template <class F>
  Matrix by_column_blocks(const Matrix& U, F&& f) const {
    if (m_comm.size() == 1) return f(Eigen::Index(0), U);
    const std::vector<Eigen::Index> counts = even_split(U.cols(), m_comm.size());
    Eigen::Index first = 0;
    for (int q = 0; q < m_comm.rank(); ++q) first += counts[std::size_t(q)];
    const Eigen::Index mine = counts[std::size_t(m_comm.rank())];
    Matrix out_t(U.cols(), U.rows()); // transposed: the columns become rows to share
    if (mine > 0)
      out_t.middleRows(first, mine) = f(first, Matrix(U.middleCols(first, mine))).transpose();
    m_comm.share_rows(out_t, block_owners(counts));
    return out_t.transpose();
  }
  Matrix b_solve(const Matrix& U) const { // T^-1 A^-1 U / sqrt(n)
    const Matrix v = m_A.template triangularView<Eigen::Upper>().solve(U);
    return m_T.template triangularView<Eigen::Upper>().solve(v) / std::sqrt(Scalar(m_n));
  }
  Matrix bt_solve(const Matrix& U) const { // A^-T T^-T U / sqrt(n)
    const Matrix v = m_T.transpose().template triangularView<Eigen::Lower>().solve(U);
    return m_A.transpose().template triangularView<Eigen::Lower>().solve(v) /
           std::sqrt(Scalar(m_n));
  }
  Matrix apply_B(const Matrix& U) const {
    return by_column_blocks(U, [&](Eigen::Index, const Matrix& Uq) { return b_solve(Uq); });
  }
  Matrix apply_Bt(const Matrix& U) const {
    return by_column_blocks(U, [&](Eigen::Index, const Matrix& Uq) { return bt_solve(Uq); });
  }
  Matrix apply_falkon(const Matrix& U) const { // B^T (K_nm^T K_nm + ridge K_mm) B U
    const Matrix v = apply_B(U);
    const Matrix w = knm_transpose_times(knm_times(v)); // summed over the processes
    return by_column_blocks(w, [&](Eigen::Index first, const Matrix& wq) {
      return bt_solve(wq + m_ridge * (m_Kmm * v.middleCols(first, wq.cols())));
    });
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
  // preconditioner M ~ A^-1. Converged columns stop moving. `split`: the vectors are split by
  // rows over the processes (full system), so their dot products are summed.
  template <class ApplyA, class ApplyM>
  Matrix pcg(const Matrix& b, ApplyA&& apply_a, ApplyM&& apply_m, bool split,
             const Callback& progress) {
    const Eigen::Index r = b.cols();
    const Scalar tol = tolerance();
    auto dots = [&](const Matrix& A, const Matrix& B) {
      Vector v(r);
      for (Eigen::Index j = 0; j < r; ++j) v[j] = A.col(j).dot(B.col(j));
      if (split) m_comm.sum(v);
      return v;
    };
    auto norms = [&](const Matrix& A) {
      Vector v(r);
      for (Eigen::Index j = 0; j < r; ++j) v[j] = A.col(j).squaredNorm();
      if (split) m_comm.sum(v);
      return Vector(v.cwiseSqrt());
    };
    Matrix x = Matrix::Zero(b.rows(), r), res = b, z = apply_m(res), p = z;
    Vector bnorm = norms(b), rz = dots(res, z), rnorm = bnorm;
    std::vector<char> done(static_cast<std::size_t>(r), 0);
    auto relative = [&](Eigen::Index j) {
      return bnorm[j] > Scalar(0) ? double(rnorm[j] / bnorm[j]) : 0.0;
    };
    m_iterations = 0;
    m_residual = 0;
    for (Eigen::Index j = 0; j < r; ++j) m_residual = std::max(m_residual, relative(j));
    Eigen::Index n_done = 0;
    for (Eigen::Index j = 0; j < r; ++j)
      if (relative(j) <= double(tol)) done[std::size_t(j)] = 1, ++n_done;
    while (n_done < r && m_iterations < m_opt.max_iterations) {
      const Matrix Ap = apply_a(p);
      const Vector pAp = dots(p, Ap);
      for (Eigen::Index j = 0; j < r; ++j) {
        if (done[std::size_t(j)]) continue;
        if (!(pAp[j] > Scalar(0))) { // breakdown: A not positive definite in floating point
          done[std::size_t(j)] = 1, ++n_done;
          continue;
        }
        const Scalar a = rz[j] / pAp[j];
        x.col(j) += a * p.col(j);
        res.col(j) -= a * Ap.col(j);
      }
      ++m_iterations;
      const Matrix znew = apply_m(res);
      const Vector rz_new = dots(res, znew);
      rnorm = norms(res);
      m_residual = 0;
      for (Eigen::Index j = 0; j < r; ++j) {
        const double rel = relative(j);
        m_residual = std::max(m_residual, rel);
        if (done[std::size_t(j)]) continue;
        if (rel <= double(tol)) {
          done[std::size_t(j)] = 1, ++n_done;
          continue;
        }
        p.col(j) = znew.col(j) + (rz_new[j] / rz[j]) * p.col(j);
        rz[j] = rz_new[j];
      }
      if (progress) progress(PcgProgress{m_iterations, m_residual, n_done});
    }
    m_info = m_residual <= double(tol) ? ComputationInfo::Success : ComputationInfo::NoConvergence;
    return x;
  }

  Kernel m_k;
  PcgNystromOptions m_opt;
  Comm m_comm;
  std::vector<Eigen::Index> m_counts; // rows per process
  std::vector<int> m_owner;           // the process of each global row
  Eigen::Index m_n = 0, m_first = 0;  // all rows; this process's first global row
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
