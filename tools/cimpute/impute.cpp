// `cimpute impute`: fit one completion method on every observed pair and write the predicted
// signatures of the requested pairs (every missing one by default), with the NTK's posterior
// variance per pair.
#include "cli.hpp"
#include "processes.hpp"
#include "progress.hpp"
#include "signatures.hpp"

#include <cimpute/completion.hpp>
#include <cimpute/io.hpp>
#include <cimpute/workflow/cell_predictions.hpp>

#include <cstdio>
#include <memory>

namespace cimpute_cli {

namespace {

struct ImputeOptions {
  std::string data, method = "ntk", out, pairs = "missing", reference = "auto";
  std::string variance_out, format, context_features = "auto", perturbation_features = "none";
  std::string cells_out, ntk_priors;
  bool quiet = false;
  SelectionFlags selection;
};

// What the perturbations never measured get: how many a prior describes, and which methods use it.
std::string unseen_note(const ImputeOptions& o, const cimpute::PerturbationTensor<double>& t,
                        const std::vector<std::string>& unseen) {
  std::string prior = "--perturbation-features " + o.perturbation_features;
  if (o.perturbation_features.rfind("pca:", 0) == 0) {
    const auto target = cimpute::target_gene_columns(t);
    long named = 0;
    for (const auto& u : unseen) named += target[std::size_t(t.perturbations().index(u))] >= 0;
    prior +=
        format(" for the %ld named after a measured gene (the others have zero features)", named);
  }
  const std::string how =
      cimpute::completion_method(o.method).perturbation_prior
          ? "predicted from " + prior
          : o.method + " has no perturbation prior: it predicts them from their contexts alone (" +
                join(completion_methods_with(&cimpute::CompletionMethodInfo::perturbation_prior),
                     ", ") +
                " use one)";
  return format("%zu perturbation%s of --pairs %s not in --data (%s): %s", unseen.size(),
                unseen.size() == 1 ? "" : "s", unseen.size() == 1 ? "is" : "are",
                join(unseen, ", ").c_str(), how.c_str());
}

// --cells-out: each imputed pair as its context's control cells (as read from --data: only the
// control's columns when --perturbation-field names the field) shifted by the predicted change,
// after the control cells themselves.
cimpute::LabeledMatrix<double> predicted_cells(const ImputeOptions& o,
                                               const cimpute::LabeledMatrix<double>& imputed) {
  SelectionFlags f = o.selection;
  f.control.clear(); // the cells as read, not as changes
  if (!f.perturbation_field.empty())
    f.filters.push_back(f.perturbation_field + "=" + o.selection.control);
  cimpute::SignatureReadReport report;
  const cimpute::ProfileGroups<double> cells =
      cimpute::read_profile_groups<double>(o.data, signature_read_options(f), &report);
  cimpute::CellPredictionOptions opt;
  opt.perturbation_field = report.perturbation_field;
  opt.context_field = report.context_field;
  return cimpute::predicted_cells(cells, o.selection.control, imputed, opt);
}

int run_impute(ImputeOptions o) {
  // Formats first: a bad extension fails before any data is read.
  const std::string out_format = output_format(o.out, o.format, "--out");
  const std::string variance_format =
      o.variance_out.empty() ? "" : output_format(o.variance_out, o.format, "--variance-out");
  const std::string cells_format =
      o.cells_out.empty() ? "" : output_format(o.cells_out, "", "--cells-out");
  if (!o.cells_out.empty() && o.selection.control.empty())
    throw UsageError("--cells-out needs --control: a pair's predicted cells are its context's "
                     "control cells shifted by the predicted change");
  // ntk-pcg fits on the pairs split over the processes: each reads only its shard of --data
  // (one process: all of it). The other methods need the whole tensor on every process.
  const bool sharded = cimpute::completion_method(o.method).sharded_fit;
  const Processes& comm = processes();
  cimpute::PerturbationTensor<double> t;
  cimpute::collectively(comm, [&] {
    t = sharded ? load_signatures(o.data, o.selection, o.quiet, comm.rank(), comm.size())
                : load_signatures(o.data, o.selection, o.quiet);
  });
  Eigen::MatrixXd observed(1, 1);
  observed(0, 0) = double(t.num_observed());
  if (sharded) comm.sum(observed);
  o.reference = resolve_reference(o.reference, t, o.data);
  // Perturbations never measured may be requested when a prior can describe them.
  std::vector<std::string> unseen;
  const bool priors = o.perturbation_features != "none";
  const std::vector<cimpute::PairIndex> pairs =
      requested_pairs(o.pairs, t, sharded, priors && !sharded ? &unseen : nullptr,
                      sharded ? "; " + o.method +
                                    " fits on shards of --data and cannot predict a perturbation "
                                    "never measured: use ntk"
                              : "; a perturbation never measured needs --perturbation-features");
  if (pairs.empty())
    throw cimpute::invalid_argument(o.data + ": no pair to impute (--pairs " + o.pairs + ")");
  if (!unseen.empty()) {
    std::vector<std::string> ids = t.perturbations().ids();
    ids.insert(ids.end(), unseen.begin(), unseen.end());
    t = t.with_labels(std::move(ids), t.contexts().ids());
    if (o.perturbation_features == "signatures") { // it describes combinations by their parts
      const auto parts = cimpute::combination_parts(t);
      for (const auto& u : unseen)
        if (parts[std::size_t(t.perturbations().index(u))].empty())
          throw UsageError("--perturbation-features signatures describes a combination A+B by "
                           "its parts' signatures; '" +
                           u + "' is not a combination of measured perturbations");
    }
    note(o.quiet, unseen_note(o, t, unseen));
  }

  cimpute::CompletionSetup setup;
  setup.reference_context = o.reference;
  setup.ntk_priors = ntk_priors_option(o.ntk_priors);
  setup.new_perturbations = sharded ? cimpute::reaches_new_perturbations(t, pairs, comm)
                                    : cimpute::reaches_new_perturbations(t, pairs);
  setup.perturbation_features =
      perturbation_features_option(o.perturbation_features, t, o.quiet, unseen);
  o.context_features = cimpute::resolve_context_features(o.context_features, o.data);
  setup.context_features = context_features_option(o.context_features, o.data, t.contexts());
  // A requested context without training pairs makes ntk choose by leave-one-context-out.
  const Eigen::Index ref = cimpute::reference_index(t, o.reference, "impute");
  setup.new_contexts = sharded ? cimpute::reaches_new_contexts(t, pairs, ref, comm)
                               : cimpute::reaches_new_contexts(t, pairs, ref);
  if (cimpute::is_l1000_directory(o.data))
    setup.autoencoder.baselines = baseline_profiles(o.data, t.contexts());

  ProgressLine progress("cimpute impute", 1, ProgressLine::wanted(o.quiet));
  progress.start(o.method + ": fit on " + std::to_string(static_cast<long long>(observed(0, 0))) +
                 " signatures, predict " + std::to_string(pairs.size()) + " pairs");
  // ntk reports the kernel settings of its search: "(done/total)" on the line.
  setup.progress = [&progress](long done, long total) { progress.set_step_fraction(done, total); };
  cimpute::LabeledMatrix<double> imputed;
  if (sharded) {
    imputed =
        cimpute::visit_sharded_completion_method<double>(o.method, setup, comm, [&](auto& method) {
          return cimpute::impute_pairs_sharded(method, t, pairs, o.reference, comm);
        });
  } else {
    imputed = cimpute::impute_pairs(cimpute::make_completion_method<double>(o.method, setup), t,
                                    pairs, o.reference, comm);
  }
  progress.finish();
  // The written matrix: the method named in every column, the genes' symbols when known.
  cimpute::MetadataTable meta = imputed.col_meta();
  meta.add_field("method", std::vector<std::string>(std::size_t(imputed.cols()), o.method));
  cimpute::MetadataTable rows = imputed.row_meta();
  if (!t.feature_symbols().empty()) rows.add_field("pr_gene_symbol", t.feature_symbols());
  const cimpute::LabeledMatrix<double> m(imputed.data(), imputed.row_ids(), imputed.col_ids(), rows,
                                         meta);
  const bool has_variance = m.col_meta().has_field("variance");
  if (!o.variance_out.empty() && !has_variance)
    throw cimpute::invalid_argument("--variance-out: method '" + o.method +
                                    "' has no posterior variance (the NTK methods have one)");
  if (!is_root()) return 0; // one process writes
  // The cells before any file is written: a failure leaves no partial output.
  const cimpute::LabeledMatrix<double> cells =
      o.cells_out.empty() ? cimpute::LabeledMatrix<double>() : predicted_cells(o, imputed);
  write_signatures(o.out, cimpute::with_cmap_fields(m), out_format);
  if (!o.variance_out.empty()) {
    const Eigen::VectorXd rel = m.col_meta().as_double("variance");
    const cimpute::LabeledMatrix<double> v(cimpute::expression_variances(t, rel, o.reference),
                                           m.row_ids(), m.col_ids(), m.row_meta(), meta);
    write_signatures(o.variance_out, cimpute::with_cmap_fields(v), variance_format);
  }
  if (!o.cells_out.empty()) {
    write_signatures(o.cells_out, cells, cells_format);
    note(o.quiet,
         format("wrote %lld cells (%s: the control cells shifted by each pair's change, "
                "after the control cells themselves) to %s",
                static_cast<long long>(cells.cols()), o.method.c_str(), o.cells_out.c_str()));
  }
  note(o.quiet, format("wrote %lld imputed signatures (%s) to %s%s%s",
                       static_cast<long long>(m.cols()), o.method.c_str(), o.out.c_str(),
                       has_variance ? "; column field 'variance': the fraction of the prior "
                                      "variance left per pair"
                                    : "",
                       o.variance_out.empty() ? "" : ("; variances to " + o.variance_out).c_str()));
  return 0;
}

} // namespace

Command add_impute(CLI::App& cimpute) {
  auto o = std::make_shared<ImputeOptions>();
  CLI::App* sub = cimpute.add_subcommand(
      "impute", "fit a completion method on every observed pair and write the predicted "
                "signatures of the missing (or the requested) pairs");
  add_signature_data_options(sub, o->data, o->selection);
  sub->add_option("--method", o->method,
                  completion_methods_help("the completion method (with ntk-pcg, cimpute-mpi reads "
                                          "each process's shard of --data):"))
      ->type_name("METHOD")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            return cimpute::is_completion_method(v)
                       ? std::string()
                       : "unknown method '" + v +
                             "' (available: " + join(cimpute::completion_method_names(), ", ") +
                             ")";
          },
          ""))
      ->capture_default_str();
  sub->add_option("--out", o->out,
                  "the imputed signatures (genes x pairs), GCT or GCTX by the extension, with "
                  "column metadata pert_id, cell_id, method and, for the NTK methods, variance")
      ->type_name("FILE")
      ->required()
      ->check(output_path());
  sub->add_option("--pairs", o->pairs,
                  "missing (every unobserved pair of an observed perturbation and context), all "
                  "(observed pairs too, as in-sample fits) or a CSV / TSV whose first two columns "
                  "are perturbation and context (with a header row)")
      ->type_name("missing|all|FILE")
      ->capture_default_str();
  add_reference_options(sub, o->reference, o->context_features);
  add_perturbation_features_option(sub, o->perturbation_features);
  add_ntk_priors_option(sub, o->ntk_priors);
  sub->add_option("--cells-out", o->cells_out,
                  "also write single-cell predictions (h5ad, or GCT / GCTX by the extension): "
                  "each imputed pair as its context's --control cells (profiles as read from "
                  "--data, e.g. single cells with --normalize) shifted by the predicted change, "
                  "after the control cells themselves; the obs fields are --data's, so that "
                  "`cimpute score --truth DATA --predicted CELLS` reads both alike (des, energy "
                  "distances)")
      ->type_name("FILE")
      ->check(output_path());
  sub->add_option("--variance-out", o->variance_out,
                  "also write per-gene variances of the imputed signatures (NTK methods): the "
                  "pair's fraction of prior variance left times each gene's mean square over the "
                  "training signatures")
      ->type_name("FILE")
      ->check(output_path());
  sub->add_option("--format", o->format,
                  "gct, gctx or h5ad for --out and --variance-out (default: by their extension; "
                  "h5ad has the pairs as obs and the genes as var)")
      ->check(CLI::IsMember({"gct", "gctx", "h5ad"}));
  add_quiet_flag(*sub, o->quiet);
  sub->footer("Writes the imputed signatures; a note on stderr says how many. Evaluate methods "
              "with `cimpute complete` first.");
  return {sub, [o] { return run_impute(*o); }};
}

} // namespace cimpute_cli
