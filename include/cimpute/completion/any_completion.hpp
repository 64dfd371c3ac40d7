/// @file any_completion.hpp
/// @brief `AnyCompletion`: any completion method behind one run-time interface.
#pragma once

#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace cimpute {

namespace detail {
template <class M, class = void>
struct has_model : std::false_type {};
template <class M>
struct has_model<M, std::void_t<decltype(std::declval<const M&>().model())>> : std::true_type {};
template <class M, class = void>
struct has_posterior : std::false_type {};
template <class M>
struct has_posterior<M, std::void_t<decltype(std::declval<const M&>().posterior_variance(
                            std::declval<const std::vector<PairIndex>&>()))>> : std::true_type {};

/// True when `M` has `leave_one_pair_out_predictions(const TrainingSet<S>&)`: a closed form of
/// the outer leave-one-pair-out that `leave_one_pair_out` uses instead of one refit per pair.
template <class M, class S, class = void>
struct has_fast_leave_one_pair_out : std::false_type {};
template <class M, class S>
struct has_fast_leave_one_pair_out<
    M, S,
    std::void_t<decltype(std::declval<const M&>().leave_one_pair_out_predictions(
        std::declval<const TrainingSet<S>&>()))>> : std::true_type {};

template <class M, class = void>
struct has_relative_posterior : std::false_type {};
template <class M>
struct has_relative_posterior<
    M, std::void_t<decltype(std::declval<const M&>().relative_posterior_variance(
           std::declval<const std::vector<PairIndex>&>()))>> : std::true_type {};

template <class M, class = void>
struct has_posterior_covariance : std::false_type {};
template <class M>
struct has_posterior_covariance<M,
                                std::void_t<decltype(std::declval<const M&>().posterior_covariance(
                                    std::declval<const std::vector<PairIndex>&>()))>>
    : std::true_type {};
template <class M, class = void>
struct has_relative_posterior_covariance : std::false_type {};
template <class M>
struct has_relative_posterior_covariance<
    M, std::void_t<decltype(std::declval<const M&>().relative_posterior_covariance(
           std::declval<const std::vector<PairIndex>&>(), std::declval<double&>()))>>
    : std::true_type {};

/// True when `M` (or the model it wraps, `M::model()`) has a kernel posterior: the
/// `CompletionMethodInfo::posterior` capability.
template <class M>
constexpr bool has_kernel_posterior() {
  if constexpr (has_posterior<M>::value || has_relative_posterior<M>::value)
    return true;
  else if constexpr (has_model<M>::value)
    return has_kernel_posterior<std::decay_t<decltype(std::declval<const M&>().model())>>();
  else
    return false;
}

/// The kernel posterior covariance of `pairs` relative to the prior variance, and the ridge a
/// newly measured pair adds (relative too), for a method with one (the NTK, or a method whose
/// `model()` is one; `AnyCompletion` passes it on); otherwise `invalid_argument`.
template <class M>
Eigen::MatrixXd relative_posterior_covariance(const M& m, const std::vector<PairIndex>& pairs,
                                              double& relative_ridge) {
  if constexpr (has_posterior_covariance<M>::value && has_posterior<M>::value) {
    const double prior = m.prior_variance();
    relative_ridge = m.ridge() / prior;
    return m.posterior_covariance(pairs) / prior;
  } else if constexpr (has_relative_posterior_covariance<M>::value) {
    return m.relative_posterior_covariance(pairs, relative_ridge); // AnyCompletion
  } else if constexpr (has_model<M>::value) {
    return relative_posterior_covariance(m.model(), pairs, relative_ridge);
  } else {
    (void)pairs, (void)relative_ridge;
    throw_invalid("relative_posterior_covariance", "method '", m.name(),
                  "' has no kernel posterior covariance (ntk and ntk-reference have one)");
  }
}

// Fraction of prior variance left for each pair, or NaN without a kernel posterior (any method,
// `AnyCompletion` included).
template <class M>
Eigen::VectorXd relative_posterior_variance(const M& m, const std::vector<PairIndex>& pairs) {
  if constexpr (has_relative_posterior<M>::value) {
    return m.relative_posterior_variance(pairs);
  } else if constexpr (has_posterior<M>::value) {
    return m.posterior_variance(pairs) / m.prior_variance();
  } else if constexpr (has_model<M>::value) {
    return relative_posterior_variance(m.model(), pairs);
  } else {
    return Eigen::VectorXd::Constant(Eigen::Index(pairs.size()),
                                     std::numeric_limits<double>::quiet_NaN());
  }
}
} // namespace detail

