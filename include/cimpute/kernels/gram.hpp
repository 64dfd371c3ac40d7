/// @file gram.hpp
/// @brief Gram matrices of any kernel modelling the concept in kernel_traits.hpp: one GEMM for
/// the inner products, then an entrywise transform (OpenMP threads over columns; the result does
/// not depend on the thread count), and matrix-free products \f$ K V \f$ computed block by block.
#pragma once

#include "cimpute/core/config.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/kernels/kernel_traits.hpp"

#include <Eigen/Core>

#include <algorithm>

namespace cimpute {

namespace detail {

template <class Derived>
void check_points(const char* fn, const Eigen::MatrixBase<Derived>& X, const char* name) {
  for (Eigen::Index j = 0; j < X.cols(); ++j)
    for (Eigen::Index i = 0; i < X.rows(); ++i)
      if (!std::isfinite(X.derived().coeff(i, j)))
        throw_invalid(fn, "non-finite value ", X.derived().coeff(i, j), " in ", name, " at row ", i,
                      ", column ", j);
}

/// Turn a block of inner products G(i, j) = <x_i, y_j> into kernel values in place, given the
/// squared norms of the rows (`xx`) and columns (`yy`). Only entries with i >= j + `lower_from`
/// are transformed when `lower_from` >= 0 (the lower triangle of a symmetric Gram); all when -1.
template <class Kernel, class Matrix, class VectorX, class VectorY>
void transform_inner(const Kernel& k, Matrix& G, const VectorX& xx, const VectorY& yy,
                     Eigen::Index lower_from) {
  using Scalar = typename Kernel::Scalar;
  const Eigen::Index n = G.cols();
#if CIMPUTE_HAS_OPENMP
#pragma omp parallel for schedule(dynamic, 16)
#endif
  for (Eigen::Index j = 0; j < n; ++j) {
    const Eigen::Index i0 = lower_from < 0 ? 0 : std::min(G.rows(), j + lower_from);
    const Scalar yj = yy[j];
    for (Eigen::Index i = i0; i < G.rows(); ++i) {
      if constexpr (has_from_inner<Kernel>::value) {
        G(i, j) = k.from_inner(G(i, j), xx[i], yj);
      } else {
        G(i, j) = k.from_sq_distance(std::max(Scalar(0), xx[i] + yj - Scalar(2) * G(i, j)));
      }
    }
  }
}

/// The kernel value of a point with itself, computed exactly from its squared norm (the kernel's
/// own `self_value(xx)` when it has one).
template <class Kernel>
typename Kernel::Scalar self_value(const Kernel& k, typename Kernel::Scalar xx) {
  if constexpr (has_self_value<Kernel>::value)
    return k.self_value(xx);
  else if constexpr (has_from_inner<Kernel>::value)
    return k.from_inner(xx, xx, xx);
  else
    return k.from_sq_distance(typename Kernel::Scalar(0));
}

} // namespace detail

/// The symmetric Gram matrix \f$ K_{ij} = k(x_i, x_j) \f$ of the rows of `X` (n points x d
/// features): \f$ X X^T \f$ from one GEMM, the kernel applied to its strict lower triangle, the
/// diagonal set from the exact squared norms, then mirrored (exactly symmetric).
/// Throws `invalid_argument` for a non-finite input.
template <class Kernel, class Derived>
Eigen::Matrix<typename Kernel::Scalar, Eigen::Dynamic, Eigen::Dynamic>
gram(const Kernel& k, const Eigen::MatrixBase<Derived>& X) {
  detail::check_kernel_concept<Kernel>();
  using Scalar = typename Kernel::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  detail::check_points("gram", X, "X");
  const Matrix Xs = X.template cast<Scalar>();
  const Eigen::Index n = Xs.rows();
  // One full GEMM: Eigen's GEMM kernel is faster than its symmetric rank update (SYRK) on this
  // machine (25 s vs 35 s at n = 20,000, d = 978), so the upper half is computed and discarded.
  Matrix G(n, n);
  G.noalias() = Xs * Xs.transpose();
  const Vector xx = Xs.rowwise().squaredNorm();
  detail::transform_inner(k, G, xx, xx, 1);
  for (Eigen::Index i = 0; i < n; ++i) G(i, i) = detail::self_value(k, xx[i]);
  G.template triangularView<Eigen::StrictlyUpper>() = G.transpose();
  return G;
}

/// The cross Gram matrix \f$ K_{ij} = k(x_i, y_j) \f$ between the rows of `X` and of `Y`
/// (same number of columns): one GEMM \f$ X Y^T \f$ and the kernel applied entrywise.
template <class Kernel, class DX, class DY>
Eigen::Matrix<typename Kernel::Scalar, Eigen::Dynamic, Eigen::Dynamic>
gram(const Kernel& k, const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DY>& Y) {
  detail::check_kernel_concept<Kernel>();
  using Scalar = typename Kernel::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  if (X.cols() != Y.cols())
    detail::throw_invalid("gram", "X has ", X.cols(), " columns but Y has ", Y.cols());
  detail::check_points("gram", X, "X");
  detail::check_points("gram", Y, "Y");
  const Matrix Xs = X.template cast<Scalar>(), Ys = Y.template cast<Scalar>();
  Matrix G(Xs.rows(), Ys.rows());
  G.noalias() = Xs * Ys.transpose();
  const Vector xx = Xs.rowwise().squaredNorm(), yy = Ys.rowwise().squaredNorm();
  detail::transform_inner(k, G, xx, yy, -1);
  return G;
}

/// The product \f$ K(X, Y) V \f$ without storing the `X.rows() x Y.rows()` Gram matrix: rows of
/// X are processed in blocks of `block_rows`, each block's kernel rows computed (one GEMM and the
/// transform) and multiplied by V. Memory: `block_rows x Y.rows()` scalars.
template <class Kernel, class DX, class DY, class DV>
Eigen::Matrix<typename Kernel::Scalar, Eigen::Dynamic, Eigen::Dynamic>
gram_product(const Kernel& k, const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DY>& Y,
             const Eigen::MatrixBase<DV>& V, Eigen::Index block_rows = 512) {
  detail::check_kernel_concept<Kernel>();
  using Scalar = typename Kernel::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  const char* fn = "gram_product";
  if (X.cols() != Y.cols())
    detail::throw_invalid(fn, "X has ", X.cols(), " columns but Y has ", Y.cols());
  if (V.rows() != Y.rows())
    detail::throw_invalid(fn, "V has ", V.rows(), " rows, Y has ", Y.rows());
  if (block_rows < 1) detail::throw_invalid(fn, "block_rows must be >= 1, got ", block_rows);
  detail::check_points(fn, X, "X");
  detail::check_points(fn, Y, "Y");
  const Matrix Ys = Y.template cast<Scalar>();
  const Matrix Vs = V.template cast<Scalar>();
  const Vector yy = Ys.rowwise().squaredNorm();
  Matrix out(X.rows(), V.cols());
  Matrix G;
  for (Eigen::Index r0 = 0; r0 < X.rows(); r0 += block_rows) {
    const Eigen::Index b = std::min(block_rows, X.rows() - r0);
    const Matrix Xb = X.middleRows(r0, b).template cast<Scalar>();
    G.resize(b, Ys.rows());
    G.noalias() = Xb * Ys.transpose();
    const Vector xx = Xb.rowwise().squaredNorm();
    detail::transform_inner(k, G, xx, yy, -1);
    out.middleRows(r0, b).noalias() = G * Vs;
  }
  return out;
}

/// The product \f$ K(X, X) V \f$ without storing K (see the cross version).
template <class Kernel, class DX, class DV>
Eigen::Matrix<typename Kernel::Scalar, Eigen::Dynamic, Eigen::Dynamic>
gram_product(const Kernel& k, const Eigen::MatrixBase<DX>& X, const Eigen::MatrixBase<DV>& V,
             Eigen::Index block_rows = 512) {
  return gram_product(k, X, X, V, block_rows);
}

} // namespace cimpute
