/// @file io.hpp
/// @brief Umbrella header of the io module, the library's edge where files live: GCT, delimited
/// tables, 10x Matrix Market, format detection, gene signatures, interventional CSV files, arc
/// lists, discovery results, network weights, sidecar metadata tables, `read_signatures` (a file
/// of profiles to a `PerturbationTensor`), and (with the HDF5 component) GCTX, h5ad and 10x
/// HDF5. The algorithm modules include nothing from here.
#pragma once

#include "cimpute/core/config.hpp"
#include "cimpute/io/cmap.hpp"
#include "cimpute/io/discovery_results.hpp"
#include "cimpute/io/edge_list.hpp"
#include "cimpute/io/format.hpp"
#include "cimpute/io/gct.hpp"
#include "cimpute/io/gene_signature.hpp"
#include "cimpute/io/interactome.hpp"
#include "cimpute/io/interventional_csv.hpp"
#include "cimpute/io/l1000_directory.hpp"
#include "cimpute/io/mtx.hpp"
#include "cimpute/io/network_weights.hpp"
#include "cimpute/io/sidecar.hpp"
#include "cimpute/io/signature_file.hpp"
#include "cimpute/io/table.hpp"
#include "cimpute/io/text_file.hpp"

#if CIMPUTE_HAS_HDF5
#include "cimpute/io/gctx.hpp"
#include "cimpute/io/h5ad.hpp"
#include "cimpute/io/tenx_h5.hpp"
#endif
