/// @file gene_signature.hpp
/// @brief `GeneSignature`: one signature over named genes (e.g. a disease's log fold change), the
/// query of connectivity scoring. Read from files by `read_gene_signature` in
/// `cimpute/io/gene_signature.hpp`.
#pragma once

#include <Eigen/Core>

#include <string>
#include <vector>

namespace cimpute {

/// A signature over named genes: `values[i]` belongs to `ids[i]`; ids are unique.
struct GeneSignature {
  std::vector<std::string> ids; ///< gene ids (symbols, Entrez ids, ...)
  Eigen::VectorXd values;       ///< one value per id
};

} // namespace cimpute
