// Choosing interventions: class samples stay in the class; on graphs where the best single
// intervention is known by hand (a path, a star) and on random graphs against a brute-force
// enumeration over the candidates and the class members; batch greedy against the ranking;
// the data entry point and bad input.
#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

#include <catch2/catch.hpp>

#include <numeric>

namespace {
using cimpute::Dag;
using cimpute::Pdag;
using Targets = std::vector<std::vector<int>>;

Pdag undirected(int p, std::vector<std::pair<int, int>> edges) {
  Pdag e(p);
  for (auto [i, j] : edges) e.add_undirected(i, j);
  return e;
}

// Brute force: the mean and the minimum over the class members of the arcs of their essential
// graphs with one more target {v}.
std::pair<double, double> single_value(const Pdag& E, const Targets& targets, int v) {
  const auto members = cimpute::equivalence_class(E, targets);
  Targets t = targets;
  t.push_back({v});
  double sum = 0, worst = 1e9;
  for (const Dag& g : members) {
    const double a = cimpute::interventional_cpdag(g, t).num_arcs();
    sum += a;
    worst = std::min(worst, a);
  }
  return {sum / double(members.size()), worst};
}
} // namespace

TEST_CASE("design: random class members belong to the class", "[discovery][design]") {
  std::mt19937_64 rng(5);
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const Dag g = cimpute::random_dag(12, 3.0, seed);
    const Targets t = seed % 2 ? Targets{} : Targets{{int(seed % 12)}};
    const Pdag E = cimpute::interventional_cpdag(g, t);
    for (int s = 0; s < 20; ++s)
      CHECK(cimpute::interventional_cpdag(cimpute::detail::random_class_member(E, rng), t) == E);
  }
}

TEST_CASE("design: the best single intervention of a path and a star", "[discovery][design]") {
  for (auto objective : {cimpute::DesignObjective::Expected, cimpute::DesignObjective::WorstCase}) {
    cimpute::InterventionDesignOptions o;
    o.objective = objective;
    // a - b - c: intervening on b orients both edges whatever the true DAG.
    auto d = cimpute::choose_interventions(undirected(3, {{0, 1}, {1, 2}}), {}, o);
    REQUIRE(d.chosen.size() == 1);
    CHECK(d.chosen[0].node == 1);
    CHECK(d.chosen[0].oriented == 2);
    CHECK(d.chosen[0].unoriented == 0);
    CHECK(d.unoriented_before == 2);
    CHECK(d.dags == 3);
    // A star around 0 with 4 leaves (a tree: its class has 5 DAGs, no v-structures): the centre.
    d = cimpute::choose_interventions(undirected(5, {{0, 1}, {0, 2}, {0, 3}, {0, 4}}), {}, o);
    CHECK(d.chosen[0].node == 0);
    CHECK(d.chosen[0].oriented == 4);
  }
  // Already oriented by the current targets: nothing to gain, no DAG besides the truth.
  const Dag chain = [] {
    Dag g(3);
    g.add_arc(0, 1);
    g.add_arc(1, 2);
    return g;
  }();
  const auto d = cimpute::choose_interventions(cimpute::interventional_cpdag(chain, {{1}}), {{1}});
  CHECK(d.dags == 1);
  CHECK(d.unoriented_before == 0);
  CHECK(d.chosen[0].oriented == 2);
}

