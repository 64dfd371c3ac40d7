// Background knowledge in discovery: with perfect tests and the true skeleton as the allowed
// skeleton, PC, GSP, IGSP and UT-IGSP still find the (interventional) essential graph, with
// fewer tests; required arcs are always in the result and forbidden pairs never, on data; the
// stability selection over levels is the largest of the per-level frequencies. GIES with knowledge:
// gies.test.cpp.
#include "oracles.hpp"
#include "planted.hpp"

#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>

#include <catch2/catch.hpp>

#include <random>

using cimpute::BackgroundKnowledge;
using cimpute::ConstrainedCiTest;
using cimpute_test::DSeparationOracle;
using cimpute_test::InvarianceOracle;

namespace {
BackgroundKnowledge skeleton_of(const cimpute::Dag& g) {
  BackgroundKnowledge k(g.num_nodes());
  k.allow_only(g.arcs());
  return k;
}
// Counts the calls that reach the wrapped test.
struct CountingOracle {
  DSeparationOracle oracle;
  mutable long calls = 0;
  int num_variables() const { return oracle.num_variables(); }
  bool independent(int i, int j, const std::vector<int>& S, double a) const {
    ++calls;
    return oracle.independent(i, j, S, a);
  }
};
} // namespace

TEST_CASE("background knowledge: the true skeleton keeps the essential graphs of the oracles",
          "[discovery][knowledge]") {
  int pc_found = 0, gsp_found = 0, igsp_found = 0, ut_found = 0;
  long pc_calls = 0, pc_calls_free = 0;
  for (std::uint64_t seed = 0; seed < 15; ++seed) {
    const cimpute::Dag g = cimpute::random_dag(10, 2, 300 + seed);
    const BackgroundKnowledge k = skeleton_of(g);
    const CountingOracle counted{DSeparationOracle{g}};
    const ConstrainedCiTest<CountingOracle> ci(counted, k);
    pc_found += cimpute::pc(ci).cpdag == cimpute::cpdag(g);
    pc_calls += counted.calls;
    const CountingOracle free{DSeparationOracle{g}};
    CHECK(cimpute::pc(free).cpdag == cimpute::cpdag(g));
    pc_calls_free += free.calls;
    gsp_found += cimpute::cpdag(cimpute::gsp(ci)) == cimpute::cpdag(g);
    const std::vector<std::vector<int>> known{{int(seed % 10)}, {int((seed + 4) % 10)}};
    const cimpute::Dag h = cimpute::igsp(ci, InvarianceOracle{g, known, known});
    igsp_found +=
        cimpute::interventional_cpdag(h, known) == cimpute::interventional_cpdag(g, known);
    const auto ut = cimpute::utigsp(ci, InvarianceOracle{g, known, {{}, {}}});
    ut_found +=
        cimpute::interventional_cpdag(ut.dag, known) == cimpute::interventional_cpdag(g, known);
  }
  CHECK(pc_found == 15);
  CHECK(gsp_found == 15);
  CHECK(igsp_found == 15);
  CHECK(ut_found == 15);
  CHECK(pc_calls * 2 < pc_calls_free); // the skeleton spares at least half of PC's tests
}

TEST_CASE("background knowledge with fixed gaps: the true skeleton, orientations undecided",
          "[discovery][knowledge]") {
  // With the true skeleton as fixed gaps every order's minimal I-map is that skeleton oriented by
  // the order: GSP returns the skeleton, and tests no pair outside it.
  int skeleton_found = 0, class_found = 0;
  for (std::uint64_t seed = 0; seed < 15; ++seed) {
    const cimpute::Dag g = cimpute::random_dag(10, 2, 300 + seed);
    BackgroundKnowledge k = skeleton_of(g);
    k.set_fixed_gaps(true);
    struct GapWatch {
      DSeparationOracle oracle;
      const BackgroundKnowledge* k;
      int num_variables() const { return oracle.num_variables(); }
      bool independent(int i, int j, const std::vector<int>& S, double a) const {
        CHECK(k->allowed(i, j));
        return oracle.independent(i, j, S, a);
      }
    } watch{DSeparationOracle{g}, &k};
    const cimpute::Dag h = cimpute::gsp(ConstrainedCiTest<GapWatch>(watch, k));
    bool same = h.num_arcs() == g.num_arcs();
    for (auto [a, b] : g.arcs()) same = same && (h.has_arc(a, b) || h.has_arc(b, a));
    skeleton_found += same;
    bool inside = true;
    for (auto [a, b] : h.arcs()) inside = inside && k.allowed(a, b);
    CHECK(inside);
    class_found += cimpute::cpdag(h) == cimpute::cpdag(g);
  }
  CHECK(skeleton_found == 15);
  WARN(class_found << " of 15 essential graphs found with fixed gaps (orientations are ties)");
}

