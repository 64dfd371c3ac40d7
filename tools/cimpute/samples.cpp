// The input of `cimpute discover` and `cimpute design interventions` (samples.hpp).
#include "samples.hpp"

#include <cimpute/io.hpp>
#include <cimpute/sem/intervention.hpp>
#include <cimpute/sem/linear_gaussian_sem.hpp>

#include <algorithm>
#include <random>

namespace cimpute_cli {

namespace {

// A random DAG (Erdős–Rényi, expected neighbourhood size 2) with a random linear Gaussian SEM
// (weights of random sign, |w| in [0.25, 1], unit noise): `n` observational samples and `n`
// samples under each of a few perfect single-node interventions do(x_t ~ N(2, 0.25)) on distinct
// random nodes.
SimulatedData simulate(int p, int n, std::uint64_t seed) {
  cimpute::Dag truth = cimpute::random_dag(p, std::min(2.0, double(p - 1)), seed);
  SimulatedData s{{}, truth, cimpute::LinearGaussianSem<double>::random(truth, seed + 1)};
  const auto& sem = s.sem;
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

} // namespace

std::vector<std::string> discovery_method_names(bool (*keep)(const cimpute::DiscoveryMethodInfo&)) {
  std::vector<std::string> out;
  for (const auto& m : cimpute::discovery_methods())
    if (!keep || keep(m)) out.push_back(m.name);
  return out;
}
std::string discovery_methods_help(const std::string& intro,
                                   const std::vector<std::string>& names) {
  std::string out = intro;
  for (const auto& n : names) out += "\n  " + n + ": " + cimpute::discovery_method(n).summary;
  return out;
}
bool uses_known_targets(const cimpute::DiscoveryMethodInfo& m) {
  return !m.learns_targets;
}

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

} // namespace cimpute_cli
