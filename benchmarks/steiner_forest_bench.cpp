// The prize-collecting Steiner forest at the size of iRefIndex (issue 33): a scale-free network
// of 17,000 proteins and about 187,000 edges (preferential attachment, 11 edges per new node,
// costs uniform in [0, 1)), 300 prized terminals (prizes uniform in [0.5, 5)), OmicsIntegrator2's
// default parameters (w = 5, b = 1, g = 3). Goal: < 2 s on 2 cores. The counters give the forest's
// size and objective / lower bound (the Goemans-Williamson moats: at most 2).
//
//   ./steiner_forest_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <cimpute/graph/steiner_forest.hpp>

#include <benchmark/benchmark.h>

#include <random>

namespace {
struct Instance {
  cimpute::UndirectedNetwork net;
  Eigen::VectorXd prizes;
};
const Instance& instance(int n, int m, int terminals) {
  static Instance in;
  if (in.net.num_nodes() != n) {
    in.net = cimpute::scale_free_network(n, m, 2024);
    in.prizes = Eigen::VectorXd::Zero(n);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> prize(0.5, 5.0);
    for (int k = 0; k < terminals;) {
      const int v = int(rng() % std::uint64_t(n));
      if (in.prizes[v] == 0) {
        in.prizes[v] = prize(rng);
        ++k;
      }
    }
  }
  return in;
}

void BM_SteinerForest(benchmark::State& state) {
  const Instance& in = instance(int(state.range(0)), int(state.range(1)), int(state.range(2)));
  cimpute::SteinerForest f;
  for (auto _ : state) {
    f = cimpute::steiner_forest(in.net, in.prizes);
    benchmark::DoNotOptimize(f.objective);
  }
  state.counters["edges"] = in.net.num_edges();
  state.counters["selected"] = double(f.nodes.size());
  state.counters["trees"] = f.trees;
  state.counters["gap"] = f.objective / f.lower_bound;
}
BENCHMARK(BM_SteinerForest)->Args({17000, 11, 300})->Unit(benchmark::kMillisecond);

// Noise robustness: 20 forests with edge noise 0.1 (OmicsIntegrator2's default), on every core.
void BM_SteinerRobustness(benchmark::State& state) {
  const Instance& in = instance(17000, 11, 300);
  for (auto _ : state)
    benchmark::DoNotOptimize(
        cimpute::steiner_forest_robustness(in.net, in.prizes, {}, 20, 0.1, 1).runs);
}
BENCHMARK(BM_SteinerRobustness)->Unit(benchmark::kMillisecond);
} // namespace

BENCHMARK_MAIN();
