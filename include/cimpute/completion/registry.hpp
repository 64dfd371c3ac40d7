/// @file registry.hpp
/// @brief Completion methods by name (the names of `cimpute complete --methods`), for programs
/// that choose methods at run time.
#pragma once

#include "cimpute/completion/any_completion.hpp"
#include "cimpute/completion/autoencoder_transfer.hpp"
#include "cimpute/completion/combinations.hpp"
#include "cimpute/completion/complete_missing.hpp"
#include "cimpute/completion/dnpp.hpp"
#include "cimpute/completion/ensemble.hpp"
#include "cimpute/completion/falrtc.hpp"
#include "cimpute/completion/linear_model.hpp"
#include "cimpute/completion/means.hpp"
#include "cimpute/completion/method_table.hpp"
#include "cimpute/completion/ntk_completion.hpp"
#include "cimpute/completion/ntk_cv.hpp"
#include "cimpute/completion/ntk_mixed.hpp"
#include "cimpute/completion/ntk_pcg_completion.hpp"
#include "cimpute/completion/perturbation_features.hpp"
#include "cimpute/completion/soft_impute.hpp"
#include "cimpute/completion/synthetic_interventions.hpp"
#include "cimpute/core/errors.hpp"
#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/core/progress.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// What the named methods may know about the task beyond the training set.
struct CompletionSetup {
  /// The protocol's training-only context (empty: none): the reference NTK uses it for its
  /// train-context-average prior, and falls back to the one-hot prior without one.
  std::string reference_context;
  /// Optional context features, one row per context of the tensor (e.g.
  /// `context_features_from_baselines`): `ntk` (alone or in the ensemble) also tries the NTK
  /// prior on them.
  Eigen::MatrixXd context_features;
  /// The pairs to predict lie in contexts without any training pair (leave-one-context-out,
  /// a hidden context): `ntk` then chooses its settings by leave-one-context-out.
  bool new_contexts = false;
  /// The pairs to predict are of perturbations without any training pair
  /// (`unseen-perturbation:K`): `ntk` then chooses its settings by folds of perturbations
  /// (`InnerProtocol::LeavePerturbationsOut`) among the priors that can describe them.
  bool new_perturbations = false;
  /// The perturbations' prior when they have no measurement (`pca:K`, `signatures` or a table,
  /// one row per perturbation): `ntk` tries the user-features prior on it (a table scaled by
  /// `unit_rms_rows`), `linear` takes the table as its perturbation embedding (with `pca:K`,
  /// K is its number of components; `signatures` leaves it on its target genes' rows).
  PerturbationFeatureSource perturbation_features;
  /// The priors `ntk` (alone or in the ensemble) searches over; empty: `NtkSearchOptions`'
  /// default (every prior that applies).
  std::vector<NtkPrior> ntk_priors;
  /// The inner leave-one-out of `ntk` (alone or in the ensemble) runs on a seeded subset of at
  /// most this many training pairs (`NtkSearchOptions::max_pairs`); 0: its default (1,000). An
  /// outer leave-one-pair-out of up to this many + 1 pairs takes the closed form
  /// (`NtkCvCompletion::leave_one_pair_out_predictions`) instead of refitting the search per pair.
  Eigen::Index ntk_max_pairs = 0;
  /// Settings of `autoencoder` (network, epochs, seed, and the contexts' control profiles).
  AutoencoderTransferOptions autoencoder;
  /// Settings of `ntk-mixed` (its rich-context threshold and inner search).
  MixedPriorOptions mixed;
  /// Told of every kernel setting `ntk` (alone or in the ensemble) scores in its search
  /// (`NtkSearchOptions::progress`), e.g. for a progress line during one long fit.
  ProgressCallback progress;
  /// Throws `invalid_argument` naming the bad value: a non-finite context feature, or (from their
  /// own `validate`) bad `autoencoder` or `mixed` settings. Their sizes are checked against the
  /// tensor when a method is fitted.
  void validate() const {
    const char* fn = "CompletionSetup::validate";
    for (Eigen::Index c = 0; c < context_features.rows(); ++c)
      if (!context_features.row(c).allFinite())
        detail::throw_invalid(fn, "context_features row ", c, " has a non-finite entry");
    for (Eigen::Index p = 0; p < perturbation_features.table.rows(); ++p)
      if (!perturbation_features.table.row(p).allFinite())
        detail::throw_invalid(fn, "perturbation_features row ", p, " has a non-finite entry");
    if (perturbation_features.pca_components < 0)
      detail::throw_invalid(fn, "perturbation_features.pca_components must be >= 0, got ",
                            perturbation_features.pca_components);
    if (int(perturbation_features.pca_components > 0) + int(perturbation_features.signatures) +
            int(perturbation_features.table.size() > 0) >
        1)
      detail::throw_invalid(fn, "perturbation_features has more than one of pca components, "
                                "signatures and a table");
    if (ntk_max_pairs != 0 && ntk_max_pairs < 2)
      detail::throw_invalid(fn, "ntk_max_pairs must be 0 (the default) or >= 2, got ",
                            ntk_max_pairs);
    autoencoder.validate();
    mixed.validate();
  }
};

