/// @file stats.hpp
/// @brief Umbrella header of the stats module: evaluation metrics and rank tests.
#pragma once

#include "cimpute/stats/metrics.hpp"
#include "cimpute/stats/rank_tests.hpp"
