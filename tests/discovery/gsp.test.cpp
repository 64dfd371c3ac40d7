// GSP, IGSP and UT-IGSP with perfect tests (d-separation oracles): the minimal I-map of a causal
// order is the DAG; the covered-arc update equals the minimal I-map of the swapped order; GSP
// finds the Markov equivalence class, IGSP the interventional one, UT-IGSP also the unknown
// targets. Then on Gaussian data from linear SEMs.
#include "oracles.hpp"
#include "test_data.hpp"

#include <cimpute/discovery.hpp>
#include <cimpute/discovery/gsp.hpp>
#include <cimpute/discovery/igsp.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

#include <numeric>
#include <random>

using cimpute_test::DSeparationOracle;
using cimpute_test::InvarianceOracle;

TEST_CASE("minimal I-maps and the covered-arc update", "[discovery][gsp]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const cimpute::Dag g = cimpute::random_dag(8, 3, seed);
    const DSeparationOracle o{g};
    const auto order = g.topological_order();
    INFO("seed " << seed);
    CHECK(cimpute::minimal_imap(o, order, 0.01).arcs() == g.arcs());
    // From a reversed order the I-map is denser; every covered-arc reversal equals the minimal
    // I-map of the order with the two nodes swapped.
    std::vector<int> rev(order.rbegin(), order.rend());
    const cimpute::Dag dense = cimpute::minimal_imap(o, rev, 0.01);
    CHECK(dense.num_arcs() >= g.num_arcs());
    for (const auto& [i, j] : dense.arcs()) {
      if (!dense.is_covered(i, j)) continue;
      std::vector<int> swapped = rev;
      auto pi = std::find(swapped.begin(), swapped.end(), i);
      auto pj = std::find(swapped.begin(), swapped.end(), j);
      // A covered arc joins neighbours in some order consistent with the I-map: move j just
      // before i.
      swapped.erase(pj);
      pi = std::find(swapped.begin(), swapped.end(), i);
      swapped.insert(pi, j);
      CHECK(cimpute::reverse_covered_arc(o, dense, i, j, 0.01).arcs() ==
            cimpute::minimal_imap(o, swapped, 0.01).arcs());
    }
  }
  const cimpute::Dag g = cimpute::random_dag(5, 2, 1);
  CHECK_THROWS_WITH(cimpute::minimal_imap(DSeparationOracle{g}, {0, 1}, 0.01),
                    Catch::Contains("2 entries for 5"));
}

TEST_CASE("gsp with a d-separation oracle finds the Markov equivalence class", "[discovery][gsp]") {
  int found = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const cimpute::Dag g = cimpute::random_dag(8, 2, 50 + seed);
    const cimpute::Dag h = cimpute::gsp(DSeparationOracle{g});
    found += cimpute::cpdag(h) == cimpute::cpdag(g);
  }
  CHECK(found == 20);
}

TEST_CASE("igsp and utigsp with oracles find the interventional class and the targets",
          "[discovery][igsp]") {
  int igsp_found = 0, ut_found = 0, targets_found = 0;
  for (std::uint64_t seed = 0; seed < 15; ++seed) {
    const cimpute::Dag g = cimpute::random_dag(8, 2, 80 + seed);
    // Three single-node settings; UT-IGSP's settings also hit one hidden off-target each.
    const std::vector<std::vector<int>> known{
        {int(seed % 8)}, {int((seed + 3) % 8)}, {int((seed + 5) % 8)}};
    std::vector<std::vector<int>> hidden = known;
    for (std::size_t k = 0; k < hidden.size(); ++k) {
      hidden[k].push_back(int((seed + 2 * k + 1) % 8));
      std::sort(hidden[k].begin(), hidden[k].end());
      hidden[k].erase(std::unique(hidden[k].begin(), hidden[k].end()), hidden[k].end());
    }
    const DSeparationOracle ci{g};
    const cimpute::Dag h = cimpute::igsp(ci, InvarianceOracle{g, known, known});
    igsp_found +=
        cimpute::interventional_cpdag(h, known) == cimpute::interventional_cpdag(g, known);
    const auto ut = cimpute::utigsp(ci, InvarianceOracle{g, hidden, {{}, {}, {}}});
    ut_found +=
        cimpute::interventional_cpdag(ut.dag, hidden) == cimpute::interventional_cpdag(g, hidden);
    targets_found += ut.targets == hidden;
  }
  CHECK(igsp_found == 15);
  CHECK(ut_found == 15);
  CHECK(targets_found == 15);
}

