/// @file interventional_data.hpp
/// @brief `InterventionalData`: observational samples plus per-setting interventional samples
/// with their known targets — the input of IGSP / UT-IGSP — and the discovery view of a
/// `PerturbationTensor` of per-sample profiles (`setting_blocks`, `interventional_data`). Its
/// CSV reader is in `cimpute/io/interventional_csv.hpp`.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

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
  /// Each observational sample's index in `observational_settings` (empty: all one setting).
  std::vector<int> observational_setting_of;
  std::vector<std::string> setting_names; ///< interventional settings, in order of appearance
  std::vector<Eigen::MatrixXd> settings;  ///< samples x variables, one per setting
  std::vector<std::vector<int>> targets;  ///< known targets of each setting (sorted)

  /// Throws `invalid_argument` (naming `fn`) unless the samples are well formed, whatever the
  /// learner will use: a name per variable (when names are given), every setting with the
  /// observational samples' columns, a target list per setting with targets in [0, p), a name
  /// per setting and per observational sample's setting (when given), no NaN or Inf anywhere.
  void validate(const char* fn = "InterventionalData::validate") const {
    const Eigen::Index p = observational.cols();
    if (!variables.empty() && Eigen::Index(variables.size()) != p)
      detail::throw_invalid(fn, variables.size(), " variable names for ", p, " columns");
    if (!observational.allFinite())
      detail::throw_invalid(fn, "the observational samples have a non-finite value (NaN or Inf)");
    if (!observational_setting_of.empty() &&
        Eigen::Index(observational_setting_of.size()) != observational.rows())
      detail::throw_invalid(fn, observational_setting_of.size(),
                            " observational setting labels for ", observational.rows(), " samples");
    if (targets.size() != settings.size())
      detail::throw_invalid(fn, settings.size(), " settings but ", targets.size(), " target lists");
    if (!setting_names.empty() && setting_names.size() != settings.size())
      detail::throw_invalid(fn, settings.size(), " settings but ", setting_names.size(),
                            " setting names");
    for (std::size_t k = 0; k < settings.size(); ++k) {
      const std::string name = setting_names.empty() ? "setting " + std::to_string(k)
                                                     : "setting '" + setting_names[k] + "'";
      if (settings[k].cols() != p)
        detail::throw_invalid(fn, name, " has ", settings[k].cols(),
                              " columns, the observational samples ", p);
      if (!settings[k].allFinite())
        detail::throw_invalid(fn, name, " has a non-finite value (NaN or Inf)");
      for (int t : targets[k])
        if (t < 0 || t >= p)
          detail::throw_invalid(fn, name, " has target ", t, " outside [0, ", p, ")");
    }
  }
};

/// Per-setting sample blocks of one context of a tensor, the input of interventional structure
/// learning: the control samples, and for every other perturbation its samples.
template <class Scalar>
struct SettingBlocks {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  Matrix control;                          ///< samples of the context's control perturbation
  std::vector<Eigen::Index> perturbations; ///< perturbation index of each block
  std::vector<Matrix> blocks;              ///< samples x features, one per perturbation
};

/// The sample blocks of context `c` of `t` (per-sample data and a control for c needed): its
/// control samples and each other perturbation's samples observed in c, in perturbation order.
template <class Scalar>
SettingBlocks<Scalar> setting_blocks(const PerturbationTensor<Scalar>& t, Eigen::Index c) {
  using Index = Eigen::Index;
  const char* fn = "setting_blocks";
  if (c < 0 || c >= t.num_contexts())
    detail::throw_invalid(fn, "context index ", c, " out of range [0, ", t.num_contexts(), ")");
  if (!t.has_samples()) detail::throw_logic(fn, "the tensor holds no per-sample data");
  const Index ctrl = t.control(c);
  if (ctrl < 0) detail::throw_logic(fn, "context '", t.contexts()[c], "' has no control set");
  std::vector<std::vector<Index>> rows(static_cast<std::size_t>(t.num_perturbations()));
  for (Index i = 0; i < t.num_samples(); ++i)
    if (t.sample_contexts()[std::size_t(i)] == c)
      rows[std::size_t(t.sample_perturbations()[std::size_t(i)])].push_back(i);
  auto gather = [&](const std::vector<Index>& r) {
    return typename SettingBlocks<Scalar>::Matrix(t.samples()(r, Eigen::all));
  };
  SettingBlocks<Scalar> out;
  out.control = gather(rows[std::size_t(ctrl)]);
  if (out.control.rows() == 0)
    detail::throw_invalid(fn, "context '", t.contexts()[c], "' has no samples of its control '",
                          t.perturbations()[ctrl], "'");
  for (Index p = 0; p < t.num_perturbations(); ++p)
    if (p != ctrl && !rows[std::size_t(p)].empty()) {
      out.perturbations.push_back(p);
      out.blocks.push_back(gather(rows[std::size_t(p)]));
    }
  return out;
}

/// The discovery input of context `c` of a tensor of per-sample profiles (e.g. a Perturb-seq
/// screen): the control samples are the observational data, every other perturbation observed in
/// c is an interventional setting, the variables are the features. A setting's known target is
/// the feature whose id (or symbol, when the tensor has symbols) equals the perturbation's name,
/// as for a CRISPR knock-out named after its gene; a perturbation matching no feature (a drug, a
/// guide named otherwise) gets no known target, for learners of unknown targets (UT-IGSP).
template <class Scalar>
InterventionalData interventional_data(const PerturbationTensor<Scalar>& t, Eigen::Index c) {
  const SettingBlocks<Scalar> b = setting_blocks(t, c);
  InterventionalData d;
  d.variables = t.features().ids();
  d.observational = b.control.template cast<double>();
  d.observational_settings = {t.perturbations()[t.control(c)]};
  for (std::size_t k = 0; k < b.blocks.size(); ++k) {
    const std::string& name = t.perturbations()[b.perturbations[k]];
    d.setting_names.push_back(name);
    d.settings.push_back(b.blocks[k].template cast<double>());
    std::vector<int> targets;
    Eigen::Index g = t.features().find(name);
    if (g < 0 && !t.feature_symbols().empty()) {
      const auto& sym = t.feature_symbols();
      for (std::size_t j = 0; j < sym.size() && g < 0; ++j)
        if (sym[j] == name) g = Eigen::Index(j);
    }
    if (g >= 0) targets.push_back(int(g));
    d.targets.push_back(std::move(targets));
  }
  return d;
}

} // namespace cimpute
