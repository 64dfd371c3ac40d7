/// @file repurposing.hpp
/// @brief Drug repurposing, a workflow above completion and connectivity: impute the drugs not
/// measured in the disease's context, then rank every drug by how strongly its (measured or
/// imputed) signature reverses the disease signature (Belyaeva et al., Nat Commun 2021). The
/// scoring itself takes signatures (`rank_by_reversal` in connectivity/drug_ranking.hpp).
#pragma once

#include "cimpute/completion/ntk_cv.hpp"
#include "cimpute/completion/registry.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/completion/workflow.hpp"
#include "cimpute/connectivity/alignment.hpp"
#include "cimpute/connectivity/drug_ranking.hpp"
#include "cimpute/connectivity/gene_set_query.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace cimpute {

namespace detail {
template <class T>
struct non_deduced_t {
  using type = T;
};
/// `T` in a parameter that must not take part in template argument deduction.
template <class T>
using non_deduced = typename non_deduced_t<T>::type;
} // namespace detail

/// Settings of `repurpose`.
struct RepurposingOptions {
  std::string context; ///< the disease's context (cell line), e.g. "A549"
  ConnectivityScore score = ConnectivityScore::Cosine;
  /// A completion method (`completion_method_names()`, default "ntk") that imputes the drugs not
  /// measured in `context`, or "none" to rank measured drugs only.
  std::string impute = "ntk";
  /// Training-only context of the completion (the NTK's train-context-average prior); empty for
  /// none. Ignored when it is `context` itself.
  std::string reference_context;
  /// Treat the context's measured signatures as missing, so that every drug is imputed (to test
  /// the imputation against the measured answer).
  bool hide_context = false;
  /// Genes per up / down set of the disease (wtcs and ks).
  Eigen::Index set_size = 100;
  /// Optional context features for the imputation (one row per context of the tensor, e.g.
  /// `context_features_from_baselines(read_l1000_baselines(...))`): `ntk` then also tries the
  /// NTK prior on them, which can predict a context that has no training signature. When the
  /// context has no training signature, `ntk` selects its settings by leave-one-context-out.
  Eigen::MatrixXd context_features;
  /// Settings of the "autoencoder" imputation (with the contexts' control profiles).
  AutoencoderTransferOptions autoencoder;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "RepurposingOptions::validate";
    if (context.empty()) detail::throw_invalid(fn, "no context given");
    if (impute != "none" && !is_completion_method(impute))
      detail::throw_invalid(fn, "unknown imputation method '", impute, "'");
    if (hide_context && impute == "none")
      detail::throw_invalid(fn, "hiding the context needs an imputation method");
    if (set_size < 1) detail::throw_invalid(fn, "set size must be >= 1, got ", set_size);
    if (!context_features.allFinite())
      detail::throw_invalid(fn, "context features have a non-finite value");
  }
};

/// One ranked drug.
struct RankedDrug {
  Eigen::Index rank = 0; ///< 1 = most reversing; tied scores share a rank
  std::string drug;
  /// Connectivity with the reversed disease signature (higher = more reversing): for cosine,
  /// Pearson and Spearman the similarity with -disease; for wtcs and ks minus the connectivity
  /// with the disease's gene sets (ks scaled over the ranked drugs).
  double score = 0;
  bool imputed = false; ///< false: measured in the context
  /// For imputed drugs from an NTK method, the kernel posterior variance of the pair as a
  /// fraction of the prior variance (0 = certain, 1 = nothing learned); 0 for measured drugs;
  /// NaN for methods without a posterior.
  double uncertainty = 0;
};

/// The result of `repurpose`.
struct RepurposingResult {
  std::vector<RankedDrug> ranking;   ///< most reversing first (ties in perturbation order)
  std::vector<std::string> unscored; ///< drugs with no signature in the context and none imputed
  AlignedSignature disease;          ///< the disease signature on the tensor's genes
  GeneSetQuery gene_sets;            ///< (wtcs, ks) the disease's sets, as shared-gene positions
  /// The scored signatures on the shared genes (`disease.columns`), one row per entry of
  /// `ranking`, in ranking order.
  Eigen::MatrixXd signatures;
  /// With `impute == "ntk"` and drugs to impute: the prior and hyper-parameters its inner
  /// cross-validation chose.
  std::optional<NtkCompletionOptions> ntk_selected;
};

