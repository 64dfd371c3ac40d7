/// @file workflow.hpp
/// @brief The run-time rules shared by every front end of completion (the protocols,
/// `impute_pairs`, the `cimpute` tool, the Python package, the benchmarks): what a reference
/// context name resolves to, which observed rows train, which pairs a request names, when a
/// request reaches contexts without training data. One definition each, so that the front ends
/// cannot drift apart.
///
/// The rules are neutral: the conventional reference context of a data source (MCF7 for the CMap
/// tables, `cimpute::cmap::reference_context` in io/) is passed in by the caller.
#pragma once

#include "cimpute/core/communicator.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>

#include <string>
#include <vector>

namespace cimpute {

/// The index of the training-only reference context named `reference_context` in `t`, or -1 for
/// the empty name (no reference context). An unknown name throws `invalid_argument` naming `fn`.
template <class Scalar>
Eigen::Index reference_index(const PerturbationTensor<Scalar>& t,
                             const std::string& reference_context, const char* fn) {
  return reference_context.empty() ? Eigen::Index(-1) : t.contexts().index(reference_context, fn);
}

/// The rows of `t.observed()` outside context `context` (-1: every row), in row order: the
/// training rows when `context` is the training-only reference context.
template <class Scalar>
std::vector<Eigen::Index> rows_outside_context(const PerturbationTensor<Scalar>& t,
                                               Eigen::Index context) {
  std::vector<Eigen::Index> rows;
  rows.reserve(std::size_t(t.num_observed()));
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != context) rows.push_back(r);
  return rows;
}

/// One flag per perturbation of `t`: 1 when it has an observed pair (in any context).
template <class Scalar>
std::vector<char> observed_perturbations(const PerturbationTensor<Scalar>& t) {
  std::vector<char> out(std::size_t(t.num_perturbations()), 0);
  for (const auto& p : t.observed_pairs()) out[std::size_t(p.perturbation)] = 1;
  return out;
}

/// What a `--reference-context` / `reference_context=` value means, the same for every command
/// and function: "none" or "" is no reference context (returns ""); "auto" is `conventional`
/// (the data source's usual reference, e.g. `cmap::reference_context`) when `t` has that context
/// and it is not `target_context` (the context a command predicts, e.g. repurposing's), else no
/// reference context; any other value must name a context of `t` (else `invalid_argument`
/// naming the value and how to ask for none).
template <class Scalar>
std::string resolve_reference_context(const PerturbationTensor<Scalar>& t, const std::string& value,
                                      const std::string& conventional,
                                      const std::string& target_context = "") {
  if (value.empty() || value == "none") return "";
  if (value == "auto")
    return !conventional.empty() && conventional != target_context &&
                   t.contexts().contains(conventional)
               ? conventional
               : std::string();
  if (!t.contexts().contains(value))
    detail::throw_invalid("resolve_reference_context", "no context named '", value,
                          "' (the reference context may be auto, none or one of the data's ",
                          t.num_contexts(), " contexts)");
  return value;
}

namespace detail {
/// The pairs (p, c), context by context, whose perturbation and context each have an observed
/// pair (on some process: collective), all of them or only the unobserved ones.
template <class Scalar, class Comm>
std::vector<PairIndex> pairs_of_observed_labels(const PerturbationTensor<Scalar>& t,
                                                const Comm& comm, bool only_missing) {
  Eigen::MatrixXd seen = t.mask().template cast<double>();
  comm.sum(seen);
  std::vector<PairIndex> out;
  for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
    for (Eigen::Index p = 0; p < t.num_perturbations(); ++p)
      if (!(only_missing && seen(p, c) != 0) && seen.row(p).sum() > 0 && seen.col(c).sum() > 0)
        out.push_back({p, c});
  return out;
}
} // namespace detail

/// Every unobserved (perturbation, context) pair whose perturbation and context are each observed
/// somewhere (a label with no signature at all, e.g. a dropped control, is skipped), context by
/// context (the request "missing"). For a tensor split over processes (the shards of
/// `read_signatures`, with the same labels on every process) a pair is observed when some process
/// observes it. Collective.
template <class Scalar, class Comm = SingleProcess>
std::vector<PairIndex> missing_pairs(const PerturbationTensor<Scalar>& t,
                                     const Comm& comm = Comm{}) {
  return detail::pairs_of_observed_labels(t, comm, true);
}

/// Every pair (p, c), observed or not, whose perturbation and context are each observed somewhere,
/// context by context (the request "all"); over processes as `missing_pairs`. Collective.
template <class Scalar, class Comm = SingleProcess>
std::vector<PairIndex> all_pairs(const PerturbationTensor<Scalar>& t, const Comm& comm = Comm{}) {
  return detail::pairs_of_observed_labels(t, comm, false);
}

/// Whether some pair of `pairs` lies in a context without training pairs: the reference context
/// `reference` (-1: none) or a context with no observed pair (on any process; collective). Such a
/// request makes the `ntk` search choose by leave-one-context-out
/// (`CompletionSetup::new_contexts`).
template <class Scalar, class Comm = SingleProcess>
bool reaches_new_contexts(const PerturbationTensor<Scalar>& t, const std::vector<PairIndex>& pairs,
                          Eigen::Index reference, const Comm& comm = Comm{}) {
  Eigen::MatrixXd seen = t.mask().template cast<double>();
  comm.sum(seen);
  for (const PairIndex& q : pairs)
    if (q.context == reference || seen.col(q.context).sum() == 0) return true;
  return false;
}

/// True when a requested pair's perturbation has no observed pair in any context (of any
/// process with `comm`): a perturbation never measured, described only by a perturbation prior.
/// Such a request makes the `ntk` search choose by folds of perturbations
/// (`CompletionSetup::new_perturbations`).
template <class Scalar, class Comm = SingleProcess>
bool reaches_new_perturbations(const PerturbationTensor<Scalar>& t,
                               const std::vector<PairIndex>& pairs, const Comm& comm = Comm{}) {
  Eigen::MatrixXd seen = t.mask().template cast<double>();
  comm.sum(seen);
  for (const PairIndex& q : pairs)
    if (seen.row(q.perturbation).sum() == 0) return true;
  return false;
}

} // namespace cimpute
