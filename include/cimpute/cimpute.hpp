/// @file cimpute.hpp
/// @brief Umbrella header: includes every module of cimpute.
#pragma once

#include "cimpute/completion.hpp"
#include "cimpute/connectivity.hpp"
#include "cimpute/core.hpp"
#include "cimpute/discovery.hpp"
#include "cimpute/graph.hpp"
#include "cimpute/io.hpp"
#include "cimpute/kernels.hpp"
#include "cimpute/nn.hpp"
#include "cimpute/sem.hpp"
#include "cimpute/solvers.hpp"
#include "cimpute/stats.hpp"
#include "cimpute/version.hpp"
#include "cimpute/workflow.hpp"
