/// @file sem.hpp
/// @brief Umbrella header of the sem module: interventions and linear Gaussian SEMs.
#pragma once

#include "cimpute/sem/intervention.hpp"
#include "cimpute/sem/linear_gaussian_sem.hpp"