TEST_CASE("igsp and utigsp on Gaussian data from linear SEMs", "[discovery][igsp]") {
  int exact = 0, targets_exact = 0;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const cimpute::Dag g = cimpute::random_dag(10, 1.5, 300 + seed);
    const auto sem = cimpute::LinearGaussianSem<double>::random(g, 400 + seed);
    const Eigen::MatrixXd obs = sem.sample(5000, 500 + seed);
    std::vector<Eigen::MatrixXd> settings;
    std::vector<std::vector<int>> targets;
    for (int k = 0; k < 5; ++k) {
      targets.push_back({int((seed + 2 * k) % 10)});
      settings.push_back(sem.sample(5000, 600 + 10 * seed + k,
                                    cimpute::Intervention::perfect(targets.back(), 1.0, 0.1)));
    }
    const auto ci = cimpute::GaussianCiTest::from_data(obs);
    const cimpute::GaussianInvarianceTests inv(obs, settings, targets);
    cimpute::IgspOptions o;
    o.alpha = 1e-3;
    o.alpha_invariance = 1e-3;
    const cimpute::Dag h = cimpute::igsp(ci, inv, o);
    exact += cimpute::interventional_cpdag(h, targets) == cimpute::interventional_cpdag(g, targets);
    const auto ut = cimpute::utigsp(ci, inv, o);
    targets_exact += ut.targets == targets;
  }
  INFO("IGSP exact I-CPDAGs " << exact << " of 5, UT-IGSP exact targets " << targets_exact);
  CHECK(exact >= 3);
  CHECK(targets_exact >= 3);
}

TEST_CASE("the Gaussian fast path of minimal_imap equals the generic tests", "[discovery][gsp]") {
  // The generic template, through an adapter that hides the GaussianCiTest type.
  struct Generic {
    const cimpute::GaussianCiTest& t;
    int num_variables() const { return t.num_variables(); }
    bool independent(int i, int j, const std::vector<int>& S, double a) const {
      return t.independent(i, j, S, a);
    }
  };
  const cimpute::Dag g = cimpute::random_dag(12, 2.5, 9);
  const auto sem = cimpute::LinearGaussianSem<double>::random(g, 10);
  const auto ci = cimpute::GaussianCiTest::from_data(sem.sample(3000, 11));
  std::mt19937_64 rng(12);
  for (int k = 0; k < 10; ++k) {
    std::vector<int> order(12);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    CHECK(cimpute::minimal_imap(ci, order, 1e-3).arcs() ==
          cimpute::minimal_imap(Generic{ci}, order, 1e-3).arcs());
  }
  CHECK(cimpute::minimum_degree_order(ci, 1e-3, 5) ==
        cimpute::minimum_degree_order(Generic{ci}, 1e-3, 5));
}

TEST_CASE("the incremental IGSP / UT-IGSP scores equal a full rescoring", "[discovery][igsp]") {
  // Random walks of covered-arc reversals (minimal-I-map updates under the oracle): after each,
  // the score updated from the changed nodes equals the score computed from scratch.
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const cimpute::Dag g = cimpute::random_dag(12, 3, 500 + seed);
    const DSeparationOracle ci{g};
    const InvarianceOracle inv{g, {{1, 4}, {7}, {2, 9}}, {{1}, {7}, {2}}};
    std::mt19937_64 rng(seed);
    std::vector<int> order(12);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    cimpute::Dag d = cimpute::minimal_imap(ci, order, 0.01);
    cimpute::detail::IgspScore<InvarianceOracle> is{inv, 0.01, {}};
    cimpute::detail::UtigspScore<InvarianceOracle> us{inv, 0.01, {}};
    std::vector<long> it, ut;
    auto iscore = is.full(d, it);
    auto uscore = us.full(d, ut);
    for (int step = 0; step < 30; ++step) {
      const auto cov = cimpute::detail::covered_arcs(d);
      if (cov.empty()) break;
      const auto [i, j] = cov[rng() % cov.size()];
      const auto r = cimpute::detail::reverse_covered_arc_in_place(ci, d, i, j, 0.01);
      std::vector<int> changed{i, j};
      for (const auto& [a, b] : r.removed) changed.push_back(a);
      std::sort(changed.begin(), changed.end());
      changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
      std::vector<std::pair<int, long>> nt;
      iscore = is.update(d, it, changed, iscore, nt);
      for (const auto& [v, t] : nt) it[std::size_t(v)] = t;
      CHECK(iscore == is(d));
      uscore = us.update(d, ut, changed, uscore, nt);
      for (const auto& [v, t] : nt) ut[std::size_t(v)] = t;
      CHECK(uscore == us(d));
    }
  }
}
