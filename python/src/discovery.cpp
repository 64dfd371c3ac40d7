// discovery, graph and sem: interventional data from a table, discover (as `cimpute discover`),
// graphs as adjacency matrices, linear Gaussian SEMs.
#include "common.hpp"

#include <cimpute/discovery/discover.hpp>
#include <cimpute/discovery/intervention_design.hpp>
#include <cimpute/graph/essential_graph.hpp>
#include <cimpute/graph/graph_metrics.hpp>
#include <cimpute/graph/steiner_forest.hpp>
#include <cimpute/io/edge_list.hpp>
#include <cimpute/io/interactome.hpp>
#include <cimpute/io/interventional_csv.hpp>
#include <cimpute/sem/active_matching.hpp>
#include <cimpute/sem/linear_gaussian_sem.hpp>
#include <cimpute/sem/shift_design.hpp>
#include <cimpute/workflow/causal_targets.hpp>

#include <memory>
#include <optional>
#include <tuple>

namespace cimpute_py {
namespace {

// PDAG <-> p x p int matrix: A(i, j) = 1 and A(j, i) = 0 for the arc i -> j, both 1 for an
// undirected edge i - j.
Eigen::MatrixXi pdag_matrix(const cimpute::Pdag& g) {
  const int p = g.num_nodes();
  Eigen::MatrixXi a = Eigen::MatrixXi::Zero(p, p);
  for (const auto& [i, j] : g.arcs()) a(i, j) = 1;
  for (const auto& [i, j] : g.undirected_edges()) a(i, j) = a(j, i) = 1;
  return a;
}

cimpute::Pdag pdag_from(const Eigen::MatrixXi& a, const char* fn) {
  if (a.rows() != a.cols())
    cimpute::detail::throw_invalid(fn, "adjacency must be square, got ", a.rows(), " x ", a.cols());
  cimpute::Pdag g(int(a.rows()));
  for (int i = 0; i < a.rows(); ++i)
    for (int j = i + 1; j < a.cols(); ++j) {
      if ((a(i, j) != 0 && a(i, j) != 1) || (a(j, i) != 0 && a(j, i) != 1))
        cimpute::detail::throw_invalid(fn, "adjacency entries must be 0 or 1");
      if (a(i, j) && a(j, i))
        g.add_undirected(i, j);
      else if (a(i, j))
        g.add_arc(i, j);
      else if (a(j, i))
        g.add_arc(j, i);
    }
  return g;
}

cimpute::Dag dag_from(const Eigen::MatrixXi& a, const char* fn) {
  const cimpute::Pdag p = pdag_from(a, fn);
  if (p.num_undirected() > 0) cimpute::detail::throw_invalid(fn, "a DAG has no undirected edge");
  cimpute::Dag g(p.num_nodes());
  for (const auto& [i, j] : p.arcs()) g.add_arc(i, j); // throws on a cycle
  return g;
}

Eigen::MatrixXi dag_matrix(const cimpute::Dag& g) {
  return pdag_matrix(cimpute::Pdag(g));
}

// rank_targets' rows as dicts (the columns of `cimpute targets --out`, with the gene lists).
py::list target_rows(const std::vector<cimpute::RankedTarget>& targets) {
  py::list rows;
  for (const auto& t : targets) {
    py::dict d;
    d["target"] = t.gene;
    d["drugs"] = t.drugs;
    d["descendants"] = t.descendants;
    d["disease_descendants"] = t.disease_descendants;
    d["score"] = t.score;
    d["possible_descendants"] = t.possible_descendants;
    d["possible_disease_descendants"] = t.possible_disease_descendants;
    d["possible_score"] = t.possible_score;
    d["log2fc"] = t.disease_gene ? py::object(py::float_(t.log2fc)) : py::object(py::none());
    rows.append(d);
  }
  return rows;
}
using DrugTargets = std::vector<std::pair<std::string, std::string>>;

} // namespace

void bind_discovery(py::module_& m) {
  py::class_<cimpute::InterventionalData>(m, "InterventionalData")
      .def_readonly("variables", &cimpute::InterventionalData::variables)
      .def_readonly("observational", &cimpute::InterventionalData::observational)
      .def_readonly("observational_settings", &cimpute::InterventionalData::observational_settings)
      .def_readonly("setting_names", &cimpute::InterventionalData::setting_names)
      .def_readonly("settings", &cimpute::InterventionalData::settings)
      .def_readonly("targets", &cimpute::InterventionalData::targets);
  m.def(
      "interventional_data",
      [](std::vector<std::string> header, std::vector<std::vector<std::string>> rows,
         const std::string& setting, const std::string& target, const std::string& control,
         const std::string& separator, std::vector<std::string> exclude,
         std::vector<std::string> ignore, bool log, const std::string& name) {
        cimpute::DelimitedTable table{std::move(header), std::move(rows), {}};
        for (std::size_t r = 0; r < table.rows.size(); ++r)
          if (table.rows[r].size() != table.header.size())
            throw cimpute::parse_error(name, r + 2,
                                       "expected " + std::to_string(table.header.size()) +
                                           " fields, found " +
                                           std::to_string(table.rows[r].size()));
        cimpute::InterventionalCsvOptions o;
        o.setting_column = setting;
        o.target_column = target;
        o.control = control;
        if (separator.size() != 1)
          throw cimpute::invalid_argument("separator must be one character, got '" + separator +
                                          "'");
        o.separator = separator[0];
        o.exclude_settings = std::move(exclude);
        o.ignore_columns = std::move(ignore);
        o.log = log;
        return cimpute::interventional_data_from_table(table, o, name);
      },
      py::arg("header"), py::arg("rows"), py::arg("setting"), py::arg("target"), py::arg("control"),
      py::arg("separator"), py::arg("exclude"), py::arg("ignore"), py::arg("log"), py::arg("name"));
  m.def(
      "discovery_method_table",
      [] {
        py::list rows;
        for (const auto& x : cimpute::discovery_methods()) {
          py::dict d;
          d["name"] = x.name;
          d["summary"] = x.summary;
          d["uses_tests"] = x.uses_tests;
          d["interventional"] = x.interventional;
          d["learns_targets"] = x.learns_targets;
          rows.append(d);
        }
        return rows;
      },
      "The library's structure-learner table (cimpute::discovery_methods)");
  m.def(
      "discover",
      [](const cimpute::InterventionalData& data, cimpute::DiscoveryOptions d,
         py::object progress) {
        // The rules of `cimpute discover`: igsp with unknown targets is utigsp; at least as many
        // candidate orders as runs.
        d.method = cimpute::parse_discovery_method(cimpute::discovery_method(d.method).name,
                                                   d.unknown_targets);
        d.search.candidates = std::max(d.search.candidates, d.search.runs);
        // Each finished starting order reports: Python is told, Ctrl-C stops the search.
        auto cb = interruptible(progress);
        auto done = std::make_shared<int>(0); // the search reports under a lock
        d.search.progress = [cb, done, runs = d.search.runs](int, int) { cb(++*done, runs); };
        cimpute::DiscoveryResult r;
        {
          py::gil_scoped_release nogil;
          r = cimpute::discover(data, d);
        }
        py::dict out;
        out["graph"] = pdag_matrix(r.graph);
        out["essential"] = pdag_matrix(r.essential);
        out["targets"] = r.targets;
        out["directed_frequency"] = r.directed_frequency;
        out["adjacency_frequency"] = r.adjacency_frequency;
        out["bootstrap"] = r.bootstrap;
        return out;
      },
      py::arg("data"), py::arg("options"), py::arg("progress"));
  m.def(
      "design_interventions",
      [](const cimpute::InterventionalData& data, const cimpute::DiscoveryOptions& d,
         cimpute::InterventionDesignOptions o, const std::vector<std::string>& candidates) {
        const char* fn = "cimpute.design_interventions";
        for (const auto& c : candidates) {
          const auto it = std::find(data.variables.begin(), data.variables.end(), c);
          if (it == data.variables.end())
            cimpute::detail::throw_invalid(fn, "candidate '", c, "' is not a variable");
          o.candidates.push_back(int(it - data.variables.begin()));
        }
        cimpute::InterventionDesign r;
        {
          py::gil_scoped_release nogil;
          r = cimpute::design_interventions(data, d, o);
        }
        py::dict out;
        std::vector<std::string> target;
        std::vector<double> oriented, unoriented;
        for (const auto& c : r.chosen) {
          target.push_back(data.variables[std::size_t(c.node)]);
          oriented.push_back(c.oriented);
          unoriented.push_back(c.unoriented);
        }
        out["target"] = target;
        out["oriented"] = oriented;
        out["unoriented"] = unoriented;
        out["oriented_before"] = r.oriented_before;
        out["unoriented_before"] = r.unoriented_before;
        out["dags"] = r.dags;
        return out;
      },
      py::arg("data"), py::arg("options"), py::arg("design"), py::arg("candidates"));
  m.def(
      "cpdag",
      [](const Eigen::MatrixXi& a) { return pdag_matrix(cimpute::cpdag(dag_from(a, "cpdag"))); },
      py::arg("dag"));
  m.def(
      "interventional_cpdag",
      [](const Eigen::MatrixXi& a, const std::vector<std::vector<int>>& targets) {
        return pdag_matrix(
            cimpute::interventional_cpdag(dag_from(a, "interventional_cpdag"), targets));
      },
      py::arg("dag"), py::arg("targets"));
  m.def(
      "shd",
      [](const Eigen::MatrixXi& a, const Eigen::MatrixXi& b) {
        return cimpute::shd(pdag_from(a, "shd"), pdag_from(b, "shd"));
      },
      py::arg("a"), py::arg("b"));
  // Background knowledge from named pairs, each (a, b, file, line): as `cimpute discover`.
  using Named = std::vector<std::tuple<std::string, std::string, std::string, std::size_t>>;
  m.def(
      "read_name_pairs",
      [](const std::string& path) {
        Named out;
        for (const auto& p : cimpute::read_name_pairs(path))
          out.emplace_back(p.a, p.b, p.file, p.line);
        return out;
      },
      py::arg("path"));
  m.def(
      "set_knowledge",
      [](cimpute::DiscoveryOptions& o, const std::vector<std::string>& variables,
         const std::optional<Named>& skeleton, const Named& forbidden, const Named& required,
         bool fixed_gaps) {
        auto convert = [](const Named& in) {
          std::vector<cimpute::KnowledgePairs::Pair> out;
          for (const auto& [a, b, file, line] : in) out.push_back({a, b, file, line});
          return out;
        };
        cimpute::KnowledgePairs pairs;
        if (skeleton) {
          pairs.skeleton = convert(*skeleton);
          pairs.has_skeleton = true;
        }
        pairs.forbidden = convert(forbidden);
        pairs.required = convert(required);
        pairs.fixed_gaps = fixed_gaps;
        std::size_t left_out = 0;
        o.knowledge = cimpute::background_knowledge(variables, pairs, &left_out);
        return left_out;
      },
      py::arg("options"), py::arg("variables"), py::arg("skeleton"), py::arg("forbidden"),
      py::arg("required"), py::arg("fixed_gaps"));
  // The prize-collecting Steiner forest (cimpute.steiner_forest builds on these).
  using cimpute::UndirectedNetwork;
  py::class_<UndirectedNetwork>(m, "UndirectedNetwork")
      .def(py::init<>())
      .def(
          "add_edge",
          [](UndirectedNetwork& g, const std::string& a, const std::string& b, double cost) {
            return g.add_edge(a, b, cost);
          },
          py::arg("a"), py::arg("b"), py::arg("cost"))
      .def("add_node", &UndirectedNetwork::add_node, py::arg("name"))
      .def_property_readonly("names", &UndirectedNetwork::names)
      .def_property_readonly("degrees", &UndirectedNetwork::degrees)
      .def_property_readonly("edges", [](const UndirectedNetwork& g) {
        std::vector<std::tuple<std::string, std::string, double>> out;
        for (const auto& e : g.edges()) out.emplace_back(g.name(e.a), g.name(e.b), e.cost);
        return out;
      });
  m.def(
      "read_interactome",
      [](const std::string& path) {
        auto r = cimpute::read_interactome(path);
        return py::make_tuple(std::move(r.network), r.repeated_pairs, r.self_loops);
      },
      py::arg("path"));
  m.def(
      "read_node_prizes",
      [](const std::string& path, const UndirectedNetwork& g) {
        auto r = cimpute::read_node_prizes(path, g);
        return py::make_tuple(r.prizes, r.absent, r.repeated);
      },
      py::arg("path"), py::arg("network"));
  m.def(
      "steiner_forest",
      [](const UndirectedNetwork& g, const Eigen::VectorXd& prizes, double w, double b, double gg,
         bool hub_penalty, const std::string& root_edges, int runs, double noise,
         std::uint64_t seed) {
        cimpute::SteinerForestOptions o;
        o.w = w;
        o.b = b;
        o.g = gg;
        o.hub_penalty = hub_penalty;
        if (root_edges == "terminals")
          o.root_edges = cimpute::RootEdges::Terminals;
        else if (root_edges == "others")
          o.root_edges = cimpute::RootEdges::Others;
        else if (root_edges == "all")
          o.root_edges = cimpute::RootEdges::All;
        else
          cimpute::detail::throw_invalid("steiner_forest",
                                         "root_edges must be terminals, others "
                                         "or all, got '",
                                         root_edges, "'");
        const cimpute::SteinerForest f = [&] {
          py::gil_scoped_release release;
          return cimpute::steiner_forest(g, prizes, o);
        }();
        py::dict out;
        out["nodes"] = f.nodes;
        out["edges"] = f.edges;
        out["trees"] = f.trees;
        out["objective"] = f.objective;
        out["lower_bound"] = f.lower_bound;
        out["costs"] = Eigen::VectorXd(cimpute::steiner_edge_costs(g, o));
        if (runs > 0) {
          py::gil_scoped_release release;
          const auto r = cimpute::steiner_forest_robustness(g, prizes, o, runs, noise, seed);
          py::gil_scoped_acquire acquire;
          out["node_frequency"] = r.node_frequency;
          out["edge_frequency"] = r.edge_frequency;
        }
        return out;
      },
      py::arg("network"), py::arg("prizes"), py::arg("w"), py::arg("b"), py::arg("g"),
      py::arg("hub_penalty"), py::arg("root_edges"), py::arg("runs"), py::arg("noise"),
      py::arg("seed"));
  m.def(
      "random_dag",
      [](int p, double degree, std::uint64_t seed) {
        return dag_matrix(cimpute::random_dag(p, degree, seed));
      },
      py::arg("p"), py::arg("expected_degree"), py::arg("seed"));
  using Sem = cimpute::LinearGaussianSem<double>;
  py::class_<Sem>(m, "LinearGaussianSem")
      .def_static(
          "random",
          [](const Eigen::MatrixXi& a, std::uint64_t seed) {
            return Sem::random(dag_from(a, "LinearGaussianSem.random"), seed);
          },
          py::arg("dag"), py::arg("seed"))
      .def(py::init([](const Eigen::MatrixXi& a, const Eigen::MatrixXd& B,
                       const Eigen::VectorXd& mu, const Eigen::VectorXd& variances) {
             return Sem(dag_from(a, "LinearGaussianSem"), B, mu, variances);
           }),
           py::arg("dag"), py::arg("weights"), py::arg("noise_means"), py::arg("noise_variances"))
      .def_static(
          "fit",
          [](const Eigen::MatrixXi& a, const Eigen::MatrixXd& X,
             const Eigen::MatrixXi& intervened) {
            py::gil_scoped_release nogil;
            return Sem::fit(dag_from(a, "LinearGaussianSem.fit"), X, intervened);
          },
          py::arg("dag"), py::arg("X"), py::arg("intervened") = Eigen::MatrixXi())
      .def_property_readonly("weights", [](const Sem& s) { return Eigen::MatrixXd(s.weights()); })
      .def_property_readonly("noise_means",
                             [](const Sem& s) { return Eigen::VectorXd(s.noise_means()); })
      .def_property_readonly("noise_variances",
                             [](const Sem& s) { return Eigen::VectorXd(s.noise_variances()); })
      .def(
          "mean",
          [](const Sem& s, const Eigen::VectorXd& shift) {
            if (shift.size() == 0) return Eigen::VectorXd(s.mean());
            if (shift.size() != s.num_nodes())
              throw cimpute::invalid_argument("LinearGaussianSem.mean: a shift of " +
                                              std::to_string(shift.size()) + " entries for " +
                                              std::to_string(s.num_nodes()) + " nodes");
            cimpute::Intervention iv;
            for (int v = 0; v < s.num_nodes(); ++v)
              if (shift[v] != 0.0)
                iv.targets.push_back({v, cimpute::InterventionKind::Shift, 0, 0, shift[v], 1, 1});
            return Eigen::VectorXd(s.mean(iv));
          },
          py::arg("shift") = Eigen::VectorXd())
      .def(
          "sample",
          [](const Sem& s, Eigen::Index n, std::uint64_t seed, const std::vector<int>& targets,
             double value, double variance) {
            py::gil_scoped_release nogil;
            if (targets.empty()) return Eigen::MatrixXd(s.sample(n, seed));
            return Eigen::MatrixXd(
                s.sample(n, seed, cimpute::Intervention::perfect(targets, value, variance)));
          },
          py::arg("n"), py::arg("seed"), py::arg("targets") = std::vector<int>{},
          py::arg("value") = 0.0, py::arg("variance") = 1.0);
  m.def(
      "shift_design",
      [](const Sem& s, const Eigen::VectorXd& desired, int max_targets) {
        const cimpute::ShiftDesign d = max_targets > 0
                                           ? cimpute::best_shift(s, desired, max_targets)
                                           : cimpute::exact_shift(s, desired);
        py::dict out;
        out["targets"] = d.targets;
        out["shift"] = d.shift;
        out["mean"] = d.mean;
        out["distance"] = d.distance;
        out["relative"] = d.relative;
        return out;
      },
      py::arg("sem"), py::arg("desired"), py::arg("max_targets") = 0);
  m.def(
      "shift_matching",
      [](const Sem& truth, const std::optional<Eigen::MatrixXi>& graph,
         const Eigen::VectorXd& desired, const std::string& acquisition, int rounds,
         Eigen::Index samples_per_round, Eigen::Index observational, double prior_precision,
         bool population, double tolerance, double credible, std::uint64_t seed,
         const std::vector<int>& planted, int class_members) {
        if (class_members < 1)
          throw cimpute::invalid_argument("shift_matching: class_members must be >= 1, got " +
                                          std::to_string(class_members));
        cimpute::ShiftMatchingOptions o;
        o.acquisition = cimpute::parse_shift_acquisition(acquisition);
        o.rounds = rounds;
        o.samples_per_round = samples_per_round;
        o.observational = observational;
        o.prior_precision = prior_precision;
        o.population = population;
        o.tolerance = tolerance;
        o.credible = credible;
        o.seed = seed;
        const cimpute::Dag g = graph ? dag_from(*graph, "shift_matching") : truth.graph();
        cimpute::ShiftMatchingRun run;
        {
          py::gil_scoped_release nogil;
          if (class_members > 1)
            run = cimpute::simulate_shift_matching(
                truth, cimpute::dag_and_class_members(g, class_members, seed), desired, o, planted);
          else
            run = cimpute::simulate_shift_matching(truth, g, desired, o, planted);
        }
        py::list curve;
        for (const auto& r : run.rounds)
          curve.append(py::make_tuple(r.intervention, r.relative_distance, r.targets, r.spread,
                                      r.graph, r.graph_weight));
        py::dict out;
        out["rounds"] = curve;
        out["initial_relative_distance"] = run.initial_relative_distance;
        out["rounds_to_tolerance"] = run.rounds_to_tolerance;
        out["rounds_to_targets"] = run.rounds_to_targets;
        out["targets"] = run.recommended.targets;
        out["shift"] = run.recommended.shift;
        out["relative"] = run.recommended.relative;
        return out;
      },
      py::arg("truth"), py::arg("graph"), py::arg("desired"), py::arg("acquisition"),
      py::arg("rounds"), py::arg("samples_per_round"), py::arg("observational"),
      py::arg("prior_precision"), py::arg("population"), py::arg("tolerance"), py::arg("credible"),
      py::arg("seed"), py::arg("planted"), py::arg("class_members") = 1);
  // Causal drug targets (cimpute.rank_targets and cimpute.targets build on these).
  m.def("read_drug_targets", &cimpute::read_drug_targets, py::arg("path"));
  m.def(
      "rank_targets",
      [](const Eigen::MatrixXi& a, const std::vector<std::string>& names,
         const std::vector<std::string>& ids, const Eigen::VectorXd& values,
         const DrugTargets& drugs) {
        return target_rows(cimpute::rank_targets(pdag_from(a, "rank_targets"), names,
                                                 cimpute::GeneSignature{ids, values}, drugs));
      },
      py::arg("graph"), py::arg("names"), py::arg("signature_ids"), py::arg("signature_values"),
      py::arg("drug_targets"));
  m.def(
      "causal_targets",
      [](const Eigen::MatrixXd& cells, const std::vector<std::string>& genes,
         const UndirectedNetwork& network, const std::vector<std::string>& ids,
         const Eigen::VectorXd& values, const DrugTargets& drugs, cimpute::DiscoveryOptions d,
         double min_expressed, double threshold, bool fixed_gaps, double w, double b, double g,
         const std::optional<Eigen::VectorXd>& prizes, py::object progress) {
        cimpute::CausalTargetsOptions o;
        o.discovery = std::move(d);
        // As cimpute targets: at least as many candidate orders as runs.
        o.discovery.search.candidates =
            std::max(o.discovery.search.candidates, o.discovery.search.runs);
        o.discovery.bootstrap_progress = interruptible(progress);
        o.min_expressed = min_expressed;
        o.threshold = threshold;
        o.fixed_gaps = fixed_gaps;
        o.steiner.w = w;
        o.steiner.b = b;
        o.steiner.g = g;
        cimpute::CausalTargetsResult r;
        {
          py::gil_scoped_release nogil;
          r = cimpute::causal_targets(cells, genes, network, cimpute::GeneSignature{ids, values},
                                      drugs, o, prizes);
        }
        py::dict out;
        out["genes"] = r.genes;
        out["unexpressed"] = r.unexpressed;
        out["outside_network"] = r.outside_network;
        out["skeleton_left_out"] = r.skeleton_left_out;
        out["forest"] = r.forest;
        out["graph"] = pdag_matrix(r.stable);
        out["adjacency_frequency"] = r.discovery.adjacency_frequency;
        out["directed_frequency"] = r.discovery.directed_frequency;
        py::list edges;
        for (const auto& e : cimpute::edge_frequencies(r))
          edges.append(py::make_tuple(e.cause, e.effect, e.frequency));
        out["edges"] = edges;
        out["targets"] = target_rows(r.targets);
        out["signature_genes_in_graph"] = r.signature_genes_in_graph;
        return out;
      },
      py::arg("cells"), py::arg("genes"), py::arg("network"), py::arg("signature_ids"),
      py::arg("signature_values"), py::arg("drug_targets"), py::arg("discovery"),
      py::arg("min_expressed"), py::arg("threshold"), py::arg("fixed_gaps"), py::arg("w"),
      py::arg("b"), py::arg("g"), py::arg("prizes"), py::arg("progress"));
}

} // namespace cimpute_py
