/// @file autoencoder.hpp
/// @brief Over-parameterized autoencoders trained to interpolation (Radhakrishnan, Belkin, Uhler,
/// PNAS 2020; Belyaeva et al., Nat Commun 2021). Weight files: cimpute/io/network_weights.hpp.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/nn/mlp.hpp"
#include "cimpute/nn/optimizer.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace cimpute {

/// Which optimizer `Autoencoder::train` uses.
enum class OptimizerKind {
  Adam, ///< `Adam` with `AutoencoderTraining::adam`
  Sgd   ///< `Sgd` with `AutoencoderTraining::momentum` (0: plain gradient descent)
};

/// How `Autoencoder::train` runs. The defaults are the reference recipe (Adam, learning rate
/// 1e-4, batch 128, 90/10 split, stop below a training MSE of 1e-15 or at the epoch cap).
struct AutoencoderTraining {
  int max_epochs = 1000;            ///< epoch cap
  double loss_threshold = 1e-15;    ///< stop once the epoch's training MSE is below this
  Eigen::Index batch_size = 128;    ///< 0: full batch
  double validation_fraction = 0.1; ///< held out (seeded) for the best checkpoint; 0: none
  std::uint64_t seed = 0;           ///< shuffling and the validation split
  OptimizerKind optimizer = OptimizerKind::Adam;
  AdamOptions adam;
  double momentum = 0.0; ///< for `OptimizerKind::Sgd`
  LearningRateSchedule schedule{LearningRateSchedule::Kind::Constant, 1e-4};
  /// Keep the weights of the epoch with the lowest validation loss (training loss without a
  /// validation set) instead of the last ones.
  bool keep_best = true;
  void validate() const {
    const char* fn = "AutoencoderTraining::validate";
    if (max_epochs < 1) detail::throw_invalid(fn, "max_epochs must be >= 1, got ", max_epochs);
    if (batch_size < 0) detail::throw_invalid(fn, "negative batch size ", batch_size);
    if (!(validation_fraction >= 0 && validation_fraction < 1))
      detail::throw_invalid(fn, "validation fraction must lie in [0, 1), got ",
                            validation_fraction);
    if (!(loss_threshold >= 0)) detail::throw_invalid(fn, "negative loss threshold");
    if (!(momentum >= 0 && momentum < 1)) detail::throw_invalid(fn, "momentum outside [0, 1)");
    adam.validate();
    schedule.validate();
  }
};

/// One epoch of training, as given to the progress callback.
struct EpochReport {
  int epoch = 0;         ///< 1-based
  double train_loss = 0; ///< mean squared error over the epoch's batches
  double validation_loss = std::numeric_limits<double>::quiet_NaN(); ///< NaN without a split
  double seconds = 0;                                                ///< wall time of the epoch
};

/// The outcome of `Autoencoder::train`.
struct TrainingHistory {
  std::vector<EpochReport> epochs;
  int best_epoch = 0;             ///< the epoch whose weights were kept
  bool reached_threshold = false; ///< stopped because the training loss fell below the threshold
};

