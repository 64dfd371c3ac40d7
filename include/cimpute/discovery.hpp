/// @file discovery.hpp
/// @brief Umbrella header of the discovery module: conditional independence and invariance
/// tests (Gaussian and kernel), structure learning (PC, GSP, IGSP, UT-IGSP, GIES), the
/// `discover` entry point with bootstrap stability selection, and the choice of the next
/// interventions (`choose_interventions`, `design_interventions`).
#pragma once

#include "cimpute/discovery/background_knowledge.hpp"
#include "cimpute/discovery/discover.hpp"
#include "cimpute/discovery/gaussian_ci_test.hpp"
#include "cimpute/discovery/gaussian_interventional_bic.hpp"
#include "cimpute/discovery/gaussian_invariance_test.hpp"
#include "cimpute/discovery/gies.hpp"
#include "cimpute/discovery/gsp.hpp"
#include "cimpute/discovery/hsic_ci_test.hpp"
#include "cimpute/discovery/igsp.hpp"
#include "cimpute/discovery/intervention_design.hpp"
#include "cimpute/discovery/interventional_data.hpp"
#include "cimpute/discovery/pc.hpp"