TEST_CASE("design: single choices equal a brute-force enumeration; batch beats the ranking",
          "[discovery][design]") {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    const Dag g = cimpute::random_dag(7, 3.0, seed + 30);
    const Targets t = seed % 3 ? Targets{} : Targets{{int(seed % 7)}};
    const Pdag E = cimpute::interventional_cpdag(g, t);
    if (E.num_undirected() == 0) continue;
    for (auto objective :
         {cimpute::DesignObjective::Expected, cimpute::DesignObjective::WorstCase}) {
      const bool expected = objective == cimpute::DesignObjective::Expected;
      // The best value; ties to the node with more neighbours, then to the smaller node.
      double best = -1;
      int best_v = -1;
      std::size_t best_degree = 0;
      for (int v = 0; v < 7; ++v) {
        const auto [mean, worst] = single_value(E, t, v);
        const double value = expected ? mean : worst;
        const std::size_t degree =
            E.parents(v).size() + E.children(v).size() + E.undirected_neighbors(v).size();
        if (value > best + 1e-12 || (value > best - 1e-12 && degree > best_degree))
          best = std::max(best, value), best_v = v, best_degree = degree;
      }
      cimpute::InterventionDesignOptions o;
      o.objective = objective;
      o.budget = 3;
      o.batch = true;
      const auto batch = cimpute::choose_interventions(E, t, o);
      CHECK(batch.chosen[0].node == best_v);
      CHECK(batch.chosen[0].oriented == Approx(best));
      o.batch = false;
      const auto ranking = cimpute::choose_interventions(E, t, o);
      CHECK(ranking.chosen[0].node == best_v);
      for (std::size_t k = 1; k < 3; ++k) { // values never fall along the batch; ranks descend
        CHECK(batch.chosen[k].oriented >= batch.chosen[k - 1].oriented);
        CHECK(ranking.chosen[k].oriented <= ranking.chosen[k - 1].oriented);
      }
      // The batch of two is worth at least the two best-ranked together.
      Targets t2 = t;
      t2.push_back({ranking.chosen[0].node});
      t2.push_back({ranking.chosen[1].node});
      double together = expected ? 0 : 1e9;
      const auto members = cimpute::equivalence_class(E, t);
      for (const Dag& h : members) {
        const double a = cimpute::interventional_cpdag(h, t2).num_arcs();
        together = expected ? together + a / double(members.size()) : std::min(together, a);
      }
      CHECK(batch.chosen[1].oriented >= together - 1e-12);
    }
  }
}

TEST_CASE("design: from data, with bootstrap, and bad input", "[discovery][design]") {
  const Dag g = cimpute::random_dag(8, 2.0, 4);
  const auto sem = cimpute::LinearGaussianSem<double>::random(g, 1);
  cimpute::InterventionalData d;
  d.observational = sem.sample(2000, 2);
  cimpute::DiscoveryOptions o;
  o.method = cimpute::DiscoveryMethod::Gies;
  cimpute::InterventionDesignOptions io;
  io.budget = 2;
  const auto design = cimpute::design_interventions(d, o, io);
  CHECK(design.chosen.size() == 2);
  CHECK(design.chosen[1].unoriented <= design.unoriented_before);
  o.bootstrap = 4;
  io.class_samples = 40;
  const auto boot = cimpute::design_interventions(d, o, io);
  CHECK(boot.dags >= 4);
  CHECK(boot.dags <= 40);
  using Catch::Matchers::Contains;
  io.budget = 0;
  CHECK_THROWS_WITH(cimpute::design_interventions(d, o, io), Contains("budget must be >= 1"));
  io.budget = 9;
  CHECK_THROWS_WITH(cimpute::design_interventions(d, o, io), Contains("exceeds the 8 candidate"));
  io.budget = 1;
  io.candidates = {8};
  CHECK_THROWS_WITH(cimpute::design_interventions(d, o, io), Contains("candidate node 8"));
  io.candidates = {};
  o.method = cimpute::DiscoveryMethod::Utigsp;
  CHECK_THROWS_WITH(cimpute::design_interventions(d, o, io), Contains("known targets"));
  for (auto method : {cimpute::DiscoveryMethod::Igsp, cimpute::DiscoveryMethod::Gies}) {
    o.method = method;
    o.bootstrap = 0;
    auto e = d;
    e.observational.col(3) = e.observational.col(2);
    CHECK_THROWS_WITH(cimpute::design_interventions(e, o, io), Contains("singular data"));
  }
  d.observational.resize(0, 8);
  CHECK_THROWS_WITH(cimpute::design_interventions(d, o, io), Contains("no observational"));
}
