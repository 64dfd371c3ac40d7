/// @file interventional_data.hpp
/// @brief `InterventionalData`: observational samples plus per-setting interventional samples
/// with their known targets — the input of IGSP / UT-IGSP. Its CSV reader is in
/// `cimpute/io/interventional_csv.hpp`.
#pragma once

#include <Eigen/Core>

#include <string>
#include <vector>

namespace cimpute {

/// Samples of several settings over the same variables: the observational ones pooled, and one
/// matrix per interventional setting with the targets a learner is told (variable indices).
struct InterventionalData {
  std::vector<std::string> variables;              ///< variable (column) names
  Eigen::MatrixXd observational;                   ///< samples x variables
  std::vector<std::string> observational_settings; ///< names of the pooled observational settings
  std::vector<std::string> setting_names; ///< interventional settings, in order of appearance
  std::vector<Eigen::MatrixXd> settings;  ///< samples x variables, one per setting
  std::vector<std::vector<int>> targets;  ///< known targets of each setting (sorted)
};

} // namespace cimpute
