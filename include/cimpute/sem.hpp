/// @file sem.hpp
/// @brief Umbrella header of the sem module: interventions, linear Gaussian and nonlinear
/// additive-noise SEMs, the perturbation simulator, and shift design (exact, best, active).
#pragma once

#include "cimpute/sem/active_matching.hpp"
#include "cimpute/sem/intervention.hpp"
#include "cimpute/sem/linear_gaussian_sem.hpp"
#include "cimpute/sem/nonlinear_sem.hpp"
#include "cimpute/sem/perturbation_simulator.hpp"
#include "cimpute/sem/shift_design.hpp"
