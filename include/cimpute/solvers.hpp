/// @file solvers.hpp
/// @brief Umbrella header of the solvers module: exact kernel regression.
#pragma once

#include "cimpute/solvers/exact_kernel_solver.hpp"
