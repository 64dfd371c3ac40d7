// The prize-collecting Steiner forest: hand cases, the exact optimum by brute force on small
// random graphs, the hub penalty's formula, robustness runs, bad input, and the SARS-CoV-2
// interactome of ../shared/data/covid.
#include <cimpute/graph/steiner_forest.hpp>
#include <cimpute/io/interactome.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>

using cimpute::RootEdges;
using cimpute::SteinerForestOptions;
using cimpute::UndirectedNetwork;

namespace {

SteinerForestOptions plain(double w) {
  SteinerForestOptions o;
  o.w = w;
  o.hub_penalty = false;
  return o;
}

// The exact optimum: for every node set S, the minimum spanning tree of S and the root (edges
// within S, and root edges of cost w to the nodes of S that `mode` allows), if it spans; the
// objective is b * (prizes outside S) + the tree's cost.
double brute_force(const UndirectedNetwork& g, const Eigen::VectorXd& prizes,
                   const Eigen::VectorXd& costs, const SteinerForestOptions& o) {
  const int n = g.num_nodes();
  double best = std::numeric_limits<double>::infinity();
  struct E {
    double c;
    int a, b;
  };
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    std::vector<E> edges;
    for (int e = 0; e < g.num_edges(); ++e) {
      const auto& ed = g.edge(e);
      if ((mask >> ed.a & 1u) && (mask >> ed.b & 1u)) edges.push_back({costs[e], ed.a, ed.b});
    }
    double missing = 0;
    int members = 1; // the root
    for (int v = 0; v < n; ++v) {
      const bool in = mask >> v & 1u, terminal = prizes[v] > 0;
      if (!in) missing += o.b * prizes[v];
      if (!in) continue;
      ++members;
      if (o.root_edges == RootEdges::All || terminal == (o.root_edges == RootEdges::Terminals))
        edges.push_back({o.w, n, v});
    }
    std::sort(edges.begin(), edges.end(), [](const E& x, const E& y) { return x.c < y.c; });
    std::vector<int> up(std::size_t(n + 1));
    std::iota(up.begin(), up.end(), 0);
    auto find = [&](int v) {
      while (up[std::size_t(v)] != v) v = up[std::size_t(v)] = up[std::size_t(up[std::size_t(v)])];
      return v;
    };
    double tree = 0;
    int joined = 1;
    for (const E& e : edges) {
      const int a = find(e.a), b = find(e.b);
      if (a == b) continue;
      up[std::size_t(a)] = b;
      tree += e.c;
      ++joined;
    }
    if (joined == members) best = std::min(best, missing + tree);
  }
  return best;
}

UndirectedNetwork path(const std::vector<std::string>& names, double cost) {
  UndirectedNetwork g(names);
  for (std::size_t i = 0; i + 1 < names.size(); ++i) g.add_edge(int(i), int(i + 1), cost);
  return g;
}

} // namespace

TEST_CASE("steiner_forest: a single terminal is a tree of its own", "[graph][steiner]") {
  const UndirectedNetwork g = path({"A", "B", "C"}, 0.5);
  const Eigen::VectorXd prizes = Eigen::Vector3d(0, 10, 0);
  const auto f = cimpute::steiner_forest(g, prizes, plain(1.0));
  CHECK(f.nodes == std::vector<int>{1});
  CHECK(f.edges.empty());
  CHECK(f.trees == 1);
  CHECK(f.objective == Approx(1.0).margin(1e-12));
}

TEST_CASE("steiner_forest: two terminals joined by a cheap path, dropped by a dear one",
          "[graph][steiner]") {
  const Eigen::VectorXd prizes = Eigen::Vector3d(4, 0, 4);
  SECTION("cheap: one tree through the Steiner node") {
    const auto f = cimpute::steiner_forest(path({"A", "X", "B"}, 0.5), prizes, plain(5.0));
    CHECK(f.nodes == std::vector<int>{0, 1, 2});
    CHECK(f.edges == std::vector<int>{0, 1});
    CHECK(f.trees == 1);
    CHECK(f.objective == Approx(6.0).margin(1e-12));
  }
  SECTION("dear path, cheap trees: two trees without the path") {
    const auto f = cimpute::steiner_forest(path({"A", "X", "B"}, 5.0), prizes, plain(1.0));
    CHECK(f.nodes == std::vector<int>{0, 2});
    CHECK(f.edges.empty());
    CHECK(f.trees == 2);
    CHECK(f.objective == Approx(2.0).margin(1e-12));
  }
  SECTION("dear path, dear trees: nothing") {
    const auto f = cimpute::steiner_forest(path({"A", "X", "B"}, 5.0), prizes, plain(10.0));
    CHECK(f.nodes.empty());
    CHECK(f.trees == 0);
    CHECK(f.objective == Approx(8.0).margin(1e-12));
  }
}

