/// @file cross_modal.hpp
/// @brief Cross-modal alignment of two autoencoders (Yang et al.): reconstruction in each
/// modality, latent distribution matching by MMD, and an anchor loss on paired samples;
/// translation between modalities and nearest-neighbour recovery of held-out partners.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/nn/mlp.hpp"
#include "cimpute/nn/optimizer.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace cimpute {

/// Squared maximum mean discrepancy (biased V-statistic) between the rows of A and B with the
/// kernel \f$ \sum_s \exp(-\|x - y\|^2 / (2\sigma_s^2)) \f$ over the given squared bandwidths;
/// with `gradA` / `gradB`, also its gradient with respect to the rows of A and B.
template <class Matrix>
double mmd2(const Matrix& A, const Matrix& B, const std::vector<double>& sigma2,
            Matrix* gradA = nullptr, Matrix* gradB = nullptr) {
  using Scalar = typename Matrix::Scalar;
  const char* fn = "mmd2";
  if (A.cols() != B.cols() || A.rows() < 1 || B.rows() < 1)
    detail::throw_invalid(fn, "samples of ", A.cols(), " and ", B.cols(), " features (", A.rows(),
                          " and ", B.rows(), " rows)");
  if (sigma2.empty()) detail::throw_invalid(fn, "no bandwidth");
  const double na = double(A.rows()), nb = double(B.rows());
  auto sqdist = [](const Matrix& X, const Matrix& Y) {
    Matrix D = -2 * X * Y.transpose();
    D.colwise() += X.rowwise().squaredNorm();
    D.rowwise() += Y.rowwise().squaredNorm().transpose();
    return Matrix(D.cwiseMax(Scalar(0)));
  };
  const Matrix Daa = sqdist(A, A), Dbb = sqdist(B, B), Dab = sqdist(A, B);
  double value = 0;
  if (gradA) gradA->setZero(A.rows(), A.cols());
  if (gradB) gradB->setZero(B.rows(), B.cols());
  for (double s2 : sigma2) {
    const Matrix Kaa = (-Daa / Scalar(2 * s2)).array().exp().matrix();
    const Matrix Kbb = (-Dbb / Scalar(2 * s2)).array().exp().matrix();
    const Matrix Kab = (-Dab / Scalar(2 * s2)).array().exp().matrix();
    value += double(Kaa.sum()) / (na * na) + double(Kbb.sum()) / (nb * nb) -
             2 * double(Kab.sum()) / (na * nb);
    // d/dx exp(-|x - y|^2 / (2 s2)) = -k (x - y) / s2, so for a kernel matrix K between X and Y
    // the gradient of sum(K) w.r.t. the rows of X is -(diag(K 1) X - K Y) / s2.
    auto pull = [s2](const Matrix& K, const Matrix& X, const Matrix& Y) {
      Matrix G = K * Y;
      G -= K.rowwise().sum().asDiagonal() * X;
      return Matrix(G / Scalar(s2));
    };
    if (gradA) {
      *gradA += Scalar(2 / (na * na)) * pull(Kaa, A, A);
      *gradA -= Scalar(2 / (na * nb)) * pull(Kab, A, B);
    }
    if (gradB) {
      *gradB += Scalar(2 / (nb * nb)) * pull(Kbb, B, B);
      *gradB -= Scalar(2 / (na * nb)) * pull(Matrix(Kab.transpose()), B, A);
    }
  }
  return value;
}

/// Settings of `CrossModalAutoencoders::train`.
struct CrossModalTraining {
  int epochs = 300;                ///< passes over the larger modality
  Eigen::Index batch_size = 128;   ///< samples per modality per step (and anchor pairs per step)
  LearningRateSchedule schedule{}; ///< Adam learning rate (1e-3)
  AdamOptions adam{};
  double mmd_weight = 1.0;    ///< weight of the latent MMD between the modalities
  double anchor_weight = 0.1; ///< weight of the mean squared code distance of paired samples
  /// Squared MMD bandwidths as multiples of the latent size (the kernel is a sum over them).
  std::vector<double> bandwidths{0.25, 1.0, 4.0};
  std::uint64_t seed = 0; ///< batch shuffling

