// Side-by-side comparisons with NumPy implementations written from the reference notes, on the
// same data and the same thread count; each prints both times, their ratio and the largest
// prediction difference.
// 1. NTK kernel regression: cimpute (Gram from one GEMM + transform, Cholesky solve) against
//    benchmarks/reference/ntk_numpy.py (vectorized NumPy + np.linalg.solve) on generated data.
// 2. With --l1000 DIR: the whole reference NTK completion pipeline (train-context-average prior,
//    depth 1, identity weight 1.5, no ridge) under leave-one-pair-out on the real L1000 subset,
//    MCF7 as reference: `leave_one_pair_out(NtkCompletion)` against
//    benchmarks/reference/ntk_completion_numpy.py (explicit feature matrices, as the reference
//    code).
//
//   OMP_NUM_THREADS=2 ./ntk_vs_numpy [--n 2000,5000,10000] [--d 978] [--rhs 978] [--test 500]
//                                    [--depth 1] [--ridge 1e-3] [--python /usr/bin/python3]
//                                    [--l1000 ../shared/data/l1000]  (--n 0: pipeline only)
// The NumPy side runs with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS equal to this process's
// OpenMP thread count.
#include <cimpute/completion.hpp>
#include <cimpute/io/cmap.hpp>
#include <cimpute/io/l1000_directory.hpp>
#include <cimpute/kernels.hpp>
#include <cimpute/solvers.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#if CIMPUTE_HAS_OPENMP
#include <omp.h>
#endif

#ifndef CIMPUTE_SOURCE_DIR
#define CIMPUTE_SOURCE_DIR "."
#endif

namespace {
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void write_bin(const std::string& path, const RowMatrix& m) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(m.data()), std::streamsize(m.size() * sizeof(double)));
}
RowMatrix read_bin(const std::string& path, Eigen::Index rows, Eigen::Index cols) {
  RowMatrix m(rows, cols);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(m.data()), std::streamsize(m.size() * sizeof(double)));
  if (!in) throw std::runtime_error("cannot read " + path);
  return m;
}
RowMatrix random_matrix(Eigen::Index r, Eigen::Index c, std::mt19937_64& rng) {
  std::normal_distribution<double> n01(0, 1);
  RowMatrix m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = n01(rng);
  return m;
}
std::vector<long> parse_list(const std::string& s) {
  std::vector<long> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(std::stol(item));
  return v;
}
// Run the NumPy script `cmd` (its stdout: the compute time) with `threads` BLAS threads.
double run_python(const std::string& cmd, const std::filesystem::path& dir, int threads) {
  std::ostringstream full;
  full << "OPENBLAS_NUM_THREADS=" << threads << " OMP_NUM_THREADS=" << threads << " " << cmd
       << " > " << (dir / "numpy_time.txt").string();
  if (std::system(full.str().c_str()) != 0)
    throw std::runtime_error("the NumPy reference failed: " + full.str());
  double t = 0;
  std::ifstream((dir / "numpy_time.txt").string()) >> t;
  return t;
}

// The reference NTK completion pipeline under leave-one-pair-out, cimpute vs NumPy.
void pipeline(const std::string& l1000, const std::string& python, const std::filesystem::path& dir,
              int threads) {
  const auto t = cimpute::read_l1000_directory<double>(l1000);
  const Eigen::Index ref = t.contexts().index(cimpute::cmap::reference_context, "ntk_vs_numpy");
  const Eigen::Index n = t.num_observed(), g = t.num_features();
  write_bin((dir / "sig.bin").string(), RowMatrix(t.observed()));
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, 2, Eigen::RowMajor> pairs(n, 2);
  for (Eigen::Index r = 0; r < n; ++r) {
    pairs(r, 0) = t.observed_pairs()[std::size_t(r)].perturbation;
    pairs(r, 1) = t.observed_pairs()[std::size_t(r)].context;
  }
  std::ofstream((dir / "pairs.bin").string(), std::ios::binary)
      .write(reinterpret_cast<const char*>(pairs.data()),
             std::streamsize(pairs.size() * sizeof(std::int64_t)));
  const auto t0 = std::chrono::steady_clock::now();
  const auto ev = cimpute::leave_one_pair_out(cimpute::NtkCompletion<double>(), t,
                                              cimpute::cmap::reference_context);
  const double ours = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string script =
      std::string(CIMPUTE_SOURCE_DIR) + "/benchmarks/reference/ntk_completion_numpy.py";
  std::ostringstream cmd;
  cmd << python << " " << script << " " << dir.string() << " " << n << " " << g << " " << ref
      << " 1 0.75 1.5";
  const double theirs = run_python(cmd.str(), dir, threads);
  const RowMatrix other = read_bin((dir / "pred_numpy.bin").string(), ev.predictions.rows(), g);
  const double diff =
      (ev.predictions - Eigen::MatrixXd(other)).cwiseAbs().maxCoeff() / other.cwiseAbs().maxCoeff();
  const auto np = cimpute::completion_scores(Eigen::MatrixXd(other), ev.truths);
  std::printf("pipeline: leave-one-pair-out of the reference NTK on %s (%lld evaluated pairs)\n",
              l1000.c_str(), static_cast<long long>(ev.predictions.rows()));
  std::printf("  cimpute %.3f s (Pearson %.4f), NumPy %.3f s (Pearson %.4f), ratio %.2f, max "
              "relative prediction difference %.3e\n",
              ours, ev.scores.pearson, theirs, np.pearson, theirs / ours, diff);
}
} // namespace

