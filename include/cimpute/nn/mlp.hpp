/// @file mlp.hpp
/// @brief `Mlp`: a fully connected network whose forward and backward passes, Jacobians and
/// Jacobian-vector products are batched Eigen matrix products.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/gemm.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/nn/activation.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace cimpute {

namespace detail {
/// Runs `f(begin, length)` over a fixed partition of the columns [0, n) into 2 to 8 blocks of
/// about 384 columns or more (multiples of 16 columns; one block below 32 columns), in parallel
/// (`parallel_for`: OpenMP threads, BLAS kept to one thread) when `flops` is large enough to pay
/// for a parallel region, else in order. The partition does not depend on the thread count and
/// every block computes the same products either way, so the results do not either. One team
/// splitting each product replaces BLAS's own threads, whose partition (and so the rounding)
/// changes with their number. Wide blocks keep each single-threaded product efficient: on the
/// 2-core reference machine, a 128 x 978 x 1024 product runs at 326 GFLOP/s in 2 blocks against
/// 292 in 8 (each block packs the shared operand anew).
template <class F>
void for_column_blocks(Eigen::Index n, double flops, F&& f) {
  const Eigen::Index parts_wanted = n < 32 ? 1 : std::clamp<Eigen::Index>(n / 384, 2, 8);
  const Eigen::Index width = (n + parts_wanted * 16 - 1) / (parts_wanted * 16) * 16;
  const long parts = long((n + width - 1) / width);
  auto block = [&](long k) {
    const Eigen::Index begin = Eigen::Index(k) * width;
    f(begin, std::min(width, n - begin));
  };
  if (flops < 4e6 || parts < 2) {
    for (long k = 0; k < parts; ++k) block(k);
    return;
  }
  parallel_for(parts, block);
}
} // namespace detail

/// How `Mlp` initialises its weights (biases start at zero).
enum class Initialization {
  He,      ///< normal, standard deviation \f$ \sqrt{2 / n_{in}} \f$ (He et al. 2015)
  Xavier,  ///< uniform on \f$ \pm\sqrt{6 / (n_{in} + n_{out})} \f$ (Glorot & Bengio 2010)
  Uniform, ///< uniform on \f$ \pm 1 / \sqrt{n_{in}} \f$ (PyTorch's default for `nn.Linear`)
  Zero     ///< all zero
};

/// A multilayer perceptron \f$ f(x) = W_L s(\dots s(W_1 x + b_1) \dots) + b_L \f$: the activation
/// s after every layer but the last. Samples are rows (a batch is batch x features); all
/// parameters live in one vector (`parameters()`), layer by layer, each weight matrix
/// column-major (out x in) followed by its bias, so that optimizers update one array.
/// Deterministic: the same seed gives the same weights.
template <class Scalar_ = float, class Activation_ = LeakyRelu>
class Mlp {
public:
  using Scalar = Scalar_;
  using Activation = Activation_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
  using Index = Eigen::Index;
  static_assert(std::is_floating_point<Scalar>::value, "Mlp needs a floating-point Scalar");

  /// The intermediate values of a forward pass, kept for the backward pass.
  struct Cache {
    std::vector<Matrix> z; ///< pre-activations of layers 1..L (batch x out_k)
    std::vector<Matrix> a; ///< a[0] = input, a[k] = s(z[k-1]) for hidden layers
    /// Scratch space of `backward` (reused from call to call: no allocation per batch); a cache
    /// serves one thread at a time.
    mutable Matrix dz, da;
  };

  Mlp() = default;
  /// Layer sizes {n_0 (input), n_1, ..., n_L (output)}; throws for fewer than two sizes or a
  /// size < 1.
  explicit Mlp(std::vector<Index> sizes, bool bias = true, Activation activation = {},
               Initialization init = Initialization::He, std::uint64_t seed = 0)
      : m_sizes(std::move(sizes)), m_bias(bias), m_act(activation) {
    const char* fn = "Mlp";
    if (m_sizes.size() < 2) detail::throw_invalid(fn, "need at least an input and an output size");
    for (Index n : m_sizes)
      if (n < 1) detail::throw_invalid(fn, "layer size ", n, " < 1");
    Index total = 0;
    for (std::size_t k = 0; k + 1 < m_sizes.size(); ++k) {
      m_offset.push_back(total);
      total += m_sizes[k + 1] * m_sizes[k] + (m_bias ? m_sizes[k + 1] : 0);
    }
    m_theta = Vector::Zero(total);
    initialize(init, seed);
  }