/// A completion method of any type (anything with `name()`, `fit(TrainingSet)` and
/// `predict(pairs)`) behind virtual calls, like `std::function` for callables: a value type
/// (copies are deep) that the protocols of `protocols.hpp` accept as they accept the
/// concrete methods.
///
/// Programs that choose methods by name at run time (`make_completion_method`) compile every
/// protocol once for `AnyCompletion` instead of once per method type: the method bodies are
/// no longer inlined into every protocol, which keeps such programs quick to build. The cost
/// is one virtual call per fit or predict.
template <class Scalar_ = double>
class AnyCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  /// Wrap `method` (moved in).
  template <class Method,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<Method>, AnyCompletion>>>
  AnyCompletion(Method method) // NOLINT(google-explicit-constructor): a wrapper, like std::function
      : m_impl(std::make_unique<Model<Method>>(std::move(method))) {}
  AnyCompletion(const AnyCompletion& o) : m_impl(o.m_impl ? o.m_impl->clone() : nullptr) {}
  AnyCompletion(AnyCompletion&&) noexcept = default;
  AnyCompletion& operator=(const AnyCompletion& o) {
    if (this != &o) m_impl = o.m_impl ? o.m_impl->clone() : nullptr;
    return *this;
  }
  AnyCompletion& operator=(AnyCompletion&&) noexcept = default;
  ~AnyCompletion() = default;

  std::string name() const { return impl().name(); }
  AnyCompletion& fit(const TrainingSet<Scalar>& train) {
    impl().fit(train);
    return *this;
  }
  Matrix predict(const std::vector<PairIndex>& pairs) const { return impl().predict(pairs); }
  /// The fraction of the kernel prior variance left at each pair for kernel methods with a
  /// posterior (the NTK, or a method whose `model()` is one); NaN for the others.
  Eigen::VectorXd relative_posterior_variance(const std::vector<PairIndex>& pairs) const {
    return impl().relative_posterior_variance(pairs);
  }
  /// The kernel posterior covariance of `pairs` relative to the prior variance, with the ridge
  /// a newly measured pair adds (see `detail::relative_posterior_covariance`); throws for a
  /// method without one.
  Eigen::MatrixXd relative_posterior_covariance(const std::vector<PairIndex>& pairs,
                                                double& relative_ridge) const {
    return impl().relative_posterior_covariance(pairs, relative_ridge);
  }
  /// The wrapped method's closed-form leave-one-pair-out predictions, or `std::nullopt` when it
  /// has none (see `leave_one_pair_out`).
  std::optional<Matrix> leave_one_pair_out_predictions(const TrainingSet<Scalar>& all) const {
    return impl().leave_one_pair_out_predictions(all);
  }
  /// The wrapped method if it is a `Method`, else nullptr (as `std::function::target`).
  template <class Method>
  const Method* target() const noexcept {
    const auto* m = dynamic_cast<const Model<Method>*>(m_impl.get());
    return m ? &m->method : nullptr;
  }

private:
  struct Concept {
    virtual ~Concept() = default;
    virtual std::unique_ptr<Concept> clone() const = 0;
    virtual std::string name() const = 0;
    virtual void fit(const TrainingSet<Scalar>& train) = 0;
    virtual Matrix predict(const std::vector<PairIndex>& pairs) const = 0;
    virtual Eigen::VectorXd
    relative_posterior_variance(const std::vector<PairIndex>& pairs) const = 0;
    virtual Eigen::MatrixXd relative_posterior_covariance(const std::vector<PairIndex>& pairs,
                                                          double& relative_ridge) const = 0;
    virtual std::optional<Matrix>
    leave_one_pair_out_predictions(const TrainingSet<Scalar>& all) const = 0;
  };
  template <class Method>
  struct Model final : Concept {
    explicit Model(Method m) : method(std::move(m)) {}
    std::unique_ptr<Concept> clone() const override { return std::make_unique<Model>(method); }
    std::string name() const override { return method.name(); }
    void fit(const TrainingSet<Scalar>& train) override { method.fit(train); }
    Matrix predict(const std::vector<PairIndex>& pairs) const override {
      return method.predict(pairs);
    }
    Eigen::VectorXd
    relative_posterior_variance(const std::vector<PairIndex>& pairs) const override {
      return detail::relative_posterior_variance(method, pairs);
    }
    Eigen::MatrixXd relative_posterior_covariance(const std::vector<PairIndex>& pairs,
                                                  double& relative_ridge) const override {
      return detail::relative_posterior_covariance(method, pairs, relative_ridge);
    }
    std::optional<Matrix>
    leave_one_pair_out_predictions(const TrainingSet<Scalar>& all) const override {
      if constexpr (detail::has_fast_leave_one_pair_out<Method, Scalar>::value)
        return method.leave_one_pair_out_predictions(all);
      else
        return std::nullopt;
    }
    Method method;
  };
  Concept& impl() const {
    if (!m_impl) detail::throw_logic("AnyCompletion", "use of a moved-from method");
    return *m_impl;
  }
  std::unique_ptr<Concept> m_impl;
};

} // namespace cimpute