/// Train `net` to map the rows of X to the rows of Y (MSE loss, mean over entries) in shuffled
/// mini-batches; `progress` (optional) sees every epoch. An autoencoder is Y = X
/// (`Autoencoder::train`); a sequence encoder is Y = the next element of each row's sequence
/// (\f$ f(x_k) = x_{k+1} \f$). The validation split holds out pairs of rows. Deterministic for a
/// seed, on any thread count. Keeps row-major copies of X and Y for the duration (batches gather
/// rows; one copy when Y is X).
template <class Scalar, class Activation>
TrainingHistory train_network(Mlp<Scalar, Activation>& net,
                              const Eigen::Ref<const typename Mlp<Scalar, Activation>::Matrix>& X,
                              const Eigen::Ref<const typename Mlp<Scalar, Activation>::Matrix>& Y,
                              const AutoencoderTraining& opt = {},
                              const std::function<void(const EpochReport&)>& progress = {}) {
  using Index = Eigen::Index;
  using Network = Mlp<Scalar, Activation>;
  using Matrix = typename Network::Matrix;
  using Vector = typename Network::Vector;
  using RowMajor = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const char* fn = "train_network";
  opt.validate();
  if (X.cols() != net.input_size())
    detail::throw_invalid(fn, "inputs have ", X.cols(), " features, the network ",
                          net.input_size());
  if (Y.cols() != net.output_size() || Y.rows() != X.rows())
    detail::throw_invalid(fn, "targets are ", Y.rows(), " x ", Y.cols(), ", need ", X.rows(), " x ",
                          net.output_size());
  if (X.rows() < 1) detail::throw_invalid(fn, "no training sample");
  if (!X.allFinite()) detail::throw_invalid(fn, "the inputs have a non-finite value");
  const bool self = Y.data() == X.data() && Y.outerStride() == X.outerStride();
  if (!self && !Y.allFinite()) detail::throw_invalid(fn, "the targets have a non-finite value");
  std::mt19937_64 rng(opt.seed);
  std::vector<Index> order(static_cast<std::size_t>(X.rows()));
  std::iota(order.begin(), order.end(), Index(0));
  Index n_val = 0;
  if (opt.validation_fraction > 0 && X.rows() >= 2) {
    std::shuffle(order.begin(), order.end(), rng);
    n_val = std::max<Index>(1, Index(std::ceil(opt.validation_fraction * double(X.rows()))));
    n_val = std::min<Index>(n_val, X.rows() - 1);
  }
  std::vector<Index> train_rows(order.begin(), order.end() - n_val);
  const std::vector<Index> val_rows(order.end() - n_val, order.end());
  const Matrix Xval = X(val_rows, Eigen::all), Yval = Y(val_rows, Eigen::all);
  // Row-major copies: a mini-batch is then a gather of contiguous rows.
  const RowMajor Xr = X;
  const RowMajor Yr = self ? RowMajor() : RowMajor(Y);
  const Index n = Index(train_rows.size());
  const Index batch = opt.batch_size == 0 ? n : std::min(opt.batch_size, n);
  auto gather = [&](const RowMajor& src, Index b0, Index len, Matrix& dst) {
    dst.resize(len, src.cols());
    // A gather is latency-bound: worth two threads from a few hundred kB on.
    detail::for_column_blocks(
        src.cols(), 32.0 * double(len) * double(src.cols()), [&](Index s, Index w) {
          for (Index i = 0; i < len; ++i)
            dst.row(i).segment(s, w) = src.row(train_rows[std::size_t(b0 + i)]).segment(s, w);
        });
  };

  Adam<Scalar> adam(net.parameters().size(), opt.adam);
  Sgd<Scalar> sgd(net.parameters().size(), opt.momentum);
  typename Network::Cache cache;
  Vector grad(net.parameters().size());
  Matrix xb, yb, dout;
  TrainingHistory h;
  double best = std::numeric_limits<double>::infinity();
  Vector best_theta = net.parameters();
  long step = 0;
  for (int epoch = 1; epoch <= opt.max_epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    std::shuffle(train_rows.begin(), train_rows.end(), rng);
    double sum = 0;
    for (Index b0 = 0; b0 < n; b0 += batch) {
      const Index len = std::min(batch, n - b0);
      gather(Xr, b0, len, xb);
      if (!self) gather(Yr, b0, len, yb);
      const Matrix& y = net.forward(xb, cache);
      dout = y - (self ? xb : yb);
      sum += double(dout.squaredNorm());
      dout *= Scalar(2.0 / double(dout.size()));
      net.backward(cache, dout, grad);
      const double lr = opt.schedule.at(step++);
      if (opt.optimizer == OptimizerKind::Adam)
        adam.step(net.parameters(), grad, lr);
      else
        sgd.step(net.parameters(), grad, lr);
    }
    EpochReport r;
    r.epoch = epoch;
    r.train_loss = sum / double(n * net.output_size());
    if (n_val > 0)
      r.validation_loss = double((net.forward(Xval) - Yval).squaredNorm()) / double(Yval.size());
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!std::isfinite(r.train_loss))
      detail::throw_invalid(fn, "the training loss diverged at epoch ", epoch,
                            " (lower the learning rate)");
    h.epochs.push_back(r);
    if (progress) progress(r);
    const double score = n_val > 0 ? r.validation_loss : r.train_loss;
    if (score < best) {
      best = score;
      h.best_epoch = epoch;
      if (opt.keep_best) best_theta = net.parameters();
    }
    if (r.train_loss < opt.loss_threshold) {
      h.reached_threshold = true;
      break;
    }
  }
  if (opt.keep_best)
    net.parameters() = best_theta;
  else
    h.best_epoch = h.epochs.back().epoch;
  return h;
}

