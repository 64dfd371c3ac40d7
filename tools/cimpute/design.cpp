// `cimpute design`: choosing the next experiments. `design interventions` picks single-node
// interventions for structure learning (its input is discover's: samples.hpp); `design pairs`
// picks the (perturbation, context) pairs to measure for completion; `design shift` computes the
// shift intervention that moves a fitted linear SEM's mean to a desired mean.
#include "cli.hpp"
#include "progress.hpp"
#include "samples.hpp"
#include "signatures.hpp"

#include <cimpute/completion.hpp>
#include <cimpute/discovery.hpp>
#include <cimpute/io.hpp>
#include <cimpute/sem.hpp>

#include <algorithm>
#include <cmath>
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

// ----------------------------------------------------------------------------- design shift

namespace {

struct DesignShiftOptions : DiscoverOptions {
  std::string graph_file, target_file;
  int max_targets = 0;
};

// The desired mean: CSV variable,mean naming every variable once.
Eigen::VectorXd read_desired_mean(const std::string& path, const std::vector<std::string>& names) {
  const char* fn = "design shift: --target";
  const cimpute::DelimitedTable t = cimpute::read_delimited(path);
  std::size_t vi = 0, mi = 0;
  try {
    vi = t.column("variable");
    mi = t.column("mean");
  } catch (const cimpute::invalid_argument&) {
    throw cimpute::invalid_argument(path + ": " + fn +
                                    ": needs the columns variable and mean (a header line)");
  }
  Eigen::VectorXd mean = Eigen::VectorXd::Constant(Eigen::Index(names.size()), std::nan(""));
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::size_t line = t.line(r);
    const auto it = std::find(names.begin(), names.end(), t.rows[r][vi]);
    if (it == names.end())
      throw cimpute::parse_error(
          path, line, std::string(fn) + ": '" + t.rows[r][vi] + "' is not a variable of the data");
    const Eigen::Index j = Eigen::Index(it - names.begin());
    if (!std::isnan(mean[j]))
      throw cimpute::parse_error(path, line,
                                 std::string(fn) + ": '" + t.rows[r][vi] + "' is listed twice");
    double v = 0;
    if (!cimpute::detail::parse_double(t.rows[r][mi], v) || !std::isfinite(v))
      throw cimpute::parse_error(
          path, line, std::string(fn) + ": mean '" + t.rows[r][mi] + "' is not a finite number");
    mean[j] = v;
  }
  std::string missing;
  int count = 0;
  for (std::size_t j = 0; j < names.size(); ++j)
    if (std::isnan(mean[Eigen::Index(j)]) && count++ < 5)
      missing += (missing.empty() ? "" : ", ") + names[j];
  if (count > 0)
    throw cimpute::invalid_argument(path + ": " + fn + ": no desired mean for " +
                                    std::to_string(count) + " of the " +
                                    std::to_string(names.size()) + " variables (" + missing +
                                    (count > 5 ? ", ..." : "") + "); list every variable");
  return mean;
}