TEST_CASE("steiner_forest: the hub penalty routes around a hub", "[graph][steiner]") {
  // A - H - B costs 0.1 per edge, A - Y - B 0.3; H has 20 more partners.
  UndirectedNetwork g({"A", "B", "H", "Y"});
  g.add_edge(0, 2, 0.1);
  g.add_edge(2, 1, 0.1);
  g.add_edge(0, 3, 0.3);
  g.add_edge(3, 1, 0.3);
  for (int k = 0; k < 20; ++k) g.add_edge(2, g.add_node("leaf" + std::to_string(k)), 1.0);
  Eigen::VectorXd prizes = Eigen::VectorXd::Zero(g.num_nodes());
  prizes[0] = prizes[1] = 5;
  SteinerForestOptions o;
  o.w = 2; // one tree (at least 2.2) beats nothing (10) and two trees (4)
  o.g = 0; // penalty = d_a d_b / ((N - d_a - 1)(N - d_b - 1) + d_a d_b)
  const Eigen::VectorXd c = cimpute::steiner_edge_costs(g, o);
  const double N = 24, dA = 2, dH = 22, dY = 2;
  CHECK(c[0] == Approx(0.1 + dA * dH / ((N - dA - 1) * (N - dH - 1) + dA * dH)).epsilon(1e-14));
  CHECK(c[2] == Approx(0.3 + dA * dY / ((N - dA - 1) * (N - dY - 1) + dA * dY)).epsilon(1e-14));
  CHECK(cimpute::steiner_forest(g, prizes, o).nodes == std::vector<int>{0, 1, 3});
  o.hub_penalty = false;
  CHECK(cimpute::steiner_forest(g, prizes, o).nodes == std::vector<int>{0, 1, 2});
}

TEST_CASE("steiner_forest: within twice the brute-force optimum, equal on most graphs",
          "[graph][steiner]") {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int equal = 0, total = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int n = 3 + int(rng() % 10); // 3..12 nodes
    UndirectedNetwork g;
    for (int v = 0; v < n; ++v) g.add_node("n" + std::to_string(v));
    for (int a = 0; a < n; ++a)
      for (int b = a + 1; b < n; ++b)
        if (u(rng) < 0.35) g.add_edge(a, b, 2 * u(rng));
    Eigen::VectorXd prizes(n);
    for (int v = 0; v < n; ++v) prizes[v] = u(rng) < 0.5 ? 3 * u(rng) : 0.0;
    SteinerForestOptions o;
    o.w = 0.5 + 3 * u(rng);
    o.b = 0.5 + u(rng);
    o.g = -1;
    o.hub_penalty = trial % 2 == 0;
    o.root_edges = trial % 5 == 0 ? RootEdges::All : RootEdges::Terminals;
    const Eigen::VectorXd costs = cimpute::steiner_edge_costs(g, o);
    const auto f = cimpute::steiner_forest(g, prizes, costs, o);
    const double opt = brute_force(g, prizes, costs, o);
    INFO("trial " << trial << ": " << f.objective << " against the optimum " << opt);
    REQUIRE(f.objective >= opt - 1e-9);
    REQUIRE(f.objective <= 2 * opt + 1e-9);
    // The moats are a feasible dual: below the optimum, and at least half the forest's objective.
    REQUIRE(f.lower_bound <= opt + 1e-9);
    REQUIRE(f.objective <= 2 * f.lower_bound + 1e-9);
    equal += f.objective <= opt + 1e-9;
    ++total;
    // Every tree starts at a node the root may join.
    for (int v : f.nodes) CHECK(v < n);
  }
  WARN(equal << " of " << total << " optimal");
  CHECK(equal >= total * 8 / 10);
}

