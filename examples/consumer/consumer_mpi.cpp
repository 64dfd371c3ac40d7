// Uses the installed MPI component: kernel ridge regression on rows split over the processes of
// an mpirun, checked against the same solve on one process (every process holds all rows here).
#include <cimpute/distributed/mpi_communicator.hpp>
#include <cimpute/kernels.hpp>
#include <cimpute/solvers.hpp>

#include <cstdio>
#include <numeric>

int main(int argc, char** argv) {
  cimpute::MpiSession mpi(argc, argv);
  const cimpute::MpiCommunicator comm;
  const Eigen::MatrixXd X = Eigen::MatrixXd::Random(300, 20) / 5.0;
  const Eigen::MatrixXd Y = X.rowwise().sum();
  const cimpute::NtkKernel<double> k(1, 0.1);
  cimpute::PcgNystromOptions o;
  o.centres = 50;
  o.system = cimpute::PcgSystem::Restricted;
  o.tolerance = 1e-12;
  cimpute::PcgNystromSolver<cimpute::NtkKernel<double>> one(k, o);
  one.compute(X, 1.0).solve(Y);
  const auto counts = cimpute::even_split(X.rows(), comm.size());
  const Eigen::Index first =
      std::accumulate(counts.begin(), counts.begin() + comm.rank(), Eigen::Index(0));
  cimpute::PcgNystromSolver<cimpute::NtkKernel<double>, cimpute::MpiCommunicator> many(k, o, comm);
  many.compute(X.middleRows(first, counts[std::size_t(comm.rank())]), 1.0)
      .solve(Y.middleRows(first, counts[std::size_t(comm.rank())]));
  const double rel = (many.coefficients() - one.coefficients()).norm() / one.coefficients().norm();
  if (comm.rank() == 0)
    std::printf("consumer_mpi: %d processes, coefficients equal to %.1e relative\n", comm.size(),
                rel);
  return rel < 1e-10 ? 0 : 1;
}
