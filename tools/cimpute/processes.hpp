// The processes a subcommand runs on: one for `cimpute`, every process of MPI_COMM_WORLD for
// `cimpute-mpi` (the same sources compiled with CIMPUTE_CLI_MPI=1, run under mpirun). The
// subcommands pass `processes()` to the library calls that split their work (the completion
// protocols, impute_pairs, discover's bootstrap) and write files only on the root process.
#pragma once

#if defined(CIMPUTE_CLI_MPI) && CIMPUTE_CLI_MPI
#include <cimpute/distributed/mpi_communicator.hpp>
#else
#include <cimpute/core/communicator.hpp>
#endif

namespace cimpute_cli {

#if defined(CIMPUTE_CLI_MPI) && CIMPUTE_CLI_MPI
using Processes = cimpute::MpiCommunicator;
#else
using Processes = cimpute::SingleProcess;
#endif

/// The communicator of this run (defined in main.cpp).
const Processes& processes();

/// True on the process that prints and writes files (rank 0).
inline bool is_root() {
  return processes().rank() == 0;
}

} // namespace cimpute_cli
