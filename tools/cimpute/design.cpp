// `cimpute design`: choosing the next experiments. `design interventions` picks single-node
// interventions for structure learning (its input is discover's: samples.hpp); `design pairs`
// picks the (perturbation, context) pairs to measure for completion; `design shift` computes the
// shift intervention that moves a fitted linear SEM's mean to a desired mean; `design target`
// chooses the perturbations to measure in a context to find one matching a target signature.
#include "cli.hpp"
#include "progress.hpp"
#include "samples.hpp"
#include "signatures.hpp"

#include <cimpute/completion.hpp>
#include <cimpute/connectivity/alignment.hpp>
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
  print_table(table.str(), o.out, "design pairs");
  return 0;
}

} // namespace

Command add_design_pairs(CLI::App& design) {
  auto o = std::make_shared<DesignPairsOptions>();
  CLI::App* sub = design.add_subcommand(
      "pairs", "choose the (perturbation, context) pairs to measure next for completion");
  add_signature_data_options(sub, o->data, o->selection);
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
  std::string graph_file, target_file, acquisition = "active";
  int max_targets = 0, class_members = 1;
  bool active = false;
  cimpute::ShiftMatchingOptions matching;
};

// A shift vector as name:value pairs separated by ';' (its non-zero entries).
std::string shift_text(const Eigen::VectorXd& a, const std::vector<std::string>& names) {
  std::string s;
  for (Eigen::Index j = 0; j < a.size(); ++j)
    if (a(j) != 0) s += (s.empty() ? "" : ";") + names[std::size_t(j)] + format(":%.6g", a(j));
  return s;
}

