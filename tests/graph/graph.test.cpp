// Graphs: the pcalg oracle cases for CPDAGs and interventional CPDAGs (also under random
// relabellings), d-separation cases, equivalence class sizes, covered-arc invariance, SHD.
#include "test_data.hpp"

#include <cimpute/graph.hpp>
#include <cimpute/io/edge_list.hpp>
#include <cimpute/io/table.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

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

namespace {
// Hauser & Bühlmann (2012, Theorem 10): two DAGs are interventionally Markov equivalent for a
// target family iff, for every target set I of the family and the empty set, the graphs with the
// arcs into I removed have the same skeleton and the same v-structures. An oracle independent of
// the protection rules that `interventional_cpdag` applies.
using Triple = std::tuple<int, int, int>;
std::set<Triple> v_structures(const Dag& g) {
  std::set<Triple> out;
  for (int c = 0; c < g.num_nodes(); ++c) {
    const auto& pa = g.parents(c);
    for (std::size_t x = 0; x < pa.size(); ++x)
      for (std::size_t y = x + 1; y < pa.size(); ++y)
        if (!g.adjacent(pa[x], pa[y])) out.emplace(pa[x], c, pa[y]);
  }
  return out;
}
std::set<std::pair<int, int>> skeleton(const Dag& g) {
  std::set<std::pair<int, int>> out;
  for (auto [i, j] : g.arcs()) out.emplace(std::min(i, j), std::max(i, j));
  return out;
}
Dag without_arcs_into(const Dag& g, const std::vector<int>& targets) {
  Dag h = g;
  for (int t : targets)
    for (int q : g.parents(t)) h.remove_arc(q, t);
  return h;
}
bool i_equivalent(const Dag& a, const Dag& b, std::vector<std::vector<int>> family) {
  family.push_back({});
  for (const auto& I : family) {
    const Dag ma = without_arcs_into(a, I), mb = without_arcs_into(b, I);
    if (skeleton(ma) != skeleton(mb) || v_structures(ma) != v_structures(mb)) return false;
  }
  return true;
}
} // namespace

TEST_CASE("graph: enumerated (I-)equivalence classes equal the brute-force characterisation",
          "[graph][mec]") {
  for (std::uint64_t seed = 0; seed < 24; ++seed) {
    const Dag g = cimpute::random_dag(7, 3, seed);
    std::vector<std::vector<int>> family;
    if (seed % 3 == 1) family = {{int(seed % 7)}};
    if (seed % 3 == 2) family = {{int(seed % 7)}, {int((seed + 3) % 7), int((seed + 5) % 7)}};
    INFO("seed " << seed << ", " << family.size() << " target sets, " << g.num_arcs() << " arcs");
    // Brute force: every acyclic orientation of g's skeleton, kept when I-equivalent to g.
    const auto edges = g.arcs();
    std::set<std::vector<std::pair<int, int>>> brute;
    for (std::uint32_t mask = 0; mask < (1U << edges.size()); ++mask) {
      Dag h(g.num_nodes());
      bool acyclic = true;
      for (std::size_t k = 0; k < edges.size() && acyclic; ++k) {
        try {
          if (mask >> k & 1U)
            h.add_arc(edges[k].second, edges[k].first);
          else
            h.add_arc(edges[k].first, edges[k].second);
        } catch (const cimpute::invalid_argument&) {
          acyclic = false;
        }
      }
      if (acyclic && i_equivalent(g, h, family)) brute.insert(h.arcs());
    }
    const Pdag e = cimpute::interventional_cpdag(g, family);
    const auto members = cimpute::equivalence_class(e, family);
    std::set<std::vector<std::pair<int, int>>> enumerated;
    for (const Dag& h : members) {
      enumerated.insert(h.arcs());
      CHECK(cimpute::interventional_cpdag(h, family) == e);
    }
    CHECK(enumerated.size() == members.size()); // no DAG twice
    CHECK(enumerated == brute);
    CHECK(enumerated.count(g.arcs()) == 1);
    CHECK(cimpute::equivalence_class_size(e, family) == members.size());
    // Random consistent extensions find the whole (small) class, each DAG once.
    const auto sampled = cimpute::sample_class_members(e, int(members.size()) + 5, seed);
    std::set<std::vector<std::pair<int, int>>> found;
    for (const Dag& h : sampled) found.insert(h.arcs());
    CHECK(found.size() == sampled.size());
    CHECK(found == enumerated);
  }
  // A class far too large to enumerate: the sampled DAGs are distinct members.
  const Dag big = cimpute::random_dag(200, 3, 5);
  const Pdag e = cimpute::cpdag(big);
  REQUIRE(e.undirected_edges().size() > 24);
  const auto sampled = cimpute::sample_class_members(e, 6, 9);
  CHECK(sampled.size() == 6);
  std::set<std::vector<std::pair<int, int>>> distinct;
  for (const Dag& h : sampled) {
    distinct.insert(h.arcs());
    CHECK(cimpute::cpdag(h) == e);
  }
  CHECK(distinct.size() == 6);
  // The DAG first, then other members.
  const auto around = cimpute::dag_and_class_members(big, 4, 2);
  REQUIRE(around.size() == 4);
  CHECK(around.front().arcs() == big.arcs());
  std::set<std::vector<std::pair<int, int>>> seen;
  for (const Dag& h : around) {
    seen.insert(h.arcs());
    CHECK(cimpute::cpdag(h) == e);
  }
  CHECK(seen.size() == 4);
  CHECK_THROWS_WITH(cimpute::sample_class_members(e, 0), Catch::Contains("sample_class_members"));
  // A PDAG that is no essential graph represents no class.
  Pdag not_essential(3);
  not_essential.add_arc(0, 1);
  not_essential.add_arc(1, 2);
  CHECK(cimpute::equivalence_class(not_essential).empty());
}

