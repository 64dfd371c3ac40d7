/// @file autoencoder_transfer.hpp
/// @brief `AutoencoderTransferCompletion` (formerly `AutoencoderTransfer`): complete a
/// (perturbation, context) pair by latent arithmetic in an autoencoder: decode(the context's mean
/// code + the perturbation's mean latent deviation), or scGen's decode(code(control of c) + the
/// perturbation's mean latent effect) (Belyaeva et al. 2021; Lotfollahi et al. 2019).
#pragma once

#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/nn/autoencoder.hpp"

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace cimpute {

/// How `AutoencoderTransferCompletion` composes a code for a (perturbation, context) pair.
enum class LatentModel {
  /// code(control of c) + the perturbation's mean latent effect over its training contexts
  /// (effect = code(profile) - code(control of that context)): scGen's transfer.
  ControlPlusEffect,
  /// The two-way additive model in latent space: the mean code of c's training profiles + the
  /// perturbation's mean deviation from those per-context means. A cell's common response to
  /// drugs is in its mean code, which the control code misses.
  TwoWay
};

/// Settings of `AutoencoderTransferCompletion`; the defaults finish a 5-fold run on the 24 x 20
/// L1000 subset in a few minutes on 2 cores.
struct AutoencoderTransferOptions {
  std::vector<Eigen::Index> hidden{1024}; ///< hidden layer sizes (the code is the first)
  bool bias = true;
  int epochs = 200;
  Eigen::Index batch_size = 64;
  double learning_rate = 1e-3;              ///< Adam
  LatentModel latent = LatentModel::TwoWay; ///< how a pair's code is composed
  std::uint64_t seed = 0;
  /// The contexts' control profiles in the signatures' space, one row per context of the tensor
  /// (e.g. the log2 DMSO expression, `read_l1000_baselines`, for log2 fold-change signatures);
  /// empty: zero, i.e. the network sees the signatures themselves.
  Eigen::MatrixXd baselines;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "AutoencoderTransferOptions::validate";
    if (hidden.empty()) detail::throw_invalid(fn, "need at least one hidden layer");
    for (Eigen::Index h : hidden)
      if (h < 1) detail::throw_invalid(fn, "hidden holds ", h, " (a layer size must be >= 1)");
    if (epochs < 1) detail::throw_invalid(fn, "epochs must be >= 1, got ", epochs);
    if (batch_size < 0)
      detail::throw_invalid(fn, "batch_size must be >= 0 (0: full batch), got ", batch_size);
    if (!(learning_rate > 0) || !std::isfinite(learning_rate))
      detail::throw_invalid(fn, "learning_rate must be finite and > 0, got ", learning_rate);
    if (!baselines.allFinite()) detail::throw_invalid(fn, "baselines have a non-finite entry");
  }
};