  void validate(const char* fn) const {
    if (epochs < 1) detail::throw_invalid(fn, "epochs must be >= 1, got ", epochs);
    if (batch_size < 2) detail::throw_invalid(fn, "batch_size must be >= 2, got ", batch_size);
    if (mmd_weight < 0 || anchor_weight < 0) detail::throw_invalid(fn, "loss weights must be >= 0");
    if (bandwidths.empty()) detail::throw_invalid(fn, "no MMD bandwidth");
    for (double b : bandwidths)
      if (!(b > 0)) detail::throw_invalid(fn, "MMD bandwidths must be > 0, got ", b);
    schedule.validate();
    adam.validate();
  }
};

/// One epoch of `CrossModalAutoencoders::train`: the mean losses of its steps.
struct CrossModalEpoch {
  int epoch = 0;
  double reconstruction1 = 0, reconstruction2 = 0; ///< mean squared errors per entry
  double mmd = 0;                                  ///< squared MMD of the latent batches
  double anchor = 0; ///< mean squared code distance of the anchor pairs
};

/// Two autoencoders, one per modality (e.g. two gene panels, or RNA and protein), with latent
/// codes of the same size: encoder_m = Mlp {d_m, hidden..., latent} (linear code) and decoder_m =
/// Mlp {latent, reversed hidden..., d_m}. Trained jointly on reconstruction in each modality +
/// `mmd_weight` x MMD^2 between the two latent batches (the latent distributions match) +
/// `anchor_weight` x the mean squared distance between the codes of known pairs. Translation
/// encodes in one modality and decodes in the other.
template <class Scalar_ = float, class Activation_ = LeakyRelu>
class CrossModalAutoencoders {
public:
  using Scalar = Scalar_;
  using Network = Mlp<Scalar, Activation_>;
  using Matrix = typename Network::Matrix;
  using Vector = typename Network::Vector;
  using Index = Eigen::Index;
  /// A known pair: row i of modality 1 and row j of modality 2 are the same sample.
  using Pair = std::pair<Index, Index>;

  CrossModalAutoencoders(Index features1, Index features2, Index latent,
                         std::vector<Index> hidden = {256}, bool bias = true,
                         Initialization init = Initialization::He, std::uint64_t seed = 0) {
    const char* fn = "CrossModalAutoencoders";
    if (features1 < 1 || features2 < 1 || latent < 1)
      detail::throw_invalid(fn, "sizes must be >= 1 (", features1, ", ", features2, ", ", latent,
                            ")");
    auto sizes = [&](Index in, Index out, bool reversed) {
      std::vector<Index> s{in};
      if (reversed)
        s.insert(s.end(), hidden.rbegin(), hidden.rend());
      else
        s.insert(s.end(), hidden.begin(), hidden.end());
      s.push_back(out);
      return s;
    };
    m_enc[0] = Network(sizes(features1, latent, false), bias, {}, init, seed);
    m_dec[0] = Network(sizes(latent, features1, true), bias, {}, init, seed + 1);
    m_enc[1] = Network(sizes(features2, latent, false), bias, {}, init, seed + 2);
    m_dec[1] = Network(sizes(latent, features2, true), bias, {}, init, seed + 3);
  }

  Index latent_size() const { return m_enc[0].output_size(); }
  const Network& encoder(int m) const { return m_enc[check_modality(m)]; }
  const Network& decoder(int m) const { return m_dec[check_modality(m)]; }

  /// Codes of the rows of X in modality m (0 or 1).
  Matrix encode(int m, const Eigen::Ref<const Matrix>& X) const {
    return m_enc[check_modality(m)].forward(X);
  }
  /// Reconstructions in modality m of codes.
  Matrix decode(int m, const Eigen::Ref<const Matrix>& codes) const {
    return m_dec[check_modality(m)].forward(codes);
  }
  /// Rows of modality `from` translated into modality `to`: decode_to(encode_from(X)).
  Matrix translate(int from, int to, const Eigen::Ref<const Matrix>& X) const {
    return decode(to, encode(from, X));
  }

