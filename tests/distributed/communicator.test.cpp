// MpiCommunicator: each collective against what the processes know independently (their rank
// and the shapes), and errors on one process becoming the same exception on all of them (the
// assertions of rank_checks.hpp, shared with ThreadCommunicator's plain tests).
#include "distributed/rank_checks.hpp"

#include <cimpute/distributed/mpi_communicator.hpp>

TEST_CASE("MpiCommunicator: sum, broadcast, share_rows, max, gather_sizes", "[distributed]") {
  rank_checks::collectives(cimpute::MpiCommunicator());
}

TEST_CASE("MpiCommunicator: an error on one process is thrown on every process", "[distributed]") {
  rank_checks::errors_reach_every_rank(cimpute::MpiCommunicator());
}
