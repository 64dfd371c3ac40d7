// The `discover` entry point: essential graphs under the known / learned targets, bootstrap
// stability selection on a planted SEM, UT-IGSP with partially known targets (oracle), and the
// same results on one and two threads.
#include "oracles.hpp"
#include "planted.hpp"

#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/io/discovery_results.hpp>
#include <cimpute/io/edge_list.hpp>
#include <cimpute/io/interventional_csv.hpp>
#include <cimpute/sem.hpp>

#include <catch2/catch.hpp>

#include <sstream>

#if CIMPUTE_HAS_OPENMP
#include <omp.h>
#endif

using cimpute_test::DSeparationOracle;
using cimpute_test::InvarianceOracle;

namespace {
// Observational + 4 single-node shift settings of a random linear SEM.
cimpute::InterventionalData planted(const cimpute::Dag& g, Eigen::Index n, std::uint64_t seed) {
  return cimpute_test::planted_data(g, n, seed, 4, false);
}

void set_threads(int t) {
#if CIMPUTE_HAS_OPENMP
  omp_set_num_threads(t);
#else
  (void)t;
#endif
}
} // namespace

TEST_CASE("utigsp with partially known targets finds the I-MEC and the hidden off-targets",
          "[discovery][utigsp]") {
  int found = 0, targets_found = 0;
  for (std::uint64_t seed = 0; seed < 15; ++seed) {
    const cimpute::Dag g = cimpute::random_dag(8, 2, 180 + seed);
    std::vector<std::vector<int>> known, actual;
    for (int k = 0; k < 3; ++k) {
      const int t = int((seed + 3 * std::uint64_t(k)) % 8), off = int((seed + 2 * k + 1) % 8);
      known.push_back({t});
      std::vector<int> a{t};
      if (off != t) a.push_back(off);
      std::sort(a.begin(), a.end());
      actual.push_back(a);
    }
    const auto ut = cimpute::utigsp(DSeparationOracle{g}, InvarianceOracle{g, actual, known});
    found +=
        cimpute::interventional_cpdag(ut.dag, actual) == cimpute::interventional_cpdag(g, actual);
    targets_found += ut.targets == actual;
  }
  CHECK(found == 15);
  CHECK(targets_found == 15);
}

TEST_CASE("discovery_methods: the table the front ends read", "[discovery][api]") {
  const cimpute::Dag g = cimpute::random_dag(6, 1.5, 7);
  const auto data = planted(g, 500, 8);
  std::vector<cimpute::DiscoveryMethod> seen;
  for (const auto& row : cimpute::discovery_methods()) {
    INFO(row.name);
    CHECK(cimpute::parse_discovery_method(row.name) == row.method);
    CHECK(&cimpute::discovery_method(row.method) == &row);
    CHECK_FALSE(row.summary.empty());
    seen.push_back(row.method);
    // The capabilities are what discover does: interventional learners report targets (known
    // or learned), the others none.
    cimpute::DiscoveryOptions o;
    o.method = row.method;
    const auto r = cimpute::discover(data, o);
    CHECK(r.targets.empty() == !row.interventional);
    if (row.interventional && !row.learns_targets) CHECK(r.targets == data.targets);
  }
  CHECK(seen.size() == 5); // every enumerator has its row
  CHECK(cimpute::discovery_methods().front().method == cimpute::DiscoveryOptions{}.method);
  // --unknown-targets: igsp runs UT-IGSP; the other names are unchanged.
  CHECK(cimpute::parse_discovery_method("igsp", true) == cimpute::DiscoveryMethod::Utigsp);
  CHECK(cimpute::parse_discovery_method("gies", true) == cimpute::DiscoveryMethod::Gies);
  CHECK_THROWS_WITH(cimpute::parse_discovery_method("bogus"),
                    Catch::Contains("unknown method 'bogus'") && Catch::Contains("utigsp"));
}