// --active: the matching loop against the simulated SEM, on the DAG `g`; prints the curve.
int run_active_matching(const DesignShiftOptions& o, const SimulatedData& sim,
                        const cimpute::Dag& g, const Eigen::VectorXd& desired,
                        const std::vector<std::string>& names) {
  cimpute::ShiftMatchingOptions m = o.matching;
  m.acquisition = cimpute::parse_shift_acquisition(o.acquisition);
  m.seed = o.sim_seed + 100;
  ProgressLine progress("cimpute design shift", 1, ProgressLine::wanted(o.quiet));
  cimpute::ShiftMatchingRun run;
  if (o.class_members > 1) {
    const std::vector<cimpute::Dag> members =
        cimpute::dag_and_class_members(g, o.class_members, m.seed);
    progress.start(o.acquisition + " matching over " + std::to_string(members.size()) +
                   " DAGs of the class, " + std::to_string(m.rounds) + " rounds");
    run = cimpute::simulate_shift_matching(sim.sem, members, desired, m);
  } else {
    progress.start(o.acquisition + " matching, " + std::to_string(m.rounds) + " rounds");
    run = cimpute::simulate_shift_matching(sim.sem, g, desired, m);
  }
  progress.finish();
  note(o.quiet,
       format("the recommended shift's relative distance: %.4g before the first round, %.4g "
              "after %d; within %.3g %s",
              run.initial_relative_distance,
              run.rounds.empty() ? run.initial_relative_distance
                                 : run.rounds.back().relative_distance,
              m.rounds, m.tolerance,
              run.rounds_to_tolerance < 0
                  ? "in no round"
                  : ("from round " + std::to_string(run.rounds_to_tolerance)).c_str()));
  std::cout << "round,intervention,relative_distance,targets,spread,graph,graph_weight\n";
  for (std::size_t r = 0; r < run.rounds.size(); ++r) {
    const auto& x = run.rounds[r];
    std::string targets;
    for (int v : x.targets) targets += (targets.empty() ? "" : ";") + names[std::size_t(v)];
    std::cout << r + 1 << ',' << shift_text(x.intervention, names) << ','
              << format("%.6g", x.relative_distance) << ',' << targets << ','
              << format("%.6g", x.spread) << ',' << x.graph << ',' << format("%.6g", x.graph_weight)
              << '\n';
  }
  std::cout.flush();
  return 0;
}

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
  if (o.class_members > 1 && !o.active)
    throw UsageError("design shift: --class-members is an option of --active");
  std::unique_ptr<SimulatedData> sim;
  const cimpute::InterventionalData samples = load_input(o, sim);
  const auto& names = samples.variables;
  if (o.active && !sim)
    throw UsageError("design shift: --active runs on simulated data (no --data): each round's "
                     "samples are drawn from the simulated SEM");
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
  if (o.active) return run_active_matching(o, *sim, g, desired, names);
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
  sub->add_flag("--active", o->active,
                "on simulated data: run the active matching loop against the simulated SEM and "
                "print its curve");
  sub->add_option("--rounds", o->matching.rounds, "--active: rounds")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--samples-per-round", o->matching.samples_per_round,
                  "--active: samples drawn under each round's shift")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--acquisition", o->acquisition,
                  "--active: active (the shift whose outcome most reduces the posterior spread of "
                  "the recommended shift), point-estimate (always the recommended shift) or "
                  "random (a random single-node shift)")
      ->check(CLI::IsMember({"active", "point-estimate", "random"}))
      ->capture_default_str();
  sub->add_option("--class-members", o->class_members,
                  "--active without trusting the DAG's orientations: the learner holds the DAG "
                  "and up to K-1 other DAGs of its Markov equivalence class (random consistent "
                  "extensions), weighted by the BIC of the samples (the DAGs of a class score the "
                  "same on observational ones); active runs the shift that most reduces the "
                  "spread of the recommended shift over DAGs and weights")
      ->type_name("K")
      ->check(positive_integer())
      ->capture_default_str();
  add_sim_options(sub, o.get());
  sub->footer(
      std::string(
          "Fits a linear Gaussian SEM on the DAG by least squares (each node's "
          "intervened samples left out of its own regression). The mean under "
          "a shift a is (I - B^T)^-1 (mu + a). Prints CSV "
          "target,shift,distance,relative_distance on stdout: distance is "
          "|mean - desired| under the shift, relative_distance that over the "
          "observational mean's. With --active, the loop starts from a prior "
          "N(0, I) on each node's weights and noise mean given the DAG (Bayesian "
          "linear regression, noise variance from the residuals), recommends the "
          "shift on the credible targets of the posterior mean's exact shift "
          "(those beyond the Bonferroni threshold at 5% times their posterior "
          "sd), runs the acquisition's shift, draws its samples from the "
          "simulated SEM and updates; it prints CSV "
          "round,intervention,relative_distance,targets,spread,graph,graph_weight: the shift run "
          "(node:value;...), the true mean's relative distance under the "
          "recommended shift, its targets, the exact shift's summed "
          "posterior variance (over the DAGs too), the most probable DAG (0: "
          "the given or learned one) and its posterior probability. ") +
      kSimFooter + ".");
  return {sub, [o] { return run_design_shift(*o); }};
}

// ----------------------------------------------------------------------------- design target