  /// Re-draw the weights (biases to zero) with `init` from `seed`.
  void initialize(Initialization init, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (Index k = 0; k < num_layers(); ++k) {
      auto W = weight(k);
      const double in = double(W.cols()), out = double(W.rows());
      if (init == Initialization::He) {
        std::normal_distribution<double> d(0.0, std::sqrt(2.0 / in));
        for (Index i = 0; i < W.size(); ++i) W.data()[i] = Scalar(d(rng));
      } else if (init == Initialization::Xavier || init == Initialization::Uniform) {
        const double a =
            init == Initialization::Xavier ? std::sqrt(6.0 / (in + out)) : 1.0 / std::sqrt(in);
        std::uniform_real_distribution<double> d(-a, a);
        for (Index i = 0; i < W.size(); ++i) W.data()[i] = Scalar(d(rng));
      } else {
        W.setZero();
      }
      if (m_bias) bias(k).setZero();
    }
  }

  /// The same network with parameters of another scalar type (e.g. a double copy of a float
  /// network, for analyses that need double precision).
  template <class NewScalar>
  Mlp<NewScalar, Activation> cast() const {
    Mlp<NewScalar, Activation> out(m_sizes, m_bias, m_act, Initialization::Zero, 0);
    out.parameters() = m_theta.template cast<NewScalar>();
    return out;
  }

  Index num_layers() const noexcept { return Index(m_offset.size()); }
  Index input_size() const noexcept { return m_sizes.empty() ? 0 : m_sizes.front(); }
  Index output_size() const noexcept { return m_sizes.empty() ? 0 : m_sizes.back(); }
  const std::vector<Index>& sizes() const noexcept { return m_sizes; }
  bool has_bias() const noexcept { return m_bias; }
  const Activation& activation() const noexcept { return m_act; }

  /// All parameters, layer by layer (W_k column-major, then b_k).
  Vector& parameters() noexcept { return m_theta; }
  const Vector& parameters() const noexcept { return m_theta; }
  /// The weight of layer k (0-based), out x in.
  Eigen::Map<Matrix> weight(Index k) {
    return Eigen::Map<Matrix>(m_theta.data() + m_offset[std::size_t(k)],
                              m_sizes[std::size_t(k) + 1], m_sizes[std::size_t(k)]);
  }
  Eigen::Map<const Matrix> weight(Index k) const {
    return Eigen::Map<const Matrix>(m_theta.data() + m_offset[std::size_t(k)],
                                    m_sizes[std::size_t(k) + 1], m_sizes[std::size_t(k)]);
  }
  /// The bias of layer k (only with `has_bias()`).
  Eigen::Map<Vector> bias(Index k) {
    return Eigen::Map<Vector>(m_theta.data() + bias_offset(k), m_sizes[std::size_t(k) + 1]);
  }
  Eigen::Map<const Vector> bias(Index k) const {
    return Eigen::Map<const Vector>(m_theta.data() + bias_offset(k), m_sizes[std::size_t(k) + 1]);
  }

  /// f(X) for a batch (rows are samples).
  Matrix forward(const Eigen::Ref<const Matrix>& X) const {
    check_input("Mlp::forward", X);
    return forward_from(0, X);
  }

  /// The network from layer `first` on, applied to `a` (the input of that layer: the activated
  /// output of layer first - 1, or the data for first = 0). Unchecked; `forward` checks.
  Matrix forward_from(Index first, Matrix a) const {
    for (Index k = first; k < num_layers(); ++k) {
      Matrix z = affine(k, a);
      a = k + 1 < num_layers() ? Matrix(m_act.value(z.array()).matrix()) : std::move(z);
    }
    return a;
  }

  /// f(X), keeping what the backward pass needs in `c`; returns the output.
  const Matrix& forward(const Eigen::Ref<const Matrix>& X, Cache& c) const {
    check_input("Mlp::forward", X);
    const std::size_t L = std::size_t(num_layers());
    c.z.resize(L);
    c.a.resize(L);
    c.a[0] = X;
    for (std::size_t k = 0; k < L; ++k) {
      Matrix& z = c.z[k];
      Matrix* a = k + 1 < L ? &c.a[k + 1] : nullptr;
      z.resize(X.rows(), m_sizes[k + 1]);
      if (a) a->resize(X.rows(), m_sizes[k + 1]);
      affine_blocks(Index(k), c.a[k], z, [&](Index s, Index len) {
        if (a) a->middleCols(s, len) = m_act.value(z.middleCols(s, len).array()).matrix();
      });
    }
    return c.z[L - 1];
  }