TEST_CASE("discover: essential graphs, bootstrap stability, thread-count independence",
          "[discovery][discover]") {
  const cimpute::Dag g = cimpute::random_dag(8, 1.5, 41);
  const auto data = planted(g, 2000, 42);
  cimpute::DiscoveryOptions o;
  o.search.alpha = 1e-3;
  o.search.alpha_invariance = 1e-3;

  for (auto m : {cimpute::DiscoveryMethod::Pc, cimpute::DiscoveryMethod::Gsp,
                 cimpute::DiscoveryMethod::Igsp, cimpute::DiscoveryMethod::Utigsp}) {
    o.method = m;
    const auto r = cimpute::discover(data, o);
    INFO("method " << int(m));
    CHECK(r.bootstrap == 0);
    CHECK(r.directed_frequency.size() == 0);
    if (m == cimpute::DiscoveryMethod::Pc) {
      CHECK(r.essential == r.graph);
      continue;
    }
    CHECK(r.graph.num_undirected() == 0);
    cimpute::Dag dag(8);
    for (auto [i, j] : r.graph.arcs()) dag.add_arc(i, j);
    CHECK(r.essential == cimpute::interventional_cpdag(dag, r.targets));
    if (m == cimpute::DiscoveryMethod::Igsp) CHECK(r.targets == data.targets);
    if (m == cimpute::DiscoveryMethod::Gsp) CHECK(r.targets.empty());
    if (m == cimpute::DiscoveryMethod::Utigsp)
      for (std::size_t k = 0; k < r.targets.size(); ++k) // known targets are kept
        CHECK(std::includes(r.targets[k].begin(), r.targets[k].end(), data.targets[k].begin(),
                            data.targets[k].end()));
  }

  o.method = cimpute::DiscoveryMethod::Igsp;
  o.bootstrap = 12;
  int progress_calls = 0;
  o.bootstrap_progress = [&](int done, int total) {
    ++progress_calls;
    CHECK(total == 12);
    CHECK(done <= total);
  };
  set_threads(1);
  const auto one = cimpute::discover(data, o);
  set_threads(2);
  const auto two = cimpute::discover(data, o);
  CHECK(progress_calls == 24);
  CHECK(one.bootstrap == 12);
  CHECK(one.directed_frequency == two.directed_frequency);
  CHECK(one.adjacency_frequency == two.adjacency_frequency);
  CHECK(one.graph == two.graph);
  CHECK(one.adjacency_frequency.isApprox(one.adjacency_frequency.transpose()));
  CHECK((one.directed_frequency + one.directed_frequency.transpose()).cwiseMax(0).maxCoeff() <=
        1.0 + 1e-12);
  // The true skeleton is stable: every true adjacency in most resamples, few false ones.
  const cimpute::Pdag stable = cimpute::stable_edges(one, 0.7);
  int true_adj = 0, false_adj = 0;
  for (int i = 0; i < 8; ++i)
    for (int j = i + 1; j < 8; ++j)
      if (stable.adjacent(i, j)) (g.has_arc(i, j) || g.has_arc(j, i) ? true_adj : false_adj) += 1;
  INFO("true arcs " << g.num_arcs() << ", stable true " << true_adj << ", stable false "
                    << false_adj);
  CHECK(true_adj >= g.num_arcs() - 1);
  CHECK(false_adj <= 1);
  // An arc of the essential graph that is stable points the true way.
  for (auto [i, j] : stable.arcs()) CHECK(g.has_arc(i, j));
}

TEST_CASE("igsp and utigsp give the same DAG on one and two threads", "[discovery][igsp]") {
  const cimpute::Dag g = cimpute::random_dag(30, 2, 7);
  const auto data = planted(g, 3000, 8);
  const auto ci = cimpute::GaussianCiTest::from_data(data.observational);
  const cimpute::GaussianInvarianceTests inv(data.observational, data.settings, data.targets);
  cimpute::IgspOptions o;
  o.runs = 4;
  o.candidates = 8;
  set_threads(1);
  const cimpute::Dag a = cimpute::igsp(ci, inv, o);
  const auto ua = cimpute::utigsp(ci, inv, o);
  set_threads(2);
  const cimpute::Dag b = cimpute::igsp(ci, inv, o);
  const auto ub = cimpute::utigsp(ci, inv, o);
  CHECK(a.arcs() == b.arcs());
  CHECK(ua.dag.arcs() == ub.dag.arcs());
  CHECK(ua.targets == ub.targets);
}

TEST_CASE("discover: bad options", "[discovery][discover]") {
  const auto data = planted(cimpute::random_dag(5, 1.5, 3), 100, 4);
  cimpute::DiscoveryOptions o;
  o.unknown_targets = true;
  CHECK_THROWS_WITH(cimpute::discover(data, o), Catch::Contains("IGSP needs the known targets"));
  o.unknown_targets = false;
  o.bootstrap = -1;
  CHECK_THROWS_WITH(cimpute::discover(data, o), Catch::Contains("bootstrap must be >= 0"));
  CHECK_THROWS_WITH(cimpute::parse_discovery_method("ges"), Catch::Contains("'ges'"));
  CHECK_THROWS_WITH(cimpute::parse_discovery_tests("kci"), Catch::Contains("'kci'"));
  CHECK(cimpute::parse_discovery_tests("hsic") == cimpute::DiscoveryTests::Kernel);
  o.bootstrap = 0;
  const auto r = cimpute::discover(data, o);
  CHECK_THROWS_WITH(cimpute::stable_edges(r, 0.5), Catch::Contains("no bootstrap"));
}

