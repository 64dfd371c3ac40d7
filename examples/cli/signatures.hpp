// Loading perturbation signatures for `cimpute complete` and `cimpute repurpose`: the --data
// argument, and the --context-features option.
#pragma once

#include <cimpute/core/labels.hpp>
#include <cimpute/core/perturbation_tensor.hpp>

#include <Eigen/Core>

#include <string>

namespace cimpute_cli {

/// The signatures of --data: an L1000 directory (drug and DMSO tables: log2 fold changes), or a
/// GCT / GCTX / h5ad of signatures with `pert_id` and `cell_id` column (obs) metadata.
cimpute::PerturbationTensor<double> load_signatures(const std::string& data);

/// True when --data names an L1000 directory (which also has control profiles).
bool is_l1000_directory(const std::string& data);

/// The log2 DMSO profiles of an L1000 directory, one row per context id.
Eigen::MatrixXd baseline_profiles(const std::string& data, const cimpute::Labels& contexts);

/// The --context-features option: `none` (no features), `baseline` (context features from the
/// DMSO profiles of an L1000 directory given as --data) or a CSV/TSV file with one row per
/// context (its id, then numbers). One row per context of `contexts`.
Eigen::MatrixXd context_features_option(const std::string& value, const std::string& data,
                                        const cimpute::Labels& contexts);

} // namespace cimpute_cli
