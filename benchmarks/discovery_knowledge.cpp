// Discovery with background knowledge (issue 33): a p = 200 Erdős–Rényi DAG with expected degree
// 2 (linear Gaussian SEM, 2,000 observational samples), learned by PC, GSP and GIES (here GES:
// observational samples only) without knowledge,
// with the true skeleton as the allowed one, and with an interactome-like superset of it (the
// true skeleton plus as many random pairs). GSP runs in both modes: pairs outside the skeleton
// tested while orders are scored and removed from the result (the default), or never tested
// (fixed gaps, as causaldag and the published SARS-CoV-2 analysis); GIES never inserts a pair
// outside the skeleton (its only mode, as pcalg's fixedGaps). Prints, per method and
// knowledge: wall time (median of `reps`), the speed-up over no knowledge, and the SHD of the
// CPDAG to the true CPDAG.
//
//   ./discovery_knowledge [p=200] [reps=3] [seeds=3]
#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace {
double seconds_of(const std::function<void()>& f, int reps) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}
} // namespace

int main(int argc, char** argv) {
  const int p = argc > 1 ? std::atoi(argv[1]) : 200;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  const int seeds = argc > 3 ? std::atoi(argv[3]) : 3;
  std::printf("p = %d, expected degree 2, n = 2000, medians of %d runs, %d DAGs\n\n", p, reps,
              seeds);
  std::printf("%-22s %-22s %10s %9s %8s\n", "method", "knowledge", "seconds", "speed-up", "SHD");
  struct Row {
    std::string method, knowledge;
    double seconds = 0, speedup = 0, shd = 0;
  };
  std::vector<Row> rows;
  for (int s = 0; s < seeds; ++s) {
    const cimpute::Dag g = cimpute::random_dag(p, 2.0, 900 + std::uint64_t(s));
    const auto sem = cimpute::LinearGaussianSem<double>::random(g, 901 + std::uint64_t(s));
    const Eigen::MatrixXd X = sem.sample(2000, 902 + std::uint64_t(s));
    const auto ci = cimpute::GaussianCiTest::from_data(X);
    const auto bic = cimpute::GaussianInterventionalBic::from_data(X, {}, {});
    const cimpute::Pdag truth = cimpute::cpdag(g);
    cimpute::BackgroundKnowledge exact(p), superset(p);
    exact.allow_only(g.arcs());
    auto pairs = g.arcs();
    std::mt19937_64 rng(7 + std::uint64_t(s));
    std::uniform_int_distribution<int> node(0, p - 1);
    for (int extra = 0; extra < g.num_arcs();) {
      const int a = node(rng), b = node(rng);
      if (a == b || g.has_arc(a, b) || g.has_arc(b, a)) continue;
      pairs.emplace_back(a, b);
      ++extra;
    }
    superset.allow_only(pairs);
    struct K {
      const char* name;
      cimpute::BackgroundKnowledge* k;
      bool fixed;
    };
    const std::vector<K> knowledge{{"none", nullptr, false},
                                   {"true skeleton", &exact, false},
                                   {"superset", &superset, false},
                                   {"true skeleton, fixed", &exact, true},
                                   {"superset, fixed", &superset, true}};
    std::size_t at = 0;
    for (const char* method : {"pc", "gsp", "gies"}) {
      double base = 0;
      for (const K& k : knowledge) {
        if (std::string(method) != "gsp" && k.fixed) continue; // PC and GIES have one mode
        if (k.k) k.k->set_fixed_gaps(k.fixed);
        cimpute::Pdag learned;
        auto run = [&] {
          if (std::string(method) == "pc") {
            learned =
                k.k ? cimpute::pc(cimpute::ConstrainedCiTest<cimpute::GaussianCiTest>(ci, *k.k))
                          .cpdag
                    : cimpute::pc(ci).cpdag;
          } else if (std::string(method) == "gies") {
            learned =
                cimpute::gies(bic, {}, {}, k.k ? *k.k : cimpute::BackgroundKnowledge{}).essential;
          } else {
            const cimpute::Dag h =
                k.k ? cimpute::gsp(cimpute::ConstrainedCiTest<cimpute::GaussianCiTest>(ci, *k.k))
                    : cimpute::gsp(ci);
            learned = cimpute::cpdag(h);
          }
        };
        const double t = seconds_of(run, reps);
        if (!k.k) base = t;
        if (rows.size() <= at) rows.push_back({method, k.name});
        Row& r = rows[at++];
        r.seconds += t / seeds;
        r.speedup += base / t / seeds;
        r.shd += double(cimpute::shd(learned, truth)) / seeds;
      }
    }
  }
  for (const Row& r : rows)
    std::printf("%-22s %-22s %10.3f %8.1fx %8.1f\n", r.method.c_str(), r.knowledge.c_str(),
                r.seconds, r.speedup, r.shd);
  return 0;
}
