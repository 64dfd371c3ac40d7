/// @file ensemble.hpp
/// @brief `EnsembleCompletion`: the equal-weight average of several completion methods.
#pragma once

#include "cimpute/completion/training_set.hpp"

#include <Eigen/Core>

#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace cimpute {

/// The equal-weight average of the predictions of `Methods...` (each with `fit(TrainingSet)` and
/// `predict(pairs)`), every one fitted on the same training set. Averaging methods whose errors
/// are weakly correlated (a kernel method and low-rank tensor methods, say) lowers the error of
/// each; the weights are fixed, so nothing is tuned on test pairs.
template <class Scalar_, class... Methods>
class EnsembleCompletion {
  static_assert(sizeof...(Methods) >= 1, "EnsembleCompletion needs at least one method");

public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  explicit EnsembleCompletion(std::string name, Methods... methods)
      : m_name(std::move(name)), m_methods(std::move(methods)...) {}
  std::string name() const { return m_name; }

  EnsembleCompletion& fit(const TrainingSet<Scalar>& train) {
    std::apply([&](auto&... m) { (m.fit(train), ...); }, m_methods);
    m_fitted = true;
    return *this;
  }
  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_fitted) detail::throw_logic("EnsembleCompletion::predict", "call fit() first");
    Matrix sum;
    std::apply(
        [&](const auto&... m) {
          ((sum.size() == 0 ? void(sum = m.predict(pairs)) : void(sum += m.predict(pairs))), ...);
        },
        m_methods);
    return sum / Scalar(sizeof...(Methods));
  }
  /// The member methods (e.g. to read the NTK's selected hyper-parameters).
  const std::tuple<Methods...>& methods() const noexcept { return m_methods; }

private:
  std::string m_name;
  std::tuple<Methods...> m_methods;
  bool m_fitted = false;
};

} // namespace cimpute