  /// Train on X1 (n1 x d1) and X2 (n2 x d2) with the known pairs `anchors` (may be empty: then
  /// only the distributions are matched). `progress` is called after each epoch.
  std::vector<CrossModalEpoch>
  train(const Eigen::Ref<const Matrix>& X1, const Eigen::Ref<const Matrix>& X2,
        const std::vector<Pair>& anchors, const CrossModalTraining& options = {},
        const std::function<void(const CrossModalEpoch&)>& progress = {}) {
    const char* fn = "CrossModalAutoencoders::train";
    options.validate(fn);
    const Eigen::Ref<const Matrix>* X[2] = {&X1, &X2};
    for (int m = 0; m < 2; ++m) {
      if (X[m]->cols() != m_enc[m].input_size())
        detail::throw_invalid(fn, "modality ", m + 1, " has ", X[m]->cols(), " features, not ",
                              m_enc[m].input_size());
      if (X[m]->rows() < 2) detail::throw_invalid(fn, "modality ", m + 1, " needs >= 2 rows");
      if (!X[m]->allFinite())
        detail::throw_invalid(fn, "modality ", m + 1, " has non-finite values");
    }
    for (const auto& [i, j] : anchors)
      if (i < 0 || i >= X1.rows() || j < 0 || j >= X2.rows())
        detail::throw_invalid(fn, "anchor pair (", i, ", ", j, ") outside the data");
    std::vector<double> s2;
    for (double b : options.bandwidths) s2.push_back(b * double(latent_size()));

    Network* nets[4] = {&m_enc[0], &m_dec[0], &m_enc[1], &m_dec[1]};
    std::vector<Adam<Scalar>> adam;
    for (Network* n : nets) adam.emplace_back(n->parameters().size(), options.adam);
    Vector grad[4], g_tmp;
    for (int k = 0; k < 4; ++k) grad[k].resize(nets[k]->parameters().size());

    std::mt19937_64 rng(options.seed);
    std::vector<Index> order[2];
    for (int m = 0; m < 2; ++m) {
      order[m].resize(std::size_t(X[m]->rows()));
      std::iota(order[m].begin(), order[m].end(), Index(0));
    }
    std::vector<std::size_t> anchor_order(anchors.size());
    std::iota(anchor_order.begin(), anchor_order.end(), std::size_t(0));
    const Index bs = options.batch_size;
    const Index n_max = std::max(X1.rows(), X2.rows());
    const Index steps = std::max<Index>(1, (n_max + bs - 1) / bs);
    std::size_t cursor[2] = {0, 0}, anchor_cursor = 0;
    long step_count = 0;
    std::vector<CrossModalEpoch> history;
    for (int epoch = 1; epoch <= options.epochs; ++epoch) {
      CrossModalEpoch rep;
      rep.epoch = epoch;
      for (Index s = 0; s < steps; ++s) {
        // Batches of each modality (cycling through shuffled orders) and of anchor pairs.
        std::vector<Index> rows[2];
        for (int m = 0; m < 2; ++m) {
          const Index b = std::min(bs, X[m]->rows());
          for (Index k = 0; k < b; ++k) {
            if (cursor[m] == 0) std::shuffle(order[m].begin(), order[m].end(), rng);
            rows[m].push_back(order[m][cursor[m]]);
            cursor[m] = (cursor[m] + 1) % order[m].size();
          }
        }
        std::vector<Pair> pairs;
        const std::size_t nb_anchor = std::min<std::size_t>(std::size_t(bs), anchors.size());
        for (std::size_t k = 0; k < nb_anchor; ++k) {
          if (anchor_cursor == 0) std::shuffle(anchor_order.begin(), anchor_order.end(), rng);
          pairs.push_back(anchors[anchor_order[anchor_cursor]]);
          anchor_cursor = (anchor_cursor + 1) % anchors.size();
        }
        // Encoder inputs: the batch rows, then the anchor rows.
        typename Network::Cache ce[2], cd[2];
        Matrix codes[2];
        Index nbatch[2];
        for (int m = 0; m < 2; ++m) {
          nbatch[m] = Index(rows[m].size());
          Matrix in(nbatch[m] + Index(pairs.size()), X[m]->cols());
          for (Index k = 0; k < nbatch[m]; ++k) in.row(k) = X[m]->row(rows[m][std::size_t(k)]);
          for (std::size_t k = 0; k < pairs.size(); ++k)
            in.row(nbatch[m] + Index(k)) = X[m]->row(m == 0 ? pairs[k].first : pairs[k].second);
          codes[m] = m_enc[m].forward(in, ce[m]);
        }
        Matrix dcode[2];
        for (int m = 0; m < 2; ++m) {
          dcode[m] = Matrix::Zero(codes[m].rows(), codes[m].cols());
          // Reconstruction: mean squared error per entry of the batch rows.
          const Matrix z = codes[m].topRows(nbatch[m]);
          const Matrix& out = m_dec[m].forward(z, cd[m]);
          Matrix target(nbatch[m], X[m]->cols());
          for (Index k = 0; k < nbatch[m]; ++k) target.row(k) = X[m]->row(rows[m][std::size_t(k)]);
          const Matrix diff = out - target;
          const double denom = double(diff.size());
          (m == 0 ? rep.reconstruction1 : rep.reconstruction2) +=
              double(diff.squaredNorm()) / denom / double(steps);
          Matrix dz;
          m_dec[m].backward(cd[m], diff * Scalar(2 / denom), grad[2 * m + 1], &dz);
          dcode[m].topRows(nbatch[m]) += dz;
        }
        if (options.mmd_weight > 0) {
          Matrix gA, gB;
          const double v = mmd2(Matrix(codes[0].topRows(nbatch[0])),
                                Matrix(codes[1].topRows(nbatch[1])), s2, &gA, &gB);
          rep.mmd += v / double(steps);
          dcode[0].topRows(nbatch[0]) += Scalar(options.mmd_weight) * gA;
          dcode[1].topRows(nbatch[1]) += Scalar(options.mmd_weight) * gB;
        }
        if (!pairs.empty()) {
          const Index P = Index(pairs.size());
          const Matrix d = codes[0].bottomRows(P) - codes[1].bottomRows(P);
          rep.anchor += double(d.squaredNorm()) / double(P) / double(steps);
          if (options.anchor_weight > 0) {
            const Matrix g = d * Scalar(2 * options.anchor_weight / double(P));
            dcode[0].bottomRows(P) += g;
            dcode[1].bottomRows(P) -= g;
          }
        }
        for (int m = 0; m < 2; ++m) m_enc[m].backward(ce[m], dcode[m], grad[2 * m]);
        const double lr = options.schedule.at(step_count++);
        for (int k = 0; k < 4; ++k) adam[std::size_t(k)].step(nets[k]->parameters(), grad[k], lr);
      }
      history.push_back(rep);
      if (progress) progress(rep);
    }
    return history;
  }

private:
  static int check_modality(int m) {
    if (m != 0 && m != 1)
      detail::throw_invalid("CrossModalAutoencoders", "modality ", m, " is not 0 or 1");
    return m;
  }
  Network m_enc[2], m_dec[2];
};