/// Construct the method called `name` for `setup` and return `visitor(method)` (every branch
/// must return the same type). DNPP uses 10 neighbours, FaLRTC Hodos' settings. Throws
/// `invalid_argument` for an unknown name, listing the known ones, and for bad settings
/// (`CompletionSetup::validate`).
template <class Scalar, class Visitor>
decltype(auto) visit_completion_method(const std::string& requested, const CompletionSetup& setup,
                                       Visitor&& visitor) {
  const std::string& name = canonical_method_name(requested); // an alias names its method
  setup.validate();
  const std::string& reference_context = setup.reference_context;
  NtkSearchOptions search;
  if (setup.new_contexts) search.inner = InnerProtocol::LeaveOneContextOut;
  if (setup.new_perturbations) search.inner = InnerProtocol::LeavePerturbationsOut;
  search.progress = setup.progress;
  if (!setup.ntk_priors.empty()) search.priors = setup.ntk_priors;
  if (setup.ntk_max_pairs > 0) search.max_pairs = setup.ntk_max_pairs;
  NtkCompletionOptions base;
  base.context_features = setup.context_features;
  base.perturbation_pca = setup.perturbation_features.pca_components;
  base.perturbation_signatures = setup.perturbation_features.signatures;
  if (setup.perturbation_features.table.size() > 0)
    base.perturbation_features = unit_rms_rows(setup.perturbation_features.table);
  if (name == "no-change") return visitor(MeanCompletion<Scalar>(MeanKind::NoChange));
  if (name == "context-mean") return visitor(MeanCompletion<Scalar>(MeanKind::Context));
  if (name == "additive") return visitor(AdditiveCompletion<Scalar>());
  if (name == "linear") {
    LinearModelOptions o;
    if (setup.perturbation_features.pca_components > 0)
      o.components = setup.perturbation_features.pca_components;
    o.perturbation_features = setup.perturbation_features.table;
    return visitor(LinearModelCompletion<Scalar>(std::move(o)));
  }
  if (name == "perturbation-mean") return visitor(MeanCompletion<Scalar>(MeanKind::Perturbation));
  if (name == "two-way-mean") return visitor(MeanCompletion<Scalar>(MeanKind::TwoWay));
  if (name == "dnpp") return visitor(DnppCompletion<Scalar>(10));
  if (name == "falrtc") return visitor(FalrtcCompletion<Scalar>(FalrtcOptions::hodos()));
  if (name == "synthetic-interventions") return visitor(SyntheticInterventionsCompletion<Scalar>());
  if (name == "soft-impute") return visitor(SoftImputeCompletion<Scalar>());
  if (name == "ntk") return visitor(NtkCvCompletion<Scalar>(search, base));
  if (name == "ntk-ensemble")
    return visitor(EnsembleCompletion<Scalar, NtkCvCompletion<Scalar>, SoftImputeCompletion<Scalar>,
                                      FalrtcCompletion<Scalar>>(
        "ntk-ensemble", NtkCvCompletion<Scalar>(search, base), SoftImputeCompletion<Scalar>(),
        FalrtcCompletion<Scalar>(FalrtcOptions::hodos())));
  if (name == "autoencoder")
    return visitor(AutoencoderTransferCompletion<Scalar>(setup.autoencoder));
  if (name == "ntk-mixed")
    return visitor(NtkMixedPriorCompletion<Scalar, DnppCompletion<Scalar>>(
        DnppCompletion<Scalar>(10), setup.mixed));
  if (name == "ntk-pcg")
    return visitor(NtkPcgCompletion<Scalar>(NtkPcgCompletionOptions::published(reference_context)));
  if (name == "ntk-reference") {
    NtkCompletionOptions o; // the published settings
    if (reference_context.empty())
      o.prior = NtkPrior::OneHot;
    else
      o.reference_context = reference_context;
    return visitor(NtkCompletion<Scalar>(o));
  }
  completion_method(name); // throws for a name outside the table, listing the table
  detail::throw_logic("visit_completion_method", "method '", name,
                      "' is in the table but has no constructor here");
}

