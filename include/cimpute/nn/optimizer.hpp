/// @file optimizer.hpp
/// @brief First-order optimizers on a flat parameter vector (SGD with momentum, Adam) and
/// learning-rate schedules, with the update rules of PyTorch's `torch.optim`.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/parallel.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

namespace cimpute {

/// A learning rate per step: constant, step decay, or cosine annealing to a floor.
struct LearningRateSchedule {
  enum class Kind { Constant, Step, Cosine };
  Kind kind = Kind::Constant;
  double rate = 1e-3;      ///< the initial rate
  long step_size = 1000;   ///< Step: multiply by `gamma` every `step_size` steps
  double gamma = 0.5;      ///< Step: the factor
  long total_steps = 1000; ///< Cosine: steps to reach `floor`
  double floor = 0.0;      ///< Cosine: the final rate
  /// The rate at step t (0-based).
  double at(long t) const {
    switch (kind) {
    case Kind::Step:
      return rate * std::pow(gamma, double(t / step_size));
    case Kind::Cosine: {
      const double p = std::min(1.0, double(t) / double(total_steps));
      return floor + 0.5 * (rate - floor) * (1 + std::cos(3.141592653589793 * p));
    }
    default:
      return rate;
    }
  }
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "LearningRateSchedule::validate";
    if (!(rate > 0) || !std::isfinite(rate)) detail::throw_invalid(fn, "rate must be > 0");
    if (kind == Kind::Step && (step_size < 1 || !(gamma > 0)))
      detail::throw_invalid(fn, "step decay needs step_size >= 1 and gamma > 0");
    if (kind == Kind::Cosine && (total_steps < 1 || floor < 0 || floor > rate))
      detail::throw_invalid(fn, "cosine annealing needs total_steps >= 1 and 0 <= floor <= rate");
  }
};

/// Settings of `Adam` (Kingma & Ba 2015; PyTorch's defaults).
struct AdamOptions {
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double weight_decay = 0.0; ///< L2 penalty added to the gradient
  void validate() const {
    const char* fn = "AdamOptions::validate";
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
      detail::throw_invalid(fn, "betas must lie in [0, 1)");
    if (!(epsilon > 0) || !(weight_decay >= 0)) detail::throw_invalid(fn, "bad epsilon or decay");
  }
};

/// Adam on a flat parameter vector, as `torch.optim.Adam`:
/// \f$ m \leftarrow \beta_1 m + (1-\beta_1) g \f$, \f$ v \leftarrow \beta_2 v + (1-\beta_2) g^2
/// \f$, \f$ \theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}
/// \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t}
/// + \epsilon} \f$.
template <class Scalar>
class Adam {
public:
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  explicit Adam(Eigen::Index size = 0, AdamOptions opt = {}) : m_opt(opt) {
    m_opt.validate();
    reset(size);
  }
  void reset(Eigen::Index size) {
    m_m = Vector::Zero(size);
    m_v = Vector::Zero(size);
    m_t = 0;
  }
  /// One step with learning rate `lr` and gradient `g`.
  void step(Vector& theta, const Vector& g, double lr) {
    if (theta.size() != m_m.size() || g.size() != m_m.size())
      detail::throw_invalid("Adam::step", "parameter / gradient size does not match ", m_m.size());
    ++m_t;
    const Scalar b1 = Scalar(m_opt.beta1), b2 = Scalar(m_opt.beta2);
    const Scalar wd = Scalar(m_opt.weight_decay);
    const double bc1 = 1 - std::pow(m_opt.beta1, double(m_t));
    const double bc2 = 1 - std::pow(m_opt.beta2, double(m_t));
    const Scalar step = Scalar(lr / bc1), scale = Scalar(1 / std::sqrt(bc2));
    const Scalar eps = Scalar(m_opt.epsilon);
    if (wd != Scalar(0)) {
      const Vector gw = g + wd * theta;
      update(theta, gw, b1, b2, step, scale, eps);
    } else {
      update(theta, g, b1, b2, step, scale, eps);
    }
  }
  long steps() const noexcept { return m_t; }

private:
  // In cache-sized blocks, so that g, m, v and theta stream through memory once per step (the
  // three whole-vector statements would read g, m and v twice), and on OpenMP threads for large
  // networks. Elementwise: the result does not depend on the blocks or the threads.
  void update(Vector& theta, const Vector& g, Scalar b1, Scalar b2, Scalar step, Scalar scale,
              Scalar eps) {
    constexpr Eigen::Index block = 4096, task = 16 * block;
    const Eigen::Index n = theta.size();
    auto run = [&](long k) {
      const Eigen::Index end = std::min(n, Eigen::Index(k + 1) * task);
      for (Eigen::Index i = Eigen::Index(k) * task; i < end; i += block) {
        const Eigen::Index len = std::min(block, end - i);
        auto m = m_m.segment(i, len).array();
        auto v = m_v.segment(i, len).array();
        const auto gi = g.segment(i, len).array();
        m = b1 * m + (1 - b1) * gi;
        v = b2 * v + (1 - b2) * gi.square();
        theta.segment(i, len).array() -= step * m / (v.sqrt() * scale + eps);
      }
    };
    const long tasks = long((n + task - 1) / task);
    if (tasks >= 4)
      detail::parallel_for(tasks, run);
    else
      for (long k = 0; k < tasks; ++k) run(k);
  }
  AdamOptions m_opt;
  Vector m_m, m_v;
  long m_t = 0;
};

/// SGD with (heavy-ball) momentum, as `torch.optim.SGD`: \f$ b \leftarrow \mu b + g \f$,
/// \f$ \theta \leftarrow \theta - \eta b \f$ (plain gradient descent for \f$ \mu = 0 \f$).
template <class Scalar>
class Sgd {
public:
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  explicit Sgd(Eigen::Index size = 0, double momentum = 0.0) : m_mu(momentum) {
    if (!(momentum >= 0 && momentum < 1))
      detail::throw_invalid("Sgd", "momentum must lie in [0, 1), got ", momentum);
    reset(size);
  }
  void reset(Eigen::Index size) {
    m_b = Vector::Zero(size);
    m_t = 0;
  }
  void step(Vector& theta, const Vector& g, double lr) {
    if (theta.size() != m_b.size() || g.size() != m_b.size())
      detail::throw_invalid("Sgd::step", "parameter / gradient size does not match ", m_b.size());
    if (m_t++ == 0 || m_mu == 0)
      m_b = g;
    else
      m_b = Scalar(m_mu) * m_b + g;
    theta -= Scalar(lr) * m_b;
  }
  long steps() const noexcept { return m_t; }

private:
  double m_mu;
  Vector m_b;
  long m_t = 0;
};

} // namespace cimpute
