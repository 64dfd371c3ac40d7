/// @file ntk_grid.hpp
/// @brief `NtkGrid`: the hyper-parameter grid (depth, identity weight, prior scale, ridge) that the
/// NTK searches of `NtkCvCompletion` and `NtkMixedPriorCompletion` try, and its validation.
#pragma once

#include "cimpute/core/errors.hpp"

#include <cmath>
#include <cstddef>
#include <vector>

namespace cimpute {

/// The hyper-parameter grid of an NTK search: every combination of one depth, one identity
/// weight, one prior scale and one ridge is a point of the search (Jacot, Gabriel, Hongler 2018
/// for the kernel; the settings are those of `NtkCompletionOptions`). A default-constructed grid
/// is empty; the option structs that derive from it (`NtkSearchOptions`, `MixedPriorOptions`)
/// set their own defaults, and their fields are written as before (`opts.depths = {1, 2}`).
struct NtkGrid {
  std::vector<int> depths;              ///< hidden layers of the ReLU network, each >= 1
  std::vector<double> identity_weights; ///< beta_id of the private one-hot coordinate, each >= 0
  std::vector<double> scales;           ///< the prior scale s, each >= 0
  std::vector<double> ridges;           ///< added to the training Gram's diagonal, each >= 0

  /// Number of points: the product of the four list sizes.
  std::size_t size() const noexcept {
    return depths.size() * identity_weights.size() * scales.size() * ridges.size();
  }

  /// Throws `invalid_argument` from `fn` (the caller's name, e.g. "NtkSearchOptions::validate")
  /// naming the list and the offending value: an empty list, a depth < 1, or a negative or
  /// non-finite identity weight, scale or ridge.
  void validate(const char* fn) const {
    if (depths.empty())
      detail::throw_invalid(fn, "depths is empty (every list of the search space needs a value)");
    for (int d : depths)
      if (d < 1) detail::throw_invalid(fn, "depths holds ", d, " (a depth must be >= 1)");
    check(fn, "identity_weights", identity_weights);
    check(fn, "scales", scales);
    check(fn, "ridges", ridges);
  }

private:
  static void check(const char* fn, const char* what, const std::vector<double>& values) {
    if (values.empty())
      detail::throw_invalid(fn, what, " is empty (every list of the search space needs a value)");
    for (double x : values)
      if (!(x >= 0) || !std::isfinite(x))
        detail::throw_invalid(fn, what, " holds ", x, " (must be finite and >= 0)");
  }
};

} // namespace cimpute
