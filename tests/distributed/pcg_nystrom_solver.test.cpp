// PcgNystromSolver over MPI: with the training rows split in blocks over the processes (an even
// split, and a skewed one in which rank 0 holds a single point), the coefficients, centres and
// predictions equal those of one process on all the rows to 1e-10 relative; for the restricted
// and the full system, uniform and leverage-score centres, cached and on-the-fly kernels. Bad
// input on one process ends the call on every process with the same message (rank_checks.hpp).
#include "distributed/rank_checks.hpp"

#include <cimpute/distributed/mpi_communicator.hpp>

TEST_CASE("PcgNystromSolver over MPI equals one process", "[distributed][pcg]") {
  rank_checks::pcg_nystrom_equals_one_process(cimpute::MpiCommunicator());
}

TEST_CASE("PcgNystromSolver over MPI: bad input on one process fails on every process",
          "[distributed][pcg]") {
  rank_checks::pcg_nystrom_bad_input_fails_everywhere(cimpute::MpiCommunicator());
}