TEST_CASE("background knowledge: required arcs always, forbidden pairs never",
          "[discovery][knowledge]") {
  const cimpute::Dag g = cimpute::random_dag(12, 2, 11);
  const cimpute::InterventionalData data = cimpute_test::planted_data(g, 400, 5, 3, false);
  std::mt19937_64 rng(3);
  for (auto method :
       {cimpute::DiscoveryMethod::Pc, cimpute::DiscoveryMethod::Gsp, cimpute::DiscoveryMethod::Igsp,
        cimpute::DiscoveryMethod::Utigsp, cimpute::DiscoveryMethod::Gies}) {
    cimpute::DiscoveryOptions o;
    o.method = method;
    o.knowledge = BackgroundKnowledge(12);
    // Forbid two true arcs, require two arcs against the truth (5 -> 0 and 11 -> 6 where
    // absent) and one of the true arcs reversed.
    const auto arcs = g.arcs();
    o.knowledge.forbid(arcs[0].first, arcs[0].second);
    o.knowledge.forbid(arcs[1].first, arcs[1].second);
    std::vector<std::pair<int, int>> required;
    for (auto [a, b] : {std::pair<int, int>{5, 0}, {11, 6}, {arcs[2].second, arcs[2].first}})
      if (o.knowledge.allowed(a, b)) {
        o.knowledge.require(a, b);
        required.emplace_back(a, b);
      }
    REQUIRE(required.size() >= 2);
    const cimpute::DiscoveryResult r = cimpute::discover(data, o);
    INFO("method " << int(method));
    for (const auto& [a, b] : required) {
      CHECK(r.graph.has_arc(a, b));
      CHECK(r.essential.has_arc(a, b));
    }
    for (int k = 0; k < 2; ++k) {
      CHECK_FALSE(r.graph.adjacent(arcs[std::size_t(k)].first, arcs[std::size_t(k)].second));
      CHECK_FALSE(r.essential.adjacent(arcs[std::size_t(k)].first, arcs[std::size_t(k)].second));
    }
  }
  (void)rng;
}

TEST_CASE("background knowledge: bad knowledge names the pair", "[discovery][knowledge]") {
  BackgroundKnowledge k(4);
  k.require(0, 1);
  k.require(1, 2);
  CHECK_THROWS_WITH(k.require(2, 0), Catch::Contains("closes a cycle of required arcs"));
  CHECK_FALSE(k.required(2, 0)); // the failed call left nothing behind
  CHECK_THROWS_WITH(k.forbid(1, 0), Catch::Contains("the pair 1 - 0 is required"));
  CHECK_THROWS_WITH(k.allow_only({{0, 1}, {2, 3}}),
                    Catch::Contains("the required arc 1 -> 2 is outside the allowed skeleton"));
  k.allow_only({{0, 1}, {1, 2}, {2, 3}});
  CHECK(k.allowed(3, 2));
  CHECK_FALSE(k.allowed(0, 3));
  CHECK_THROWS_WITH(k.require(0, 3), Catch::Contains("outside the allowed skeleton"));
  k.forbid(2, 3);
  CHECK_THROWS_WITH(k.require(3, 2), Catch::Contains("is forbidden"));
  CHECK(k.required_order({3, 2, 1, 0}) == std::vector<int>{3, 0, 1, 2});
  cimpute::DiscoveryOptions o;
  o.knowledge = k;
  const cimpute::InterventionalData data =
      cimpute_test::planted_data(cimpute::random_dag(5, 1, 1), 50, 1, 1, false);
  CHECK_THROWS_WITH(cimpute::discover(data, o),
                    Catch::Contains("background knowledge over 4 variables for data of 5"));
}

TEST_CASE("stability selection over levels: the largest per-level frequency",
          "[discovery][knowledge]") {
  const cimpute::Dag g = cimpute::random_dag(8, 2, 21);
  const cimpute::InterventionalData data = cimpute_test::planted_data(g, 150, 9, 2, false);
  cimpute::DiscoveryOptions o;
  o.method = cimpute::DiscoveryMethod::Gsp;
  o.bootstrap = 6;
  o.search.runs = 2;
  o.search.candidates = 3;
  o.alphas = {1e-3, 0.2};
  const auto both = cimpute::discover(data, o);
  o.alphas = {1e-3};
  const auto low = cimpute::discover(data, o);
  o.alphas = {0.2};
  const auto high = cimpute::discover(data, o);
  CHECK(both.adjacency_frequency == low.adjacency_frequency.cwiseMax(high.adjacency_frequency));
  CHECK(both.directed_frequency == low.directed_frequency.cwiseMax(high.directed_frequency));
  CHECK(high.adjacency_frequency.sum() > low.adjacency_frequency.sum()); // a looser level: more
  o.alphas = {0.0};
  CHECK_THROWS_WITH(cimpute::discover(data, o),
                    Catch::Contains("every level of alphas must be in (0, 1), got 0"));
}

