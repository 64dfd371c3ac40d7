/// @file edge_list.hpp
/// @brief Deprecated: the arc-list reader and writers moved to `cimpute/io/edge_list.hpp` (files
/// live at the edge, in io/). This forwarding header goes in the next release.
#pragma once

#include "cimpute/io/edge_list.hpp"
