// PC: with a d-separation oracle as its independence test it returns exactly the CPDAG of the
// true DAG (computed by the independent protection-rule algorithm), for every variable order;
// with Gaussian tests on linear SEM data it gets close; Meek rules on known patterns.
#include "oracles.hpp"
#include "test_data.hpp"

#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

using cimpute_test::DSeparationOracle;

TEST_CASE("pc: the oracle version returns the CPDAG", "[discovery][pc]") {
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    const cimpute::Dag g = cimpute::random_dag(9, 2.5, seed);
    INFO("seed " << seed << ", " << g.num_arcs() << " arcs");
    const auto res = cimpute::pc(DSeparationOracle{g});
    CHECK(res.cpdag == cimpute::cpdag(g));
    CHECK(res.tests > 0);
    // Order independence: relabelled input, relabelled output.
    std::vector<int> perm{8, 3, 5, 0, 7, 1, 6, 2, 4};
    const cimpute::Dag h = g.relabeled(perm);
    CHECK(cimpute::pc(DSeparationOracle{h}).cpdag == cimpute::cpdag(h));
  }
  // Depth limit: with l <= 0 only marginal independences remove edges.
  cimpute::Dag chain(3);
  chain.add_arc(0, 1);
  chain.add_arc(1, 2);
  cimpute::PcOptions o;
  o.max_conditioning = 0;
  CHECK(cimpute::pc(DSeparationOracle{chain}, o).cpdag.num_undirected() == 3);
  o.alpha = 0;
  CHECK_THROWS_WITH(cimpute::pc(DSeparationOracle{chain}, o), Catch::Contains("alpha"));
}

TEST_CASE("pc: Gaussian tests on linear SEM data", "[discovery][pc]") {
  // n = 20,000 samples of 10-node SEMs (weights +-U[0.25, 1]): the skeleton is nearly exact.
  // Orientations are where PC's finite-sample errors show: a weak dependence along a chain of
  // small weights is judged independent, a wrong separating set creates or hides a v-structure
  // and Meek's rules propagate it (7 of these 10 graphs come out exact, SHD 19 in total).
  int exact = 0, skeleton_errors = 0;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    const cimpute::Dag g = cimpute::random_dag(10, 2, 100 + seed);
    const auto sem = cimpute::LinearGaussianSem<double>::random(g, 200 + seed);
    const auto test = cimpute::GaussianCiTest::from_data(sem.sample(20000, 300 + seed));
    const auto res = cimpute::pc(test, {1e-3, -1});
    const auto sk = cimpute::skeleton_scores(res.cpdag, cimpute::Pdag(g));
    skeleton_errors += (sk.estimated - sk.true_positives) + (sk.actual - sk.true_positives);
    exact += res.cpdag == cimpute::cpdag(g);
  }
  INFO(exact << " of 10 CPDAGs exact, " << skeleton_errors << " skeleton errors");
  CHECK(skeleton_errors <= 3);
  CHECK(exact >= 6);
}

TEST_CASE("Meek rules on known patterns", "[graph][meek]") {
  // R1: 0 -> 1 - 2 with 0, 2 not adjacent orients 1 -> 2.
  cimpute::Pdag a(3);
  a.add_arc(0, 1);
  a.add_undirected(1, 2);
  CHECK(cimpute::apply_meek_rules(a) == 1);
  CHECK(a.has_arc(1, 2));
  // R2: 0 -> 1 -> 2 and 0 - 2 orients 0 -> 2.
  cimpute::Pdag b(3);
  b.add_arc(0, 1);
  b.add_arc(1, 2);
  b.add_undirected(0, 2);
  cimpute::apply_meek_rules(b);
  CHECK(b.has_arc(0, 2));
  // R3: 0 - 1, 0 - 2, 0 - 3, 1 -> 3 <- 2, 1 and 2 not adjacent orients 0 -> 3 only.
  cimpute::Pdag c(4);
  c.add_undirected(0, 1);
  c.add_undirected(0, 2);
  c.add_undirected(0, 3);
  c.add_arc(1, 3);
  c.add_arc(2, 3);
  CHECK(cimpute::apply_meek_rules(c) == 1);
  CHECK(c.has_arc(0, 3));
  CHECK(c.has_undirected(0, 1));
  // Nothing to orient in an undirected chain.
  cimpute::Pdag d(3);
  d.add_undirected(0, 1);
  d.add_undirected(1, 2);
  CHECK(cimpute::apply_meek_rules(d) == 0);
}
