/// @file combinations.hpp
/// @brief Combinations of perturbations (drug pairs, double knock-downs) named after their parts
/// (`A+B`), and the additive model that predicts a combination from its single perturbations.
#pragma once

#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>

#include <optional>
#include <string>
#include <vector>

namespace cimpute {

/// Per perturbation of `t`, the perturbations its label combines: the parts of a label joined by
/// `separator` (`A+B`, `A+B+C`), when every part is itself a perturbation of `t`; empty for a
/// single perturbation (a label without the separator, or with a part that is no perturbation of
/// `t`). Throws for an empty separator.
template <class Scalar>
std::vector<std::vector<Eigen::Index>> combination_parts(const PerturbationTensor<Scalar>& t,
                                                         const std::string& separator = "+") {
  if (separator.empty()) detail::throw_invalid("combination_parts", "empty separator");
  std::vector<std::vector<Eigen::Index>> out(std::size_t(t.num_perturbations()));
  for (Eigen::Index p = 0; p < t.num_perturbations(); ++p) {
    const std::string& name = t.perturbations()[p];
    if (name.find(separator) == std::string::npos) continue;
    std::vector<Eigen::Index> parts;
    std::size_t from = 0;
    for (;;) {
      const std::size_t at = name.find(separator, from);
      const Eigen::Index q = t.perturbations().find(name.substr(from, at - from));
      if (q < 0 || q == p) {
        parts.clear();
        break;
      }
      parts.push_back(q);
      if (at == std::string::npos) break;
      from = at + separator.size();
    }
    out[std::size_t(p)] = std::move(parts);
  }
  return out;
}

/// Replace the all-zero rows of combinations in a perturbation feature table (one row per
/// perturbation; `parts` from `combination_parts`) by the sum of their parts' rows: a pair's
/// prior built from its singles (the linear model's and the NTK's for unseen combinations).
inline void sum_combination_rows(Eigen::MatrixXd& features,
                                 const std::vector<std::vector<Eigen::Index>>& parts) {
  for (std::size_t p = 0; p < parts.size(); ++p) {
    if (parts[p].empty() || !features.row(Eigen::Index(p)).isZero(0.0)) continue;
    for (Eigen::Index q : parts[p]) features.row(Eigen::Index(p)) += features.row(q);
  }
}

/// The additive model of combinations: a combination's change in a context is the sum of its
/// parts' training changes there (y_AB = y_A + y_B - control, the signatures being changes
/// against the control). Pairs that are no combination, or whose parts lack a training
/// signature in the context, get the context's training mean (the global one for a context
/// without training pairs).
template <class Scalar_ = double>
class AdditiveCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  explicit AdditiveCompletion(std::string separator = "+") : m_separator(std::move(separator)) {}
  std::string name() const { return "additive"; }

  AdditiveCompletion& fit(const TrainingSet<Scalar>& train_only) {
    const TrainingSet<Scalar> train = train_only.with_reference();
    const auto& t = train.tensor();
    m_parts = combination_parts(t, m_separator);
    m_global = train.global_mean();
    m_context.assign(std::size_t(t.num_contexts()), RowVector());
    for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
      if (!train_only.context_rows(c).empty())
        m_context[std::size_t(c)] = train_only.mean_of(train_only.context_rows(c));
    // Each (perturbation, context)'s training signature (the mean of several).
    m_rows.assign(std::size_t(t.num_perturbations() * t.num_contexts()), {});
    for (Eigen::Index r : train.rows()) {
      const PairIndex& p = t.observed_pairs()[std::size_t(r)];
      m_rows[std::size_t(p.perturbation * t.num_contexts() + p.context)].push_back(r);
    }
    m_train = train;
    return *this;
  }

  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_train) detail::throw_logic("AdditiveCompletion::predict", "call fit() first");
    const auto& t = m_train->tensor();
    detail::check_pairs("AdditiveCompletion::predict", t, pairs);
    Matrix out(Eigen::Index(pairs.size()), t.num_features());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const PairIndex& q = pairs[i];
      const auto& parts = m_parts[std::size_t(q.perturbation)];
      bool all = !parts.empty();
      for (Eigen::Index p : parts)
        all = all && !m_rows[std::size_t(p * t.num_contexts() + q.context)].empty();
      if (all) {
        RowVector sum = RowVector::Zero(t.num_features());
        for (Eigen::Index p : parts)
          sum += m_train->mean_of(m_rows[std::size_t(p * t.num_contexts() + q.context)]);
        out.row(Eigen::Index(i)) = sum;
      } else {
        const RowVector& c = m_context[std::size_t(q.context)];
        out.row(Eigen::Index(i)) = c.size() > 0 ? c : m_global;
      }
    }
    return out;
  }

private:
  std::string m_separator;
  std::vector<std::vector<Eigen::Index>> m_parts, m_rows;
  std::vector<RowVector> m_context;
  RowVector m_global;
  std::optional<TrainingSet<Scalar>> m_train;
};

} // namespace cimpute
