/// @file gemm.hpp
/// @brief `detail::gemm`: C = op(A) op(B) into a (strided) column-major block, overwriting it.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <type_traits>

namespace cimpute {
namespace detail {

/// Whether `gemm` uses an operand as it is or transposed.
enum class Op { N, T };

/// C = op(A) op(B), C overwritten. Eigen's `C.noalias() = A * B` first zeroes C and then
/// accumulates into it: one more write of C, which for the 128-row products of a network's
/// backward pass (a 1024 x 978 weight gradient from 128 samples) is a sizeable share of the
/// time. With `EIGEN_USE_BLAS` (cimpute's BLAS builds) this calls xGEMM once with beta = 0 for
/// float and double; otherwise it is Eigen's product. A, B and C are column-major with unit inner
/// stride (whole matrices or blocks of them); C must not alias A or B.
template <class Scalar>
void gemm(
    Op op_a,
    const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>, 0,
                     Eigen::OuterStride<>>& A,
    Op op_b,
    const Eigen::Ref<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>, 0,
                     Eigen::OuterStride<>>& B,
    Eigen::Ref<Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>, 0, Eigen::OuterStride<>> C) {
  const Eigen::Index m = op_a == Op::N ? A.rows() : A.cols();
  const Eigen::Index k = op_a == Op::N ? A.cols() : A.rows();
  const Eigen::Index n = op_b == Op::N ? B.cols() : B.rows();
  eigen_assert(C.rows() == m && C.cols() == n && (op_b == Op::N ? B.rows() : B.cols()) == k &&
               "gemm: shapes do not match");
#ifdef EIGEN_USE_BLAS
  if constexpr (std::is_same<Scalar, float>::value || std::is_same<Scalar, double>::value) {
    if (m > 0 && n > 0 && k > 0) {
      const char ta = op_a == Op::N ? 'N' : 'T', tb = op_b == Op::N ? 'N' : 'T';
      const int im = int(m), in = int(n), ik = int(k),
                lda = int(std::max<Eigen::Index>(1, A.outerStride())),
                ldb = int(std::max<Eigen::Index>(1, B.outerStride())),
                ldc = int(std::max<Eigen::Index>(1, C.outerStride()));
      const Scalar one = 1, zero = 0;
      if constexpr (std::is_same<Scalar, float>::value)
        sgemm_(&ta, &tb, &im, &in, &ik, &one, A.data(), &lda, B.data(), &ldb, &zero, C.data(),
               &ldc);
      else
        dgemm_(&ta, &tb, &im, &in, &ik, &one, A.data(), &lda, B.data(), &ldb, &zero, C.data(),
               &ldc);
      return;
    }
  }
#endif
  if (op_a == Op::N && op_b == Op::N)
    C.noalias() = A * B;
  else if (op_a == Op::N)
    C.noalias() = A * B.transpose();
  else if (op_b == Op::N)
    C.noalias() = A.transpose() * B;
  else
    C.noalias() = A.transpose() * B.transpose();
}

} // namespace detail
} // namespace cimpute
