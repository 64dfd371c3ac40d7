/// @file solvers.hpp
/// @brief Umbrella header of the solvers module: exact kernel regression and
/// preconditioned conjugate gradients with a Nyström preconditioner.
#pragma once

#include "cimpute/solvers/exact_kernel_solver.hpp"
#include "cimpute/solvers/pcg_nystrom_solver.hpp"
