/// @file discovery.hpp
/// @brief Umbrella header of the discovery module: conditional independence and invariance
/// tests, and structure learning (PC).
#pragma once

#include "cimpute/discovery/gaussian_ci_test.hpp"
#include "cimpute/discovery/gaussian_invariance_test.hpp"
#include "cimpute/discovery/pc.hpp"