TEST_CASE(
    "GaussianCiTest with shrinkage: Schafer-Strimmer's intensity, more variables than samples",
    "[discovery][knowledge]") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> z;
  const int n = 20, p = 30;
  Eigen::MatrixXd X(n, p);
  for (int k = 0; k < n; ++k)
    for (int j = 0; j < p; ++j) X(k, j) = z(rng) + (j > 0 ? 0.8 * X(k, j - 1) : 0.0);
  // The estimator written out term by term (corpcor's shrink.intensity for target D).
  Eigen::MatrixXd S = X.rowwise() - X.colwise().mean();
  for (int j = 0; j < p; ++j) S.col(j) /= std::sqrt(S.col(j).squaredNorm() / (n - 1));
  double num = 0, den = 0;
  for (int i = 0; i < p; ++i)
    for (int j = 0; j < p; ++j) {
      if (i == j) continue;
      double mean = 0;
      for (int k = 0; k < n; ++k) mean += S(k, i) * S(k, j) / n;
      double var = 0;
      for (int k = 0; k < n; ++k) var += (S(k, i) * S(k, j) - mean) * (S(k, i) * S(k, j) - mean);
      num += double(n) / std::pow(n - 1.0, 3) * var;
      den += std::pow(double(n) / (n - 1) * mean, 2);
    }
  const double lambda = cimpute::GaussianCiTest::shrinkage_intensity(X);
  CHECK(lambda == Approx(std::min(1.0, num / den)).epsilon(1e-12));
  CHECK(lambda > 0);
  CHECK_THROWS_WITH(cimpute::GaussianCiTest::from_data(X),
                    Catch::Contains("shrink the covariance"));
  const auto t = cimpute::GaussianCiTest::from_data(X, -1);
  CHECK(t.shrinkage() == lambda);
  // The shrunk correlation is (1 - lambda) r: its Fisher-z p-value with n - 3 degrees of freedom.
  const double r = (1 - lambda) * S.col(0).dot(S.col(1)) / (n - 1);
  CHECK(t.p_value(0, 1, {}) ==
        Approx(std::erfc(std::sqrt(n - 3.0) * std::abs(std::atanh(r)) / std::sqrt(2.0)))
            .epsilon(1e-10));
  std::vector<int> big;
  for (int v = 2; v < 20; ++v) big.push_back(v);
  CHECK(t.p_value(0, 1, big) == 1.0); // 18 conditioning variables leave no degree of freedom
  const auto fixed = cimpute::GaussianCiTest::from_data(X, 0.3);
  CHECK(fixed.covariance()(0, 1) ==
        Approx(0.7 * (S.col(0).dot(S.col(1)) / (n - 1)) *
               std::sqrt(fixed.covariance()(0, 0) * fixed.covariance()(1, 1)))
            .epsilon(1e-12));
}

TEST_CASE("stable_edges: an edge both of whose directions pass the threshold stays undirected",
          "[discovery][knowledge]") {
  cimpute::DiscoveryResult r;
  r.bootstrap = 10;
  r.adjacency_frequency = Eigen::MatrixXd::Zero(3, 3);
  r.directed_frequency = Eigen::MatrixXd::Zero(3, 3);
  r.adjacency_frequency(0, 1) = r.adjacency_frequency(1, 0) = 0.8;
  r.directed_frequency(0, 1) = r.directed_frequency(1, 0) = 0.4; // a tie above 0.3
  r.adjacency_frequency(1, 2) = r.adjacency_frequency(2, 1) = 0.9;
  r.directed_frequency(2, 1) = 0.5;
  r.directed_frequency(1, 2) = 0.35; // both above 0.3: the more frequent wins
  const cimpute::Pdag g = cimpute::stable_edges(r, 0.3);
  CHECK(g.has_undirected(0, 1));
  CHECK(g.has_arc(2, 1));
  cimpute::DiscoveryOptions o;
  o.alphas = {0.01};
  const cimpute::InterventionalData data =
      cimpute_test::planted_data(cimpute::random_dag(5, 1, 1), 50, 1, 1, false);
  CHECK_THROWS_WITH(cimpute::discover(data, o), Catch::Contains("needs bootstrap > 0"));
}
