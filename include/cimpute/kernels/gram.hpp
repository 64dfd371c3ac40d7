/// @file gram.hpp
/// @brief Gram matrices of any kernel modelling the concept in kernel_traits.hpp: one GEMM for
/// the inner products (a symmetric rank update for a symmetric Gram), then an entrywise transform
/// (SIMD for the ReLU kernels, OpenMP threads over columns; the result does not depend on the
/// thread count), and matrix-free products \f$ K V \f$ computed block by block.
#pragma once

#include "cimpute/core/config.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/kernels/kernel_traits.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <climits>
#include <type_traits>

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

/// Turn `len` inner products g[i] = <x_i, y> into kernel values in place, given the squared norms
/// xx[i] of the x_i and yy of y: the kernel's `from_inner_block` when it has one (SIMD), else
/// its scalar function entry by entry.
template <class Kernel>
void transform_segment(const Kernel& k, typename Kernel::Scalar* g,
                       const typename Kernel::Scalar* xx, typename Kernel::Scalar yy,
                       Eigen::Index len) {
  using Scalar = typename Kernel::Scalar;
  if constexpr (has_from_inner_block<Kernel>::value) {
    k.from_inner_block(g, xx, yy, len);
  } else if constexpr (has_from_inner<Kernel>::value) {
    for (Eigen::Index i = 0; i < len; ++i) g[i] = k.from_inner(g[i], xx[i], yy);
  } else {
    for (Eigen::Index i = 0; i < len; ++i)
      g[i] = k.from_sq_distance(std::max(Scalar(0), xx[i] + yy - Scalar(2) * g[i]));
  }
}

/// Turn a block of inner products G(i, j) = <x_i, y_j> into kernel values in place, given the
/// squared norms of the rows (`xx`) and columns (`yy`). Only entries with i >= j + `lower_from`
/// are transformed when `lower_from` >= 0 (the lower triangle of a symmetric Gram); all when -1.
/// G is a plain column-major matrix and xx contiguous.
template <class Kernel, class Matrix, class VectorX, class VectorY>
void transform_inner(const Kernel& k, Matrix& G, const VectorX& xx, const VectorY& yy,
                     Eigen::Index lower_from) {
  const Eigen::Index n = G.cols();
#if CIMPUTE_HAS_OPENMP
#pragma omp parallel for schedule(dynamic, 16)
#endif
  for (Eigen::Index j = 0; j < n; ++j) {
    const Eigen::Index i0 = lower_from < 0 ? 0 : std::min(G.rows(), j + lower_from);
    transform_segment(k, G.col(j).data() + i0, xx.data() + i0, yy[j], G.rows() - i0);
  }
}

/// The tile of `transform_symmetric`: 64 x 64 doubles are 32 KB, within a core's L1 data cache.
inline constexpr Eigen::Index gram_tile = 64;

/// The symmetric Gram matrix from the inner products in G's lower triangle: tile by tile
/// (`tile` x `tile`, cache-sized), the strict lower part is transformed and at once copied to
/// its mirror image above the diagonal while it is in cache; the diagonal is the exact self
/// value. Threads take columns of tiles; each entry is computed by the same instructions
/// whatever the thread count.
template <class Kernel, class Matrix, class Vector>
void transform_symmetric(const Kernel& k, Matrix& G, const Vector& xx, Eigen::Index tile) {
  const Eigen::Index n = G.rows(), tiles = (n + tile - 1) / tile;
#if CIMPUTE_HAS_OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
  for (Eigen::Index tj = 0; tj < tiles; ++tj) {
    const Eigen::Index j0 = tj * tile, j1 = std::min(n, j0 + tile);
    for (Eigen::Index i0 = j0; i0 < n; i0 += tile) {
      const Eigen::Index i1 = std::min(n, i0 + tile);
      for (Eigen::Index j = j0; j < j1; ++j) {
        const Eigen::Index r0 = std::max(i0, j + 1);
        if (r0 < i1) transform_segment(k, G.col(j).data() + r0, xx.data() + r0, xx[j], i1 - r0);
      }
      for (Eigen::Index i = i0; i < i1; ++i)
        for (Eigen::Index j = j0; j < std::min(j1, i); ++j) G(j, i) = G(i, j);
    }
    for (Eigen::Index j = j0; j < j1; ++j) G(j, j) = self_value(k, xx[j]);
  }
}

/// The inner products X X^T into G's lower triangle (the upper is left unspecified): BLAS's
/// symmetric rank update (half the GEMM's work; 0.48 s against 0.93 s for the GEMM at n = 4,000,
/// d = 978 with OpenBLAS on 2 threads) when cimpute uses BLAS, else Eigen's full GEMM (faster
/// than Eigen's own rank update: 25 s vs 35 s at n = 20,000).
template <class Matrix, class Points>
void lower_inner_products(Matrix& G, const Points& X) {
#if defined(EIGEN_USE_BLAS)
  using Scalar = typename Matrix::Scalar;
  if constexpr (std::is_same<Scalar, double>::value || std::is_same<Scalar, float>::value) {
    if (X.rows() > 0 && X.cols() > 0 && X.rows() <= Eigen::Index(INT_MAX) &&
        X.cols() <= Eigen::Index(INT_MAX) && X.outerStride() <= Eigen::Index(INT_MAX)) {
      const char lower = 'L', notrans = 'N';
      const int n = int(X.rows()), d = int(X.cols()), lda = int(X.outerStride()),
                ldc = int(G.outerStride());
      const Scalar one = 1, zero = 0;
      if constexpr (std::is_same<Scalar, double>::value)
        dsyrk_(&lower, &notrans, &n, &d, &one, X.data(), &lda, &zero, G.data(), &ldc);
      else
        ssyrk_(&lower, &notrans, &n, &d, &one, X.data(), &lda, &zero, G.data(), &ldc);
      return;
    }
  }
#endif
  G.noalias() = X * X.transpose();
}

} // namespace detail

/// The symmetric Gram matrix \f$ K_{ij} = k(x_i, x_j) \f$ of the rows of `X` (n points x d
/// features): the inner products \f$ X X^T \f$ from one BLAS symmetric rank update (or one GEMM
/// without BLAS), the kernel applied to the strict lower triangle tile by tile and mirrored while
/// in cache, the diagonal set from the exact squared norms (exactly symmetric).
/// Throws `invalid_argument` for a non-finite input.
template <class Kernel, class Derived>
Eigen::Matrix<typename Kernel::Scalar, Eigen::Dynamic, Eigen::Dynamic>
gram(const Kernel& k, const Eigen::MatrixBase<Derived>& X) {
  detail::check_kernel_concept<Kernel>();
  using Scalar = typename Kernel::Scalar;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  detail::check_points("gram", X, "X");
  // A column-major matrix of the kernel's scalar is used in place; anything else is copied once.
  const Eigen::Ref<const Matrix> Xs(X.template cast<Scalar>());
  const Eigen::Index n = Xs.rows();
  Matrix G(n, n);
  detail::lower_inner_products(G, Xs);
  const Vector xx = Xs.rowwise().squaredNorm();
  detail::transform_symmetric(k, G, xx, detail::gram_tile);
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
