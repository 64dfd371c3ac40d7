/// @file training_set.hpp
/// @brief `TrainingSet`: the observed signatures a completion method may learn from, indexed by
/// context and by perturbation. Every completion method is fitted on one.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>

#include <vector>

namespace cimpute {

/// A subset of a tensor's observed signatures (rows of `observed()`) used for training, with the
/// training rows of each context and of each perturbation.
template <class Scalar_ = double>
class TrainingSet {
public:
  using Scalar = Scalar_;
  using Index = Eigen::Index;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  /// Training rows `rows` (indices into `t.observed()`, unique). The tensor must outlive this
  /// object. `reference_context` (-1: none) names a context whose signatures are never
  /// evaluated and serve as side information: `reference_rows()`; they are not training rows
  /// (methods use them as features, e.g. the NTK prior, or as extra data, e.g. DNPP).
  /// `hidden_perturbations` (empty: none; else one flag per perturbation of `t`) keeps the
  /// reference rows of the flagged perturbations out of `reference_rows()`: the protocols that
  /// hold a perturbation out of every context (`unseen_perturbation_folds`) hide it there too.
  /// Throws for out-of-range or repeated rows, rows of the reference context, an empty set, or
  /// a flag list of the wrong size.
  TrainingSet(const PerturbationTensor<Scalar>& t, std::vector<Index> rows,
              Index reference_context = -1, const std::vector<char>& hidden_perturbations = {})
      : m_t(&t), m_rows(std::move(rows)), m_reference(reference_context),
        m_by_context(static_cast<std::size_t>(t.num_contexts())),
        m_by_perturbation(static_cast<std::size_t>(t.num_perturbations())) {
    const char* fn = "TrainingSet";
    if (m_rows.empty()) detail::throw_invalid(fn, "empty training set");
    if (reference_context >= t.num_contexts())
      detail::throw_invalid(fn, "reference context ", reference_context, " out of range");
    std::vector<char> seen(static_cast<std::size_t>(t.num_observed()), 0);
    for (Index r : m_rows) {
      if (r < 0 || r >= t.num_observed())
        detail::throw_invalid(fn, "row ", r, " out of range [0, ", t.num_observed(), ")");
      if (seen[std::size_t(r)]++) detail::throw_invalid(fn, "row ", r, " given twice");
      const PairIndex& p = t.observed_pairs()[std::size_t(r)];
      if (p.context == m_reference)
        detail::throw_invalid(fn, "row ", r, " belongs to the reference context '",
                              t.contexts()[p.context], "'");
      m_by_context[std::size_t(p.context)].push_back(r);
      m_by_perturbation[std::size_t(p.perturbation)].push_back(r);
    }
    if (!hidden_perturbations.empty() &&
        Index(hidden_perturbations.size()) != t.num_perturbations())
      detail::throw_invalid(fn, "hidden_perturbations has ", hidden_perturbations.size(),
                            " flags for ", t.num_perturbations(), " perturbations");
    if (m_reference < 0) return;
    for (Index r = 0; r < t.num_observed(); ++r) {
      const PairIndex& p = t.observed_pairs()[std::size_t(r)];
      if (p.context == m_reference &&
          (hidden_perturbations.empty() || !hidden_perturbations[std::size_t(p.perturbation)]))
        m_reference_rows.push_back(r);
    }
  }

  const PerturbationTensor<Scalar>& tensor() const noexcept { return *m_t; }
  /// The reference context (-1 when none).
  Index reference_context() const noexcept { return m_reference; }
  /// The observed rows of the reference context, but those of hidden perturbations (empty when
  /// there is no reference context).
  const std::vector<Index>& reference_rows() const noexcept { return m_reference_rows; }
  /// The same set with the reference rows as ordinary training rows.
  TrainingSet with_reference() const {
    std::vector<Index> rows = m_rows;
    for (Index r : reference_rows()) rows.push_back(r);
    return TrainingSet(*m_t, std::move(rows));
  }
  /// Other training rows (a subset, e.g. an inner fold's) with the same reference context and
  /// reference rows.
  TrainingSet subset(std::vector<Index> rows) const {
    TrainingSet out(*m_t, std::move(rows), m_reference);
    out.m_reference_rows = m_reference_rows;
    return out;
  }
  const std::vector<Index>& rows() const noexcept { return m_rows; }
  Index size() const noexcept { return static_cast<Index>(m_rows.size()); }
  /// Training rows in context c.
  const std::vector<Index>& context_rows(Index c) const { return m_by_context[std::size_t(c)]; }
  /// Training rows of perturbation p.
  const std::vector<Index>& perturbation_rows(Index p) const {
    return m_by_perturbation[std::size_t(p)];
  }
  /// The training pairs, in the order of `rows()`.
  std::vector<PairIndex> pairs() const {
    std::vector<PairIndex> out;
    for (Index r : m_rows) out.push_back(m_t->observed_pairs()[std::size_t(r)]);
    return out;
  }
  /// Training signatures, one row per entry of `rows()`.
  Matrix signatures() const { return m_t->observed()(m_rows, Eigen::all); }
  /// Mean of the given rows' signatures (they must be non-empty).
  RowVector mean_of(const std::vector<Index>& rows) const {
    RowVector m = RowVector::Zero(m_t->num_features());
    for (Index r : rows) m += m_t->observed().row(r);
    return m / Scalar(rows.size());
  }
  /// Mean of all training signatures.
  RowVector global_mean() const { return mean_of(m_rows); }

private:
  const PerturbationTensor<Scalar>* m_t;
  std::vector<Index> m_rows;
  Index m_reference = -1;
  std::vector<Index> m_reference_rows;
  std::vector<std::vector<Index>> m_by_context, m_by_perturbation;
};

namespace detail {
template <class Scalar>
void check_pairs(const char* fn, const PerturbationTensor<Scalar>& t,
                 const std::vector<PairIndex>& pairs) {
  for (const auto& p : pairs)
    if (p.perturbation < 0 || p.perturbation >= t.num_perturbations() || p.context < 0 ||
        p.context >= t.num_contexts())
      throw_invalid(fn, "pair (", p.perturbation, ", ", p.context, ") outside the ",
                    t.num_perturbations(), " x ", t.num_contexts(), " tensor");
}
} // namespace detail

} // namespace cimpute
