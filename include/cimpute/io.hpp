/// @file io.hpp
/// @brief Umbrella header of the io module: GCT, delimited tables, 10x Matrix Market, format
/// detection, and (with the HDF5 component) GCTX, h5ad and 10x HDF5.
#pragma once

#include "cimpute/core/config.hpp"
#include "cimpute/io/format.hpp"
#include "cimpute/io/gct.hpp"
#include "cimpute/io/gene_signature.hpp"
#include "cimpute/io/l1000_directory.hpp"
#include "cimpute/io/mtx.hpp"
#include "cimpute/io/table.hpp"
#include "cimpute/io/text_file.hpp"

#if CIMPUTE_HAS_HDF5
#include "cimpute/io/gctx.hpp"
#include "cimpute/io/h5ad.hpp"
#include "cimpute/io/tenx_h5.hpp"
#endif
