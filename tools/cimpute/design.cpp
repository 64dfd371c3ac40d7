// `cimpute design`: choosing the next experiments. `design interventions` picks single-node
// interventions for structure learning (its input is discover's: samples.hpp); `design pairs`
// picks the (perturbation, context) pairs to measure for completion.
#include "cli.hpp"
#include "progress.hpp"
#include "samples.hpp"
#include "signatures.hpp"

#include <cimpute/completion.hpp>
#include <cimpute/discovery.hpp>
#include <cimpute/io.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

namespace cimpute_cli {

namespace {

struct DesignPairsOptions {
  std::string data, method = "ntk", reference = "auto", context_features = "auto",
                    candidates = "missing", out;
  cimpute::PairDesignOptions design;
  bool quiet = false;
  SelectionFlags selection;
};

int run_design_pairs(DesignPairsOptions o) {
  cimpute::PerturbationTensor<double> t = load_signatures(o.data, o.selection, o.quiet);
  o.reference = resolve_reference(o.reference, t, o.data);
  const std::vector<cimpute::PairIndex> candidates = requested_pairs(o.candidates, t);
  if (candidates.empty())
    throw cimpute::invalid_argument(o.data + ": no candidate pair (--candidates " + o.candidates +
                                    ")");
  if (o.design.budget > Eigen::Index(candidates.size()))
    throw cimpute::invalid_argument("design pairs: a budget of " + std::to_string(o.design.budget) +
                                    " exceeds the " + std::to_string(candidates.size()) +
                                    " candidate pairs");
  cimpute::CompletionSetup setup;
  setup.reference_context = o.reference;
  o.context_features = cimpute::resolve_context_features(o.context_features, o.data);
  setup.context_features = context_features_option(o.context_features, o.data, t.contexts());
  const Eigen::Index ref = cimpute::reference_index(t, o.reference, "design pairs");
  const std::vector<Eigen::Index> rows = cimpute::rows_outside_context(t, ref);
  if (rows.empty()) throw cimpute::invalid_argument(o.data + ": no observed pair to fit on");

  ProgressLine progress("cimpute design pairs", 1, ProgressLine::wanted(o.quiet));
  progress.start(o.method + ": fit on " + std::to_string(rows.size()) + " signatures, choose " +
                 std::to_string(o.design.budget) + " of " + std::to_string(candidates.size()) +
                 " pairs");
  setup.progress = [&progress](long done, long total) { progress.set_step_fraction(done, total); };
  auto method = cimpute::make_completion_method<double>(o.method, setup);
  method.fit(cimpute::TrainingSet<double>(t, rows, ref));
  const cimpute::PairDesign d = cimpute::design_pairs(method, candidates, o.design);
  progress.finish();
  note(o.quiet, format("%zu candidate pairs; posterior variance summed over them %.6g (fractions "
                       "of the prior variance) before any measurement",
                       candidates.size(), d.total_variance_before));
  std::ostringstream table;
  table << "rank,perturbation,context,variance_before,total_variance_after\n";
  for (std::size_t k = 0; k < d.chosen.size(); ++k) {
    const auto& c = d.chosen[k];
    table << k + 1 << ',' << t.perturbations()[c.pair.perturbation] << ','
          << t.contexts()[c.pair.context] << ','
          << format("%.6g,%.6g", c.variance_before, c.total_variance_after) << '\n';
  }
  std::cout << table.str();
  std::cout.flush();
  if (!o.out.empty())
    cimpute::detail::write_file_atomic(o.out, "design pairs",
                                       [&](std::ostream& os) { os << table.str(); });
  return 0;
}

} // namespace

Command add_design_pairs(CLI::App& design) {
  auto o = std::make_shared<DesignPairsOptions>();
  CLI::App* sub = design.add_subcommand(
      "pairs", "choose the (perturbation, context) pairs to measure next for completion");
  sub->add_option("--data", o->data,
                  "an L1000 directory, a GCT / GCTX / h5ad of signatures, or single-cell counts, "
                  "as for complete")
      ->type_name("PATH")
      ->required();
  add_selection_options(sub, o->selection);
  sub->add_option("--budget", o->design.budget, "pairs to choose (B)")
      ->type_name("B")
      ->required()
      ->check(positive_integer());
  sub->add_option(
         "--method", o->method,
         "the kernel method whose posterior variance is reduced: " +
             join(completion_methods_with(&cimpute::CompletionMethodInfo::posterior), ", "))
      ->check(CLI::IsMember(completion_methods_with(&cimpute::CompletionMethodInfo::posterior)))
      ->capture_default_str();
  sub->add_option("--candidates", o->candidates,
                  "missing (every unobserved pair of an observed perturbation and context) or a "
                  "CSV / TSV whose first two columns are perturbation and context (with a header "
                  "row): the pairs that could be measured")
      ->type_name("missing|FILE")
      ->capture_default_str();
  sub->add_option("--max-candidates", o->design.max_candidates,
                  "refuse more candidates than this (the design holds their posterior "
                  "covariance: 20,000 pairs take 3.2 GB)")
      ->check(positive_integer())
      ->capture_default_str();
  add_reference_options(sub, o->reference, o->context_features);
  sub->add_option("--out", o->out, "also write the table there (CSV)")
      ->type_name("FILE")
      ->check(output_path());
  add_quiet_flag(*sub, o->quiet);
  sub->footer("Prints CSV rank,perturbation,context,variance_before,total_variance_after: the "
              "pairs in the order chosen (greedy: each lowers the NTK posterior variance summed "
              "over the unmeasured candidates the most, given those before it), the pair's own "
              "posterior variance when chosen, and the sum over the candidates still unmeasured "
              "once it is measured; variances as fractions of the prior variance, as the "
              "variance field of impute.");
  return {sub, [o] { return run_design_pairs(*o); }};
}

// ------------------------------------------------------------------ design interventions

namespace {

struct DesignInterventionsOptions : DiscoverOptions {
  cimpute::InterventionDesignOptions design;
  std::string objective = "expected", candidates;
};

int run_design_interventions(DesignInterventionsOptions o) {
  std::unique_ptr<SimulatedData> sim;
  const cimpute::InterventionalData samples = load_input(o, sim);
  const auto& names = samples.variables;
  o.design.objective = o.objective == "worst" ? cimpute::DesignObjective::WorstCase
                                              : cimpute::DesignObjective::Expected;
  for (const std::string& c : split(o.candidates, ',')) {
    const auto it = std::find(names.begin(), names.end(), c);
    if (it == names.end())
      throw std::invalid_argument("design interventions: --candidates: '" + c +
                                  "' is not a variable of the data");
    o.design.candidates.push_back(int(it - names.begin()));
  }
  auto progress = std::make_unique<ProgressLine>("cimpute design interventions", 0,
                                                 ProgressLine::wanted(o.quiet));
  progress->start(o.method + (o.d.bootstrap > 0 ? " on bootstrap resamples" : " on all samples"));
  const cimpute::InterventionDesign r = cimpute::design_interventions(samples, o.d, o.design);
  progress.reset();
  note(o.quiet, format("evaluated on %d DAGs%s: %.4g edges oriented and %.4g undirected "
                       "under the current targets (%s)",
                       r.dags,
                       o.d.bootstrap > 0 ? " from the bootstrap resamples' classes"
                                         : " of the learned class",
                       r.oriented_before, r.unoriented_before,
                       o.objective == "worst" ? "worst case" : "mean"));
  if (r.unoriented_before == 0)
    note(o.quiet, "every edge is already oriented in these DAGs: no intervention orients more "
                  "(the ranking then only follows the number of neighbours)");
  std::cout << "rank,target,oriented,unoriented\n";
  for (std::size_t k = 0; k < r.chosen.size(); ++k)
    std::cout << k + 1 << ',' << names[std::size_t(r.chosen[k].node)] << ','
              << format("%.6g,%.6g", r.chosen[k].oriented, r.chosen[k].unoriented) << '\n';
  std::cout.flush();
  return 0;
}

} // namespace

Command add_design_interventions(CLI::App& design) {
  auto o = std::make_shared<DesignInterventionsOptions>();
  CLI::App* sub = design.add_subcommand(
      "interventions", "choose the next single-node interventions for structure learning");
  add_data_options(sub, o.get());
  sub->add_option("--method", o->method,
                  discovery_methods_help("the learner of the current graph:",
                                         discovery_method_names(uses_known_targets)))
      ->check(CLI::IsMember(discovery_method_names(uses_known_targets)))
      ->capture_default_str();
  add_learner_options(sub, o.get());
  sub->add_option("--budget", o->design.budget, "interventions to choose (K)")
      ->type_name("K")
      ->required()
      ->check(positive_integer());
  sub->add_flag("--batch", o->design.batch,
                "choose the K jointly, to be run together (greedy on the whole batch's value); "
                "without it the single interventions are ranked by their own value (run the "
                "first, relearn, design again)");
  sub->add_option("--objective", o->objective,
                  "expected: mean number of edges oriented over the DAGs; worst: the number "
                  "guaranteed whichever of them is true")
      ->check(CLI::IsMember({"expected", "worst"}))
      ->capture_default_str();
  sub->add_option("--bootstrap", o->d.bootstrap,
                  "evaluate over the classes learned from B bootstrap resamples (ABCD) instead "
                  "of the one learned class")
      ->type_name("B")
      ->check(integer_at_least(0))
      ->capture_default_str();
  sub->add_option("--class-samples", o->design.class_samples,
                  "DAGs drawn from a class too large to enumerate (more than 12 undirected "
                  "edges), or in all over the bootstrap classes")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--candidates", o->candidates,
                  "the variables that may be intervened on (default: all)")
      ->type_name("A,B");
  add_sim_options(sub, o.get());
  sub->footer(std::string("Prints CSV rank,target,oriented,unoriented on stdout: oriented and "
                          "unoriented are the edges of the interventional essential graph once "
                          "the target is added (with --batch: together with those ranked "
                          "before it), mean or worst case over the DAGs of the learned class. ") +
              kSimFooter + ".");
  return {sub, [o] { return run_design_interventions(*o); }};
}

// ---------------------------------------------------------------------------------- design

Command add_design(CLI::App& cimpute) {
  CLI::App* sub = cimpute.add_subcommand(
      "design", "choose the next experiments: interventions for discovery, pairs to measure");
  sub->require_subcommand(1);
  auto commands = std::make_shared<std::vector<Command>>();
  commands->push_back(add_design_interventions(*sub));
  commands->push_back(add_design_pairs(*sub));
  return {sub, [commands]() -> int {
            for (const auto& c : *commands)
              if (c.app->parsed()) return c.run();
            throw UsageError("design needs a subcommand: interventions or pairs");
          }};
}

} // namespace cimpute_cli