/// Completion by transfer in the latent space of an autoencoder: the network (float, with the
/// `Activation` policy, leaky ReLU by default) is trained on the training profiles (signature + the
/// context's control profile) and the control profiles, standardised by the training mean per gene
/// and one overall scale. With `LatentModel::TwoWay` (the default) the code of (d, c) is c's mean
/// training code + d's mean deviation from the per-context mean codes over its training
/// contexts; with `ControlPlusEffect` it is code(control of c) + d's mean latent effect
/// code(profile) - code(control of its context) (the mean effect of all training pairs when d has
/// none). The prediction is decode(code) minus c's control profile. Reference-context signatures
/// count as training profiles here.
template <class Scalar_ = double, class Activation = LeakyRelu>
class AutoencoderTransferCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  explicit AutoencoderTransferCompletion(AutoencoderTransferOptions opt = {})
      : m_opt(std::move(opt)) {
    m_opt.validate();
  }
  std::string name() const { return "autoencoder"; }
  const AutoencoderTransferOptions& options() const noexcept { return m_opt; }

  AutoencoderTransferCompletion& fit(const TrainingSet<Scalar>& train) {
    const char* fn = "AutoencoderTransferCompletion::fit";
    const auto& t = train.tensor();
    const Eigen::Index C = t.num_contexts(), G = t.num_features(), P = t.num_perturbations();
    if (m_opt.baselines.size() > 0 && (m_opt.baselines.rows() != C || m_opt.baselines.cols() != G))
      detail::throw_invalid(fn, "baselines are ", m_opt.baselines.rows(), " x ",
                            m_opt.baselines.cols(), ", the tensor has ", C, " contexts x ", G,
                            " features");
    m_base = m_opt.baselines.size() > 0 ? m_opt.baselines : Eigen::MatrixXd::Zero(C, G);
    const TrainingSet<Scalar> all = train.with_reference();
    const auto& rows = all.rows();
    const Eigen::Index n = Eigen::Index(rows.size());
    Eigen::MatrixXd X(n + C, G);
    for (Eigen::Index i = 0; i < n; ++i) {
      const PairIndex& p = t.observed_pairs()[std::size_t(rows[std::size_t(i)])];
      X.row(i) =
          t.observed().row(rows[std::size_t(i)]).template cast<double>() + m_base.row(p.context);
    }
    X.bottomRows(C) = m_base;
    m_mean = X.colwise().mean();
    const double sd = std::sqrt((X.rowwise() - m_mean).squaredNorm() / double(X.size()));
    m_scale = sd > 0 ? sd : 1.0;
    const Eigen::MatrixXf Xs = ((X.rowwise() - m_mean) / m_scale).cast<float>();

    m_ae = Autoencoder<float, Activation>(G, m_opt.hidden, m_opt.bias, {}, Initialization::Uniform,
                                          m_opt.seed);
    AutoencoderTraining tr;
    tr.max_epochs = m_opt.epochs;
    tr.batch_size = m_opt.batch_size;
    tr.validation_fraction = 0;
    tr.loss_threshold = 0;
    tr.keep_best = false;
    tr.seed = m_opt.seed;
    tr.schedule.rate = m_opt.learning_rate;
    m_ae.train(Xs, tr);

    const Eigen::MatrixXd codes = m_ae.encode(Xs).template cast<double>();
    m_control_code = codes.bottomRows(C);
    if (m_opt.latent == LatentModel::TwoWay) {
      // Per-context mean codes; a context without training profiles gets its control code plus
      // the mean (context mean - control) shift of the others.
      std::vector<double> in_context(static_cast<std::size_t>(C), 0.0);
      Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(C, codes.cols());
      for (Eigen::Index i = 0; i < n; ++i) {
        const PairIndex& p = t.observed_pairs()[std::size_t(rows[std::size_t(i)])];
        sum.row(p.context) += codes.row(i);
        in_context[std::size_t(p.context)] += 1;
      }
      Eigen::RowVectorXd shift = Eigen::RowVectorXd::Zero(codes.cols());
      double with = 0;
      for (Eigen::Index c = 0; c < C; ++c)
        if (in_context[std::size_t(c)] > 0) {
          sum.row(c) /= in_context[std::size_t(c)];
          shift += sum.row(c) - m_control_code.row(c);
          with += 1;
        }
      if (with > 0) shift /= with;
      for (Eigen::Index c = 0; c < C; ++c)
        if (in_context[std::size_t(c)] == 0) sum.row(c) = m_control_code.row(c) + shift;
      m_context_code = sum;
    } else {
      m_context_code = m_control_code;
    }
    m_effect = Eigen::MatrixXd::Zero(P, codes.cols());
    std::vector<double> count(static_cast<std::size_t>(P), 0.0);
    for (Eigen::Index i = 0; i < n; ++i) {
      const PairIndex& p = t.observed_pairs()[std::size_t(rows[std::size_t(i)])];
      m_effect.row(p.perturbation) += codes.row(i) - m_context_code.row(p.context);
      count[std::size_t(p.perturbation)] += 1;
    }
    // A perturbation without training pairs: the mean effect of all pairs (zero for TwoWay).
    const Eigen::RowVectorXd overall = m_effect.colwise().sum() / double(n);
    for (Eigen::Index d = 0; d < P; ++d)
      m_effect.row(d) = count[std::size_t(d)] > 0
                            ? Eigen::RowVectorXd(m_effect.row(d) / count[std::size_t(d)])
                            : overall;
    m_tensor = &t;
    return *this;
  }

  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_tensor)
      detail::throw_logic("AutoencoderTransferCompletion::predict", "call fit() first");
    detail::check_pairs("AutoencoderTransferCompletion::predict", *m_tensor, pairs);
    Eigen::MatrixXf codes(Eigen::Index(pairs.size()), m_control_code.cols());
    for (std::size_t k = 0; k < pairs.size(); ++k)
      codes.row(Eigen::Index(k)) =
          (m_context_code.row(pairs[k].context) + m_effect.row(pairs[k].perturbation))
              .cast<float>();
    Eigen::MatrixXd out = m_ae.decode(codes).template cast<double>() * m_scale;
    out.rowwise() += m_mean;
    for (std::size_t k = 0; k < pairs.size(); ++k)
      out.row(Eigen::Index(k)) -= m_base.row(pairs[k].context);
    return out.template cast<Scalar>();
  }

  /// The trained network.
  const Autoencoder<float, Activation>& autoencoder() const noexcept { return m_ae; }
  /// Mean latent effect of each perturbation (rows), after `fit`.
  const Eigen::MatrixXd& effects() const noexcept { return m_effect; }

private:
  AutoencoderTransferOptions m_opt;
  Autoencoder<float, Activation> m_ae;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
  Eigen::MatrixXd m_base, m_control_code, m_context_code, m_effect;
  Eigen::RowVectorXd m_mean;
  double m_scale = 1;
};

} // namespace cimpute