  /// Backpropagate `dout` (the loss gradient with respect to the output of the cached forward
  /// pass) into `grad` (same layout as `parameters()`, overwritten); with `dx`, also the
  /// gradient with respect to the input.
  void backward(const Cache& c, const Eigen::Ref<const Matrix>& dout, Vector& grad,
                Matrix* dx = nullptr) const {
    const std::size_t L = std::size_t(num_layers());
    if (c.z.size() != L || dout.rows() != c.z[L - 1].rows() || dout.cols() != output_size())
      detail::throw_invalid("Mlp::backward", "the output gradient does not match the cache");
    grad.resize(m_theta.size());
    Matrix& dz = c.dz;
    Matrix& da = c.da;
    dz = dout;
    const Index n = dout.rows();
    for (std::size_t k = L; k-- > 0;) {
      const Index out = m_sizes[k + 1], in = m_sizes[k];
      const double flops = 2.0 * double(n) * double(out) * double(in);
      // Weight (and bias) gradients, by blocks of output units.
      Eigen::Map<Matrix> gW(grad.data() + m_offset[k], out, in);
      Scalar* gb = m_bias ? grad.data() + bias_offset(Index(k)) : nullptr;
      detail::for_column_blocks(out, flops, [&](Index s, Index len) {
        detail::gemm<Scalar>(detail::Op::T, dz.middleCols(s, len), detail::Op::N, c.a[k],
                             gW.middleRows(s, len));
        if (gb) Eigen::Map<Vector>(gb + s, len) = dz.middleCols(s, len).colwise().sum().transpose();
      });
      if (k == 0 && !dx) break;
      // The gradient with respect to the layer's input, by blocks of input units, times the
      // activation's derivative below the first layer.
      da.resize(n, in);
      const auto W = weight(Index(k));
      detail::for_column_blocks(in, flops, [&](Index s, Index len) {
        detail::gemm<Scalar>(detail::Op::N, dz, detail::Op::N, W.middleCols(s, len),
                             da.middleCols(s, len));
        if (k > 0)
          da.middleCols(s, len).array() *= m_act.derivative(c.z[k - 1].middleCols(s, len).array());
      });
      if (k == 0) {
        *dx = da;
        break;
      }
      dz.swap(da);
    }
  }

  /// The Jacobian \f$ J_f(x) = W_L D_{L-1} \cdots D_1 W_1 \f$ at one point (output x input),
  /// \f$ D_k = \mathrm{diag}(s'(z_k)) \f$.
  Matrix jacobian(const Eigen::Ref<const Vector>& x) const {
    if (x.size() != input_size())
      detail::throw_invalid("Mlp::jacobian", "point of size ", x.size(), ", input size ",
                            input_size());
    Cache c;
    forward(x.transpose(), c);
    Matrix J = weight(0);
    for (Index k = 1; k < num_layers(); ++k) {
      const Vector d = m_act.derivative(c.z[std::size_t(k - 1)].row(0).transpose().array());
      J = weight(k) * (d.asDiagonal() * J);
    }
    return J;
  }

  /// Batched Jacobian-vector products: row i of the result is \f$ J_f(x_i) v_i \f$ for the rows
  /// x_i of X and v_i of V, with the pre-activations from the cache of a forward pass on X
  /// (`forward(X, c)`): the same matrix products as a forward pass.
  Matrix jvp(const Cache& c, const Eigen::Ref<const Matrix>& V) const {
    if (c.z.empty() || V.rows() != c.z[0].rows() || V.cols() != input_size())
      detail::throw_invalid("Mlp::jvp", "directions do not match the cached batch");
    Matrix u = V * weight(0).transpose();
    for (Index k = 1; k < num_layers(); ++k) {
      u.array() *= m_act.derivative(c.z[std::size_t(k - 1)].array());
      u = u * weight(k).transpose();
    }
    return u;
  }

private:
  Index bias_offset(Index k) const {
    return m_offset[std::size_t(k)] + m_sizes[std::size_t(k) + 1] * m_sizes[std::size_t(k)];
  }
  Matrix affine(Index k, const Matrix& a) const {
    Matrix z(a.rows(), m_sizes[std::size_t(k) + 1]);
    affine_blocks(k, a, z, [](Index, Index) {});
    return z;
  }
  // z = a W_k^T + b_k (z sized by the caller), by blocks of output units; `then(s, len)` runs on
  // each finished block (e.g. the activation).
  template <class Then>
  void affine_blocks(Index k, const Matrix& a, Matrix& z, Then&& then) const {
    const auto W = weight(k);
    const double flops = 2.0 * double(a.rows()) * double(W.rows()) * double(W.cols());
    detail::for_column_blocks(W.rows(), flops, [&](Index s, Index len) {
      detail::gemm<Scalar>(detail::Op::N, a, detail::Op::T, W.middleRows(s, len),
                           z.middleCols(s, len));
      if (m_bias) z.middleCols(s, len).rowwise() += bias(k).segment(s, len).transpose();
      then(s, len);
    });
  }
  void check_input(const char* fn, const Eigen::Ref<const Matrix>& X) const {
    if (m_sizes.empty()) detail::throw_logic(fn, "the network has no layers");
    if (X.cols() != input_size())
      detail::throw_invalid(fn, "input has ", X.cols(), " features, the network ", input_size());
    if (!X.allFinite()) detail::throw_invalid(fn, "the input has a non-finite value");
  }

  std::vector<Index> m_sizes;
  std::vector<Index> m_offset;
  bool m_bias = true;
  Activation m_act{};
  Vector m_theta;
};

} // namespace cimpute
