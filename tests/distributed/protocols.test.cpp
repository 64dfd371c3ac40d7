// The completion protocols over MPI: on a simulated screen, every protocol's predictions and
// scores equal the one-process ones exactly (the refits / folds are computed as on one process and
// only moved), and impute_pairs returns the same predictions (rank_checks.hpp).
#include "distributed/rank_checks.hpp"

#include <cimpute/distributed/mpi_communicator.hpp>

TEST_CASE("Completion protocols over MPI equal one process exactly", "[distributed][completion]") {
  rank_checks::protocols_equal_one_process(cimpute::MpiCommunicator(),
                                           rank_checks::protocol_screen());
}