/// Rank the perturbations of `t` (other than the contexts' controls) by how strongly their
/// signature in `opt.context` reverses `disease` (ids as the tensor's feature ids; map them first
/// otherwise). Drugs measured in the context use their measured signature; the others are imputed
/// by `method`, fitted here on every observed signature outside the context's hidden ones and the
/// reference context's, with an uncertainty from its posterior variance where it has one (NaN
/// otherwise); without a method only measured drugs are ranked. Scores use the genes shared with
/// the disease. `opt.impute`, `opt.context_features` and `opt.autoencoder` are not used here:
/// they configure the overload that builds the method by name.
template <class Scalar>
RepurposingResult repurpose(const PerturbationTensor<Scalar>& t, const GeneSignature& disease,
                            const RepurposingOptions& opt,
                            std::optional<AnyCompletion<detail::non_deduced<Scalar>>> method) {
  const char* fn = "repurpose";
  if (opt.context.empty()) detail::throw_invalid(fn, "no context given");
  if (opt.hide_context && !method)
    detail::throw_invalid(fn, "hiding the context needs an imputation method");
  if (opt.set_size < 1) detail::throw_invalid(fn, "set size must be >= 1, got ", opt.set_size);
  if (!t.has_signatures()) detail::throw_invalid(fn, "the tensor holds no signatures");
  const Eigen::Index ctx = t.contexts().index(opt.context, fn);
  Eigen::Index ref = -1;
  if (!opt.reference_context.empty() && opt.reference_context != opt.context)
    ref = t.contexts().index(opt.reference_context, fn);

  RepurposingResult res;
  res.disease = align_signature(disease, t.features(), 2);
  const Eigen::Index G = Eigen::Index(res.disease.columns.size());
  const Eigen::Index P = t.num_perturbations();

  // Measured drugs, and drugs to impute (seen in another context).
  std::vector<Eigen::Index> drug_measured, drug_imputed, measured_rows;
  std::vector<PairIndex> impute_pairs;
  std::vector<bool> is_control(static_cast<std::size_t>(P), false);
  for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
    if (t.control(c) >= 0) is_control[std::size_t(t.control(c))] = true;
  for (Eigen::Index d = 0; d < P; ++d) {
    if (is_control[std::size_t(d)]) continue; // the vehicle is not a candidate drug
    const Eigen::Index row = t.pair_index(d, ctx);
    if (row >= 0 && !opt.hide_context) {
      drug_measured.push_back(d);
      measured_rows.push_back(row);
      continue;
    }
    bool elsewhere = false;
    for (Eigen::Index c = 0; c < t.num_contexts() && !elsewhere; ++c)
      elsewhere = c != ctx && t.is_observed(d, c);
    if (method && elsewhere) {
      drug_imputed.push_back(d);
      impute_pairs.push_back({d, ctx});
    } else {
      res.unscored.push_back(t.perturbations()[d]);
    }
  }
  if (drug_measured.empty() && drug_imputed.empty())
    detail::throw_invalid(fn, "no drug has a signature in '", opt.context, "'",
                          method ? "" : " (no imputation asked)");

  // Signatures of the scored drugs on the shared genes (measured first, then imputed).
  const Eigen::Index nm = Eigen::Index(drug_measured.size());
  const Eigen::Index ni = Eigen::Index(drug_imputed.size());
  Eigen::MatrixXd S(nm + ni, G);
  for (Eigen::Index k = 0; k < nm; ++k)
    for (Eigen::Index g = 0; g < G; ++g)
      S(k, g) = double(t.observed()(measured_rows[std::size_t(k)], res.disease.columns[g]));
  Eigen::VectorXd uncertainty = Eigen::VectorXd::Zero(nm + ni);
  if (ni > 0) {
    std::vector<Eigen::Index> rows;
    for (Eigen::Index r = 0; r < t.num_observed(); ++r) {
      const Eigen::Index c = t.observed_pairs()[std::size_t(r)].context;
      if (c != ref && !(c == ctx && opt.hide_context)) rows.push_back(r);
    }
    if (rows.empty()) detail::throw_invalid(fn, "no training signature left to impute from");
    const TrainingSet<Scalar> train(t, rows, ref);
    method->fit(train);
    const auto pred = method->predict(impute_pairs);
    for (Eigen::Index k = 0; k < ni; ++k)
      for (Eigen::Index g = 0; g < G; ++g) S(nm + k, g) = double(pred(k, res.disease.columns[g]));
    uncertainty.tail(ni) = method->relative_posterior_variance(impute_pairs);
    if (const auto* cv = method->template target<NtkCvCompletion<Scalar>>())
      res.ntk_selected = cv->selected();
  }

  // Rank by connectivity with the reversed disease signature (ties in perturbation order).
  std::vector<Eigen::Index> drug_of(drug_measured);
  drug_of.insert(drug_of.end(), drug_imputed.begin(), drug_imputed.end());
  const ReversalRanking ranked =
      rank_by_reversal(S, res.disease.values, opt.score, opt.set_size, drug_of);
  res.gene_sets = ranked.gene_sets;
  res.signatures.resize(nm + ni, G);
  for (Eigen::Index k : ranked.order) {
    res.signatures.row(Eigen::Index(res.ranking.size())) = S.row(k);
    RankedDrug r;
    r.rank = ranked.rank[std::size_t(k)];
    r.drug = t.perturbations()[drug_of[std::size_t(k)]];
    r.score = ranked.score[k];
    r.imputed = k >= nm;
    r.uncertainty = uncertainty[k];
    res.ranking.push_back(std::move(r));
  }
  return res;
}

/// `repurpose` with the imputation method named by `opt.impute` (or none for "none"), built by
/// the completion registry with `opt.reference_context`, `opt.context_features` and
/// `opt.autoencoder`; `ntk` selects its settings by leave-one-context-out when the context has no
/// training signature (hidden or never measured).
template <class Scalar>
RepurposingResult repurpose(const PerturbationTensor<Scalar>& t, const GeneSignature& disease,
                            const RepurposingOptions& opt) {
  const char* fn = "repurpose";
  opt.validate();
  if (opt.impute == "none") return repurpose(t, disease, opt, std::nullopt);
  const Eigen::Index ctx = t.contexts().index(opt.context, fn);
  CompletionSetup setup;
  if (!opt.reference_context.empty() && opt.reference_context != opt.context) {
    t.contexts().index(opt.reference_context, fn);
    setup.reference_context = opt.reference_context;
  }
  bool measured = false;
  for (Eigen::Index d = 0; d < t.num_perturbations() && !measured; ++d)
    measured = t.is_observed(d, ctx);
  setup.new_contexts = opt.hide_context || !measured;
  setup.autoencoder = opt.autoencoder;
  if (opt.context_features.size() > 0) {
    if (opt.context_features.rows() != t.num_contexts())
      detail::throw_invalid(fn, "context features have ", opt.context_features.rows(),
                            " rows, the tensor ", t.num_contexts(), " contexts");
    setup.context_features = opt.context_features;
  }
  return repurpose(t, disease, opt, make_completion_method<Scalar>(opt.impute, setup));
}

} // namespace cimpute
