/// @file method_table.hpp
/// @brief The completion methods by name: `completion_methods()`, the one table of names,
/// summaries and capabilities that the `cimpute` tool, the Python package and the docs read
/// (`registry.hpp` constructs the methods). Light: no method header is included.
#pragma once

#include "cimpute/core/errors.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// A completion method of the run-time table: its name (as `cimpute complete --methods` and
/// Python's `method=` spell it), a one-line summary for help texts and docs, and what it offers
/// beyond `fit` / `predict` (checked against the method's type by the registry tests).
struct CompletionMethodInfo {
  std::string name;    ///< e.g. "ntk"
  std::string summary; ///< one line, no final period
  /// A kernel posterior: `impute_pairs` reports each pair's variance (a fraction of the prior
  /// variance), and `design_pairs` can choose the measurements that reduce it most.
  bool posterior = false;
  /// Fits on a tensor split over processes (`impute_pairs_sharded`): with MPI each process reads
  /// only its shard of the data.
  bool sharded_fit = false;
  /// Uses a prior on perturbations (`CompletionSetup::perturbation_features`): it can tell
  /// apart perturbations never measured.
  bool perturbation_prior = false;
};

/// The completion methods, in table order: the single list the tool's help and validators, the
/// Python package and the docs read. Adding a method is a row here, a branch in
/// `visit_completion_method` (registry.hpp) and the method's header (docs/extending.md).
inline const std::vector<CompletionMethodInfo>& completion_methods() {
  static const std::vector<CompletionMethodInfo> table{
      {"no-change", "zero change: the control itself (signatures are changes against it)"},
      {"context-mean",
       "the mean of the context's training signatures (the field's training-mean; that name is "
       "an alias)"},
      {"perturbation-mean", "the mean of the perturbation's signatures in the other contexts"},
      {"two-way-mean", "additive model: context mean plus the perturbation's mean effect"},
      {"dnpp", "perturbations' nearest neighbours by signature similarity (DNPP, 10 neighbours)"},
      {"falrtc", "low-rank tensor completion (FaLRTC, Hodos et al.'s settings)"},
      {"synthetic-interventions",
       "a context as a mix of donor contexts (principal-component regression)"},
      {"soft-impute", "nuclear-norm regularised low-rank completion (SoftImpute)"},
      {"additive",
       "a combination A+B as the sum of its single perturbations' changes (else the context mean)"},
      {"linear",
       "linear model on gene and perturbation embeddings, per context (Ahlmann-Eltze et al.; "
       "K = 10, ridge 0.1)",
       false, false, true},
      {"ntk",
       "NTK kernel regression, feature prior and hyper-parameters by inner cross-validation "
       "(recommended)",
       true, false, true},
      {"ntk-reference", "NTK kernel regression with the published settings", true},
      {"ntk-ensemble", "the average of ntk, soft-impute and falrtc", false, false, true},
      {"autoencoder", "transfer of perturbation effects in an autoencoder's latent space"},
      {"ntk-mixed", "NTK with DNPP's predictions as features where a context has few pairs"},
      {"ntk-pcg",
       "ntk-reference's model solved by PCG-Nystrom on 2,000 centres (large data; over MPI each "
       "process reads its shard)",
       false, true},
  };
  return table;
}

/// Other names of methods, as (alias, name): `training-mean` is `context-mean` (the name the
/// perturbation-prediction literature uses).
inline const std::vector<std::pair<std::string, std::string>>& completion_method_aliases() {
  static const std::vector<std::pair<std::string, std::string>> aliases{
      {"training-mean", "context-mean"}};
  return aliases;
}

/// The table's name of `name`: itself, or the method an alias names.
inline const std::string& canonical_method_name(const std::string& name) {
  for (const auto& a : completion_method_aliases())
    if (a.first == name) return a.second;
  return name;
}

/// The row of `completion_methods()` called `name` (or an alias of it); `invalid_argument`
/// listing the known names for any other.
inline const CompletionMethodInfo& completion_method(const std::string& name) {
  const std::string& key = canonical_method_name(name);
  for (const auto& m : completion_methods())
    if (m.name == key) return m;
  std::string known;
  for (const auto& m : completion_methods()) known += (known.empty() ? "" : ", ") + m.name;
  detail::throw_invalid("completion_method", "unknown method '", name, "' (known: ", known, ")");
}

/// The method names of `completion_methods()`, in table order: no-change, context-mean,
/// perturbation-mean, two-way-mean, dnpp, falrtc, synthetic-interventions, soft-impute, additive,
/// linear, ntk, ntk-reference, ntk-ensemble, autoencoder, ntk-mixed, ntk-pcg.
inline const std::vector<std::string>& completion_method_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& m : completion_methods()) out.push_back(m.name);
    return out;
  }();
  return names;
}

/// True when `name` is one of `completion_method_names()` or an alias of one.
inline bool is_completion_method(const std::string& name) {
  const auto& n = completion_method_names();
  return std::find(n.begin(), n.end(), canonical_method_name(name)) != n.end();
}

} // namespace cimpute
