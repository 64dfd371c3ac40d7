/// @file graph.hpp
/// @brief Umbrella header of the graph module: DAGs, PDAGs, essential graphs, d-separation,
/// Meek rules, structural Hamming distance, undirected networks and the prize-collecting Steiner
/// forest.
#pragma once

#include "cimpute/graph/d_separation.hpp"
#include "cimpute/graph/dag.hpp"
#include "cimpute/graph/essential_graph.hpp"
#include "cimpute/graph/graph_metrics.hpp"
#include "cimpute/graph/meek_rules.hpp"
#include "cimpute/graph/pdag.hpp"
#include "cimpute/graph/steiner_forest.hpp"
#include "cimpute/graph/undirected_network.hpp"
