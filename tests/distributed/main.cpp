// Catch2 runner of the MPI tests: every process runs every test case (the collectives inside
// them pair up), and the exit status is the worst over the processes. Run it under
// `mpirun -np P` (ctest does, with P = 1, 2 and 3).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cimpute/distributed/mpi_communicator.hpp>

int main(int argc, char** argv) {
  cimpute::MpiSession mpi(argc, argv);
  int result = Catch::Session().run(argc, argv);
  MPI_Allreduce(MPI_IN_PLACE, &result, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return result;
}