TEST_CASE("steiner_forest_robustness: no noise repeats the forest; seeded noise is reproducible",
          "[graph][steiner]") {
  const UndirectedNetwork g = cimpute::scale_free_network(300, 2, 7);
  Eigen::VectorXd prizes = Eigen::VectorXd::Zero(g.num_nodes());
  for (int v = 0; v < g.num_nodes(); v += 10) prizes[v] = 1.0 + (v % 7) * 0.3;
  SteinerForestOptions o;
  o.w = 2;
  const auto f = cimpute::steiner_forest(g, prizes, o);
  const auto none = cimpute::steiner_forest_robustness(g, prizes, o, 3, 0.0, 1);
  Eigen::VectorXd expected = Eigen::VectorXd::Zero(g.num_nodes());
  for (int v : f.nodes) expected[v] = 1;
  CHECK(none.node_frequency.isApprox(expected, 1e-12));
  const auto a = cimpute::steiner_forest_robustness(g, prizes, o, 8, 0.1, 5);
  const auto b = cimpute::steiner_forest_robustness(g, prizes, o, 8, 0.1, 5);
  CHECK(a.node_frequency == b.node_frequency);
  CHECK(a.edge_frequency == b.edge_frequency);
  CHECK(a.node_frequency.maxCoeff() <= 1.0 + 1e-12);
  CHECK(a.node_frequency.minCoeff() >= 0.0);
  // The scale-free network is connected and has about n m edges.
  CHECK(g.num_edges() == 2 * 300 - 3);
}

TEST_CASE("steiner_forest: bad input names the value", "[graph][steiner]") {
  UndirectedNetwork g = path({"A", "B"}, 1.0);
  CHECK_THROWS_WITH(g.add_edge(0, 0, 1.0), Catch::Contains("self-loop on node 'A'"));
  CHECK_THROWS_WITH(g.add_edge(0, 1, -1.0), Catch::Contains("must be finite and >= 0, got -1"));
  SteinerForestOptions o;
  o.w = -1;
  CHECK_THROWS_WITH(cimpute::steiner_forest(g, Eigen::Vector2d(1, 1), o),
                    Catch::Contains("w must be finite and >= 0, got -1"));
  CHECK_THROWS_WITH(cimpute::steiner_forest(g, Eigen::Vector2d(1, -2)),
                    Catch::Contains("prize of 'B' must be finite and >= 0, got -2"));
  CHECK_THROWS_WITH(cimpute::steiner_forest(g, Eigen::Vector3d(1, 1, 1)),
                    Catch::Contains("3 prizes for 2 nodes"));
}

TEST_CASE("steiner_forest on the SARS-CoV-2 interactome (../shared/data/covid)",
          "[graph][steiner][data]") {
  const std::string dir = std::string(CIMPUTE_DATA_DIR) + "/covid/";
  if (!std::ifstream(dir + "ppi_subnetwork_252genes.csv")) {
    WARN("skipped: " << dir << "ppi_subnetwork_252genes.csv is absent");
    return;
  }
  const auto net = cimpute::read_interactome(dir + "ppi_subnetwork_252genes.csv");
  CHECK(net.network.num_nodes() == 252);
  const auto prizes = cimpute::read_node_prizes(dir + "terminals_prizes.tsv", net.network);
  CHECK((prizes.prizes.array() > 0).count() + Eigen::Index(prizes.absent.size()) == 162);
  SteinerForestOptions o;
  o.w = 2; // OmicsIntegrator2's default hub penalty on a 252-node network keeps one terminal
  o.hub_penalty = false;
  const auto f = cimpute::steiner_forest(net.network, prizes.prizes, o);
  CHECK(f.objective <= 2 * f.lower_bound + 1e-9);
  CHECK(cimpute::steiner_forest(net.network, prizes.prizes).nodes.size() == 1);
  const Eigen::VectorXd costs = cimpute::steiner_edge_costs(net.network, o);
  int trees = 0;
  CHECK(cimpute::steiner_objective(net.network, prizes.prizes, costs, o.w, o.b, f.nodes, f.edges,
                                   &trees) == Approx(f.objective).epsilon(1e-12));
  CHECK(trees == f.trees);
  // Better than both trivial answers: nothing, and every terminal alone.
  const double nothing = prizes.prizes.sum();
  const double alone = o.w * double((prizes.prizes.array() > 0).count());
  CHECK(f.objective < std::min(nothing, alone));
  CHECK(int(f.nodes.size()) > f.trees);
}
