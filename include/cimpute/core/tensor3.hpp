/// @file tensor3.hpp
/// @brief `Tensor3`: a dense third-order tensor with Kolda-Bader mode unfoldings.
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

namespace cimpute {

/// A dense `dim(0) x dim(1) x dim(2)` tensor stored column-major: entry (i, j, k) lives at
/// `i + dim(0) * (j + dim(1) * k)`. In cimpute the axes are perturbations x features x contexts.
///
/// Unfoldings follow Kolda & Bader (2009): the mode-n unfolding has `dim(n)` rows and the remaining
/// indices enumerate the columns with the earlier index varying fastest, so
/// `unfold(0)` is `P x (G C)`, `unfold(1)` is `G x (P C)` and `unfold(2)` is `C x (P G)`.
/// `fold(n, unfold(n))` reproduces the tensor exactly.
template <class Scalar_ = double>
class Tensor3 {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  Tensor3() = default;
  /// A tensor of the given dimensions, filled with `value`.
  Tensor3(Eigen::Index d0, Eigen::Index d1, Eigen::Index d2, Scalar value = Scalar(0))
      : m_dims{d0, d1, d2} {
    if (d0 < 0 || d1 < 0 || d2 < 0)
      detail::throw_invalid("Tensor3", "negative dimension (", d0, ", ", d1, ", ", d2, ")");
    m_data.setConstant(d0 * d1 * d2, value);
  }

  /// Size along mode n (0, 1 or 2).
  Eigen::Index dim(int n) const {
    check_mode(n, "Tensor3::dim");
    return m_dims[n];
  }
  /// Total number of entries.
  Eigen::Index size() const noexcept { return m_data.size(); }
  Scalar& operator()(Eigen::Index i, Eigen::Index j, Eigen::Index k) {
    return m_data[i + m_dims[0] * (j + m_dims[1] * k)];
  }
  Scalar operator()(Eigen::Index i, Eigen::Index j, Eigen::Index k) const {
    return m_data[i + m_dims[0] * (j + m_dims[1] * k)];
  }
  /// All entries as one column vector (storage order).
  const Eigen::Matrix<Scalar, Eigen::Dynamic, 1>& vec() const noexcept { return m_data; }
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1>& vec() noexcept { return m_data; }
  /// The frontal slice k (`dim(0) x dim(1)`), e.g. one context's perturbations x features.
  Eigen::Map<const Matrix> slice(Eigen::Index k) const {
    if (k < 0 || k >= m_dims[2])
      detail::throw_invalid("Tensor3::slice", "slice ", k, " out of range [0, ", m_dims[2], ")");
    return Eigen::Map<const Matrix>(m_data.data() + k * m_dims[0] * m_dims[1], m_dims[0],
                                    m_dims[1]);
  }
  Eigen::Map<Matrix> slice(Eigen::Index k) {
    if (k < 0 || k >= m_dims[2])
      detail::throw_invalid("Tensor3::slice", "slice ", k, " out of range [0, ", m_dims[2], ")");
    return Eigen::Map<Matrix>(m_data.data() + k * m_dims[0] * m_dims[1], m_dims[0], m_dims[1]);
  }

  /// The mode-n unfolding (see the class documentation for the column order).
  Matrix unfold(int n) const {
    check_mode(n, "Tensor3::unfold");
    // (No variable named I: <complex.h>, pulled in by LAPACKE, defines it as a macro.)
    const Eigen::Index d0 = m_dims[0], d1 = m_dims[1], d2 = m_dims[2];
    if (n == 0) return Eigen::Map<const Matrix>(m_data.data(), d0, d1 * d2);
    Matrix out(m_dims[n], n == 1 ? d0 * d2 : d0 * d1);
    if (n == 1) {
      for (Eigen::Index k = 0; k < d2; ++k) out.middleCols(k * d0, d0) = slice(k).transpose();
    } else {
      for (Eigen::Index j = 0; j < d1; ++j)
        for (Eigen::Index k = 0; k < d2; ++k)
          out.row(k).segment(j * d0, d0) = slice(k).col(j).transpose();
    }
    return out;
  }
  /// Inverse of `unfold(n)`: a tensor of dimensions `dims` from its mode-n unfolding.
  static Tensor3 fold(int n, const Eigen::Ref<const Matrix>& m, Eigen::Index d0, Eigen::Index d1,
                      Eigen::Index d2) {
    check_mode(n, "Tensor3::fold");
    Tensor3 t(d0, d1, d2);
    const Eigen::Index rows = t.m_dims[n];
    if (m.rows() != rows || m.cols() * rows != t.size())
      detail::throw_invalid("Tensor3::fold", "a ", m.rows(), " x ", m.cols(),
                            " matrix is not the mode-", n, " unfolding of a ", d0, " x ", d1, " x ",
                            d2, " tensor");
    if (n == 0) {
      Eigen::Map<Matrix>(t.m_data.data(), d0, d1 * d2) = m;
    } else if (n == 1) {
      for (Eigen::Index k = 0; k < d2; ++k) t.slice(k) = m.middleCols(k * d0, d0).transpose();
    } else {
      for (Eigen::Index j = 0; j < d1; ++j)
        for (Eigen::Index k = 0; k < d2; ++k)
          t.slice(k).col(j) = m.row(k).segment(j * d0, d0).transpose();
    }
    return t;
  }

private:
  static void check_mode(int n, const char* fn) {
    if (n < 0 || n > 2) detail::throw_invalid(fn, "mode ", n, " is not 0, 1 or 2");
  }
  Eigen::Index m_dims[3] = {0, 0, 0};
  Eigen::Matrix<Scalar, Eigen::Dynamic, 1> m_data;
};

} // namespace cimpute
