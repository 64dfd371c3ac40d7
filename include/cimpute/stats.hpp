/// @file stats.hpp
/// @brief Umbrella header of the stats module: evaluation metrics.
#pragma once

#include "cimpute/stats/metrics.hpp"
