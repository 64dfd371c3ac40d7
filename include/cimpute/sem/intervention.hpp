/// @file intervention.hpp
/// @brief Interventions on structural equation models: perfect (do), shift and scaling, on known
/// targets and optional hidden off-targets.
#pragma once

#include "cimpute/core/errors.hpp"

#include <cmath>
#include <vector>

namespace cimpute {

/// What an intervention does to one node.
enum class InterventionKind {
  Perfect, ///< cut the incoming arcs; the node becomes N(mean, variance) (variance 0 allowed)
  Shift,   ///< add `shift` to the node's noise mean
  Scaling  ///< multiply the incoming weights by `weight_scale` and the noise sd by `noise_scale`
};

/// The intervention on one node.
struct NodeIntervention {
  int node = 0;
  InterventionKind kind = InterventionKind::Perfect;
  double mean = 0.0;         ///< Perfect: the new mean
  double variance = 0.0;     ///< Perfect: the new variance (>= 0)
  double shift = 0.0;        ///< Shift: added to the noise mean
  double weight_scale = 1.0; ///< Scaling: factor on incoming weights
  double noise_scale = 1.0;  ///< Scaling: factor on the noise standard deviation (>= 0)

  /// Throws `invalid_argument` for a negative node, variance or noise scale, or non-finite values.
  void validate() const {
    const char* fn = "NodeIntervention::validate";
    if (node < 0) detail::throw_invalid(fn, "negative node ", node);
    for (double v : {mean, variance, shift, weight_scale, noise_scale})
      if (!std::isfinite(v)) detail::throw_invalid(fn, "non-finite parameter ", v);
    if (variance < 0) detail::throw_invalid(fn, "negative variance ", variance);
    if (noise_scale < 0) detail::throw_invalid(fn, "negative noise scale ", noise_scale);
  }
};

/// An intervention setting: the nodes a learner is told about (`targets`) and nodes also hit
/// without the learner knowing (`off_targets`). The empty intervention is the observational
/// setting.
struct Intervention {
  std::vector<NodeIntervention> targets;     ///< known targets
  std::vector<NodeIntervention> off_targets; ///< hidden off-target effects

  /// All node interventions, known and hidden.
  std::vector<NodeIntervention> all() const {
    std::vector<NodeIntervention> v = targets;
    v.insert(v.end(), off_targets.begin(), off_targets.end());
    return v;
  }
  /// The known target nodes.
  std::vector<int> target_nodes() const {
    std::vector<int> v;
    for (const auto& t : targets) v.push_back(t.node);
    return v;
  }
  /// Perfect interventions do(X_t ~ N(mean, variance)) on `nodes`.
  static Intervention perfect(const std::vector<int>& nodes, double mean = 0.0,
                              double variance = 0.0) {
    Intervention iv;
    for (int v : nodes)
      iv.targets.push_back({v, InterventionKind::Perfect, mean, variance, 0, 1, 1});
    return iv;
  }
  /// Shift interventions (noise mean + s) on `nodes`.
  static Intervention shift(const std::vector<int>& nodes, double s) {
    Intervention iv;
    for (int v : nodes) iv.targets.push_back({v, InterventionKind::Shift, 0, 0, s, 1, 1});
    return iv;
  }
  /// Scaling interventions on `nodes`: incoming weights (or the mechanism) times `weight_scale`,
  /// noise sd times `noise_scale`.
  static Intervention scaling(const std::vector<int>& nodes, double weight_scale,
                              double noise_scale = 1.0) {
    Intervention iv;
    for (int v : nodes)
      iv.targets.push_back({v, InterventionKind::Scaling, 0, 0, 0, weight_scale, noise_scale});
    return iv;
  }
};

} // namespace cimpute
