// Large-n kernel regression with PcgNystromSolver (NTK, depth 1, d = 978), a comparison program:
//  1. scaling curve of the restricted (Falkon) system with m centres, n = 10k .. 200k: wall time,
//     iterations, relative residual, peak memory, test error (RMSE / sd of y on held-out points);
//  2. on a 20,000-point subsample: the full-system PCG and the restricted system against the
//     exact solver (relative difference of the test predictions), and the exact solver's
//     factorisation rate against the machine's GEMM rate.
// The dense K at n = 200,000 would need 320 GB.
//
//   ./pcg_nystrom_scale [max_n=200000] [centres=2000]
#include "subspace_points.hpp"

#include <cimpute/kernels.hpp>
#include <cimpute/solvers.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
double peak_gb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1e6; // kB -> GB
}

// Points near a 10-dimensional subspace of R^978 (normalised), targets a smooth function of the
// latent coordinates plus noise.
struct Data {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;
};
Data make(Eigen::Index n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  Data d{Eigen::MatrixXd(n, 978), Eigen::VectorXd(n)};
  for (Eigen::Index i = 0; i < n; ++i)
    cimpute_bench::subspace_point(rng, n01, d.X.row(i), d.y.segment(i, 1));
  return d;
}
double rmse_over_sd(const Eigen::VectorXd& pred, const Eigen::VectorXd& y) {
  const double sd = std::sqrt((y.array() - y.mean()).square().mean());
  return std::sqrt((pred - y).squaredNorm() / double(y.size())) / sd;
}
} // namespace

int main(int argc, char** argv) {
  const Eigen::Index max_n = argc > 1 ? std::atol(argv[1]) : 200000;
  const Eigen::Index m = argc > 2 ? std::atol(argv[2]) : 2000;
  const cimpute::NtkKernel<double> k(1, 0.0);
  const double ridge_per_point = 1e-3; // ridge = n x 1e-3 (Falkon's lambda = 1e-3)
  const Data test = make(2000, 99);
  std::printf("restricted (Falkon) system, m = %ld uniform centres, NTK depth 1, d = 978\n",
              long(m));
  std::printf("%8s %10s %6s %12s %9s %11s\n", "n", "seconds", "iters", "rel.resid", "peak GB",
              "test RMSE/sd");
  for (Eigen::Index n : {10000L, 20000L, 50000L, 100000L, 200000L}) {
    if (n > max_n) break;
    const Data train = make(n, 1);
    cimpute::PcgNystromOptions o;
    o.centres = m;
    o.system = cimpute::PcgSystem::Restricted;
    o.tolerance = 1e-8;
    cimpute::PcgNystromSolver<cimpute::NtkKernel<double>> s(k, o);
    const auto t0 = Clock::now();
    s.compute(train.X, ridge_per_point * double(n)).solve(train.y);
    const double sec = seconds_since(t0);
    const Eigen::VectorXd pred = s.predict(test.X);
    std::printf("%8ld %10.1f %6d %12.2e %9.2f %11.4f\n", long(n), sec, s.iterations(),
                s.relative_residual(), peak_gb(), rmse_over_sd(pred, test.y));
    std::fflush(stdout);
  }

  // 20,000-point subsample: full-system PCG and restricted against the exact solver.
  const Eigen::Index n = std::min<Eigen::Index>(20000, max_n);
  const Data train = make(n, 1);
  const double ridge = ridge_per_point * double(n);
  auto t0 = Clock::now();
  const Eigen::MatrixXd K = cimpute::gram(k, train.X);
  const double t_gram = seconds_since(t0);
  t0 = Clock::now();
  cimpute::ExactKernelSolver<double> exact(K, ridge);
  const double t_factor = seconds_since(t0);
  const Eigen::VectorXd alpha = exact.solve(train.y);
  const Eigen::VectorXd exact_pred = cimpute::gram(k, test.X, train.X) * alpha;
  std::printf("\nn = %ld subsample: exact solver %.1f s (Gram %.1f s, factorisation %.1f s = %.1f "
              "GFLOP/s), test RMSE/sd %.4f\n",
              long(n), t_gram + t_factor, t_gram, t_factor,
              double(n) * double(n) * double(n) / 3.0 / t_factor / 1e9,
              rmse_over_sd(exact_pred, test.y));
  {
    const Eigen::Index g = 4000;
    const Eigen::MatrixXd A = Eigen::MatrixXd::Random(g, g), B = Eigen::MatrixXd::Random(g, g);
    Eigen::MatrixXd C(g, g);
    t0 = Clock::now();
    C.noalias() = A * B;
    std::printf("GEMM rate (4000^3): %.1f GFLOP/s\n",
                2.0 * double(g) * double(g) * double(g) / seconds_since(t0) / 1e9);
  }
  for (auto system : {cimpute::PcgSystem::Full, cimpute::PcgSystem::Restricted}) {
    cimpute::PcgNystromOptions o;
    o.centres = m;
    o.system = system;
    o.tolerance = 1e-10;
    cimpute::PcgNystromSolver<cimpute::NtkKernel<double>> s(k, o);
    t0 = Clock::now();
    s.compute(train.X, ridge).solve(train.y);
    const double sec = seconds_since(t0);
    const Eigen::VectorXd pred = s.predict(test.X);
    std::printf("%-10s PCG: %.1f s, %d iterations, residual %.1e, test predictions vs exact: "
                "%.2e relative; test RMSE/sd %.4f\n",
                system == cimpute::PcgSystem::Full ? "full" : "restricted", sec, s.iterations(),
                s.relative_residual(), (pred - exact_pred).norm() / exact_pred.norm(),
                rmse_over_sd(pred, test.y));
  }
  std::printf("peak memory %.2f GB\n", peak_gb());
  return 0;
}