/// Construct the method called `name` (a row of `completion_methods()` with `sharded_fit`) for a
/// tensor split over the processes of `comm`, and return `visitor(method)` with the method as an
/// lvalue (for `impute_pairs_sharded`); the same fit on any number of processes (`ntk-pcg`
/// never takes its exact small-set solve here). Throws `invalid_argument` for a method that does
/// not fit over processes, naming those that do.
template <class Scalar, class Comm, class Visitor>
decltype(auto) visit_sharded_completion_method(const std::string& name,
                                               const CompletionSetup& setup, const Comm& comm,
                                               Visitor&& visitor) {
  const char* fn = "visit_sharded_completion_method";
  setup.validate();
  if (!completion_method(name).sharded_fit) {
    std::string sharded;
    for (const auto& m : completion_methods())
      if (m.sharded_fit) sharded += (sharded.empty() ? "" : ", ") + m.name;
    detail::throw_invalid(fn, "method '", name,
                          "' does not fit over processes (those that do: ", sharded, ")");
  }
  if (name == "ntk-pcg") {
    // Always PCG here, even for small training sets: one process then gives what many give.
    NtkPcgCompletionOptions o = NtkPcgCompletionOptions::published(setup.reference_context);
    o.exact_at_most = 0;
    NtkPcgCompletion<Scalar, Comm> method(o, comm);
    return visitor(method);
  }
  detail::throw_logic(fn, "method '", name, "' is in the table but has no constructor here");
}

/// `visit_completion_method` with only a training-only reference context (empty: none).
template <class Scalar, class Visitor>
decltype(auto) visit_completion_method(const std::string& name,
                                       const std::string& reference_context, Visitor&& visitor) {
  CompletionSetup setup;
  setup.reference_context = reference_context;
  return visit_completion_method<Scalar>(name, setup, std::forward<Visitor>(visitor));
}

/// The method called `name` for `setup` behind the run-time interface `AnyCompletion` (see
/// `visit_completion_method` for the methods and their settings). Programs that run methods
/// chosen at run time should prefer this to a generic visitor: the protocols are compiled once.
template <class Scalar>
AnyCompletion<Scalar> make_completion_method(const std::string& name,
                                             const CompletionSetup& setup) {
  return visit_completion_method<Scalar>(name, setup,
                                         [](const auto& m) { return AnyCompletion<Scalar>(m); });
}

/// `make_completion_method` with only a training-only reference context (empty: none).
template <class Scalar>
AnyCompletion<Scalar> make_completion_method(const std::string& name,
                                             const std::string& reference_context = "") {
  CompletionSetup setup;
  setup.reference_context = reference_context;
  return make_completion_method<Scalar>(name, setup);
}

/// `complete_missing` for each named method, side by side: a features x (methods x missing pairs)
/// matrix with column ids `method:perturbation:context` and column metadata `perturbation`,
/// `context` and `method` (`with_cmap_fields` renames the first two for a CMap GCT).
template <class Scalar, class Comm = SingleProcess>
LabeledMatrix<Scalar> complete_missing_by_name(const std::vector<std::string>& methods,
                                               const PerturbationTensor<Scalar>& t,
                                               const CompletionSetup& setup,
                                               const Comm& comm = Comm{}) {
  std::vector<LabeledMatrix<Scalar>> parts;
  Eigen::Index cols = 0;
  for (const auto& name : methods) {
    parts.push_back(complete_missing(make_completion_method<Scalar>(name, setup), t,
                                     setup.reference_context, comm));
    cols += parts.back().cols();
  }
  typename LabeledMatrix<Scalar>::Matrix values(t.num_features(), cols);
  std::vector<std::string> ids, pert, cell, method;
  Eigen::Index at = 0;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    const auto& p = parts[k];
    values.middleCols(at, p.cols()) = p.data();
    at += p.cols();
    for (Eigen::Index j = 0; j < p.cols(); ++j) {
      ids.push_back(methods[k] + ":" + p.col_ids()[std::size_t(j)]);
      pert.push_back(p.col_meta().field("perturbation")[std::size_t(j)]);
      cell.push_back(p.col_meta().field("context")[std::size_t(j)]);
      method.push_back(methods[k]);
    }
  }
  MetadataTable meta(cols);
  meta.add_field("perturbation", std::move(pert));
  meta.add_field("context", std::move(cell));
  meta.add_field("method", std::move(method));
  return LabeledMatrix<Scalar>(std::move(values), t.features().ids(), std::move(ids),
                               MetadataTable(t.num_features()), std::move(meta));
}

/// `complete_missing_by_name` with only a training-only reference context (empty: none).
template <class Scalar>
LabeledMatrix<Scalar> complete_missing_by_name(const std::vector<std::string>& methods,
                                               const PerturbationTensor<Scalar>& t,
                                               const std::string& reference_context = "") {
  CompletionSetup setup;
  setup.reference_context = reference_context;
  return complete_missing_by_name(methods, t, setup);
}

} // namespace cimpute

// cimpute's own programs (tests, examples, benchmarks) compile the registry's double instantiation
// once (cmake/instantiations.cpp, the cimpute_instances library) and see it declared extern, so
// that a program choosing methods by name does not instantiate every method again. Library users
// define nothing and get everything inline.
#if defined(CIMPUTE_EXTERN_TEMPLATES) && CIMPUTE_EXTERN_TEMPLATES
namespace cimpute {
extern template AnyCompletion<double> make_completion_method<double>(const std::string&,
                                                                     const CompletionSetup&);
} // namespace cimpute
#endif
