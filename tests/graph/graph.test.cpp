// Graphs: the pcalg oracle cases for CPDAGs and interventional CPDAGs (also under random
// relabellings), d-separation cases, equivalence class sizes, covered-arc invariance, SHD.
#include "test_data.hpp"

#include <cimpute/graph.hpp>
#include <cimpute/io/table.hpp>

#include <algorithm>
#include <numeric>
#include <random>

using cimpute::Dag;
using cimpute::Pdag;

namespace {
// 1-based arc list -> Dag on p nodes.
Dag dag(int p, std::vector<std::pair<int, int>> arcs) {
  Dag g(p);
  for (auto [i, j] : arcs) g.add_arc(i - 1, j - 1);
  return g;
}
// Expected PDAG from 1-based directed and undirected lists.
Pdag pdag(int p, std::vector<std::pair<int, int>> arcs, std::vector<std::pair<int, int>> und) {
  Pdag e(p);
  for (auto [i, j] : arcs) e.add_arc(i - 1, j - 1);
  for (auto [i, j] : und) e.add_undirected(i - 1, j - 1);
  return e;
}
Pdag relabel(const Pdag& e, const std::vector<int>& perm) {
  Pdag out(e.num_nodes());
  for (auto [i, j] : e.arcs()) out.add_arc(perm[std::size_t(i)], perm[std::size_t(j)]);
  for (auto [i, j] : e.undirected_edges())
    out.add_undirected(perm[std::size_t(i)], perm[std::size_t(j)]);
  return out;
}
const std::vector<std::pair<int, int>> complete4{{1, 2}, {1, 3}, {1, 4}, {2, 3}, {2, 4}, {3, 4}};
} // namespace

TEST_CASE("graph: CPDAG and I-CPDAG oracle cases (pcalg), also relabelled", "[graph][cpdag]") {
  struct Case {
    Dag g;
    std::vector<std::vector<int>> targets; // 0-based
    Pdag expected;
  };
  const std::vector<Case> cases{
      {dag(5, {{1, 5}, {2, 3}, {2, 5}, {3, 4}}), {}, pdag(5, {{1, 5}, {2, 5}}, {{2, 3}, {3, 4}})},
      {dag(5, {{1, 2}, {2, 4}, {3, 4}, {4, 5}}), {}, pdag(5, {{2, 4}, {3, 4}, {4, 5}}, {{1, 2}})},
      {dag(4, complete4), {}, pdag(4, {}, complete4)},
      {dag(4, complete4), {{}, {3}}, pdag(4, {{1, 4}, {2, 4}, {3, 4}}, {{1, 2}, {1, 3}, {2, 3}})},
      {dag(4, complete4), {{}, {1}}, pdag(4, {{1, 2}, {1, 3}, {1, 4}, {2, 3}, {2, 4}}, {{3, 4}})}};
  const unsigned seed = 12;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (std::size_t k = 0; k < cases.size(); ++k) {
    INFO("case " << k + 1);
    const auto& c = cases[k];
    const Pdag e =
        c.targets.empty() ? cimpute::cpdag(c.g) : cimpute::interventional_cpdag(c.g, c.targets);
    CHECK(e == c.expected);
    for (int r = 0; r < 5; ++r) {
      std::vector<int> perm(std::size_t(c.g.num_nodes()));
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng);
      std::vector<std::vector<int>> t;
      for (const auto& T : c.targets) {
        std::vector<int> m;
        for (int v : T) m.push_back(perm[std::size_t(v)]);
        t.push_back(m);
      }
      const Dag h = c.g.relabeled(perm);
      const Pdag eh = t.empty() ? cimpute::cpdag(h) : cimpute::interventional_cpdag(h, t);
      CHECK(eh == relabel(c.expected, perm));
    }
  }
  // The public API of the issue.
  cimpute::Dag g(4);
  g.add_arc(0, 1);
  const cimpute::Pdag ie = cimpute::interventional_cpdag(g, std::vector<std::vector<int>>{{}, {1}});
  CHECK(ie.has_arc(0, 1));
  CHECK(cimpute::cpdag(g).has_undirected(0, 1));
  CHECK(cimpute::cpdag(g).num_arcs() == 0);
  CHECK(cimpute::cpdag(g).num_undirected() == 1);
}

