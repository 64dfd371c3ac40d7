// I/O benchmarks: GCT text parse throughput (MB/s; the A375 plate and a generated ~200 MB GCT) and
// GCTX subset reads (1% of columns) against whole-file reads.
//
//   ./io_bench                     # all
//   ./io_bench --benchmark_filter=Gct
// Generated files go to $TMPDIR (default /tmp) and are reused between runs.
#include <cimpute/io.hpp>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <string>

namespace fs = std::filesystem;

namespace {
const std::string kData = CIMPUTE_DATA_DIR;

// A features x samples matrix with CMap-like values, deterministic.
cimpute::LabeledMatrix<float> synthetic(Eigen::Index rows, Eigen::Index cols) {
  std::mt19937 rng(1234);
  std::normal_distribution<float> d(8.0f, 2.0f);
  Eigen::MatrixXf x(rows, cols);
  for (Eigen::Index i = 0; i < x.size(); ++i) x(i) = d(rng);
  std::vector<std::string> r, c;
  for (Eigen::Index i = 0; i < rows; ++i) r.push_back("gene_" + std::to_string(i));
  for (Eigen::Index j = 0; j < cols; ++j) c.push_back("sample_" + std::to_string(j));
  cimpute::MetadataTable cm(cols);
  std::vector<std::string> cell(static_cast<std::size_t>(cols));
  for (Eigen::Index j = 0; j < cols; ++j) cell[std::size_t(j)] = "cell" + std::to_string(j % 24);
  cm.add_field("cell_id", cell);
  return cimpute::LabeledMatrix<float>(x, r, c, cimpute::MetadataTable(rows), cm);
}

std::string generated(const std::string& name, Eigen::Index rows, Eigen::Index cols, bool gctx,
                      unsigned chunk_columns = 8) {
  const fs::path p = fs::temp_directory_path() / name;
  if (!fs::exists(p)) {
    const auto m = synthetic(rows, cols);
    if (gctx) {
#if CIMPUTE_HAS_HDF5
      cimpute::GctxWriteOptions o;
      o.chunk_columns = chunk_columns;
      cimpute::write_gctx(p.string(), m, o);
#endif
    } else {
      cimpute::write_gct(p.string(), m, 6);
    }
  }
  return p.string();
}

void gct_parse(benchmark::State& state, const std::string& path) {
  if (!fs::exists(path)) {
    state.SkipWithError(("missing " + path).c_str());
    return;
  }
  const auto bytes = static_cast<std::int64_t>(fs::file_size(path));
  for (auto _ : state) {
    auto m = cimpute::read_gct<float>(path);
    benchmark::DoNotOptimize(m.data().data());
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}

void BM_GctParse_A375(benchmark::State& state) {
  gct_parse(state, kData + "/l1000/a375_level3_plate_n978x377.gct");
}
BENCHMARK(BM_GctParse_A375)->Unit(benchmark::kMillisecond);

void BM_GctParse_Generated200MB(benchmark::State& state) {
  // 978 x 26,000 values at 6 significant digits is about 200 MB.
  gct_parse(state, generated("cimpute_bench_978x26000.gct", 978, 26000, false));
}
BENCHMARK(BM_GctParse_Generated200MB)->Unit(benchmark::kMillisecond)->Iterations(3);

#if CIMPUTE_HAS_HDF5
void gctx_read(benchmark::State& state, const std::string& path, double fraction) {
  if (!fs::exists(path)) {
    state.SkipWithError(("missing " + path).c_str());
    return;
  }
  const auto info = cimpute::read_gctx_info(path);
  cimpute::GctxSelection sel;
  if (fraction < 1.0) {
    const auto n = static_cast<std::size_t>(info.col_ids.size());
    const std::size_t k = std::max<std::size_t>(1, static_cast<std::size_t>(fraction * double(n)));
    std::mt19937 rng(7);
    std::vector<std::string> ids = info.col_ids;
    std::shuffle(ids.begin(), ids.end(), rng);
    sel.col_ids.assign(ids.begin(), ids.begin() + std::ptrdiff_t(k));
  }
  for (auto _ : state) {
    auto m =
        fraction < 1.0 ? cimpute::read_gctx<float>(path, sel) : cimpute::read_gctx<float>(path);
    benchmark::DoNotOptimize(m.data().data());
  }
  state.counters["columns"] =
      double(sel.col_ids.empty() ? info.col_ids.size() : sel.col_ids.size());
}

void BM_GctxA375_Whole(benchmark::State& s) {
  gctx_read(s, kData + "/l1000/a375_level3_plate_n978x377.gctx", 1.0);
}
void BM_GctxA375_1pct(benchmark::State& s) {
  gctx_read(s, kData + "/l1000/a375_level3_plate_n978x377.gctx", 0.01);
}
void BM_GctxGenerated_Whole(benchmark::State& s) {
  gctx_read(s, generated("cimpute_bench_978x50000.gctx", 978, 50000, true), 1.0);
}
void BM_GctxGenerated_1pct(benchmark::State& s) {
  gctx_read(s, generated("cimpute_bench_978x50000.gctx", 978, 50000, true), 0.01);
}
// The same matrix stored one sample per chunk: a 1% subset then decompresses only its samples.
void BM_GctxGeneratedChunk1_Whole(benchmark::State& s) {
  gctx_read(s, generated("cimpute_bench_978x50000_c1.gctx", 978, 50000, true, 1), 1.0);
}
void BM_GctxGeneratedChunk1_1pct(benchmark::State& s) {
  gctx_read(s, generated("cimpute_bench_978x50000_c1.gctx", 978, 50000, true, 1), 0.01);
}
void BM_GctxInfoOnly_Generated(benchmark::State& s) {
  const auto path = generated("cimpute_bench_978x50000.gctx", 978, 50000, true);
  for (auto _ : s) benchmark::DoNotOptimize(cimpute::read_gctx_info(path).col_ids.data());
}
BENCHMARK(BM_GctxGeneratedChunk1_Whole)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GctxGeneratedChunk1_1pct)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GctxInfoOnly_Generated)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GctxA375_Whole)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GctxA375_1pct)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GctxGenerated_Whole)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GctxGenerated_1pct)->Unit(benchmark::kMillisecond);
#endif
} // namespace

BENCHMARK_MAIN();
