// Metadata filters before values (issue 17, part 5): a generated Level-5-like GCTX (12,328 genes
// x 100,000 signatures, float32, gzip, cmapPy's chunking by default) with sig_info / gene_info
// tables; `read_signatures` with a filter selecting ~1% of the signatures plus the landmark genes
// against a full read, each in a fresh process (fork) so that its peak memory is its own.
// Prints per mode the median seconds and peak RSS, and the ratio.
//
//   gctx_selection [--signatures N] [--genes G] [--chunk-samples S] [--chunk-genes F]
//                  [--repeats R] [--dir DIR] [--keep] [--reuse]
// Defaults: N = 100000, G = 12328, cmapPy's chunks (1000 samples x 262 genes: ~1 MB of float32),
// R = 3, DIR = /tmp/cimpute_gctx_selection. The file stays in the page cache after it is
// written, so the figures are decompression and HDF5 work, not disk reads. --keep leaves the files
// in DIR; --reuse reads them again instead of generating (same options needed).
#include <cimpute/io/gctx.hpp>
#include <cimpute/io/signature_file.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

struct Args {
  long signatures = 100000, genes = 12328, chunk_samples = 1000, chunk_genes = 262, repeats = 3;
  std::string dir = "/tmp/cimpute_gctx_selection";
  bool keep = false, reuse = false;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// 80 cell lines; signatures in random cell order (a filter on one cell line picks ~1.25%
// scattered over the file); 500 drugs, 3 doses, 2 times.
void generate(const Args& a, const std::string& gctx, const std::string& sig_info,
              const std::string& gene_info) {
  std::mt19937_64 rng(17);
  std::normal_distribution<float> z(0.f, 1.f);
  std::uniform_int_distribution<int> cell(0, 79), drug(0, 499), dose(0, 2), time(0, 1);
  Eigen::MatrixXf v(a.genes, a.signatures);
  for (Eigen::Index k = 0; k < v.size(); ++k) v.data()[k] = std::round(z(rng) * 1000.f) / 1000.f;
  std::vector<std::string> rid, cid;
  for (long g = 0; g < a.genes; ++g) rid.push_back(std::to_string(10000 + g));
  for (long j = 0; j < a.signatures; ++j) cid.push_back("SIG" + std::to_string(j));
  {
    std::ofstream s(sig_info);
    s << "sig_id\tpert_id\tcell_id\tpert_idose\tpert_itime\tdistil_cc_q75\n";
    const char* doses[] = {"0.04 uM", "1.11 uM", "10 uM"};
    const char* times[] = {"6 h", "24 h"};
    for (long j = 0; j < a.signatures; ++j)
      s << cid[std::size_t(j)] << "\tBRD-" << drug(rng) << "\tCELL" << cell(rng) << '\t'
        << doses[dose(rng)] << '\t' << times[time(rng)] << '\t' << (j % 97) / 97.0 << '\n';
  }
  {
    std::ofstream g(gene_info); // landmarks first, as in GEO's gene_info.txt
    g << "pr_gene_id\tpr_gene_symbol\tpr_is_lm\n";
    for (long i = 0; i < a.genes; ++i)
      g << rid[std::size_t(i)] << "\tG" << i << '\t' << (i < 978 ? 1 : 0) << '\n';
  }
  cimpute::GctxWriteOptions w;
  w.compression = 6; // cmapPy's default level
  w.chunk_columns = hsize_t(a.chunk_samples);
  w.chunk_rows = hsize_t(a.chunk_genes);
  cimpute::write_gctx(gctx, cimpute::LabeledMatrix<float>(std::move(v), rid, cid), w);
}

struct Run {
  double seconds = 0;
  long peak_kb = 0;
  long pairs = 0, genes = 0;
};

// One read in a child process: its time (through a pipe) and its peak RSS (wait4).
Run run_child(const std::string& gctx, const cimpute::SignatureReadOptions& o) {
  int fd[2];
  if (pipe(fd) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    const auto t0 = std::chrono::steady_clock::now();
    const auto t = cimpute::read_signatures<float>(gctx, o);
    Run r;
    r.seconds = seconds_since(t0);
    r.pairs = long(t.num_observed());
    r.genes = long(t.num_features());
    if (write(fd[1], &r, sizeof r) != sizeof r) _exit(1);
    _exit(0);
  }
  close(fd[1]);
  Run r;
  if (read(fd[0], &r, sizeof r) != sizeof r) {
    std::fprintf(stderr, "the child process failed\n");
    std::exit(1);
  }
  close(fd[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  r.peak_kb = ru.ru_maxrss;
  return r;
}

Run median_of(const std::string& gctx, const cimpute::SignatureReadOptions& o, long repeats) {
  std::vector<Run> runs;
  for (long i = 0; i < repeats; ++i) runs.push_back(run_child(gctx, o));
  std::sort(runs.begin(), runs.end(),
            [](const Run& x, const Run& y) { return x.seconds < y.seconds; });
  return runs[runs.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--signatures")
      a.signatures = std::atol(next());
    else if (k == "--genes")
      a.genes = std::atol(next());
    else if (k == "--chunk-samples")
      a.chunk_samples = std::atol(next());
    else if (k == "--chunk-genes")
      a.chunk_genes = std::atol(next());
    else if (k == "--repeats")
      a.repeats = std::atol(next());
    else if (k == "--dir")
      a.dir = next();
    else if (k == "--keep")
      a.keep = true;
    else if (k == "--reuse")
      a.reuse = a.keep = true;
    else {
      std::fprintf(stderr, "unknown option %s (see the comment at the top of the source)\n",
                   k.c_str());
      return 2;
    }
  }
  if (a.signatures < 100 || a.genes < 978 || a.chunk_samples < 1 || a.chunk_genes < 0 ||
      a.repeats < 1) {
    std::fprintf(stderr, "need --signatures >= 100, --genes >= 978, chunks >= 1, repeats >= 1\n");
    return 2;
  }
  std::filesystem::create_directories(a.dir);
  const std::string gctx = a.dir + "/level5.gctx", sig = a.dir + "/sig_info.txt",
                    gene = a.dir + "/gene_info.txt";
  const auto t0 = std::chrono::steady_clock::now();
  if (!a.reuse || !std::filesystem::exists(gctx)) generate(a, gctx, sig, gene);
  std::printf("generated %ld genes x %ld signatures (float32, gzip 6, chunks %ld samples x %ld "
              "genes): %.0f MB in %.1f s\n",
              a.genes, a.signatures, a.chunk_samples, a.chunk_genes,
              double(std::filesystem::file_size(gctx)) / 1e6, seconds_since(t0));

  cimpute::SignatureReadOptions full;
  full.col_meta = sig;
  full.row_meta = gene;
  full.aggregate = cimpute::Aggregation::parse("mean");
  cimpute::SignatureReadOptions some = full;
  some.filters = {cimpute::ColumnFilter::parse("cell_id=CELL7")};
  some.genes = "landmark";

  const Run f = median_of(gctx, full, a.repeats);
  const Run s = median_of(gctx, some, a.repeats);
  std::printf("%-34s %10s %12s %10s %8s\n", "read_signatures<float>", "seconds", "peak RSS MB",
              "pairs", "genes");
  std::printf("%-34s %10.3f %12.0f %10ld %8ld\n", "full read, mean per pair", f.seconds,
              f.peak_kb / 1024.0, f.pairs, f.genes);
  std::printf("%-34s %10.3f %12.0f %10ld %8ld\n", "cell_id=CELL7 + landmark genes", s.seconds,
              s.peak_kb / 1024.0, s.pairs, s.genes);
  std::printf("selected / full: time %.2f%% (goal <= 3%%), peak memory %.2f%%; medians of %ld "
              "runs, each in a fresh process\n",
              100.0 * s.seconds / f.seconds, 100.0 * double(s.peak_kb) / double(f.peak_kb),
              a.repeats);
  if (!a.keep) std::filesystem::remove_all(a.dir);
  return 0;
}
