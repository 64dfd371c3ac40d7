// Causal drug targets: descendants along arcs and, apart, through undirected edges; disease genes
// and scores; drugs; the DOT picture; the descendants of random DAGs against a transitive closure.
#include <cimpute/connectivity/target_ranking.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/io/interactome.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

TEST_CASE("rank_targets: descendants, disease genes, scores and drugs", "[connectivity][targets]") {
  // E -> A -> B -> C, B - D (undirected); disease genes C (+2), D (-1), A (+0.5).
  const std::vector<std::string> names{"A", "B", "C", "D", "E"};
  cimpute::Pdag g(5);
  g.add_arc(4, 0);
  g.add_arc(0, 1);
  g.add_arc(1, 2);
  g.add_undirected(1, 3);
  cimpute::GeneSignature s;
  s.ids = {"C", "D", "A", "Q"};
  s.values = Eigen::Vector4d(2.0, -1.0, 0.5, 9.0);
  const std::vector<std::pair<std::string, std::string>> drugs{
      {"A", "d2"}, {"A", "d1"}, {"B", "d3"}, {"Z", "d4"}, {"A", "d1"}, {"E", "d5"}};
  const auto r = cimpute::rank_targets(g, names, s, drugs);
  REQUIRE(r.size() == 3);
  CHECK(r[0].gene == "E"); // A, B, C below it, D possibly: score 2.5, possible 1
  CHECK(r[0].descendants == std::vector<std::string>{"A", "B", "C"});
  CHECK(r[0].score == Approx(2.5).epsilon(1e-15));
  CHECK(r[1].gene == "A"); // ties with B on (2, 1): by name
  CHECK(r[1].descendants == std::vector<std::string>{"B", "C"});
  CHECK(r[1].possible_descendants == std::vector<std::string>{"D"});
  CHECK(r[1].disease_descendants == 1);
  CHECK(r[1].possible_disease_descendants == 1);
  CHECK(r[1].score == 2.0);
  CHECK(r[1].possible_score == 1.0);
  CHECK(r[1].drugs == std::vector<std::string>{"d1", "d2"});
  CHECK(r[1].disease_gene);
  CHECK(r[1].log2fc == 0.5);
  CHECK(r[2].gene == "B");
  CHECK_FALSE(r[2].disease_gene);
  std::ostringstream dot;
  cimpute::write_target_dot(dot, g, names, "B", s);
  CHECK_THAT(dot.str(), Catch::Contains("\"B\" [shape=box") && Catch::Contains("\"B\" -> \"C\";") &&
                            Catch::Contains("\"B\" -> \"D\" [dir=none];") &&
                            !Catch::Contains("\"A\""));
  CHECK_THROWS_WITH(cimpute::write_target_dot(dot, g, names, "Z", s),
                    Catch::Contains("'Z' is not a node of the graph"));
}

TEST_CASE("rank_targets: descendants equal the transitive closure", "[connectivity][targets]") {
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    const cimpute::Dag d = cimpute::random_dag(30, 2, seed);
    const int p = d.num_nodes();
    Eigen::MatrixXi reach = Eigen::MatrixXi::Zero(p, p);
    for (auto [a, b] : d.arcs()) reach(a, b) = 1;
    for (int k = 0; k < p; ++k) // Warshall
      for (int i = 0; i < p; ++i)
        for (int j = 0; j < p; ++j) reach(i, j) |= reach(i, k) & reach(k, j);
    for (int v = 0; v < p; ++v) {
      std::vector<int> expected;
      for (int w = 0; w < p; ++w)
        if (reach(v, w)) expected.push_back(w);
      CHECK(cimpute::reachable(cimpute::Pdag(d), v, false) == expected);
    }
  }
}

TEST_CASE("rank_targets on the SARS-CoV-2 drug targets (../shared/data/covid)",
          "[connectivity][targets][data]") {
  const std::string f = std::string(CIMPUTE_DATA_DIR) + "/covid/drug_targets_in_network.tsv";
  if (!std::ifstream(f)) {
    WARN("skipped: " << f << " is absent");
    return;
  }
  const auto pairs = cimpute::read_drug_targets(f);
  CHECK(pairs.front().second == "dasatinib"); // column `drug`, not the second column
  std::size_t lines = 0;
  std::ifstream in(f);
  for (std::string l; std::getline(in, l);) lines += !l.empty();
  CHECK(pairs.size() == lines - 1);
}

#include <cimpute/sem.hpp>
#include <cimpute/workflow/causal_targets.hpp>

