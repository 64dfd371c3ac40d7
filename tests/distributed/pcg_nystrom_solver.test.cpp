// PcgNystromSolver over MPI: with the training rows split in blocks over the processes (an even
// split, and a skewed one in which rank 0 holds a single point), the coefficients, centres and
// predictions equal those of one process on all the rows to 1e-10 relative; for the restricted
// and the full system, uniform and leverage-score centres, cached and on-the-fly kernels. Bad
// input on one process ends the call on every process with the same message.
#include "test_data.hpp"

#include <catch2/catch.hpp>

#include <cimpute/distributed/mpi_communicator.hpp>
#include <cimpute/kernels.hpp>
#include <cimpute/solvers.hpp>

#include <Eigen/Dense>

#include <limits>
#include <numeric>
#include <random>

namespace {
constexpr auto normal = cimpute_test::normal_matrix;
constexpr auto rel = cimpute_test::relative_difference;
using Ntk = cimpute::NtkKernel<double>;
using Mpi = cimpute::MpiCommunicator;
} // namespace

TEST_CASE("PcgNystromSolver over MPI equals one process", "[distributed][pcg]") {
  const Mpi comm;
  const int P = comm.size(), rank = comm.rank();
  const Ntk k(1, 0.1);
  const Eigen::Index n = 203;
  // Unit-scale points and a ridge of 1: K + ridge I has a condition number of a few hundred, so
  // two solutions within the tolerance 1e-13 agree to about 1e-11.
  const Eigen::MatrixXd X = normal(n, 40, 1) / std::sqrt(40.0),
                        Xt = normal(40, 40, 2) / std::sqrt(40.0), Y = normal(n, 3, 3);
  const double ridge = 1.0;
  // An even split, and rank 0 with one point (the rest evenly over the others).
  std::vector<std::vector<Eigen::Index>> splits{cimpute::even_split(n, P)};
  if (P > 1) {
    std::vector<Eigen::Index> skew = cimpute::even_split(n - 1, P - 1);
    skew.insert(skew.begin(), 1);
    splits.push_back(skew);
  }
  for (const auto& counts : splits)
    for (auto system : {cimpute::PcgSystem::Restricted, cimpute::PcgSystem::Full})
      for (auto sampling :
           {cimpute::NystromSampling::Uniform, cimpute::NystromSampling::LeverageScores})
        for (double budget : {0.0, 1e9}) {
          cimpute::PcgNystromOptions o;
          o.centres = 60;
          o.system = system;
          o.sampling = sampling;
          o.memory_budget = budget;
          o.block_rows = 16; // several blocks per process
          o.tolerance = 1e-13;
          o.max_iterations = 2000;
          o.seed = 7;
          cimpute::PcgNystromSolver<Ntk> one(k, o);
          one.compute(X, ridge).solve(Y);
          const Eigen::MatrixXd pred = one.predict(Xt);

          const Eigen::Index first =
              std::accumulate(counts.begin(), counts.begin() + rank, Eigen::Index(0));
          const Eigen::Index mine = counts[std::size_t(rank)];
          cimpute::PcgNystromSolver<Ntk, Mpi> many(k, o, comm);
          many.compute(X.middleRows(first, mine), ridge);
          const Eigen::MatrixXd coef = many.solve(Y.middleRows(first, mine));
          // Each process predicts its own share of the test points.
          const auto tc = cimpute::even_split(Xt.rows(), P);
          const Eigen::Index t0 = std::accumulate(tc.begin(), tc.begin() + rank, Eigen::Index(0));
          const Eigen::MatrixXd my_pred = many.predict(Xt.middleRows(t0, tc[std::size_t(rank)]));

          INFO("P " << P << ", rank " << rank << ", rows " << mine << ", system " << int(system)
                    << ", sampling " << int(sampling) << ", budget " << budget << ", iterations "
                    << one.iterations() << " / " << many.iterations());
          CHECK(many.centres() == one.centres());
          CHECK(many.info() == cimpute::ComputationInfo::Success);
          CHECK(many.kernel_cached() == (budget > 0));
          if (system == cimpute::PcgSystem::Restricted)
            CHECK(rel(coef, one.coefficients()) < 1e-10);
          else
            CHECK(rel(coef, one.coefficients().middleRows(first, mine)) < 1e-10);
          CHECK(rel(my_pred, pred.middleRows(t0, tc[std::size_t(rank)])) < 1e-10);
        }
}

TEST_CASE("PcgNystromSolver over MPI: bad input on one process fails on every process",
          "[distributed][pcg]") {
  const Mpi comm;
  const int P = comm.size(), rank = comm.rank();
  const Ntk k(1, 0.0);
  Eigen::MatrixXd X = normal(10, 4, 5);
  if (rank == P - 1) X(3, 2) = std::numeric_limits<double>::quiet_NaN();
  cimpute::PcgNystromOptions o;
  o.centres = 5;
  cimpute::PcgNystromSolver<Ntk, Mpi> s(k, o, comm);
  std::string msg;
  try {
    s.compute(X, 0.1);
  } catch (const cimpute::invalid_argument& e) {
    msg = e.what();
  }
  CHECK(msg.find("PcgNystromSolver::compute") != std::string::npos);
  CHECK(msg.find("non-finite value nan in X at row 3, column 2") != std::string::npos);
  // Right-hand sides of the wrong length on rank 0 only.
  X(3, 2) = 0;
  s.compute(X, 0.1);
  const Eigen::MatrixXd Y = normal(rank == 0 ? 9 : 10, 2, 6);
  msg.clear();
  try {
    s.solve(Y);
  } catch (const cimpute::invalid_argument& e) {
    msg = e.what();
  }
  CHECK(msg.find("Y has 9 rows for 10 points") != std::string::npos);
}
