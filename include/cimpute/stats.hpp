/// @file stats.hpp
/// @brief Umbrella header of the stats module: evaluation metrics, rank tests, multiple testing,
/// differential expression, energy distances and the perturbation response metrics.
#pragma once

#include "cimpute/stats/differential_expression.hpp"
#include "cimpute/stats/energy_distance.hpp"
#include "cimpute/stats/metrics.hpp"
#include "cimpute/stats/multiple_testing.hpp"
#include "cimpute/stats/rank_tests.hpp"
#include "cimpute/stats/response_metrics.hpp"