TEST_CASE("causal_targets: a planted regulator is ranked above the genes below it",
          "[connectivity][targets]") {
  // T -> A -> B -> C, T -> D; E isolated; all observed in 2,000 cells; the interactome holds
  // the true skeleton and two false pairs; disease genes B (+2) and C (-1); drugs hit T and B;
  // gene Z is never expressed.
  const std::vector<std::string> genes{"T", "A", "B", "C", "D", "E", "Z"};
  cimpute::Dag g(6);
  g.add_arc(0, 1);
  g.add_arc(1, 2);
  g.add_arc(2, 3);
  g.add_arc(0, 4);
  const auto sem = cimpute::LinearGaussianSem<double>::random(g, 3);
  Eigen::MatrixXd cells = Eigen::MatrixXd::Zero(2000, 7);
  cells.leftCols(6) = sem.sample(2000, 4);
  cimpute::UndirectedNetwork net;
  for (auto [a, b] : g.arcs()) net.add_edge(genes[std::size_t(a)], genes[std::size_t(b)], 0.5);
  net.add_edge("A", "E", 0.5);
  net.add_edge("C", "D", 0.5);
  net.add_edge("Z", "T", 0.5);
  cimpute::GeneSignature s;
  s.ids = {"B", "C"};
  s.values = Eigen::Vector2d(2.0, -1.0);
  const std::vector<std::pair<std::string, std::string>> drugs{{"T", "drug1"}, {"B", "drug2"}};
  for (auto method : {cimpute::DiscoveryMethod::Pc, cimpute::DiscoveryMethod::Gsp}) {
    cimpute::CausalTargetsOptions o;
    o.discovery.method = method;
    o.discovery.bootstrap = 10;
    o.discovery.alphas = {1e-3, 1e-2};
    o.min_expressed = 0.5;
    const auto r = cimpute::causal_targets(cells, genes, net, s, drugs, o);
    CHECK(r.unexpressed == 1); // Z
    CHECK(r.genes.size() == 6);
    REQUIRE(r.targets.size() == 2);
    // T reaches B and C (along arcs or through the undirected edges of the essential graph).
    const auto& t = r.targets[0].gene == "T" ? r.targets[0] : r.targets[1];
    CHECK(t.disease_descendants + t.possible_disease_descendants == 2);
    CHECK(t.score + t.possible_score == Approx(3.0).epsilon(1e-12));
    CHECK_FALSE(r.stable.adjacent(1, 5)); // the false pairs stay out
    CHECK_FALSE(r.stable.adjacent(3, 4));
  }
  cimpute::CausalTargetsOptions o;
  cells.col(1).head(1990).setZero(); // A expressed in 10 of 2,000 cells
  o.min_expressed = 0.5;
  o.discovery.bootstrap = 2;
  const auto r = cimpute::causal_targets(cells, genes, net, s, drugs, o);
  CHECK(r.unexpressed == 2);
  const std::vector<std::pair<std::string, std::string>> elsewhere{{"Q", "drug"}};
  CHECK_THROWS_WITH(cimpute::causal_targets(cells, genes, net, s, elsewhere, o),
                    Catch::Contains("no drug target (1 pairs) is among the genes"));
}

TEST_CASE("edge_frequencies: arcs with their directed frequency, undirected edges both ways",
          "[connectivity][targets]") {
  cimpute::CausalTargetsResult r;
  r.genes = {"A", "B", "C", "D"};
  r.discovery.adjacency_frequency = Eigen::MatrixXd::Zero(4, 4);
  r.discovery.directed_frequency = Eigen::MatrixXd::Zero(4, 4);
  auto& adj = r.discovery.adjacency_frequency;
  auto& dir = r.discovery.directed_frequency;
  adj(0, 1) = adj(1, 0) = 0.9; // stable arc B -> A
  dir(1, 0) = 0.7;
  dir(0, 1) = 0.2;
  adj(1, 2) = adj(2, 1) = 0.5; // stable undirected B - C
  adj(0, 3) = adj(3, 0) = 0.1; // below the threshold: in no stable graph, listed both ways
  r.stable = cimpute::Pdag(4);
  r.stable.add_arc(1, 0);
  r.stable.add_undirected(1, 2);
  const auto e = cimpute::edge_frequencies(r);
  REQUIRE(e.size() == 5);
  CHECK((e[0].cause == "B" && e[0].effect == "A" && e[0].frequency == 0.7));
  CHECK((e[1].cause == "A" && e[1].effect == "D" && e[1].frequency == 0.1));
  CHECK((e[2].cause == "D" && e[2].effect == "A" && e[2].frequency == 0.1));
  CHECK((e[3].cause == "B" && e[3].effect == "C" && e[3].frequency == 0.5));
  CHECK((e[4].cause == "C" && e[4].effect == "B" && e[4].frequency == 0.5));
}