namespace {

struct DesignTargetOptions {
  std::string data, method = "ntk", reference = "auto", context_features = "auto", context, target,
                    id_type = "symbol", gene_map, acquisition = "ucb", metric = "auto", out;
  cimpute::TargetDesignOptions design;
  int budget = 0, replay_targets = 20, repeats = 1;
  bool replay = false, quiet = false;
  SelectionFlags selection;
};

// The completion setup for searching `context`: the reference context (CMap convention, never
// the searched context) and the context features.
cimpute::CompletionSetup target_setup(const DesignTargetOptions& o,
                                      const cimpute::PerturbationTensor<double>& t,
                                      const std::string& context) {
  cimpute::CompletionSetup setup;
  setup.reference_context = resolve_reference(o.reference, t, o.data, context);
  setup.context_features = context_features_option(
      cimpute::resolve_context_features(o.context_features, o.data), o.data, t.contexts());
  return setup;
}

int run_design_target(DesignTargetOptions o) {
  if (!o.replay && o.budget < 1) throw UsageError("design target needs --budget (or --replay)");
  if (!o.replay && o.target.empty()) throw UsageError("design target needs --target (or --replay)");
  o.design.acquisition = cimpute::parse_target_acquisition(o.acquisition);
  cimpute::PerturbationTensor<double> t = load_signatures(o.data, o.selection, o.quiet);
  o.design.metric = cimpute::parse_target_metric(o.metric, t.num_features());
  if (o.metric == "auto" && o.design.metric == cimpute::TargetMetric::Cosine)
    note(o.quiet, format("design target: %lld features exceed the whitened metric's %lld: "
                         "candidates are scored by the plain cosine",
                         static_cast<long long>(t.num_features()),
                         static_cast<long long>(cimpute::max_gene_covariance_features)));
  if (o.id_type == "symbol") rename_to_symbols(t, o.data, o.gene_map, o.quiet);
  std::vector<std::string> contexts =
      o.replay && o.context == "all" ? t.contexts().ids() : split(o.context, ',');
  if (!o.replay && contexts.size() != 1)
    throw UsageError("design target: --context takes one context without --replay");
  for (const auto& c : contexts)
    if (!t.contexts().contains(c))
      throw cimpute::invalid_argument(o.data + ": no context named '" + c + "'");

  // The target file's genes aligned to the data's features.
  std::vector<Eigen::Index> file_columns;
  Eigen::VectorXd file_values;
  if (!o.target.empty()) {
    const cimpute::GeneSignature sig = cimpute::read_gene_signature(o.target);
    cimpute::AlignedSignature a;
    try {
      a = cimpute::align_signature(sig, t.features());
    } catch (const cimpute::invalid_argument& e) {
      throw cimpute::invalid_argument(o.target + ": " + e.what());
    }
    file_columns = a.columns;
    file_values = a.values;
    note(o.quiet,
         format("target of %zu genes, %zu shared with the %lld features of the data",
                sig.ids.size(), a.columns.size(), static_cast<long long>(t.num_features())));
  }
  if (!o.replay) {
    const Eigen::Index c = t.contexts().index(contexts[0]);
    const std::vector<cimpute::PairIndex> candidates = cimpute::context_candidates(t, c, false);
    if (candidates.empty())
      throw cimpute::invalid_argument(o.data +
                                      ": every perturbation (but the controls) is "
                                      "measured in '" +
                                      contexts[0] + "': no candidate left to choose");
    if (o.budget > Eigen::Index(candidates.size()))
      throw cimpute::invalid_argument(format("design target: a budget of %d exceeds the %zu "
                                             "candidate(s) unmeasured in '%s'",
                                             o.budget, candidates.size(), contexts[0].c_str()));
    ProgressLine progress("cimpute design target", 1, ProgressLine::wanted(o.quiet));
    progress.start(o.method + ": fit, then choose " + std::to_string(o.budget) + " of " +
                   std::to_string(candidates.size()) + " candidates");
    const cimpute::CandidatePosterior post = cimpute::fit_candidate_posterior(
        t, c, false, o.method, target_setup(o, t, contexts[0]), candidates);
    const auto chosen = cimpute::design_target(post, file_columns, file_values, o.budget, o.design);
    progress.finish();
    std::ostringstream table;
    table << "rank,perturbation,predicted_match,match_sd,relative_variance\n";
    for (std::size_t k = 0; k < chosen.size(); ++k)
      table << k + 1 << ',' << t.perturbations()[chosen[k].pair.perturbation] << ','
            << format("%.6g,%.6g,%.6g", chosen[k].predicted_match, chosen[k].match_sd,
                      chosen[k].relative_variance)
            << '\n';
    print_table(table.str(), o.out, "design target");
    return 0;
  }

  // --replay: each context hidden in turn, its measurements revealed only when chosen.
  std::ostringstream table;
  table << "context,target,best,design,greedy,random,heuristic\n";
  double sum_design = 0, sum_greedy = 0, sum_random = 0, sum_heuristic = 0;
  long targets = 0, heuristic_targets = 0;
  ProgressLine progress("cimpute design target", Eigen::Index(contexts.size()),
                        ProgressLine::wanted(o.quiet));
  cimpute::ContextReplayOptions ro;
  ro.design = o.design;
  ro.targets = o.replay_targets;
  ro.repeats = o.repeats;
  for (const auto& name : contexts) {
    progress.start(name + ": " + o.method + " fitted without its measurements, then " +
                   (o.target.empty() ? std::to_string(o.replay_targets) + " targets replayed"
                                     : std::string("the target replayed")));
    const auto records =
        cimpute::replay_context(t, t.contexts().index(name), o.method, target_setup(o, t, name),
                                file_columns, file_values, o.target, ro);
    for (const auto& r : records) {
      const bool heuristic = !std::isnan(r.heuristic);
      table << name << ',' << r.target << ',' << r.best << ',' << format("%.6g", r.design) << ','
            << r.greedy << ',' << format("%.1f", r.random) << ','
            << (heuristic ? format("%.1f", r.heuristic) : std::string("na")) << '\n';
      ++targets;
      sum_design += r.design;
      sum_greedy += double(r.greedy);
      sum_random += r.random;
      if (heuristic) {
        ++heuristic_targets;
        sum_heuristic += r.heuristic;
      }
    }
    progress.finish();
  }
  print_table(table.str(), o.out, "design target");
  std::string summary = format("experiments to the target: design %.2f random %.2f greedy %.2f",
                               sum_design / double(targets), sum_random / double(targets),
                               sum_greedy / double(targets));
  if (heuristic_targets == targets)
    summary += format(" heuristic %.2f", sum_heuristic / double(targets));
  std::cout << summary << '\n';
  std::cout.flush();
  return 0;
}

} // namespace

