/// @file means.hpp
/// @brief The mean baselines of matrix completion: context mean ("mean over cell type", the
/// field's training mean), perturbation mean, the two-way mean that averages both, and no change.
#pragma once

#include "cimpute/completion/training_set.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace cimpute {

/// Which means a `MeanCompletion` uses.
enum class MeanKind {
  Context,      ///< mean of the context's training signatures ("mean over cell type")
  Perturbation, ///< mean of the perturbation's training signatures in other contexts
  TwoWay,       ///< the average of the two (whichever exist)
  NoChange      ///< zero: the control itself (signatures are changes against a control)
};

/// Mean baselines. A pair's prediction is the mean of its context's (and / or perturbation's)
/// training signatures; the global training mean when neither has any.
template <class Scalar_ = double>
class MeanCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  explicit MeanCompletion(MeanKind kind = MeanKind::Context) : m_kind(kind) {}
  /// The method's name in tables: context-mean, perturbation-mean, two-way-mean or no-change.
  std::string name() const {
    return m_kind == MeanKind::Context        ? "context-mean"
           : m_kind == MeanKind::Perturbation ? "perturbation-mean"
           : m_kind == MeanKind::TwoWay       ? "two-way-mean"
                                              : "no-change";
  }

  /// Compute the means of the training signatures.
  MeanCompletion& fit(const TrainingSet<Scalar>& train) {
    const auto& t = train.tensor();
    m_global = train.global_mean();
    m_context.assign(std::size_t(t.num_contexts()), RowVector());
    m_perturbation.assign(std::size_t(t.num_perturbations()), RowVector());
    for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
      if (!train.context_rows(c).empty())
        m_context[std::size_t(c)] = train.mean_of(train.context_rows(c));
    for (Eigen::Index p = 0; p < t.num_perturbations(); ++p)
      if (!train.perturbation_rows(p).empty())
        m_perturbation[std::size_t(p)] = train.mean_of(train.perturbation_rows(p));
    m_tensor = &t;
    return *this;
  }

  /// Predicted signatures of `pairs`, one per row.
  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_tensor) detail::throw_logic("MeanCompletion::predict", "call fit() first");
    detail::check_pairs("MeanCompletion::predict", *m_tensor, pairs);
    Matrix out(static_cast<Eigen::Index>(pairs.size()), m_global.size());
    if (m_kind == MeanKind::NoChange) return Matrix::Zero(out.rows(), out.cols());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const RowVector& c = m_context[std::size_t(pairs[i].context)];
      const RowVector& p = m_perturbation[std::size_t(pairs[i].perturbation)];
      const bool use_c = m_kind != MeanKind::Perturbation && c.size() > 0;
      const bool use_p = m_kind != MeanKind::Context && p.size() > 0;
      out.row(Eigen::Index(i)) = use_c && use_p ? RowVector((c + p) / Scalar(2))
                                 : use_c        ? c
                                 : use_p        ? p
                                                : m_global;
    }
    return out;
  }

private:
  MeanKind m_kind;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
  RowVector m_global;
  std::vector<RowVector> m_context, m_perturbation;
};

} // namespace cimpute
