// Distributed restricted PCG-Nystrom (Falkon) kernel regression over MPI: NTK depth 1,
// d = 978, m centres, the n training points split in row blocks over the processes. Each process
// generates only its own rows (row g is a function of g alone, so the data do not depend on the
// number of processes) and reports its peak memory; rank 0 prints one line:
//
//   processes n m rhs threads seconds(compute+solve) iterations rel.resid peak_GB(max rank)
//   payload_MB/iteration(per rank) test_RMSE/sd
//
//   mpirun -np P ./pcg_mpi_scaling [n=200000] [m=2000] [rhs=1]
//
// Weak scaling: n = 200,000 on 1 process against n = 400,000 on 2; strong scaling: n = 200,000 on
// 1 and on 2 processes (set OMP_NUM_THREADS=1 so that P processes use P cores).
#include "subspace_points.hpp"

#include <cimpute/distributed/mpi_communicator.hpp>
#include <cimpute/kernels.hpp>
#include <cimpute/solvers.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>

namespace {
using Clock = std::chrono::steady_clock;

double peak_gb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1e6; // kB -> GB
}

// The points of pcg_nystrom_scale, row by row: row g depends on (seed, g) only.
void make_rows(Eigen::Index first, Eigen::Index count, std::uint64_t seed, Eigen::Index rhs,
               Eigen::MatrixXd& X, Eigen::MatrixXd& Y) {
  X.resize(count, 978);
  Y.resize(count, rhs);
  for (Eigen::Index i = 0; i < count; ++i) {
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + std::uint64_t(first + i));
    std::normal_distribution<double> n01(0, 1); // fresh: no draw cached from the previous row
    cimpute_bench::subspace_point(rng, n01, X.row(i), Y.row(i));
  }
}
} // namespace

int main(int argc, char** argv) {
  cimpute::MpiSession mpi(argc, argv);
  const cimpute::MpiCommunicator comm;
  const Eigen::Index n = argc > 1 ? std::atol(argv[1]) : 200000;
  const Eigen::Index m = argc > 2 ? std::atol(argv[2]) : 2000;
  const Eigen::Index rhs = argc > 3 ? std::atol(argv[3]) : 1;
  const auto counts = cimpute::even_split(n, comm.size());
  const Eigen::Index first =
      std::accumulate(counts.begin(), counts.begin() + comm.rank(), Eigen::Index(0));
  Eigen::MatrixXd X, Y, Xt, Yt;
  make_rows(first, counts[std::size_t(comm.rank())], 1, rhs, X, Y);
  // Test points: 2,000 rows of another seed, split like the training rows.
  const auto tc = cimpute::even_split(2000, comm.size());
  make_rows(std::accumulate(tc.begin(), tc.begin() + comm.rank(), Eigen::Index(0)),
            tc[std::size_t(comm.rank())], 99, rhs, Xt, Yt);

  const cimpute::NtkKernel<double> k(1, 0.0);
  cimpute::PcgNystromOptions o;
  o.centres = m;
  o.system = cimpute::PcgSystem::Restricted;
  o.tolerance = 1e-8;
  o.memory_budget = 8e9;
  cimpute::PcgNystromSolver<cimpute::NtkKernel<double>, cimpute::MpiCommunicator> s(k, o, comm);
  MPI_Barrier(comm.handle());
  const auto t0 = Clock::now();
  s.compute(X, 1e-3 * double(n));
  const double setup_bytes = s.communicator().payload_bytes();
  s.solve(Y);
  const double sec = comm.max(std::chrono::duration<double>(Clock::now() - t0).count());
  const double per_iter =
      (s.communicator().payload_bytes() - setup_bytes) / std::max(1, s.iterations());
  // Test error pooled over the processes' test points.
  const Eigen::MatrixXd pred = s.predict(Xt);
  Eigen::Matrix<double, 3, 1> acc;
  acc << (pred - Yt).squaredNorm(), Yt.squaredNorm(), Yt.sum();
  comm.sum(acc);
  const double nt = 2000.0 * double(rhs);
  const double var = acc[1] / nt - (acc[2] / nt) * (acc[2] / nt);
  const double peak = comm.max(peak_gb());
  const char* threads = std::getenv("OMP_NUM_THREADS");
  if (comm.rank() == 0)
    std::printf("%d\t%ld\t%ld\t%ld\t%s\t%.1f\t%d\t%.2e\t%.2f\t%.3f\t%.4f\n", comm.size(), long(n),
                long(m), long(rhs), threads ? threads : "-", sec, s.iterations(),
                s.relative_residual(), peak, per_iter / 1e6, std::sqrt(acc[0] / nt / var));
  return 0;
}
