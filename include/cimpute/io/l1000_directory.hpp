/// @file l1000_directory.hpp
/// @brief The L1000 directory layout of `../shared/data/l1000/`: a table of drug profiles per
/// (cell line, drug) and a table of each cell line's DMSO profile, turned into signatures.
#pragma once

#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/core/tensor_transforms.hpp"
#include "cimpute/io/table.hpp"

#include <Eigen/Core>

#include <filesystem>
#include <string>
#include <vector>

namespace cimpute {

/// File names and label columns of an L1000 directory.
struct L1000DirectoryOptions {
  std::string profiles = "lincs_level2_24cells_20drugs.tsv"; ///< drug profiles, one row per pair
  std::string controls = "lincs_level2_dmso_24cells.tsv";    ///< one control row per context
  std::string context_column = "unit";                       ///< cell line
  std::string perturbation_column = "intervention";          ///< drug (BRD id) or DMSO
  std::string control = "DMSO";                              ///< the control perturbation
};

/// Whether the front ends read `path` as an L1000 directory (`read_l1000_directory`): a folder
/// that is not a 10x Matrix Market folder (which holds `matrix.mtx` or `matrix.mtx.gz`).
inline bool is_l1000_directory(const std::string& path) {
  namespace fs = std::filesystem;
  return !path.empty() && fs::is_directory(path) && !fs::exists(fs::path(path) / "matrix.mtx") &&
         !fs::exists(fs::path(path) / "matrix.mtx.gz");
}

/// What the front ends' context-features value `auto` means for data read from `data`:
/// `baseline` (the contexts' control profiles, `context_features_from_baselines`) for an L1000
/// directory, which has them, else `none`. Any other value is returned unchanged.
inline std::string resolve_context_features(const std::string& value, const std::string& data) {
  if (value != "auto") return value;
  return is_l1000_directory(data) ? "baseline" : "none";
}

/// Read an L1000 directory and return the signatures
/// \f$ \log_2(\text{drug profile}) - \log_2(\text{DMSO profile of the same cell}) \f$
/// (perturbations x features x contexts, control signatures dropped). Throws `parse_error` /
/// `invalid_argument` for malformed tables, a context without control, or non-positive values.
template <class Scalar = double>
PerturbationTensor<Scalar> read_l1000_directory(const std::string& dir,
                                                const L1000DirectoryOptions& opt = {}) {
  const auto path = [&](const std::string& f) { return (std::filesystem::path(dir) / f).string(); };
  TableReadOptions topt;
  topt.label_columns = {opt.context_column, opt.perturbation_column};
  const auto drugs = read_table<Scalar>(path(opt.profiles), topt);
  const auto ctrl = read_table<Scalar>(path(opt.controls), topt);
  using Tensor = PerturbationTensor<Scalar>;
  auto profiles = Tensor::concatenate(
      Tensor::from_labeled(drugs, opt.perturbation_column, opt.context_column, false),
      Tensor::from_labeled(ctrl, opt.perturbation_column, opt.context_column, false));
  profiles.set_control(opt.control);
  SignatureOptions so;
  so.kind = SignatureKind::Log2FoldChange;
  so.pseudocount = 0.0; // Level-2 values are positive intensities
  return relative_to_control(profiles, so);
}

/// The log2 control (DMSO) profile of each context of an L1000 directory, one row per entry of
/// `contexts` in that order (e.g. `tensor.contexts().ids()`), features in file order: the cell
/// lines' baseline expression, usable as NTK context features
/// (`context_features_from_baselines`). Throws when a context has no control row or more than
/// one, or a value is not positive.
template <class Scalar = double>
Eigen::MatrixXd read_l1000_baselines(const std::string& dir,
                                     const std::vector<std::string>& contexts,
                                     const L1000DirectoryOptions& opt = {}) {
  const char* fn = "read_l1000_baselines";
  const std::string path = (std::filesystem::path(dir) / opt.controls).string();
  TableReadOptions topt;
  topt.label_columns = {opt.context_column, opt.perturbation_column};
  const auto ctrl = read_table<Scalar>(path, topt);
  const auto& cell = ctrl.col_meta().field(opt.context_column);
  const auto& pert = ctrl.col_meta().field(opt.perturbation_column);
  Eigen::MatrixXd out(Eigen::Index(contexts.size()), ctrl.rows());
  for (std::size_t c = 0; c < contexts.size(); ++c) {
    Eigen::Index col = -1;
    for (std::size_t j = 0; j < cell.size(); ++j)
      if (cell[j] == contexts[c] && pert[j] == opt.control) {
        if (col >= 0)
          detail::throw_invalid(fn, path, ": context '", contexts[c], "' has two control rows");
        col = Eigen::Index(j);
      }
    if (col < 0)
      detail::throw_invalid(fn, path, ": context '", contexts[c], "' has no control row");
    const Eigen::VectorXd v = ctrl.data().col(col).template cast<double>();
    if (!(v.array() > 0).all())
      detail::throw_invalid(fn, path, ": the control of '", contexts[c],
                            "' has a value that is not positive");
    out.row(Eigen::Index(c)) = v.array().log2().transpose();
  }
  return out;
}

} // namespace cimpute
