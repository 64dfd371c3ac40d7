// Side-by-side comparison of NTK kernel regression: cimpute (Gram from one GEMM + transform,
// Cholesky solve) against a NumPy implementation of the same formulas (benchmarks/reference/
// ntk_numpy.py: vectorized NumPy + np.linalg.solve), on the same generated data and the same
// thread count. Prints per-n times, their ratio and the largest prediction difference.
//
//   OMP_NUM_THREADS=2 ./ntk_vs_numpy [--n 2000,5000,10000] [--d 978] [--rhs 978] [--test 500]
//                                    [--depth 1] [--ridge 1e-3] [--python /usr/bin/python3]
// The NumPy side runs with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS equal to this process's
// OpenMP thread count.
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
} // namespace

int main(int argc, char** argv) {
  std::vector<long> ns{2000, 5000, 10000};
  long d = 978, rhs = 978, n_test = 500;
  int depth = 1;
  double ridge = 1e-3;
  std::string python = "/usr/bin/python3";
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
    cmd << "OPENBLAS_NUM_THREADS=" << threads << " OMP_NUM_THREADS=" << threads << " " << python
        << " " << script << " " << dir.string() << " " << n << " " << n_test << " " << d << " "
        << rhs << " " << depth << " " << ridge << " > " << (dir / "numpy_time.txt").string();
    if (std::system(cmd.str().c_str()) != 0) {
      std::fprintf(stderr, "ntk_vs_numpy: the NumPy reference failed: %s\n", cmd.str().c_str());
      return 1;
    }
    double theirs = 0;
    std::ifstream((dir / "numpy_time.txt").string()) >> theirs;
    const RowMatrix ref = read_bin((dir / "pred_numpy.bin").string(), n_test, rhs);
    const double diff =
        (pred - Eigen::MatrixXd(ref)).cwiseAbs().maxCoeff() / ref.cwiseAbs().maxCoeff();
    std::printf("%8ld %12.3f %12.3f %8.2f %14.3e\n", n, ours, theirs, theirs / ours, diff);
    std::fflush(stdout);
  }
  return 0;
}