/// An autoencoder \f$ f = \mathrm{dec} \circ \mathrm{enc} \f$ on d features: an `Mlp` with sizes
/// {d, hidden..., d}. The code of a sample is the first layer's output before the nonlinearity
/// (the embedding of Belyaeva et al.); `decode` continues from there. The reference network is
/// `Autoencoder<float>(978)`: 978 -> 1024 -> 978, no bias, leaky ReLU (0.01), PyTorch's uniform
/// initialisation.
template <class Scalar_ = float, class Activation_ = LeakyRelu>
class Autoencoder {
public:
  using Scalar = Scalar_;
  using Activation = Activation_;
  using Network = Mlp<Scalar, Activation>;
  using Matrix = typename Network::Matrix;
  using Vector = typename Network::Vector;
  using Index = Eigen::Index;

  Autoencoder() = default;
  /// d features, hidden layer sizes (at least one), bias, activation, initialisation, seed.
  explicit Autoencoder(Index features, std::vector<Index> hidden = {1024}, bool bias = false,
                       Activation activation = {}, Initialization init = Initialization::Uniform,
                       std::uint64_t seed = 0)
      : m_net(sizes_of(features, hidden), bias, activation, init, seed) {}
  /// Wrap an existing network whose input and output sizes agree (e.g. a loaded one).
  explicit Autoencoder(Network net) : m_net(std::move(net)) {
    if (m_net.num_layers() < 2 || m_net.input_size() != m_net.output_size())
      detail::throw_invalid("Autoencoder", "the network needs >= 2 layers and equal input and "
                                           "output sizes");
  }

  const Network& network() const noexcept { return m_net; }
  Network& network() noexcept { return m_net; }
  Index features() const noexcept { return m_net.input_size(); }
  Index code_size() const noexcept { return m_net.sizes()[1]; }

  /// f(X): the reconstructions of the rows of X.
  Matrix reconstruct(const Eigen::Ref<const Matrix>& X) const { return m_net.forward(X); }
  /// The codes of the rows of X (first layer, before the nonlinearity).
  Matrix encode(const Eigen::Ref<const Matrix>& X) const {
    typename Network::Cache c;
    m_net.forward(X, c);
    return std::move(c.z[0]);
  }
  /// The outputs of codes (rows), i.e. the network from the first nonlinearity on.
  Matrix decode(const Eigen::Ref<const Matrix>& codes) const {
    if (codes.cols() != code_size())
      detail::throw_invalid("Autoencoder::decode", "codes have ", codes.cols(),
                            " entries, the code size is ", code_size());
    if (!codes.allFinite()) detail::throw_invalid("Autoencoder::decode", "non-finite code");
    return m_net.forward_from(1, m_net.activation().value(codes.array()).matrix());
  }

  /// Mean squared reconstruction error of the rows of X (mean over all entries).
  double loss(const Eigen::Ref<const Matrix>& X) const {
    return double((reconstruct(X) - X).squaredNorm()) / double(X.size());
  }

  /// Train on the rows of X to reconstruct themselves with the MSE loss (mean over entries), in
  /// shuffled mini-batches; `progress` (optional) sees every epoch. Deterministic for a seed, on
  /// any thread count (`train_network` with Y = X).
  TrainingHistory train(const Eigen::Ref<const Matrix>& X, const AutoencoderTraining& opt = {},
                        const std::function<void(const EpochReport&)>& progress = {}) {
    if (X.cols() != features())
      detail::throw_invalid("Autoencoder::train", "data have ", X.cols(), " features, the network ",
                            features());
    return train_network(m_net, X, X, opt, progress);
  }

private:
  static std::vector<Index> sizes_of(Index d, const std::vector<Index>& hidden) {
    if (hidden.empty()) detail::throw_invalid("Autoencoder", "need at least one hidden layer");
    std::vector<Index> s{d};
    s.insert(s.end(), hidden.begin(), hidden.end());
    s.push_back(d);
    return s;
  }
  Network m_net;
};

} // namespace cimpute
