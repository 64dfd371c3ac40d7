// The contract every structure learner of the table (discovery_methods()) keeps, checked on each
// one by name through `discover`: a new learner gets these checks by being in the table.
// - the graph is of the documented class: a DAG (every edge directed, acyclic), or for PC a
//   CPDAG (the essential graph of a DAG it represents);
// - `essential` is the (I-)CPDAG of the graph under `targets`: the known targets for the
//   interventional learners that do not learn them, learned ones (one list per setting) for
//   those that do, none for the observational ones;
// - planted truth: on 3,000 samples per setting of a linear Gaussian SEM, the essential graph is
//   within a structural Hamming distance of 2 of the true one;
// - the same seed gives the same graph, bootstrap frequencies included;
// - bad input (NaN, mismatched columns, a target out of range, settings without target lists,
//   a negative bootstrap, too few samples) is an `invalid_argument`, never a graph.
#include "planted.hpp"

#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>

#include <catch2/catch.hpp>

#include <limits>
#include <string>

namespace {

cimpute::DiscoveryOptions options_for(const cimpute::DiscoveryMethodInfo& m) {
  cimpute::DiscoveryOptions o;
  o.method = m.method;
  o.unknown_targets = m.learns_targets;
  o.search.seed = 3;
  return o;
}

// The DAG whose arcs are those of `g` (which must have no undirected edge).
cimpute::Dag as_dag(const cimpute::Pdag& g) {
  cimpute::Dag d(g.num_nodes());
  for (const auto& [i, j] : g.arcs()) d.add_arc(i, j); // throws on a cycle
  return d;
}

void check_contract(const cimpute::DiscoveryMethodInfo& m) {
  INFO("method " << m.name);
  const cimpute::Dag truth = cimpute::random_dag(7, 2, 41);
  const cimpute::InterventionalData data = cimpute_test::planted_data(truth, 3000, 5, 3, true);
  const cimpute::DiscoveryOptions o = options_for(m);
  const cimpute::DiscoveryResult r = cimpute::discover(data, o);
  REQUIRE(r.graph.num_nodes() == 7);
  REQUIRE(r.essential.num_nodes() == 7);

  // The documented class, and the essential graph under the documented targets.
  if (m.method == cimpute::DiscoveryMethod::Pc) {
    const auto members = cimpute::equivalence_class(r.graph);
    REQUIRE_FALSE(members.empty()); // a CPDAG: the essential graph of the DAGs it represents
    CHECK(cimpute::shd(cimpute::cpdag(members.front()), r.graph) == 0);
    CHECK(cimpute::shd(r.essential, r.graph) == 0);
  } else {
    REQUIRE(r.graph.num_undirected() == 0);
    const cimpute::Dag dag = as_dag(r.graph);
    if (!m.interventional) {
      CHECK(r.targets.empty());
      CHECK(cimpute::shd(r.essential, cimpute::cpdag(dag)) == 0);
    } else {
      REQUIRE(r.targets.size() == data.settings.size());
      if (!m.learns_targets) CHECK(r.targets == data.targets);
      for (const auto& t : r.targets)
        for (int v : t) CHECK((v >= 0 && v < 7));
      CHECK(cimpute::shd(r.essential, cimpute::interventional_cpdag(dag, r.targets)) == 0);
    }
  }

  // Planted truth: the essential graph the learner can at best identify.
  const cimpute::Pdag target =
      m.interventional ? cimpute::interventional_cpdag(truth, r.targets) : cimpute::cpdag(truth);
  CHECK(cimpute::shd(r.essential, target) <= 2);

  // Determinism, bootstrap included.
  const cimpute::DiscoveryResult again = cimpute::discover(data, o);
  CHECK(cimpute::shd(again.graph, r.graph) == 0);
  CHECK(again.targets == r.targets);
  cimpute::DiscoveryOptions ob = o;
  ob.bootstrap = 2;
  const cimpute::DiscoveryResult b1 = cimpute::discover(data, ob), b2 = cimpute::discover(data, ob);
  CHECK(b1.bootstrap == 2);
  CHECK(b1.directed_frequency == b2.directed_frequency);
  CHECK(b1.adjacency_frequency == b2.adjacency_frequency);
  CHECK(b1.adjacency_frequency.minCoeff() >= 0);
  CHECK(b1.adjacency_frequency.maxCoeff() <= 1);
}

void check_bad_input(const cimpute::DiscoveryMethodInfo& m) {
  INFO("method " << m.name);
  const cimpute::InterventionalData good =
      cimpute_test::planted_data(cimpute::random_dag(5, 2, 7), 200, 9, 3, true);
  const cimpute::DiscoveryOptions o = options_for(m);
  using E = std::invalid_argument;
  {
    auto d = good;
    d.observational(3, 1) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(cimpute::discover(d, o), E);
  }
  {
    auto d = good;
    d.settings[1](0, 2) = std::numeric_limits<double>::infinity();
    if (m.interventional) CHECK_THROWS_AS(cimpute::discover(d, o), E);
  }
  {
    auto d = good;
    d.settings[0] = Eigen::MatrixXd::Zero(50, 4); // 4 columns, 5 variables
    CHECK_THROWS_AS(cimpute::discover(d, o), E);
  }
  {
    auto d = good;
    d.targets[1] = {5}; // no variable 5
    if (!m.learns_targets) CHECK_THROWS_AS(cimpute::discover(d, o), E);
  }
  {
    auto d = good;
    d.targets.pop_back();
    CHECK_THROWS_AS(cimpute::discover(d, o), E);
  }
  {
    auto d = good;
    d.observational = d.observational.topRows(1).eval(); // no covariance to estimate
    CHECK_THROWS_AS(cimpute::discover(d, o), E);
  }
  {
    auto ob = o;
    ob.bootstrap = -1;
    CHECK_THROWS_AS(cimpute::discover(good, ob), E);
  }
}

} // namespace

TEST_CASE("contract: every discovery method keeps the contract", "[discovery][contract]") {
  REQUIRE(cimpute::discovery_methods().size() >= 5);
  for (const auto& m : cimpute::discovery_methods()) {
    SECTION(m.name) {
      check_contract(m);
    }
  }
}

TEST_CASE("contract: every discovery method rejects bad input", "[discovery][contract]") {
  for (const auto& m : cimpute::discovery_methods()) {
    SECTION(m.name) {
      check_bad_input(m);
    }
  }
}