int main(int argc, char** argv) try {
  std::vector<long> ns{2000, 5000, 10000};
  long d = 978, rhs = 978, n_test = 500;
  int depth = 1;
  double ridge = 1e-3;
  std::string python = "/usr/bin/python3", l1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--n")
      ns = parse_list(v);
    else if (a == "--d")
      d = std::stol(v);
    else if (a == "--rhs")
      rhs = std::stol(v);
    else if (a == "--test")
      n_test = std::stol(v);
    else if (a == "--depth")
      depth = std::stoi(v);
    else if (a == "--ridge")
      ridge = std::stod(v);
    else if (a == "--python")
      python = v;
    else if (a == "--l1000")
      l1000 = v;
    else {
      std::cerr << "ntk_vs_numpy: unknown option " << a << "\n";
      return 2;
    }
  }
  int threads = 1;
#if CIMPUTE_HAS_OPENMP
  threads = omp_get_max_threads();
#endif
  const std::string script = std::string(CIMPUTE_SOURCE_DIR) + "/benchmarks/reference/ntk_numpy.py";
  const auto dir = std::filesystem::temp_directory_path() / "cimpute_ntk_vs_numpy";
  std::filesystem::create_directories(dir);
  if (!l1000.empty()) pipeline(l1000, python, dir, threads);
  if (ns.size() == 1 && ns[0] == 0) return 0;
  std::printf("threads %d, d %ld, right-hand sides %ld, test points %ld, depth %d, ridge %g\n",
              threads, d, rhs, n_test, depth, ridge);
  std::printf("%8s %12s %12s %8s %14s\n", "n", "cimpute_s", "numpy_s", "ratio", "max_rel_diff");
  std::mt19937_64 rng(20261124);
  for (long n : ns) {
    const RowMatrix X = random_matrix(n, d, rng), Xt = random_matrix(n_test, d, rng),
                    Y = random_matrix(n, rhs, rng);
    write_bin((dir / "x.bin").string(), X);
    write_bin((dir / "xt.bin").string(), Xt);
    write_bin((dir / "y.bin").string(), Y);

    const auto t0 = std::chrono::steady_clock::now();
    const cimpute::NtkKernel<double> k(depth);
    cimpute::ExactKernelSolver<double> solver(cimpute::gram(k, X), ridge);
    solver.fit(Eigen::MatrixXd(Y));
    const Eigen::MatrixXd pred = solver.predict(cimpute::gram(k, Xt, X));
    const double ours =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (solver.info() != cimpute::ComputationInfo::Success || solver.jitter() > 0 ||
        solver.used_ldlt())
      std::fprintf(stderr, "warning: plain Cholesky failed at n = %ld\n", n);

    std::ostringstream cmd;
    cmd << python << " " << script << " " << dir.string() << " " << n << " " << n_test << " " << d
        << " " << rhs << " " << depth << " " << ridge;
    const double theirs = run_python(cmd.str(), dir, threads);
    const RowMatrix ref = read_bin((dir / "pred_numpy.bin").string(), n_test, rhs);
    const double diff =
        (pred - Eigen::MatrixXd(ref)).cwiseAbs().maxCoeff() / ref.cwiseAbs().maxCoeff();
    std::printf("%8ld %12.3f %12.3f %8.2f %14.3e\n", n, ours, theirs, theirs / ours, diff);
    std::fflush(stdout);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ntk_vs_numpy: %s\n", e.what());
  return 1;
}
