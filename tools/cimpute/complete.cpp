// `cimpute complete`: evaluate completion methods on perturbation x context signatures under a
// protocol (leave-one-pair-out, leave-one-context-out, K folds, sparse), optionally writing every
// method's predictions of the missing pairs.
#include "cli.hpp"
#include "processes.hpp"
#include "progress.hpp"
#include "signatures.hpp"

#include <cimpute/completion.hpp>
#include <cimpute/io.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

namespace cimpute_cli {

namespace {

// The first seed of the random protocols' splits: evaluate_protocol's default, so that running
// the seeds one by one (for the progress line) gives its numbers.
constexpr unsigned kFirstSeed = 1000;

struct CompleteOptions {
  std::string data, protocol, methods = "all", reference = "auto", format = "table", predict_out;
  std::string context_features = "none", perturbation_features = "none", metrics;
  std::string autoencoder_hidden, ntk_priors;
  int seeds = 3;
  long ntk_max_pairs = 0;
  int digits = 0; // decimals of the scores; 0: 6 in tsv, 4 in the table
  bool quiet = false;
  SelectionFlags selection;
  cimpute::PerturbationSimulatorParams sim;
  cimpute::AutoencoderTransferOptions ae;
  cimpute::MixedPriorOptions mixed;
};

// The methods of --methods, checked before any data is read.
std::vector<std::string> method_list(const std::string& methods) {
  std::vector<std::string> list =
      methods == "all" ? cimpute::completion_method_names() : split(methods, ',');
  if (list.empty()) throw UsageError("--methods names no method");
  for (const auto& m : list)
    if (!cimpute::is_completion_method(m))
      throw UsageError("unknown method '" + m +
                       "' (available: " + join(cimpute::completion_method_names(), ", ") + ")");
  return list;
}

// The response metrics of --metrics: those `completion_response_scores` computes (no cells).
std::vector<const cimpute::ResponseMetric*> response_metric_list(const std::string& list) {
  std::vector<const cimpute::ResponseMetric*> out;
  if (list.empty()) return out;
  std::vector<std::string> pseudobulk;
  for (const auto& m : cimpute::response_metrics())
    if (!cimpute::needs_cells(m)) pseudobulk.push_back(m.name);
  for (const auto& name : split(list, ',')) {
    if (std::find(pseudobulk.begin(), pseudobulk.end(), name) == pseudobulk.end())
      throw UsageError("--metrics: '" + name + "' is not one of " + join(pseudobulk, ", ") +
                       " (the single-cell metrics need cells: cimpute score)");
    for (const auto* m : out)
      if (m->name == name) throw UsageError("--metrics names " + name + " twice");
    out.push_back(&cimpute::response_metric(name));
  }
  return out;
}

// The column of a response metric: its name, or mean-NAME for the three that share their name
// with the completion columns (pooled pearson, mean r2, mean cosine).
std::string metric_column(const cimpute::ResponseMetric& m) {
  const std::string name = m.name;
  return name == "pearson" || name == "r2" || name == "cosine" ? "mean-" + name : name;
}

int run_complete(CompleteOptions o) {
  const bool simulated = o.data.empty() || o.data == "simulated";
  if (o.protocol.empty()) o.protocol = simulated ? "kfold:5" : "loo";
  const cimpute::CompletionProtocol proto = cimpute::CompletionProtocol::parse(o.protocol);
  const std::vector<std::string> list = method_list(o.methods);
  const auto metrics = response_metric_list(o.metrics);
  if (!o.autoencoder_hidden.empty()) {
    o.ae.hidden.clear();
    for (const auto& h : split(o.autoencoder_hidden, ','))
      o.ae.hidden.push_back(Eigen::Index(std::stol(h))); // checked by the option
  }

  if (!o.predict_out.empty()) output_format(o.predict_out, "", "--predict-out"); // before any work
  if (o.selection.any() && simulated)
    throw UsageError(
        "--perturbation-field, --context-field, --filter, --aggregate and --genes need a "
        "signature file as --data");
  std::string data = o.data;
  cimpute::PerturbationTensor<double> t;
  if (simulated) {
    note(o.quiet, format("no --data: simulated screen of %d drugs x %d cells x %d genes, "
                         "density %.2f, seed %llu (protocol %s)",
                         o.sim.drugs, o.sim.contexts, o.sim.genes, o.sim.density,
                         static_cast<unsigned long long>(o.sim.seed), o.protocol.c_str()));
    t = cimpute::simulate_perturbations<double>(o.sim).signatures;
    data = "simulated data";
  } else {
    t = load_signatures(data, o.selection, o.quiet);
  }
  o.reference = resolve_reference(o.reference, t, data);
  cimpute::CompletionSetup setup;
  setup.reference_context = o.reference;
  setup.new_contexts = proto.kind == cimpute::CompletionProtocol::Kind::LeaveOneContextOut;
  setup.new_perturbations = proto.new_perturbations();
  setup.perturbation_features = perturbation_features_option(o.perturbation_features, t, o.quiet);
  setup.context_features =
      context_features_option(o.context_features, simulated ? "" : data, t.contexts());
  setup.autoencoder = o.ae;
  setup.mixed = o.mixed;
  setup.ntk_priors = ntk_priors_option(o.ntk_priors);
  setup.ntk_max_pairs = Eigen::Index(o.ntk_max_pairs);
  if (!simulated && cimpute::is_l1000_directory(data)) // control profiles for the transfer
    setup.autoencoder.baselines = baseline_profiles(data, t.contexts());

  // Table columns as wide as the longest method and protocol names.
  std::size_t method_width = 6;
  for (const auto& m : list) method_width = std::max(method_width, m.size());
  const int mw = int(method_width), pw = int(std::max<std::size_t>(10, o.protocol.size()));
  const bool tsv = o.format == "tsv";
  std::string extra;
  for (const auto* m : metrics) {
    const std::string c = metric_column(*m);
    extra += tsv ? "\t" + c : format(" %*s", std::max(9, int(c.size())), c.c_str());
  }
  if (tsv)
    std::cout << "protocol\tmethod\tpearson\tr2\tcosine\tseconds" << extra << "\n";
  else
    std::printf("%-*s %-*s %8s %8s %8s %9s%s\n", pw, "protocol", mw, "method", "pearson", "r2",
                "cosine", "seconds", extra.c_str());
  std::fflush(stdout);

  const int runs = proto.is_random() ? o.seeds : 1;
  ProgressLine progress("cimpute complete",
                        long(list.size()) * runs + (o.predict_out.empty() ? 0 : 1),
                        ProgressLine::wanted(o.quiet));
  for (const auto& name : list) {
    const cimpute::AnyCompletion<double> method =
        cimpute::make_completion_method<double>(name, setup);
    std::vector<cimpute::CompletionEvaluation> per_seed;
    std::vector<cimpute::ResponseScores> per_seed_metrics;
    // The protocol reports its folds (or refits): the line shows them within each step.
    const cimpute::ProgressCallback folds = [&](long done, long total) {
      progress.set_step_fraction(done, total);
    };
    for (int s = 0; s < runs; ++s) {
      progress.start(name + ", " + o.protocol +
                     (runs > 1 ? " run " + std::to_string(s + 1) + "/" + std::to_string(runs)
                               : std::string()));
      per_seed.push_back(cimpute::run_protocol(method, t, proto, o.reference,
                                               kFirstSeed + unsigned(s), folds, processes()));
      if (!metrics.empty())
        per_seed_metrics.push_back(
            cimpute::mean_scores(cimpute::completion_response_scores(per_seed.back(), t)));
      per_seed.back().predictions.resize(0, 0); // only the scores are kept
      per_seed.back().truths.resize(0, 0);
      progress.advance();
    }
    const cimpute::ScoreSummary ev = cimpute::summarize(per_seed);
    progress.write_above([&] {
      const int d = o.digits > 0 ? o.digits : tsv ? 6 : 4;
      std::string values, errors;
      const cimpute::ResponseRunSummary rs =
          metrics.empty() ? cimpute::ResponseRunSummary{}
                          : cimpute::summarize_response_runs(per_seed_metrics);
      for (const auto* m : metrics) {
        const double mean = rs.mean.*(m->value);
        values += tsv ? format("\t%.*f", d, mean)
                      : format(" %*.*f", std::max(9, int(metric_column(*m).size())), d, mean);
        errors += format(" %.*f", d, rs.standard_error.*(m->value));
      }
      if (tsv)
        std::printf("%s\t%s\t%.*f\t%.*f\t%.*f\t%.3f%s\n", o.protocol.c_str(), name.c_str(), d,
                    ev.mean.pearson, d, ev.mean.r2, d, ev.mean.cosine, ev.seconds, values.c_str());
      else
        std::printf("%-*s %-*s %8.*f %8.*f %8.*f %9.3f%s  (%d run%s, s.e. %.*f %.*f %.*f%s)\n", pw,
                    o.protocol.c_str(), mw, name.c_str(), d, ev.mean.pearson, d, ev.mean.r2, d,
                    ev.mean.cosine, ev.seconds, values.c_str(), ev.runs, ev.runs == 1 ? "" : "s", d,
                    ev.standard_error.pearson, d, ev.standard_error.r2, d, ev.standard_error.cosine,
                    errors.c_str());
      std::fflush(stdout);
    });
  }
  if (!o.predict_out.empty()) {
    progress.start("predictions of every missing pair");
    setup.new_contexts = false;      // every missing pair lies in a context with training pairs
    setup.new_perturbations = false; // and belongs to a perturbation with training pairs
    const auto pred = cimpute::complete_missing_by_name(list, t, setup, processes());
    if (is_root())
      write_signatures(o.predict_out, cimpute::with_cmap_fields(pred),
                       output_format(o.predict_out, "", "--predict-out"));
    progress.finish();
    note(o.quiet, format("wrote %lld predicted signatures (%zu method%s) to %s",
                         static_cast<long long>(pred.cols()), list.size(),
                         list.size() == 1 ? "" : "s", o.predict_out.c_str()));
  }
  return 0;
}

} // namespace

Command add_complete(CLI::App& cimpute) {
  auto o = std::make_shared<CompleteOptions>();
  CLI::App* sub = cimpute.add_subcommand(
      "complete", "evaluate completion methods on perturbation x context signatures");
  sub->add_option("--data", o->data,
                  "an L1000 directory (drug and DMSO tables), a GCT / GCTX / h5ad of signatures "
                  "with cell_id / pert_id column (obs) metadata, or single-cell counts (h5ad, 10x "
                  "folder or .h5) pooled per pair; without --data (or "
                  "with --data simulated) a simulated CMap-like screen (simulate_perturbations, "
                  "sized by the --sim-* options)")
      ->type_name("PATH");
  add_selection_options(sub, o->selection);
  sub->add_option("--sim-drugs", o->sim.drugs, "drugs of the simulated screen")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--sim-cells", o->sim.contexts, "cells (contexts) of the simulated screen")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--sim-genes", o->sim.genes, "genes of the simulated screen")
      ->check(integer_at_least(2))
      ->capture_default_str();
  sub->add_option("--sim-density", o->sim.density,
                  "fraction of the (drug, cell) pairs observed in the simulated screen")
      ->check(unit_interval(true))
      ->capture_default_str();
  sub->add_option("--sim-seed", o->sim.seed, "seed of the simulated screen")
      ->check(non_negative_integer())
      ->capture_default_str();
  sub->add_option("--protocol", o->protocol,
                  "loo (leave-one-pair-out; the default for --data), loco "
                  "(leave-one-context-out), kfold:K (K folds within each context; kfold:5 is "
                  "the default for simulated data), sparse:B (B training perturbations per "
                  "context), unseen-perturbation:K (K folds of perturbations, each held out of "
                  "every context: see --perturbation-features) or unseen-combination[:K] (each "
                  "combination A+B, or K folds of them, held out; its single perturbations "
                  "train)")
      ->type_name("PROTOCOL")
      ->check(parsed_by(cimpute::CompletionProtocol::parse, "protocol",
                        "loo, loco, kfold:K (K >= 2), sparse:B (B >= 1), "
                        "unseen-perturbation:K (K >= 2) or unseen-combination[:K] (K >= 2)"));
  sub->add_option("--seeds", o->seeds,
                  "random splits for kfold / sparse / unseen-perturbation / unseen-combination:K; "
                  "the table holds the means over seeds")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--methods", o->methods,
                  completion_methods_help("a comma-separated list of methods, or all:"))
      ->type_name("LIST")
      ->capture_default_str();
  sub->add_option(
         "--reference-context", o->reference,
         "training-only context, never evaluated (auto: " + cimpute::cmap::reference_context +
             " when present; none: no reference context)")
      ->type_name("CONTEXT")
      ->capture_default_str();
  sub->add_option("--format", o->format,
                  "table (aligned columns, with standard errors) or tsv (protocol, method, "
                  "pearson, r2, cosine, seconds, then the --metrics columns)")
      ->check(CLI::IsMember({"table", "tsv"}))
      ->capture_default_str();
  sub->add_option("--digits", o->digits,
                  "decimals of the scores (default 6 in tsv, 4 in the table; 17 to compare runs "
                  "exactly)")
      ->check(CLI::Range(1, 17));
  sub->add_option("--context-features", o->context_features,
                  "none, baseline (the cells' log2 DMSO profiles of an L1000 directory) or a "
                  "CSV/TSV with one row per context (id, then numbers): ntk also tries the NTK "
                  "prior on them; under loco, ntk chooses its settings by leave-one-context-out")
      ->type_name("none|baseline|FILE")
      ->capture_default_str();
  add_perturbation_features_option(sub, o->perturbation_features);
  sub->add_option("--metrics", o->metrics,
                  "also the field's response metrics of the held-out pairs, comma-separated, "
                  "as extra columns (mean over runs): mae, mse, pearson, cosine, r2, "
                  "pearson-delta, pearson-delta-de20, mse-de20, pds (signatures taken as "
                  "changes against the control; per context; pds leaves the perturbed gene out; "
                  "pearson, r2 and cosine, the means over perturbations, are the columns "
                  "mean-pearson, mean-r2, mean-cosine)")
      ->type_name("LIST");
  add_ntk_priors_option(sub, o->ntk_priors);
  sub->add_option("--ntk-max-pairs", o->ntk_max_pairs,
                  "ntk's inner leave-one-out runs on a seeded subset of at most this many "
                  "training pairs (0: 1000); under --protocol loo, tables of up to this many + 1 "
                  "pairs take the closed form instead of refitting the search per pair")
      ->type_name("N")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            char* end = nullptr;
            const long n = std::strtol(v.c_str(), &end, 10);
            const bool ok = !v.empty() && *end == '\0' && (n == 0 || n >= 2);
            return ok ? std::string() : "needs 0 or a whole number >= 2, got '" + v + "'";
          },
          "0|N>=2"))
      ->capture_default_str();
  std::string hidden;
  for (const auto h : o->ae.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(h);
  sub->add_option("--autoencoder-hidden", o->autoencoder_hidden,
                  "hidden layer sizes of the autoencoder method, e.g. 1024,256 (default " + hidden +
                      ")")
      ->type_name("N,N,...")
      ->check(positive_integer_list());
  sub->add_option("--autoencoder-epochs", o->ae.epochs, "training epochs of the autoencoder")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--autoencoder-seed", o->ae.seed, "seed of the autoencoder's training")
      ->check(non_negative_integer())
      ->capture_default_str();
  sub->add_option("--mixed-min-perturbations", o->mixed.min_training_perturbations,
                  "training perturbations that make a context use the mixed prior's signature "
                  "features (ntk-mixed)")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--mixed-folds", o->mixed.inner_folds,
                  "inner cross-validation folds of ntk-mixed")
      ->check(integer_at_least(2))
      ->capture_default_str();
  sub->add_option("--predict-out", o->predict_out,
                  "also fit every method on all observed pairs and write its predictions of "
                  "every missing pair to this GCT or GCTX, by its extension (column metadata "
                  "pert_id, cell_id, method); the path is checked before the evaluation starts")
      ->type_name("FILE")
      ->check(output_path());
  add_quiet_flag(*sub, o->quiet);
  sub->footer("Prints one row per method: protocol, method, pooled Pearson correlation, mean R^2 "
              "and mean cosine of the predicted signatures, and the seconds it took. On a "
              "terminal, a progress line on stderr follows the (method, run) steps and the folds "
              "within them.");
  return {sub, [o] { return run_complete(*o); }};
}

} // namespace cimpute_cli
