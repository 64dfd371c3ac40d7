// Graphs and SEMs at scale (issue: graphs and SEMs, section 4):
// - CPDAG and I-CPDAG of a 5,000-node Erdős–Rényi DAG with expected degree 2 (seconds);
// - sampling from a 1,000-node linear Gaussian SEM (samples/s; 1e6 samples are drawn in blocks
//   of 1e5 so that memory stays at 0.8 GB);
// - neighbourhood queries on a 10,000-node sparse DAG, and the default perturbation simulator.
//
//   ./graph_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>

#include <benchmark/benchmark.h>

namespace {
void BM_Cpdag(benchmark::State& state) {
  const cimpute::Dag g = cimpute::random_dag(int(state.range(0)), 2.0, 1);
  for (auto _ : state) benchmark::DoNotOptimize(cimpute::cpdag(g).num_arcs());
  state.counters["arcs"] = g.num_arcs();
}
void BM_InterventionalCpdag(benchmark::State& state) {
  const int p = int(state.range(0));
  const cimpute::Dag g = cimpute::random_dag(p, 2.0, 1);
  // Ten single-node target sets, as in a small screen.
  std::vector<std::vector<int>> targets;
  for (int k = 0; k < 10; ++k) targets.push_back({k * (p / 10)});
  for (auto _ : state)
    benchmark::DoNotOptimize(cimpute::interventional_cpdag(g, targets).num_arcs());
}
void BM_SampleLinearSem(benchmark::State& state) {
  const cimpute::Dag g = cimpute::random_dag(1000, 2.0, 2);
  const auto sem = cimpute::LinearGaussianSem<double>::random(g, 3);
  const Eigen::Index block = 100000, total = state.range(0);
  std::uint64_t seed = 0;
  for (auto _ : state)
    for (Eigen::Index done = 0; done < total; done += block)
      benchmark::DoNotOptimize(sem.sample(std::min(block, total - done), ++seed).data());
  state.SetItemsProcessed(state.iterations() * total);
}
void BM_NeighbourhoodQueries(benchmark::State& state) {
  const int p = 10000;
  const cimpute::Dag g = cimpute::random_dag(p, 2.0, 4);
  for (auto _ : state) {
    std::size_t acc = 0;
    for (int v = 0; v < p; ++v)
      acc += g.parents(v).size() + g.children(v).size() + g.markov_blanket(v).size();
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(state.iterations() * p);
}
void BM_SimulatorDefault(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(cimpute::simulate_perturbations<double>().signatures.num_observed());
}
} // namespace

BENCHMARK(BM_Cpdag)->Arg(1000)->Arg(5000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InterventionalCpdag)->Arg(5000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SampleLinearSem)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NeighbourhoodQueries)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimulatorDefault)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
