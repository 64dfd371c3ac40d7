/// @file discovery.hpp
/// @brief Umbrella header of the discovery module: conditional independence and invariance
/// tests, and structure learning (PC, GSP, IGSP, UT-IGSP).
#pragma once

#include "cimpute/discovery/gaussian_ci_test.hpp"
#include "cimpute/discovery/gaussian_invariance_test.hpp"
#include "cimpute/discovery/gsp.hpp"
#include "cimpute/discovery/igsp.hpp"
#include "cimpute/discovery/interventional_data.hpp"
#include "cimpute/discovery/pc.hpp"
