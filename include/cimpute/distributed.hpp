/// @file distributed.hpp
/// @brief Umbrella header of the optional MPI component (CMake option `CIMPUTE_WITH_MPI`, target
/// `cimpute::mpi`): `MpiSession` and `MpiCommunicator`, the communicator policy that the
/// large-scale paths take as their last template or function argument — `PcgNystromSolver`
/// (training rows split in blocks over the processes), the completion protocols and
/// `impute_pairs` (refits, folds and predicted pairs split), `discover`, `gsp`, `igsp`, `utigsp`
/// (starting orders and bootstrap resamples split) — with the single-process results. Not
/// included by cimpute.hpp: it needs MPI.
#pragma once

#include "cimpute/distributed/mpi_communicator.hpp"