TEST_CASE("write_stability: rows, order and bad input", "[discovery][discover]") {
  cimpute::DiscoveryResult r;
  r.bootstrap = 4;
  r.directed_frequency = Eigen::MatrixXd::Zero(3, 3);
  r.adjacency_frequency = Eigen::MatrixXd::Zero(3, 3);
  r.directed_frequency(0, 1) = 0.75; // a -> b in 3 of 4, undirected in 1
  r.adjacency_frequency(0, 1) = r.adjacency_frequency(1, 0) = 1.0;
  r.directed_frequency(2, 1) = 0.25; // c -> b once
  r.adjacency_frequency(2, 1) = r.adjacency_frequency(1, 2) = 0.25;
  std::ostringstream os;
  cimpute::write_stability(os, r, {"a", "b", "c"});
  CHECK(os.str() == "cause,effect,directed,adjacent\n"
                    "a,b,0.7500,1.0000\n"
                    "b,a,0.0000,1.0000\n"
                    "c,b,0.2500,0.2500\n"
                    "b,c,0.0000,0.2500\n");
  CHECK_THROWS_WITH(cimpute::write_stability(os, r, {"a"}), Catch::Contains("1 names"));
  r.bootstrap = 0;
  CHECK_THROWS_WITH(cimpute::write_stability(os, r, {"a", "b", "c"}),
                    Catch::Contains("no bootstrap"));
}

TEST_CASE("write_graph_dot / write_graph_json: edges, frequencies, escapes", "[discovery][io]") {
  // b -> a (an arc), b - c undirected; names needing escapes in both formats.
  cimpute::Pdag g(3);
  g.add_arc(1, 0);
  g.add_undirected(2, 1);
  const std::vector<std::string> names{"a\"q", "b", "c\\n"};
  cimpute::DiscoveryResult r; // no bootstrap
  std::ostringstream dot, json;
  cimpute::write_graph_dot(dot, g, names, r, false, "test");
  CHECK(dot.str() == "// test\ndigraph cimpute {\n  \"a\\\"q\";\n  \"b\";\n  \"c\\\\n\";\n"
                     "  \"b\" -> \"a\\\"q\";\n  \"b\" -> \"c\\\\n\" [dir=none];\n}\n");
  cimpute::write_graph_json(json, g, names, r, false);
  CHECK(json.str() == "{\n  \"variables\": [\"a\\\"q\", \"b\", \"c\\\\n\"],\n  \"edges\": [\n"
                      "    {\"cause\": \"b\", \"effect\": \"a\\\"q\", \"directed\": true},\n"
                      "    {\"cause\": \"b\", \"effect\": \"c\\\\n\", \"directed\": false}\n"
                      "  ]\n}\n");
  // With bootstrap: an arc of a DAG agrees with the resamples that have it or leave it
  // unoriented (adjacent minus the reverse arc); an undirected edge with those adjacent.
  r.bootstrap = 4;
  r.directed_frequency = Eigen::MatrixXd::Zero(3, 3);
  r.adjacency_frequency = Eigen::MatrixXd::Zero(3, 3);
  r.adjacency_frequency(0, 1) = r.adjacency_frequency(1, 0) = 1.0;
  r.directed_frequency(0, 1) = 0.25; // a -> b once: b -> a agrees with 3 of 4
  r.adjacency_frequency(1, 2) = r.adjacency_frequency(2, 1) = 0.5;
  std::ostringstream boot;
  cimpute::write_graph_json(boot, g, names, r, true);
  CHECK(boot.str().find("\"bootstrap\": 4,") != std::string::npos);
  CHECK(boot.str().find("\"directed\": true, \"frequency\": 0.75}") != std::string::npos);
  CHECK(boot.str().find("\"directed\": false, \"frequency\": 0.5}") != std::string::npos);
  std::ostringstream bdot;
  cimpute::write_graph_dot(bdot, g, names, r, true, "x");
  CHECK(bdot.str().find("[label=\"0.75\", penwidth=2.38]") != std::string::npos);
  CHECK(bdot.str().find("[dir=none, label=\"0.50\", penwidth=1.75]") != std::string::npos);
  CHECK_THROWS_WITH(cimpute::write_graph_json(boot, g, {"a"}, r, true),
                    Catch::Contains("write_graph_json") && Catch::Contains("1 names"));
}