TEST_CASE("graph: d-separation", "[graph][dsep]") {
  // 1->{2,3,4,6}, 3->{2,4}, 5->{1,3,6}, 7->{1,5}
  const Dag g = dag(
      7, {{1, 2}, {1, 3}, {1, 4}, {1, 6}, {3, 2}, {3, 4}, {5, 1}, {5, 3}, {5, 6}, {7, 1}, {7, 5}});
  CHECK(cimpute::d_separated(g, {6}, {1}, {0, 4}));       // 7 _||_ 2 | {1, 5}
  CHECK_FALSE(cimpute::d_separated(g, {6}, {1}, {2, 4})); // 7 not _||_ 2 | {3, 5}
  const Dag chain = dag(3, {{1, 2}, {2, 3}}), fork = dag(3, {{2, 1}, {2, 3}});
  const Dag collider = dag(4, {{1, 3}, {2, 3}, {3, 4}});
  CHECK_FALSE(cimpute::d_separated(chain, {0}, {2}, {}));
  CHECK(cimpute::d_separated(chain, {0}, {2}, {1}));
  CHECK(cimpute::d_separated(fork, {0}, {2}, {1}));
  CHECK(cimpute::d_separated(collider, {0}, {1}, {}));
  CHECK_FALSE(cimpute::d_separated(collider, {0}, {1}, {2}));
  CHECK_FALSE(cimpute::d_separated(collider, {0}, {1}, {3})); // a descendant of the collider
  CHECK_THROWS_AS(cimpute::d_separated(chain, {0}, {2}, {2}), cimpute::invalid_argument);
}

TEST_CASE("graph: d-separation agrees with the moralised ancestral graph on random DAGs",
          "[graph][dsep]") {
  // Independent check (Lauritzen): A _||_ B | S iff A and B are disconnected in the moral graph
  // of the ancestral set of A u B u S after removing S.
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    INFO("seed " << seed);
    const Dag g = cimpute::random_dag(8, 2.5, seed);
    std::mt19937_64 rng(seed);
    std::vector<int> nodes(8);
    std::iota(nodes.begin(), nodes.end(), 0);
    std::shuffle(nodes.begin(), nodes.end(), rng);
    const int a = nodes[0], b = nodes[1];
    const std::vector<int> S(nodes.begin() + 2, nodes.begin() + 2 + int(seed % 4));
    std::vector<char> keep(8, 0);
    for (int v : std::vector<int>{a, b}) keep[std::size_t(v)] = 1;
    for (int v : S) keep[std::size_t(v)] = 1;
    for (int v : std::vector<int>{a, b})
      for (int u : g.ancestors(v)) keep[std::size_t(u)] = 1;
    for (int v : S)
      for (int u : g.ancestors(v)) keep[std::size_t(u)] = 1;
    std::vector<std::vector<char>> adj(8, std::vector<char>(8, 0));
    for (int v = 0; v < 8; ++v) {
      if (!keep[std::size_t(v)]) continue;
      const auto& pa = g.parents(v);
      for (int u : pa)
        adj[std::size_t(u)][std::size_t(v)] = adj[std::size_t(v)][std::size_t(u)] = 1;
      for (int u : pa)
        for (int w : pa)
          if (u != w) adj[std::size_t(u)][std::size_t(w)] = 1;
    }
    std::vector<char> blocked(8, 0), seen(8, 0);
    for (int v : S) blocked[std::size_t(v)] = 1;
    std::vector<int> stack{a};
    seen[std::size_t(a)] = 1;
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      for (int w = 0; w < 8; ++w)
        if (adj[std::size_t(v)][std::size_t(w)] && keep[std::size_t(w)] &&
            !blocked[std::size_t(w)] && !seen[std::size_t(w)])
          seen[std::size_t(w)] = 1, stack.push_back(w);
    }
    CHECK(cimpute::d_separated(g, {a}, {b}, S) == !seen[std::size_t(b)]);
  }
}

