// One query against 100,000 simulated reference signatures of 978 genes (double precision, and
// float for the sort-based scores): goals under 1 s for cosine and under 10 s for WTCS on the
// machine's cores (OpenMP). Reported times are per scoring call; the median of 5 repetitions.
//
//   ./connectivity_bench --benchmark_filter=Wtcs
#include <cimpute/connectivity.hpp>

#include <benchmark/benchmark.h>

#include <random>

namespace {
constexpr Eigen::Index kGenes = 978, kRefs = 100000;

template <class Matrix>
const Matrix& references() {
  static const Matrix R = [] {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> n01(0, 1);
    Matrix m(kRefs, kGenes);
    for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = typename Matrix::Scalar(n01(rng));
    return m;
  }();
  return R;
}
Eigen::VectorXd query() {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> n01(0, 1);
  Eigen::VectorXd q(kGenes);
  for (Eigen::Index g = 0; g < kGenes; ++g) q[g] = n01(rng);
  return q;
}
cimpute::GeneSetQuery sets() {
  cimpute::AlignedSignature a;
  a.values = query();
  for (Eigen::Index g = 0; g < kGenes; ++g) a.columns.push_back(g);
  return cimpute::top_gene_sets(a, 150); // CLUE's largest query sets
}

template <class Matrix>
void BM_Cosine(benchmark::State& state) {
  const Matrix& R = references<Matrix>();
  const Eigen::VectorXd q = query();
  for (auto _ : state) benchmark::DoNotOptimize(cimpute::cosine_scores(R, q).data());
}
template <class Matrix>
void BM_Pearson(benchmark::State& state) {
  const Matrix& R = references<Matrix>();
  const Eigen::VectorXd q = query();
  for (auto _ : state) benchmark::DoNotOptimize(cimpute::pearson_scores(R, q).data());
}
template <class Matrix>
void BM_Spearman(benchmark::State& state) {
  const Matrix& R = references<Matrix>();
  const Eigen::VectorXd q = query();
  for (auto _ : state) benchmark::DoNotOptimize(cimpute::spearman_scores(R, q).data());
}
template <class Matrix>
void BM_Wtcs(benchmark::State& state) {
  const Matrix& R = references<Matrix>();
  const cimpute::GeneSetQuery q = sets();
  for (auto _ : state) benchmark::DoNotOptimize(cimpute::wtcs_scores(R, q).data());
}
template <class Matrix>
void BM_Ks(benchmark::State& state) {
  const Matrix& R = references<Matrix>();
  const cimpute::GeneSetQuery q = sets();
  for (auto _ : state) benchmark::DoNotOptimize(cimpute::ks_scores(R, q).data());
}
} // namespace

#define CIMPUTE_CONNECTIVITY_BENCH(fn, M)                                                          \
  BENCHMARK_TEMPLATE(fn, M)                                                                        \
      ->Unit(benchmark::kMillisecond)                                                              \
      ->Iterations(1)                                                                              \
      ->Repetitions(5)                                                                             \
      ->ReportAggregatesOnly(true)                                                                 \
      ->UseRealTime();
CIMPUTE_CONNECTIVITY_BENCH(BM_Cosine, Eigen::MatrixXd)
CIMPUTE_CONNECTIVITY_BENCH(BM_Pearson, Eigen::MatrixXd)
CIMPUTE_CONNECTIVITY_BENCH(BM_Spearman, Eigen::MatrixXd)
CIMPUTE_CONNECTIVITY_BENCH(BM_Wtcs, Eigen::MatrixXd)
CIMPUTE_CONNECTIVITY_BENCH(BM_Ks, Eigen::MatrixXd)
CIMPUTE_CONNECTIVITY_BENCH(BM_Cosine, Eigen::MatrixXf)
CIMPUTE_CONNECTIVITY_BENCH(BM_Wtcs, Eigen::MatrixXf)

BENCHMARK_MAIN();
