// `cimpute repurpose`: rank drugs by how strongly their signature in the disease's context
// (measured, or imputed by a completion method) reverses a disease signature.
#include "cli.hpp"
#include "progress.hpp"
#include "signatures.hpp"

#include <cimpute/connectivity.hpp>
#include <cimpute/io.hpp>
#include <cimpute/workflow.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unordered_map>

namespace cimpute_cli {

namespace {

struct RepurposeOptions {
  std::string disease, id_type = "symbol", data, gene_map, score = "cosine", format = "table";
  std::string reference = "auto", context_features = "auto";
  cimpute::RepurposingOptions opt;
  int top = 0;
  bool quiet = false;
  SelectionFlags selection;
};

int run_repurpose(RepurposeOptions o) {
  cimpute::RepurposingOptions& opt = o.opt;
  if (opt.hide_context && opt.impute == "none")
    throw UsageError("--hide-context needs an imputation method (--impute ntk)");
  opt.score = cimpute::parse_connectivity_score(o.score);
  const cimpute::GeneSignature dz = cimpute::read_gene_signature(o.disease);
  cimpute::PerturbationTensor<double> t = load_signatures(o.data, o.selection, o.quiet);
  if (!t.contexts().contains(opt.context))
    throw cimpute::invalid_argument(o.data + ": no context named '" + opt.context + "'");
  opt.reference_context = resolve_reference(o.reference, t, o.data, opt.context);
  if (o.id_type == "symbol") rename_to_symbols(t, o.data, o.gene_map, o.quiet);
  o.context_features = cimpute::resolve_context_features(o.context_features, o.data);
  opt.context_features = context_features_option(o.context_features, o.data, t.contexts());
  if (cimpute::is_l1000_directory(o.data)) // control profiles for --impute autoencoder
    opt.autoencoder.baselines = baseline_profiles(o.data, t.contexts());

  ProgressLine progress("cimpute repurpose", 1, ProgressLine::wanted(o.quiet));
  progress.start(opt.impute == "none" ? "scoring" : opt.impute + " imputation and scoring");
  const cimpute::RepurposingResult res = cimpute::repurpose(t, dz, opt);
  progress.finish();

  bool context_seen = false;
  const Eigen::Index ci = t.contexts().index(opt.context);
  for (Eigen::Index d = 0; d < t.num_perturbations(); ++d)
    context_seen = context_seen || t.is_observed(d, ci);
  if (res.ntk_selected)
    note(o.quiet,
         format("ntk chose prior %s, depth %d, identity weight %g, scale %g, ridge %g "
                "(by leave-one-%s-out on the training signatures)",
                cimpute::to_string(res.ntk_selected->prior).c_str(), res.ntk_selected->depth,
                res.ntk_selected->identity_weight, res.ntk_selected->scale, res.ntk_selected->ridge,
                opt.hide_context || !context_seen ? "context" : "pair"));
  long long imputed = 0;
  for (const auto& r : res.ranking) imputed += r.imputed ? 1 : 0;
  note(o.quiet,
       format("disease signature of %zu genes, %zu shared with the %lld features of the "
              "data; %s: %lld drugs measured, %lld imputed (%s), %zu without a signature",
              dz.ids.size(), res.disease.columns.size(), static_cast<long long>(t.num_features()),
              opt.context.c_str(), static_cast<long long>(res.ranking.size()) - imputed, imputed,
              opt.impute.c_str(), res.unscored.size()));
  const bool tsv = o.format == "tsv";
  if (tsv)
    std::cout << "rank\tdrug\tscore\tsource\tuncertainty\n";
  else
    std::printf("%-5s %-24s %9s %-9s %11s\n", "rank", "drug", "score", "source", "uncertainty");
  std::size_t shown = 0;
  for (const auto& r : res.ranking) {
    if (o.top > 0 && shown == std::size_t(o.top)) break;
    ++shown;
    char unc[32];
    if (std::isnan(r.uncertainty))
      std::snprintf(unc, sizeof unc, "na");
    else
      std::snprintf(unc, sizeof unc, "%.6f", r.uncertainty);
    const char* source = r.imputed ? "imputed" : "measured";
    if (tsv)
      std::printf("%lld\t%s\t%.6f\t%s\t%s\n", static_cast<long long>(r.rank), r.drug.c_str(),
                  r.score, source, unc);
    else
      std::printf("%-5lld %-24s %9.4f %-9s %11s\n", static_cast<long long>(r.rank), r.drug.c_str(),
                  r.score, source, unc);
  }
  // With the context hidden but measured, how the imputed ranking agrees with the measured one.
  if (opt.hide_context && context_seen) {
    cimpute::RepurposingOptions measured_opt = opt;
    measured_opt.hide_context = false;
    measured_opt.impute = "none";
    const cimpute::RepurposingResult measured = cimpute::repurpose(t, dz, measured_opt);
    std::unordered_map<std::string, double> imputed_score;
    for (const auto& r : res.ranking) imputed_score[r.drug] = r.score;
    std::vector<double> a, b;
    for (const auto& r : measured.ranking) {
      const auto it = imputed_score.find(r.drug);
      if (it == imputed_score.end()) continue;
      a.push_back(r.score);
      b.push_back(it->second);
    }
    const std::size_t k = std::min<std::size_t>(o.top > 0 ? std::size_t(o.top) : 10, a.size());
    std::size_t overlap = 0;
    for (std::size_t i = 0; i < k && i < measured.ranking.size(); ++i)
      for (std::size_t j = 0; j < k && j < res.ranking.size(); ++j)
        overlap += measured.ranking[i].drug == res.ranking[j].drug ? 1 : 0;
    const std::string line =
        a.size() < 3
            ? format("fewer than 3 drugs measured in %s: no agreement to report",
                     opt.context.c_str())
            : format("agreement with the measured %s ranking over %zu drugs: Spearman %.3f of the "
                     "scores, top-%zu overlap %zu/%zu",
                     opt.context.c_str(), a.size(),
                     cimpute::spearman_scores(
                         Eigen::Map<const Eigen::RowVectorXd>(a.data(), Eigen::Index(a.size())),
                         Eigen::Map<const Eigen::VectorXd>(b.data(), Eigen::Index(b.size())))[0],
                     k, overlap, k);
    if (tsv)
      note(o.quiet, line);
    else
      std::printf("%s\n", line.c_str());
  }
  return 0;
}

} // namespace

Command add_repurpose(CLI::App& cimpute) {
  auto o = std::make_shared<RepurposeOptions>();
  CLI::App* sub = cimpute.add_subcommand(
      "repurpose", "rank drugs by how strongly their signature in the disease's context "
                   "reverses a disease signature");
  sub->add_option("--disease", o->disease,
                  "gene, log fold change table (CSV / TSV; header optional)")
      ->type_name("FILE")
      ->required();
  sub->add_option("--disease-id-type", o->id_type,
                  "symbol (the data's Entrez ids are mapped to symbols) or entrez")
      ->check(CLI::IsMember({"symbol", "entrez"}))
      ->capture_default_str();
  sub->add_option("--context", o->opt.context, "the disease's context (cell line), e.g. A549")
      ->type_name("CONTEXT")
      ->required();
  sub->add_option("--data", o->data,
                  "an L1000 directory, a GCT / GCTX / h5ad, or single-cell counts, as for complete")
      ->type_name("PATH")
      ->required();
  add_selection_options(sub, o->selection);
  sub->add_option("--gene-map", o->gene_map,
                  "Entrez id -> symbol: a GCT with pr_gene_id / pr_gene_symbol row metadata, or "
                  "a two-column table (default: the first such GCT in the --data folder)")
      ->type_name("FILE");
  std::vector<std::string> imputers = cimpute::completion_method_names();
  imputers.push_back("none");
  CLI::Validator imputer = CLI::IsMember(imputers);
  imputer.description(""); // the choices are in the text
  sub->add_option("--impute", o->opt.impute,
                  "the completion method that imputes the drugs not measured in the context "
                  "(any method of complete; ntk: uncertainty = NTK posterior variance / prior "
                  "variance), or none to rank the measured drugs only")
      ->type_name("METHOD")
      ->check(imputer)
      ->capture_default_str();
  sub->add_option(
         "--reference-context", o->reference,
         "training-only context of the imputation (auto: " + cimpute::cmap::reference_context +
             " when present and not the disease's context; none: no reference context)")
      ->type_name("CONTEXT")
      ->capture_default_str();
  sub->add_flag("--hide-context", o->opt.hide_context,
                "treat the context's measured signatures as missing (every drug is imputed)");
  sub->add_option("--context-features", o->context_features,
                  "baseline (the cells' log2 DMSO profiles; auto for an L1000 directory), none, "
                  "or a CSV/TSV with one row per context (id, then numbers) for the ntk "
                  "imputation")
      ->type_name("auto|none|baseline|FILE")
      ->capture_default_str();
  sub->add_option("--score", o->score,
                  "cosine, pearson or spearman with the reversed disease signature, or the "
                  "gene-set scores wtcs, ks")
      ->check(CLI::IsMember({"cosine", "pearson", "spearman", "wtcs", "ks"}))
      ->capture_default_str();
  sub->add_option("--set-size", o->opt.set_size,
                  "genes per up / down set of the disease (wtcs, ks)")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--top", o->top, "print the N most reversing drugs only")
      ->type_name("N")
      ->check(positive_integer());
  sub->add_option("--format", o->format,
                  "table (aligned columns) or tsv (rank, drug, score, source, uncertainty)")
      ->check(CLI::IsMember({"table", "tsv"}))
      ->capture_default_str();
  add_quiet_flag(*sub, o->quiet);
  sub->footer("Prints rank, drug, score, source (measured or imputed) and uncertainty, the most "
              "reversing drug first.");
  return {sub, [o] { return run_repurpose(*o); }};
}

} // namespace cimpute_cli