TEST_CASE("graph: Markov equivalence class sizes and covered arcs", "[graph][mec]") {
  CHECK(cimpute::equivalence_class_size(cimpute::cpdag(dag(3, {{1, 2}, {1, 3}, {2, 3}}))) == 6);
  CHECK(cimpute::equivalence_class_size(cimpute::cpdag(dag(3, {{1, 2}, {2, 3}}))) == 3);
  Dag k6(6);
  for (int i = 0; i < 6; ++i)
    for (int j = i + 1; j < 6; ++j) k6.add_arc(i, j);
  CHECK(cimpute::equivalence_class_size(cimpute::cpdag(k6)) == 720);
  // Reversing a covered arc stays in the class: same CPDAG, on random DAGs.
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    INFO("seed " << seed);
    Dag g = cimpute::random_dag(10, 3, seed);
    const Pdag e = cimpute::cpdag(g);
    for (const auto& [i, j] : g.arcs())
      if (g.is_covered(i, j)) {
        Dag h = g;
        h.reverse_arc(i, j);
        CHECK(cimpute::cpdag(h) == e);
        CHECK(cimpute::shd(g, h) == 1);
      }
    // Every arc of the CPDAG is an arc of the DAG; every undirected edge an arc either way.
    for (const auto& [i, j] : e.arcs()) CHECK(g.has_arc(i, j));
    CHECK(e.num_arcs() + e.num_undirected() == g.num_arcs());
  }
}

TEST_CASE("graph: DAG operations and errors", "[graph][dag]") {
  Dag g(4);
  g.add_arc(0, 1);
  g.add_arc(1, 2);
  CHECK_THROWS_WITH(g.add_arc(2, 0), Catch::Contains("cycle"));
  CHECK_THROWS_WITH(g.add_arc(3, 3), Catch::Contains("self loop"));
  CHECK_THROWS_AS(g.add_arc(0, 9), cimpute::invalid_argument);
  CHECK(g.num_arcs() == 2);
  CHECK(g.ancestors(2) == std::vector<int>{0, 1});
  CHECK(g.descendants(0) == std::vector<int>{1, 2});
  g.add_arc(3, 2);
  CHECK(g.markov_blanket(1) == std::vector<int>{0, 2, 3});
  CHECK(g.topological_order() == std::vector<int>{0, 1, 3, 2});
  CHECK(g.is_covered(0, 1));
  CHECK_FALSE(g.is_covered(1, 2));
  const Dag s = g.induced_subgraph({1, 2});
  CHECK(s.num_arcs() == 1);
  CHECK(s.has_arc(0, 1));
  Dag named(std::vector<std::string>{"Raf", "Mek", "Erk"});
  named.add_arc(named.node("Raf"), named.node("Mek"));
  CHECK(named.name(1) == "Mek");
  CHECK_THROWS_AS(Dag(std::vector<std::string>{"a", "a"}), cimpute::invalid_argument);
  // SHD and skeleton scores.
  const Dag a = dag(3, {{1, 2}, {2, 3}}), b = dag(3, {{2, 1}, {1, 3}});
  CHECK(cimpute::shd(a, b) == 3); // 1-2 reversed, 2-3 missing, 1-3 extra
  const auto sk = cimpute::skeleton_scores(Pdag(b), Pdag(a));
  CHECK(sk.true_positives == 1);
  CHECK(sk.precision == 0.5);
  CHECK(sk.recall == 0.5);
  // Random DAG: expected degree respected on average, deterministic per seed.
  const Dag r1 = cimpute::random_dag(200, 4, 7), r2 = cimpute::random_dag(200, 4, 7);
  CHECK(r1.arcs() == r2.arcs());
  CHECK(std::abs(2.0 * r1.num_arcs() / 200 - 4.0) < 0.5);
}

TEST_CASE("graph: the Sachs consensus network as a CSV arc list", "[graph][csv]") {
  const std::string rel = "sachs/consensus_graph.csv";
  CIMPUTE_REQUIRE_DATA(rel);
  // The data's 11 variables, in the column order of the flow-cytometry table.
  const auto header =
      cimpute::read_delimited(cimpute_test::data_path("sachs/sachs_9conditions_labeled.csv"))
          .header;
  std::vector<std::string> vars;
  for (const auto& h : header)
    if (h != "condition" && h != "target" && h != "iv_type") vars.push_back(h);
  REQUIRE(vars.size() == 11);
  const Dag g = cimpute::read_edge_list(cimpute_test::data_path(rel), vars);
  CHECK(g.num_arcs() == 18);
  CHECK(g.has_arc(g.node("praf"), g.node("pmek")));
  const auto out = (cimpute_test::temp_dir() / "sachs_roundtrip.csv").string();
  cimpute::write_edge_list(out, g);
  const Dag back = cimpute::read_edge_list(out, vars);
  CHECK(back.arcs() == g.arcs());
  CHECK_THROWS_WITH(cimpute::read_edge_list(cimpute_test::data_path(rel), {"praf", "pmek"}),
                    Catch::Contains("consensus_graph.csv:") && Catch::Contains("no node named"));
}
