// `cimpute discover`: learn a causal graph from observational + interventional samples (a
// labelled CSV, or simulated data from a planted random DAG), printed as CSV, Graphviz DOT or
// JSON, with bootstrap edge frequencies.
#include "cli.hpp"
#include "processes.hpp"
#include "progress.hpp"

#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/io.hpp>
#include <cimpute/sem/intervention.hpp>
#include <cimpute/sem/linear_gaussian_sem.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <tuple>

namespace cimpute_cli {

namespace {

struct DiscoverOptions {
  std::string data, method = "igsp", out, targets_out, graph = "dag", stability_out;
  std::string format = "csv", tests = "gaussian", exclude_settings, ignore_columns;
  cimpute::InterventionalCsvOptions csv;
  cimpute::DiscoveryOptions d;
  int sim_nodes = 10, sim_samples = 1000;
  std::uint64_t sim_seed = 1;
  bool quiet = false;
};

// ------------------------------------------------------------------- simulated interventions

struct SimulatedData {
  cimpute::InterventionalData data;
  cimpute::Dag truth;
};

// A random DAG (Erdős–Rényi, expected neighbourhood size 2) with a random linear Gaussian SEM
// (weights of random sign, |w| in [0.25, 1], unit noise): `n` observational samples and `n`
// samples under each of a few perfect single-node interventions do(x_t ~ N(2, 0.25)) on distinct
// random nodes.
SimulatedData simulate(int p, int n, std::uint64_t seed) {
  SimulatedData s{{}, cimpute::random_dag(p, std::min(2.0, double(p - 1)), seed)};
  const auto sem = cimpute::LinearGaussianSem<double>::random(s.truth, seed + 1);
  cimpute::InterventionalData& d = s.data;
  for (int v = 0; v < p; ++v) d.variables.push_back("x" + std::to_string(v));
  d.observational = sem.sample(n, seed + 2);
  d.observational_settings = {"observational"};
  std::vector<int> nodes(static_cast<std::size_t>(p));
  for (int v = 0; v < p; ++v) nodes[std::size_t(v)] = v;
  std::mt19937_64 rng(seed + 3);
  std::shuffle(nodes.begin(), nodes.end(), rng);
  nodes.resize(std::size_t(std::max(1, std::min(5, p / 2))));
  std::sort(nodes.begin(), nodes.end());
  for (std::size_t k = 0; k < nodes.size(); ++k) {
    const int t = nodes[k];
    d.settings.push_back(
        sem.sample(n, seed + 10 + k, cimpute::Intervention::perfect({t}, 2.0, 0.25)));
    d.setting_names.push_back("do(" + d.variables[std::size_t(t)] + ")");
    d.targets.push_back({t});
  }
  return s;
}

// The planted graph to compare the printed one with: the DAG, its CPDAG (PC prints a CPDAG;
// GSP's essential graph), or its I-CPDAG under the true targets (IGSP, UT-IGSP, GIES).
cimpute::Pdag planted_graph(const SimulatedData& s, cimpute::DiscoveryMethod m, bool essential) {
  using M = cimpute::DiscoveryMethod;
  if (m == M::Pc || (essential && m == M::Gsp)) return cimpute::cpdag(s.truth);
  if (essential) return cimpute::interventional_cpdag(s.truth, s.data.targets);
  return cimpute::Pdag(s.truth);
}

// The names of the learners of cimpute::discovery_methods() that `keep` accepts (all by default),
// in table order.
std::vector<std::string>
discovery_method_names(bool (*keep)(const cimpute::DiscoveryMethodInfo&) = nullptr) {
  std::vector<std::string> out;
  for (const auto& m : cimpute::discovery_methods())
    if (!keep || keep(m)) out.push_back(m.name);
  return out;
}
// A help text: `intro`, then one "name: summary" line per learner of `names`.
std::string discovery_methods_help(const std::string& intro,
                                   const std::vector<std::string>& names) {
  std::string out = intro;
  for (const auto& n : names) out += "\n  " + n + ": " + cimpute::discovery_method(n).summary;
  return out;
}
// Learners that orient with the settings' known targets (or need none): design interventions.
bool uses_known_targets(const cimpute::DiscoveryMethodInfo& m) {
  return !m.learns_targets;
}

// ----------------------------------------------------------------------------------- command

// Checks the learner's options and reads (or simulates) the samples: shared by `discover` and
// `design interventions`.
cimpute::InterventionalData load_input(DiscoverOptions& o, std::unique_ptr<SimulatedData>& sim) {
  cimpute::DiscoveryOptions& d = o.d;
  d.method = cimpute::parse_discovery_method(o.method, d.unknown_targets);
  o.method = cimpute::discovery_method(d.method).name; // igsp with --unknown-targets: utigsp
  d.tests = cimpute::parse_discovery_tests(o.tests);
  d.search.candidates = std::max(d.search.candidates, d.search.runs);
  o.csv.exclude_settings = split(o.exclude_settings, ',');
  o.csv.ignore_columns = split(o.ignore_columns, ',');
  if (!o.data.empty()) return cimpute::read_interventional_csv(o.data, o.csv);
  sim = std::make_unique<SimulatedData>(simulate(o.sim_nodes, o.sim_samples, o.sim_seed));
  std::string targets;
  for (const auto& s : sim->data.setting_names) targets += (targets.empty() ? "" : ", ") + s;
  note(o.quiet, format("no --data: simulated interventional data: random DAG of %d nodes "
                       "(%d arcs), linear Gaussian SEM, %d observational samples and %d per "
                       "perfect intervention %s, seed %llu",
                       o.sim_nodes, sim->truth.num_arcs(), o.sim_samples, o.sim_samples,
                       targets.c_str(), static_cast<unsigned long long>(o.sim_seed)));
  return sim->data;
}

int run_discover(DiscoverOptions o) {
  cimpute::DiscoveryOptions& d = o.d;
  if (!o.targets_out.empty() &&
      !cimpute::discovery_method(cimpute::parse_discovery_method(o.method, d.unknown_targets))
           .learns_targets)
    throw UsageError("--targets-out needs --method utigsp (or --unknown-targets)");
  if (!o.stability_out.empty() && d.bootstrap == 0)
    throw UsageError("--stability-out needs --bootstrap B");
  std::unique_ptr<SimulatedData> sim;
  const cimpute::InterventionalData samples = load_input(o, sim);

  // Progress: the search's starting orders (not PC or GIES), then the bootstrap resamples.
  const bool searched =
      d.method != cimpute::DiscoveryMethod::Pc && d.method != cimpute::DiscoveryMethod::Gies;
  const int main_steps = searched ? d.search.runs : 0;
  const long steps = long(main_steps) + d.bootstrap;
  auto progress = std::make_unique<ProgressLine>("cimpute discover", steps,
                                                 steps > 0 && ProgressLine::wanted(o.quiet));
  int search_done = 0;
  if (searched) {
    progress->start("search run 1/" + std::to_string(main_steps));
    d.search.progress = [&](int, int) {
      ++search_done;
      std::string next; // the step now running
      if (search_done < main_steps)
        next = "search run " + std::to_string(search_done + 1) + "/" + std::to_string(main_steps);
      else if (d.bootstrap > 0)
        next = "bootstrap 1/" + std::to_string(d.bootstrap);
      progress->set_done(search_done, next);
    };
  } else if (d.bootstrap > 0)
    progress->start(o.method + " on all samples");
  if (d.bootstrap > 0)
    d.bootstrap_progress = [&, main_steps, quiet = o.quiet](int done, int total) {
      progress->set_done(main_steps + done, "bootstrap " +
                                                std::to_string(std::min(done + 1, total)) + "/" +
                                                std::to_string(total));
      if (done == total) {
        progress->finish();
        if (!quiet) std::fprintf(stderr, "cimpute discover: %d bootstrap resamples done\n", total);
      }
    };
  const cimpute::DiscoveryResult res = cimpute::discover(samples, d, processes());
  if (!is_root()) return 0; // one process prints and writes
  progress.reset();

  const bool essential = o.graph == "essential";
  const cimpute::Pdag& learned = essential ? res.essential : res.graph;
  // PC's graph is its CPDAG; the other methods' graph is a DAG.
  const bool dag = !essential && d.method != cimpute::DiscoveryMethod::Pc;
  if (o.format == "csv") {
    cimpute::write_edge_list(std::cout, learned, samples.variables);
  } else if (o.format == "dot") {
    const std::string description = "cimpute discover: " + o.method + ", " +
                                    (dag ? "DAG" : "essential graph (undirected edges: dir=none)") +
                                    ", " + std::to_string(samples.variables.size()) + " variables";
    cimpute::write_graph_dot(std::cout, learned, samples.variables, res, dag, description);
  } else {
    cimpute::write_graph_json(std::cout, learned, samples.variables, res, dag);
  }
  std::cout.flush();
  if (!o.out.empty()) cimpute::write_edge_list(o.out, learned, samples.variables);
  if (!o.targets_out.empty()) cimpute::write_targets(o.targets_out, samples, res.targets);
  if (!o.stability_out.empty()) cimpute::write_stability(o.stability_out, res, samples.variables);
  if (sim) {
    const cimpute::Pdag truth = planted_graph(*sim, d.method, essential);
    std::fprintf(stderr,
                 "cimpute discover: structural Hamming distance %d to the planted %s (%d edges; "
                 "the learned one has %d)\n",
                 cimpute::shd(learned, truth), dag ? "DAG" : "essential graph",
                 truth.num_arcs() + truth.num_undirected(),
                 learned.num_arcs() + learned.num_undirected());
  }
  return 0;
}

// The input options of `discover` and `design interventions`: the samples file and its layout.
void add_data_options(CLI::App* sub, DiscoverOptions* o) {
  sub->add_option("--data", o->data,
                  "samples x variables CSV / TSV with label columns (e.g. Sachs); without "
                  "--data, simulated interventional data from a planted random DAG (see the "
                  "--sim-* options)")
      ->type_name("FILE");
  sub->add_option("--setting-column", o->csv.setting_column,
                  "the column naming each sample's setting")
      ->type_name("COLUMN")
      ->capture_default_str();
  sub->add_option("--target-column", o->csv.target_column,
                  "its intervention target(s), ';'-separated")
      ->type_name("COLUMN")
      ->capture_default_str();
  sub->add_option("--control", o->csv.control, "the target value of observational samples")
      ->type_name("VALUE")
      ->capture_default_str();
  sub->add_option("--exclude-settings", o->exclude_settings, "settings to leave out")
      ->type_name("A,B");
  sub->add_option("--ignore-columns", o->ignore_columns, "other label columns to skip")
      ->type_name("A,B");
  sub->add_flag("--log", o->csv.log, "natural log of the values");
}

// The learner's options (after --method): tests, search, GIES's penalty, levels, seed.
void add_learner_options(CLI::App* sub, DiscoverOptions* o) {
  sub->add_option("--tests", o->tests, "gaussian (Fisher z) or kernel (HSIC; nonlinear data)")
      ->check(CLI::IsMember({"gaussian", "kernel"}))
      ->capture_default_str();
  sub->add_option("--max-samples", o->d.hsic.max_samples, "kernel tests: samples used per test")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--depth", o->d.search.depth, "search depth")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--runs", o->d.search.runs, "starting orders searched")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--lambda", o->d.gies.lambda,
                  "gies: penalty (lambda / 2) log n per parameter; 1 is BIC, larger gives "
                  "sparser graphs")
      ->check(non_negative_number())
      ->capture_default_str();
  sub->add_option("--alpha", o->d.search.alpha, "CI test level")
      ->check(unit_interval(false))
      ->capture_default_str();
  sub->add_option("--alpha-inv", o->d.search.alpha_invariance, "invariance test level")
      ->check(unit_interval(false))
      ->capture_default_str();
  sub->add_option("--seed", o->d.search.seed, "seed of the starting orders and the resamples")
      ->check(non_negative_integer())
      ->capture_default_str();
}

