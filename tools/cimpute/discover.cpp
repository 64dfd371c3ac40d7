// `cimpute discover`: learn a causal graph from observational + interventional samples (a
// labelled CSV, or simulated data from a planted random DAG), printed as CSV, Graphviz DOT or
// JSON, with bootstrap edge frequencies.
#include "processes.hpp"
#include "progress.hpp"
#include "samples.hpp"

#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/io.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <tuple>

namespace cimpute_cli {

namespace {

// The planted graph to compare the printed one with: the DAG, its CPDAG (PC prints a CPDAG;
// GSP's essential graph), or its I-CPDAG under the true targets (IGSP, UT-IGSP, GIES).
cimpute::Pdag planted_graph(const SimulatedData& s, cimpute::DiscoveryMethod m, bool essential) {
  using M = cimpute::DiscoveryMethod;
  if (m == M::Pc || (essential && m == M::Gsp)) return cimpute::cpdag(s.truth);
  if (essential) return cimpute::interventional_cpdag(s.truth, s.data.targets);
  return cimpute::Pdag(s.truth);
}

int run_discover(DiscoverOptions o) {
  cimpute::DiscoveryOptions& d = o.d;
  if (!o.targets_out.empty() &&
      !cimpute::discovery_method(cimpute::parse_discovery_method(o.method, d.unknown_targets))
           .learns_targets)
    throw UsageError("--targets-out needs --method utigsp (or --unknown-targets)");
  if (!o.stability_out.empty() && d.bootstrap == 0)
    throw UsageError("--stability-out needs --bootstrap B");
  if (!o.alphas.empty() && d.bootstrap == 0)
    throw UsageError("--alphas needs --bootstrap B (stability selection over the levels)");
  if (o.fixed_gaps && o.skeleton.empty() && o.forbid.empty())
    throw UsageError("--fixed-gaps needs --skeleton or --forbid");
  std::unique_ptr<SimulatedData> sim;
  const cimpute::InterventionalData samples = load_input(o, sim);
  d.alphas = o.alphas;
  if (!o.skeleton.empty() || !o.forbid.empty() || !o.require.empty()) {
    cimpute::KnowledgePairs pairs;
    if (!o.skeleton.empty()) {
      pairs.skeleton = cimpute::read_name_pairs(o.skeleton);
      pairs.has_skeleton = true;
    }
    if (!o.forbid.empty()) pairs.forbidden = cimpute::read_name_pairs(o.forbid);
    if (!o.require.empty()) pairs.required = cimpute::read_name_pairs(o.require);
    pairs.fixed_gaps = o.fixed_gaps;
    std::size_t left_out = 0;
    d.knowledge = cimpute::background_knowledge(samples.variables, pairs, &left_out);
    if (!o.quiet && !o.skeleton.empty() && is_root())
      std::fprintf(stderr,
                   "cimpute discover: the skeleton allows %ld of %ld pairs of variables (%zu of "
                   "its %zu pairs name something else and are left out)\n",
                   d.knowledge.allowed_pairs(),
                   long(samples.variables.size()) * long(samples.variables.size() - 1) / 2,
                   left_out, pairs.skeleton.size());
  }

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
  sub->add_option("--alphas", o->alphas,
                  "with --bootstrap: learn every resample at each of these test levels (e.g. "
                  "1e-4,1e-3,1e-2,0.1,0.2,0.3); an edge's frequency is its largest over the "
                  "levels (stability selection over levels)")
      ->delimiter(',')
      ->type_name("LIST")
      ->check(unit_interval(false));
  sub->add_option("--skeleton", o->skeleton,
                  "allowed skeleton: a table whose first two columns name pairs of variables "
                  "(cause,effect or an interactome's protein1,protein2,cost); pairs outside it "
                  "are never adjacent, pairs naming other genes are left out (counted on stderr)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  sub->add_option("--forbid", o->forbid,
                  "pairs never adjacent: a table whose first two columns name variables")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  sub->add_option("--require", o->require,
                  "arcs always present: a table cause,effect (first two columns) of variables; "
                  "a required arc outside the skeleton or a cycle of them is an error")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  sub->add_flag("--fixed-gaps", o->fixed_gaps,
                "gsp / igsp / utigsp: never test the pairs the skeleton or --forbid rules out "
                "(as causaldag's fixed_gaps and the published SARS-CoV-2 analysis): faster, but "
                "orientations inside a correct skeleton are then not identified; without it "
                "those pairs are tested while orders are scored and removed from the result");
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

} // namespace cimpute_cli
