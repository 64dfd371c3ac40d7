// NTK Gram matrix cost against the bare inner-product GEMM on the same data (same threads):
// the goal is time(NTK Gram) / time(X X^T) <= 1.3 at n = 20,000, d = 978.
//
//   ./gram_bench --benchmark_filter=/5000      # one size
#include <cimpute/kernels.hpp>

#include <benchmark/benchmark.h>

#include <random>

namespace {
Eigen::MatrixXd points(Eigen::Index n, Eigen::Index d) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> n01(0, 1);
  Eigen::MatrixXd X(n, d);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = n01(rng);
  return X;
}

// The bare symmetric rank update X X^T (lower triangle), what gram() starts from.
void BM_SyrkXXt(benchmark::State& state) {
  const Eigen::MatrixXd X = points(state.range(0), 978);
  Eigen::MatrixXd G(X.rows(), X.rows());
  for (auto _ : state) {
    G.setZero();
    G.selfadjointView<Eigen::Lower>().rankUpdate(X);
    benchmark::DoNotOptimize(G.data());
  }
}
// The full GEMM X X^T.
void BM_GemmXXt(benchmark::State& state) {
  const Eigen::MatrixXd X = points(state.range(0), 978);
  Eigen::MatrixXd G(X.rows(), X.rows());
  for (auto _ : state) {
    G.noalias() = X * X.transpose();
    benchmark::DoNotOptimize(G.data());
  }
}
void BM_NtkGram(benchmark::State& state) {
  const Eigen::MatrixXd X = points(state.range(0), 978);
  const cimpute::NtkKernel<double> k(static_cast<int>(state.range(1)));
  for (auto _ : state) {
    Eigen::MatrixXd K = cimpute::gram(k, X);
    benchmark::DoNotOptimize(K.data());
  }
}
void BM_NtkGramBias(benchmark::State& state) {
  const Eigen::MatrixXd X = points(state.range(0), 978);
  const cimpute::NtkKernel<double> k(static_cast<int>(state.range(1)), 0.5);
  for (auto _ : state) {
    Eigen::MatrixXd K = cimpute::gram(k, X);
    benchmark::DoNotOptimize(K.data());
  }
}
} // namespace

BENCHMARK(BM_SyrkXXt)
    ->Arg(2000)
    ->Arg(5000)
    ->Arg(20000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_GemmXXt)
    ->Arg(2000)
    ->Arg(5000)
    ->Arg(20000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_NtkGram)
    ->Args({2000, 1})
    ->Args({5000, 1})
    ->Args({20000, 1})
    ->Args({5000, 3})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_NtkGramBias)->Args({5000, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