void add_sim_options(CLI::App* sub, DiscoverOptions* o) {
  sub->add_option("--sim-nodes", o->sim_nodes, "without --data: variables of the random DAG")
      ->check(integer_at_least(2))
      ->capture_default_str();
  sub->add_option("--sim-samples", o->sim_samples,
                  "without --data: samples of each setting (the observational one and each "
                  "intervention)")
      ->check(integer_at_least(10))
      ->capture_default_str();
  sub->add_option("--sim-seed", o->sim_seed, "without --data: seed of the graph, SEM and samples")
      ->check(non_negative_integer())
      ->capture_default_str();
  add_quiet_flag(*sub, o->quiet);
}

const char* const kSimFooter =
    "Simulated data: variables x0, x1, ... on an Erdos-Renyi DAG (expected degree 2) with a random "
    "linear Gaussian SEM, observational samples and perfect interventions do(x ~ N(2, 0.25)) on "
    "up to 5 random nodes";

} // namespace

Command add_discover(CLI::App& cimpute) {
  auto o = std::make_shared<DiscoverOptions>();
  CLI::App* sub = cimpute.add_subcommand(
      "discover", "learn a causal graph from observational + interventional samples");
  add_data_options(sub, o.get());
  sub->add_option("--method", o->method,
                  discovery_methods_help("the structure learner:", discovery_method_names()))
      ->check(CLI::IsMember(discovery_method_names()))
      ->capture_default_str();
  sub->add_flag("--unknown-targets", o->d.unknown_targets,
                "ignore the target column (runs utigsp when --method igsp)");
  add_learner_options(sub, o.get());
  sub->add_option("--graph", o->graph,
                  "dag, or essential: the interventional essential graph (I-CPDAG), whose "
                  "undirected edges are the orientations the data cannot decide; pc always "
                  "gives its CPDAG")
      ->check(CLI::IsMember({"dag", "essential"}))
      ->capture_default_str();
  sub->add_option("--bootstrap", o->d.bootstrap,
                  "also rerun on B bootstrap resamples (stability selection); dot and json then "
                  "give each edge's frequency: the fraction of resamples whose essential graph "
                  "agrees with it (has the arc, or, for an arc of a DAG, leaves it unoriented; "
                  "for an undirected edge, has the adjacency)")
      ->type_name("B")
      ->check(integer_at_least(0))
      ->capture_default_str();
  sub->add_option("--stability-out", o->stability_out,
                  "with --bootstrap: CSV cause,effect,directed,adjacent (fractions of resamples; "
                  "one row per ordered adjacent pair)")
      ->type_name("FILE")
      ->check(output_path());
  sub->add_option("--format", o->format,
                  "csv: cause,effect lines (an undirected edge both ways); dot: Graphviz, "
                  "undirected edges as dir=none, bootstrap frequencies as edge labels; json: "
                  "{\"variables\": [...], \"edges\": [{\"cause\", \"effect\", \"directed\", "
                  "\"frequency\" (with --bootstrap)}]}")
      ->check(CLI::IsMember({"csv", "dot", "json"}))
      ->capture_default_str();
  sub->add_option("--out", o->out, "also write the edges there (CSV cause,effect)")
      ->type_name("FILE")
      ->check(output_path());
  sub->add_option("--targets-out", o->targets_out,
                  "(utigsp) write the learned targets there (CSV setting,target)")
      ->type_name("FILE")
      ->check(output_path());
  add_sim_options(sub, o.get());
  sub->footer(std::string("Prints the learned graph on stdout. ") + kSimFooter +
              "; the last line on stderr is then the structural Hamming distance to the planted "
              "graph (its DAG, CPDAG or I-CPDAG, as printed).");
  return {sub, [o] { return run_discover(*o); }};
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

} // namespace cimpute_cli
