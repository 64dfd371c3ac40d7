/// @file dnpp.hpp
/// @brief DNPP: drug-neighbour profile prediction (Hodos et al., PSB 2018).
#pragma once

#include "cimpute/completion/means.hpp"
#include "cimpute/completion/training_set.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace cimpute {

/// DNPP with K neighbours. Perturbation similarity
/// \f$ S(d, d') \f$ = mean, over contexts where both are observed in training, of the Pearson
/// correlation of their signatures; negative or undefined similarities and the diagonal are 0.
/// A missing (d, c) is predicted as the S-weighted mean of the signatures in c of the K training
/// perturbations of c most similar to d (weights \f$ S / \sum S \f$; ties broken by index);
/// when all those weights are 0, the mean of c's training signatures.
template <class Scalar_ = double>
class DnppCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  explicit DnppCompletion(int neighbours = 10) : m_k(neighbours) {
    if (neighbours < 1)
      detail::throw_invalid("DnppCompletion", "neighbours must be >= 1, got ", neighbours);
  }
  std::string name() const { return "dnpp"; }

  /// Fit on the training rows and the reference context's rows (DNPP uses the reference
  /// context as ordinary data).
  DnppCompletion& fit(const TrainingSet<Scalar>& train_only) {
    const TrainingSet<Scalar> train = train_only.with_reference();
    const auto& t = train.tensor();
    const Eigen::Index P = t.num_perturbations();
    Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(P, P), count = Eigen::MatrixXd::Zero(P, P);
    for (Eigen::Index c = 0; c < t.num_contexts(); ++c) {
      const auto& rows = train.context_rows(c);
      // Centre and normalise each signature once: correlation = dot product.
      Eigen::MatrixXd Z(static_cast<Eigen::Index>(rows.size()), t.num_features());
      for (std::size_t i = 0; i < rows.size(); ++i) {
        Eigen::RowVectorXd z = t.observed().row(rows[i]).template cast<double>();
        z.array() -= z.mean();
        const double n = z.norm();
        Z.row(Eigen::Index(i)) =
            n > 0 ? Eigen::RowVectorXd(z / n) : Eigen::RowVectorXd::Zero(z.size());
      }
      const Eigen::MatrixXd R = Z * Z.transpose();
      for (std::size_t i = 0; i < rows.size(); ++i)
        for (std::size_t j = 0; j < rows.size(); ++j) {
          const Eigen::Index a = t.observed_pairs()[std::size_t(rows[i])].perturbation;
          const Eigen::Index b = t.observed_pairs()[std::size_t(rows[j])].perturbation;
          sum(a, b) += R(Eigen::Index(i), Eigen::Index(j));
          count(a, b) += 1;
        }
    }
    m_S = (count.array() > 0).select(sum.array() / count.array().max(1.0), 0.0).matrix();
    m_S = m_S.cwiseMax(0.0);
    m_S.diagonal().setZero();
    m_tensor = &t;
    m_context_rows.clear();
    for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
      m_context_rows.push_back(train.context_rows(c));
    m_means.fit(train);
    return *this;
  }

  /// The perturbation similarity matrix S of the last fit.
  const Eigen::MatrixXd& similarity() const noexcept { return m_S; }

  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_tensor) detail::throw_logic("DnppCompletion::predict", "call fit() first");
    const auto& t = *m_tensor;
    detail::check_pairs("DnppCompletion::predict", t, pairs);
    Matrix out(static_cast<Eigen::Index>(pairs.size()), t.num_features());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const auto& rows = m_context_rows[std::size_t(pairs[i].context)];
      std::vector<std::size_t> order(rows.size());
      std::iota(order.begin(), order.end(), std::size_t(0));
      auto sim = [&](std::size_t k) {
        return m_S(pairs[i].perturbation, t.observed_pairs()[std::size_t(rows[k])].perturbation);
      };
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return sim(a) > sim(b); });
      RowVector acc = RowVector::Zero(t.num_features());
      double wsum = 0;
      for (std::size_t k = 0; k < order.size() && k < std::size_t(m_k); ++k) {
        const double w = sim(order[k]);
        acc += Scalar(w) * t.observed().row(rows[order[k]]);
        wsum += w;
      }
      out.row(Eigen::Index(i)) =
          wsum > 0 ? RowVector(acc / Scalar(wsum)) : RowVector(m_means.predict({pairs[i]}).row(0));
    }
    return out;
  }

private:
  int m_k;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
  std::vector<std::vector<Eigen::Index>> m_context_rows;
  Eigen::MatrixXd m_S;
  MeanCompletion<Scalar> m_means{MeanKind::Context};
};

} // namespace cimpute