int run_design_shift(DesignShiftOptions o) {
  std::unique_ptr<SimulatedData> sim;
  const cimpute::InterventionalData samples = load_input(o, sim);
  const auto& names = samples.variables;
  const Eigen::VectorXd desired = read_desired_mean(o.target_file, names);
  cimpute::Dag g(names);
  // Each setting's targets, whose samples leave their nodes' regressions: the known ones, or
  // those the learner found (UT-IGSP).
  std::vector<std::vector<int>> targets = samples.targets;
  if (!o.graph_file.empty()) {
    g = cimpute::read_edge_list(o.graph_file, names);
  } else {
    auto progress =
        std::make_unique<ProgressLine>("cimpute design shift", 0, ProgressLine::wanted(o.quiet));
    progress->start(o.method + " on all samples");
    const cimpute::DiscoveryResult res = cimpute::discover(samples, o.d);
    progress.reset();
    if (res.graph.num_undirected() > 0)
      throw cimpute::invalid_argument("design shift: --method " + o.method +
                                      " learns a class with undirected edges, not a DAG: use a "
                                      "search (gsp, igsp, ...) or give --graph");
    for (const auto& [i, j] : res.graph.arcs()) g.add_arc(i, j);
    if (cimpute::discovery_method(o.d.method).learns_targets &&
        res.targets.size() == samples.settings.size())
      targets = res.targets;
  }
  // Every sample, each node's intervened samples left out of its own regression.
  Eigen::Index n = samples.observational.rows();
  for (const auto& s : samples.settings) n += s.rows();
  const Eigen::Index p = Eigen::Index(names.size());
  Eigen::MatrixXd X(n, p);
  Eigen::MatrixXi mask = Eigen::MatrixXi::Zero(n, p);
  X.topRows(samples.observational.rows()) = samples.observational;
  Eigen::Index at = samples.observational.rows();
  for (std::size_t k = 0; k < samples.settings.size(); ++k) {
    X.middleRows(at, samples.settings[k].rows()) = samples.settings[k];
    for (int v : targets[k]) mask.col(v).segment(at, samples.settings[k].rows()).setOnes();
    at += samples.settings[k].rows();
  }
  const auto sem = cimpute::LinearGaussianSem<double>::fit(g, X, mask);
  const cimpute::ShiftDesign d = o.max_targets > 0
                                     ? cimpute::best_shift(sem, desired, o.max_targets)
                                     : cimpute::exact_shift(sem, desired);
  note(o.quiet,
       format("linear SEM fitted on %s (%d arcs) from %ld samples; the shift on %zu target%s "
              "takes the mean to distance %.4g of the desired one (%.4g of the observational "
              "mean's distance)",
              o.graph_file.empty() ? ("the " + o.method + " DAG").c_str() : o.graph_file.c_str(),
              g.num_arcs(), long(n), d.targets.size(), d.targets.size() == 1 ? "" : "s", d.distance,
              d.relative));
  std::cout << "target,shift,distance,relative_distance\n";
  for (int v : d.targets)
    std::cout << names[std::size_t(v)] << ','
              << format("%.10g,%.6g,%.6g", d.shift[v], d.distance, d.relative) << '\n';
  std::cout.flush();
  return 0;
}

} // namespace

Command add_design_shift(CLI::App& design) {
  auto o = std::make_shared<DesignShiftOptions>();
  o->method = "gsp";
  CLI::App* sub = design.add_subcommand(
      "shift", "the shift intervention that moves a linear SEM's mean to a desired mean");
  add_data_options(sub, o.get());
  sub->add_option("--graph", o->graph_file,
                  "the DAG as CSV cause,effect (default: learn it with --method)")
      ->check(CLI::ExistingFile);
  sub->add_option("--method", o->method,
                  discovery_methods_help("the learner of the DAG when no --graph is given:",
                                         discovery_method_names()))
      ->check(CLI::IsMember(discovery_method_names()))
      ->capture_default_str();
  add_learner_options(sub, o.get());
  sub->add_option("--target", o->target_file,
                  "the desired mean: CSV variable,mean with every variable")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--max-targets", o->max_targets,
                  "shift at most K nodes: the best such shift (every set of 1 or 2, greedy "
                  "beyond); default: the exact shift, on as many nodes as it needs")
      ->type_name("K")
      ->check(positive_integer());
  add_sim_options(sub, o.get());
  sub->footer(std::string("Fits a linear Gaussian SEM on the DAG by least squares (each node's "
                          "intervened samples left out of its own regression). The mean under "
                          "a shift a is (I - B^T)^-1 (mu + a). Prints CSV "
                          "target,shift,distance,relative_distance on stdout: distance is "
                          "|mean - desired| under the shift, relative_distance that over the "
                          "observational mean's. ") +
              kSimFooter + ".");
  return {sub, [o] { return run_design_shift(*o); }};
}

// ---------------------------------------------------------------------------------- design

Command add_design(CLI::App& cimpute) {
  CLI::App* sub = cimpute.add_subcommand(
      "design", "choose the next experiments: interventions for discovery, pairs to measure, "
                "the shift that reaches a desired mean");
  sub->require_subcommand(1);
  auto commands = std::make_shared<std::vector<Command>>();
  commands->push_back(add_design_interventions(*sub));
  commands->push_back(add_design_pairs(*sub));
  commands->push_back(add_design_shift(*sub));
  return {sub, [commands]() -> int {
            for (const auto& c : *commands)
              if (c.app->parsed()) return c.run();
            throw UsageError("design needs a subcommand: interventions, pairs or shift");
          }};
}

} // namespace cimpute_cli