Command add_design_target(CLI::App& design) {
  auto o = std::make_shared<DesignTargetOptions>();
  CLI::App* sub = design.add_subcommand(
      "target", "choose the perturbations to measure in a context to find one that matches (or "
                "reverses) a target signature");
  add_signature_data_options(sub, o->data, o->selection);
  sub->add_option("--context", o->context,
                  "the context (cell line) to search in; with --replay a comma-separated list or "
                  "all, each hidden in turn")
      ->type_name("CONTEXT")
      ->required();
  sub->add_option("--target", o->target,
                  "the target signature: gene, value table (CSV / TSV; header optional); with "
                  "--replay optional (default: the measured signatures of --replay-targets "
                  "perturbations of the context, their identity hidden)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  sub->add_option("--target-id-type", o->id_type,
                  "symbol (the data's feature ids are mapped to gene symbols, as --disease-id-type "
                  "of repurpose), entrez or feature (the target's genes are the data's feature "
                  "ids, e.g. symbols already)")
      ->check(CLI::IsMember({"symbol", "entrez", "feature"}))
      ->capture_default_str();
  sub->add_option("--gene-map", o->gene_map,
                  "feature id -> symbol: a GCT with pr_gene_id / pr_gene_symbol row metadata, or "
                  "a two-column table (default: the data's own, or the first such GCT in the "
                  "--data folder)")
      ->type_name("FILE");
  sub->add_flag("--reverse", o->design.reverse,
                "match the reversed target (e.g. reverse a disease signature)");
  sub->add_option("--budget", o->budget, "perturbations to choose (K; not with --replay)")
      ->type_name("K")
      ->check(positive_integer());
  sub->add_option(
         "--method", o->method,
         "the kernel method whose posterior drives the choice: " +
             join(completion_methods_with(&cimpute::CompletionMethodInfo::posterior), ", "))
      ->check(CLI::IsMember(completion_methods_with(&cimpute::CompletionMethodInfo::posterior)))
      ->capture_default_str();
  sub->add_option("--acquisition", o->acquisition,
                  "thompson (a draw from each candidate's posterior; the best-matching draw), "
                  "ucb (expected match plus --confidence standard deviations) or greedy (the "
                  "best posterior-mean match: the most probable target when the target is one "
                  "candidate's signature)")
      ->check(CLI::IsMember({"thompson", "ucb", "greedy"}))
      ->capture_default_str();
  sub->add_option("--metric", o->metric,
                  "how candidates are scored: whitened (cosine after whitening by the training "
                  "signatures' shrunk gene covariance: what tells perturbations apart counts, "
                  "response shared by all counts little), cosine (the genes as they are) or auto "
                  "(whitened up to 5000 features, else cosine)")
      ->check(CLI::IsMember({"auto", "whitened", "cosine"}))
      ->capture_default_str();
  sub->add_option("--confidence", o->design.confidence, "ucb: standard deviations added")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--seed", o->design.seed, "seed of the Thompson draws and the replay targets")
      ->capture_default_str();
  sub->add_flag("--replay", o->replay,
                "hide each context's measurements, reveal them only when chosen, and count the "
                "experiments until the best-matching perturbation is measured");
  sub->add_option("--replay-targets", o->replay_targets,
                  "--replay without --target: targets per context")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--repeats", o->repeats,
                  "--replay: runs of the acquisition per target, with successive seeds (the "
                  "design column is their mean)")
      ->check(positive_integer())
      ->capture_default_str();
  add_reference_options(sub, o->reference, o->context_features);
  sub->add_option("--out", o->out, "also write the table there (CSV)")
      ->type_name("FILE")
      ->check(output_path());
  add_quiet_flag(*sub, o->quiet);
  sub->footer(
      "Signatures are compared as they are: give changes (e.g. --control for tables of "
      "expression levels), not levels. The match of a signature is its cosine with the target over "
      "the shared genes (with the "
      "reversed target under --reverse); candidates are scored in --metric (the replay's best "
      "match is the plain cosine). The method is fitted on every measurement, the "
      "candidates are the perturbations not measured in the context, and each choice is "
      "conditioned on as if measured at its predicted value before the next (the covariance "
      "shrinks, the mean stays). Prints CSV "
      "rank,perturbation,predicted_match,match_sd,relative_variance. With --replay: CSV "
      "context,target,best,design,greedy,random,heuristic (experiments until the best-matching "
      "perturbation is measured: the acquisition; always the best posterior-mean match; the "
      "expectation of a random order, (n + 1) / 2; the candidates in ascending order of the "
      "target's value at their own gene, na when no perturbation names a gene), each measurement "
      "conditioning the posterior as a refit with the kernel held fixed, then the line "
      "'experiments to the target: design X random Y greedy Z' (means over the targets; "
      "'heuristic W' appended when every target has one).");
  return {sub, [o] { return run_design_target(*o); }};
}

// ---------------------------------------------------------------------------------- design

Command add_design(CLI::App& cimpute) {
  CLI::App* sub = cimpute.add_subcommand(
      "design", "choose the next experiments: interventions for discovery, pairs to measure, "
                "the shift that reaches a desired mean, the perturbation that reaches a target");
  sub->require_subcommand(1);
  auto commands = std::make_shared<std::vector<Command>>();
  commands->push_back(add_design_interventions(*sub));
  commands->push_back(add_design_pairs(*sub));
  commands->push_back(add_design_shift(*sub));
  commands->push_back(add_design_target(*sub));
  return {sub, [commands]() -> int {
            for (const auto& c : *commands)
              if (c.app->parsed()) return c.run();
            throw UsageError("design needs a subcommand: interventions, pairs, shift or target");
          }};
}

} // namespace cimpute_cli