/// Nearest-neighbour recovery of partners: row i of A and row i of B are the same sample; the
/// fraction of rows of A whose nearest row of B (Euclidean) is their partner, and the fraction
/// whose partner is among the `k` nearest.
inline std::pair<double, double> partner_recovery(const Eigen::MatrixXd& A,
                                                  const Eigen::MatrixXd& B, Eigen::Index k = 10) {
  if (A.rows() != B.rows() || A.cols() != B.cols() || A.rows() == 0)
    detail::throw_invalid("partner_recovery", "need paired rows of equal width, got ", A.rows(),
                          " x ", A.cols(), " and ", B.rows(), " x ", B.cols());
  Eigen::MatrixXd D = -2 * A * B.transpose();
  D.colwise() += A.rowwise().squaredNorm();
  D.rowwise() += B.rowwise().squaredNorm().transpose();
  double top1 = 0, topk = 0;
  for (Eigen::Index i = 0; i < A.rows(); ++i) {
    Eigen::Index closer = 0; // rows of B strictly closer than the partner
    for (Eigen::Index j = 0; j < B.rows(); ++j) closer += D(i, j) < D(i, i) ? 1 : 0;
    top1 += closer == 0 ? 1 : 0;
    topk += closer < k ? 1 : 0;
  }
  return {top1 / double(A.rows()), topk / double(A.rows())};
}

} // namespace cimpute
