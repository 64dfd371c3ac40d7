// The input of `cimpute discover` and `cimpute design interventions`: the samples (a labelled
// CSV, or simulated data from a planted random DAG), the learner and its options.
#pragma once
#include "cli.hpp"

#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/io/interventional_csv.hpp>
#include <cimpute/sem/linear_gaussian_sem.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cimpute_cli {

struct DiscoverOptions {
  std::string data, method = "igsp", out, targets_out, graph = "dag", stability_out;
  std::string format = "csv", tests = "gaussian", exclude_settings, ignore_columns;
  std::string skeleton, forbid, require; // background knowledge files
  bool fixed_gaps = false;
  std::vector<double> alphas;
  cimpute::InterventionalCsvOptions csv;
  cimpute::DiscoveryOptions d;
  int sim_nodes = 10, sim_samples = 1000;
  std::uint64_t sim_seed = 1;
  bool quiet = false;
};

struct SimulatedData {
  cimpute::InterventionalData data;
  cimpute::Dag truth;
  cimpute::LinearGaussianSem<double> sem; ///< the SEM on `truth` that drew the samples
};

/// The names of the learners of cimpute::discovery_methods() that `keep` accepts (all by default),
/// in table order.
std::vector<std::string>
discovery_method_names(bool (*keep)(const cimpute::DiscoveryMethodInfo&) = nullptr);
/// A help text: `intro`, then one "name: summary" line per learner of `names`.
std::string discovery_methods_help(const std::string& intro, const std::vector<std::string>& names);
/// Learners that orient with the settings' known targets (or need none): design interventions.
bool uses_known_targets(const cimpute::DiscoveryMethodInfo& m);

/// Checks the learner's options and reads (or simulates: then `sim` holds the planted truth) the
/// samples.
cimpute::InterventionalData load_input(DiscoverOptions& o, std::unique_ptr<SimulatedData>& sim);

/// The samples file and its layout (--data, --setting-column, ...).
void add_data_options(CLI::App* sub, DiscoverOptions* o);
/// The learner's options (after --method): tests, search, GIES's penalty, levels, seed.
void add_learner_options(CLI::App* sub, DiscoverOptions* o);
/// The simulated data's options (--sim-*) and --quiet.
void add_sim_options(CLI::App* sub, DiscoverOptions* o);

/// The help footer's sentence on the simulated data.
extern const char* const kSimFooter;

} // namespace cimpute_cli
