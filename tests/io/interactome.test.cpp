// Interactome and node-prize files: repeated pairs, absent names, malformed lines.
#include <cimpute/io/interactome.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

namespace {
std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = "interactome_test_" + name;
  std::ofstream(path) << text;
  return path;
}
} // namespace

TEST_CASE("read_interactome: a pair listed twice keeps its lowest cost", "[io][interactome]") {
  const std::string p =
      write_temp("a.tsv", "protein1\tprotein2\tcost\nA\tB\t0.5\nB\tC\t0.25\nB\tA\t0.125\n");
  const auto net = cimpute::read_interactome(p);
  CHECK(net.network.num_nodes() == 3);
  REQUIRE(net.network.num_edges() == 2);
  CHECK(net.repeated_pairs == 1);
  CHECK(net.network.edge(0).cost == 0.125);
  CHECK(net.network.degrees() == std::vector<int>{1, 2, 1});
  const std::string q = write_temp("p.tsv", "name\tprize\textra\nA\t1.5\tx\nZ\t2\ty\nA\t3\tz\n");
  const auto prizes = cimpute::read_node_prizes(q, net.network);
  CHECK(prizes.prizes[0] == 3.0);
  CHECK(prizes.prizes[1] == 0.0);
  CHECK(prizes.repeated == 1);
  CHECK(prizes.absent == std::vector<std::string>{"Z"});
  std::remove(p.c_str());
  std::remove(q.c_str());
}

TEST_CASE("read_interactome / read_node_prizes: bad lines name the file and line",
          "[io][interactome]") {
  const std::string bad_cost = write_temp("b.csv", "protein1,protein2,cost\nA,B,0.5\nA,C,-1\n");
  CHECK_THROWS_WITH(cimpute::read_interactome(bad_cost),
                    Catch::Contains(bad_cost + ":3:3") && Catch::Contains("cost '-1' of A - C"));
  const auto loop =
      cimpute::read_interactome(write_temp("c.csv", "protein1,protein2,cost\nA,A,0.5\nA,B,1\n"));
  CHECK(loop.self_loops == 1);
  CHECK(loop.network.num_edges() == 1);
  CHECK(loop.network.num_nodes() == 2);
  const std::string columns = write_temp("d.csv", "a,b,c\nA,B,0.5\n");
  CHECK_THROWS_WITH(cimpute::read_interactome(columns),
                    Catch::Contains("protein1, protein2 and cost"));
  const auto net =
      cimpute::read_interactome(write_temp("e.csv", "protein1,protein2,cost\nA,B,1\n"));
  const std::string none = write_temp("f.tsv", "name\tprize\nQ\t1\n");
  CHECK_THROWS_WITH(cimpute::read_node_prizes(none, net.network),
                    Catch::Contains("no name in") && Catch::Contains("(1 names read)"));
  const std::string nan = write_temp("g.tsv", "name\tprize\nA\tnan\n");
  CHECK_THROWS_WITH(cimpute::read_node_prizes(nan, net.network),
                    Catch::Contains(":2:2") && Catch::Contains("prize 'nan' of 'A'"));
  for (const char* f : {"b.csv", "c.csv", "d.csv", "e.csv", "f.tsv", "g.tsv"})
    std::remove(("interactome_test_" + std::string(f)).c_str());
}