TEST_CASE("graph: scale-free DAGs by preferential attachment", "[graph][random]") {
  const int p = 2000;
  const Dag g = cimpute::scale_free_dag(p, 2, 3);
  CHECK(g.arcs() == cimpute::scale_free_dag(p, 2, 3).arcs());
  CHECK(g.arcs() != cimpute::scale_free_dag(p, 2, 4).arcs());
  // Node k of the growth gets min(2, k) parents: 0 + 1 + 2 (p - 2) arcs.
  CHECK(g.num_arcs() == 1 + 2 * (p - 2));
  std::vector<int> in_degree_count(3, 0);
  int max_out = 0;
  for (int v = 0; v < p; ++v) {
    REQUIRE(g.parents(v).size() <= 2);
    ++in_degree_count[g.parents(v).size()];
    max_out = std::max(max_out, int(g.children(v).size()));
  }
  CHECK(in_degree_count == std::vector<int>{1, 1, p - 2});
  CHECK(int(g.topological_order().size()) == p);
  // Hubs: an Erdős–Rényi DAG with the same mean degree has a far smaller maximum out-degree.
  const Dag er = cimpute::random_dag(p, 2.0 * g.num_arcs() / p, 3);
  int er_max_out = 0;
  for (int v = 0; v < p; ++v) er_max_out = std::max(er_max_out, int(er.children(v).size()));
  CHECK(max_out > 3 * er_max_out);
  CHECK_THROWS_WITH(cimpute::scale_free_dag(10, 0, 1), Catch::Contains("scale_free_dag"));
}

TEST_CASE("graph: PDAG edge lists (undirected edges both ways, sorted by name)", "[graph][csv]") {
  Pdag e(3);
  e.add_arc(2, 0);
  e.add_undirected(0, 1);
  std::ostringstream os;
  cimpute::write_edge_list(os, e, {"b", "a", "c"});
  CHECK(os.str() == "cause,effect\na,b\nb,a\nc,b\n");
  const auto path = (cimpute_test::temp_dir() / "pdag_edges.csv").string();
  cimpute::write_edge_list(path, e, {"b", "a", "c"});
  const auto table = cimpute::read_delimited(path);
  CHECK(table.rows.size() == 3);
  CHECK(table.rows[2] == std::vector<std::string>{"c", "b"});
  CHECK_THROWS_WITH(cimpute::write_edge_list(os, e, {"x"}), Catch::Contains("1 names for 3"));
}
