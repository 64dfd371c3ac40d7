// GIES on the reference protocol of ../shared/reference/causal_discovery.md, next to the figures
// measured there with the pure-Python port of pcalg's GIES: random DAGs (expected degree 1.5,
// weights +-U[0.25, 1], unit noise), one observational and five single-node perfect N(0, 0.2)
// settings on distinct random nodes, n = 1,000 per setting; SHD of the I-CPDAG to the true DAG
// (a pair counts once) and seconds per DAG (median), for p = 20 and p = 50, with IGSP (Gaussian
// tests, alpha 1e-3) on the same data for contrast. Then the scale run: p = 1,000, Erdős–Rényi
// expected degree 2, 20 single-node settings, n = 1,000 per setting, with the BIC penalty
// (lambda 1) and twice it (lambda 2).
//
//   ./gies_sim [dags=10] [scale_p=1000]      (scale_p = 0 skips the scale run)
#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>

namespace {
struct Problem {
  cimpute::Dag g;
  cimpute::InterventionalData data;
};

Problem make(int p, double degree, int settings, Eigen::Index n, std::uint64_t seed) {
  Problem pr{cimpute::random_dag(p, degree, seed), {}};
  const auto sem = cimpute::LinearGaussianSem<double>::random(pr.g, seed + 1);
  pr.data.observational = sem.sample(n, seed + 2);
  std::vector<int> nodes(static_cast<std::size_t>(p));
  std::iota(nodes.begin(), nodes.end(), 0);
  std::mt19937_64 rng(seed + 3);
  std::shuffle(nodes.begin(), nodes.end(), rng);
  for (int k = 0; k < settings; ++k) {
    const std::vector<int> t{nodes[std::size_t(k)]};
    pr.data.settings.push_back(
        sem.sample(n, seed + 10 + std::uint64_t(k), cimpute::Intervention::perfect(t, 0.0, 0.2)));
    pr.data.targets.push_back(t);
  }
  return pr;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}
} // namespace

int main(int argc, char** argv) {
  const int dags = argc > 1 ? std::atoi(argv[1]) : 10;
  const int scale_p = argc > 2 ? std::atoi(argv[2]) : 1000;
  struct Reference {
    int p;
    double shd, seconds;
  };
  // The pure-Python port of pcalg's GIES on this machine (reference/causal_discovery.md).
  const Reference refs[] = {{20, 4.2, 3.3}, {50, 18.0, 121.0}};
  std::printf("reference protocol: degree 1.5, 5 single-node perfect N(0, 0.2) settings, "
              "n = 1000 per setting, %d DAGs\n",
              dags);
  std::printf("%4s %-6s %9s %11s %14s %14s %12s\n", "p", "method", "mean SHD", "median s",
              "reference SHD", "reference s", "speed-up");
  for (const Reference& ref : refs) {
    if (dags == 0) break;
    std::vector<double> t_gies, t_igsp;
    double shd_gies = 0, shd_igsp = 0;
    for (int d = 0; d < dags; ++d) {
      const Problem pr = make(ref.p, 1.5, 5, 1000, 1000 * std::uint64_t(ref.p) + std::uint64_t(d));
      const cimpute::Pdag truth(pr.g);
      auto t0 = std::chrono::steady_clock::now();
      const auto r = cimpute::gies(pr.data);
      t_gies.push_back(seconds_since(t0));
      shd_gies += cimpute::shd(r.essential, truth) / double(dags);
      cimpute::DiscoveryOptions o;
      t0 = std::chrono::steady_clock::now();
      const auto ig = cimpute::discover(pr.data, o);
      t_igsp.push_back(seconds_since(t0));
      shd_igsp += cimpute::shd(ig.essential, truth) / double(dags);
    }
    std::printf("%4d %-6s %9.1f %11.3f %14.1f %14.1f %11.0fx\n", ref.p, "gies", shd_gies,
                median(t_gies), ref.shd, ref.seconds, ref.seconds / median(t_gies));
    std::printf("%4d %-6s %9.1f %11.3f\n", ref.p, "igsp", shd_igsp, median(t_igsp));
    std::fflush(stdout);
  }
  if (scale_p > 0) {
    const Problem pr = make(scale_p, 2.0, 20, 1000, 7);
    std::printf("\nscale: p = %d, degree 2, 20 single-node settings, n = 1000 per setting "
                "(%d true arcs)\n",
                scale_p, pr.g.num_arcs());
    std::fflush(stdout);
    for (double lambda : {1.0, 2.0}) {
      const auto t0 = std::chrono::steady_clock::now();
      cimpute::GiesOptions o;
      o.lambda = lambda;
      auto last = t0;
      o.progress = [&](const char* phase, int edges, double score) {
        if (seconds_since(last) < 30) return;
        last = std::chrono::steady_clock::now();
        std::fprintf(stderr, "  %6.0f s  %-8s %5d edges  score %.6g\n", seconds_since(t0), phase,
                     edges, score);
      };
      const auto r = cimpute::gies(pr.data, o);
      const double s = seconds_since(t0);
      std::printf("gies lambda %.0f: %.1f s, steps forward %d backward %d turning %d, %d edges, "
                  "SHD %d\n",
                  lambda, s, r.forward_steps, r.backward_steps, r.turning_steps,
                  r.essential.num_arcs() + r.essential.num_undirected(),
                  cimpute::shd(r.essential, cimpute::Pdag(pr.g)));
      std::fflush(stdout);
    }
  }
  return 0;
}
