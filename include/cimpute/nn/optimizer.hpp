/// @file optimizer.hpp
/// @brief First-order optimizers on a flat parameter vector (SGD with momentum, Adam) and
/// learning-rate schedules, with the update rules of PyTorch's `torch.optim`.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/core/simd.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <type_traits>

#if CIMPUTE_X86_DISPATCH
#include <immintrin.h>
#endif

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

namespace detail {
/// The numbers of one Adam step: \f$ m \leftarrow b_1 m + c_1 g \f$, \f$ v \leftarrow b_2 v + c_2
/// g^2 \f$, \f$ \theta \leftarrow \theta - \mathrm{step}\, m / (\sqrt{v}\, \mathrm{scale} +
/// \epsilon) \f$.
template <class Scalar>
struct AdamConstants {
  Scalar b1, c1, b2, c2, step, scale, eps;
};

/// The Adam update of n parameters one at a time (IEEE square root): the tail of the vector
/// kernels.
template <class Scalar>
void adam_update_scalar(Scalar* theta, Scalar* m, Scalar* v, const Scalar* g, Eigen::Index n,
                        const AdamConstants<Scalar>& c) {
  for (Eigen::Index i = 0; i < n; ++i) {
    m[i] = c.b1 * m[i] + c.c1 * g[i];
    v[i] = c.b2 * v[i] + c.c2 * (g[i] * g[i]);
    theta[i] -= (c.step * m[i]) / (std::sqrt(v[i]) * c.scale + c.eps);
  }
}

#if CIMPUTE_X86_DISPATCH
// The update in AVX2 registers (chosen at run time by `use_avx2`). The square roots and divisions
// bound Adam's speed in a generic x86-64 build (Eigen's 4 floats per instruction); at 8 the update
// is bound by memory (AVX-512 measured no faster). Same operations in the same order as
// `adam_update_scalar`.
__attribute__((target("avx2"))) inline void adam_update_avx2(float* theta, float* m, float* v,
                                                             const float* g, Eigen::Index n,
                                                             const AdamConstants<float>& c) {
  const __m256 b1 = _mm256_set1_ps(c.b1), c1 = _mm256_set1_ps(c.c1);
  const __m256 b2 = _mm256_set1_ps(c.b2), c2 = _mm256_set1_ps(c.c2);
  const __m256 step = _mm256_set1_ps(c.step), scale = _mm256_set1_ps(c.scale);
  const __m256 eps = _mm256_set1_ps(c.eps);
  Eigen::Index i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    const __m256 mi =
        _mm256_add_ps(_mm256_mul_ps(b1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(c1, gi));
    const __m256 vi = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_loadu_ps(v + i)),
                                    _mm256_mul_ps(c2, _mm256_mul_ps(gi, gi)));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    const __m256 den = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vi), scale), eps);
    _mm256_storeu_ps(theta + i, _mm256_sub_ps(_mm256_loadu_ps(theta + i),
                                              _mm256_div_ps(_mm256_mul_ps(step, mi), den)));
  }
  adam_update_scalar(theta + i, m + i, v + i, g + i, n - i, c);
}
__attribute__((target("avx2"))) inline void adam_update_avx2(double* theta, double* m, double* v,
                                                             const double* g, Eigen::Index n,
                                                             const AdamConstants<double>& c) {
  const __m256d b1 = _mm256_set1_pd(c.b1), c1 = _mm256_set1_pd(c.c1);
  const __m256d b2 = _mm256_set1_pd(c.b2), c2 = _mm256_set1_pd(c.c2);
  const __m256d step = _mm256_set1_pd(c.step), scale = _mm256_set1_pd(c.scale);
  const __m256d eps = _mm256_set1_pd(c.eps);
  Eigen::Index i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d gi = _mm256_loadu_pd(g + i);
    const __m256d mi =
        _mm256_add_pd(_mm256_mul_pd(b1, _mm256_loadu_pd(m + i)), _mm256_mul_pd(c1, gi));
    const __m256d vi = _mm256_add_pd(_mm256_mul_pd(b2, _mm256_loadu_pd(v + i)),
                                     _mm256_mul_pd(c2, _mm256_mul_pd(gi, gi)));
    _mm256_storeu_pd(m + i, mi);
    _mm256_storeu_pd(v + i, vi);
    const __m256d den = _mm256_add_pd(_mm256_mul_pd(_mm256_sqrt_pd(vi), scale), eps);
    _mm256_storeu_pd(theta + i, _mm256_sub_pd(_mm256_loadu_pd(theta + i),
                                              _mm256_div_pd(_mm256_mul_pd(step, mi), den)));
  }
  adam_update_scalar(theta + i, m + i, v + i, g + i, n - i, c);
}
#endif

/// The Adam update of n parameters: the AVX2 kernel for float and double when `use_avx2`, else
/// Eigen's expression. Element-wise, so any split of the parameters gives the same result on a
/// given machine.
template <class Scalar>
void adam_update(Scalar* theta, Scalar* m, Scalar* v, const Scalar* g, Eigen::Index n,
                 const AdamConstants<Scalar>& c) {
#if CIMPUTE_X86_DISPATCH
  if constexpr (std::is_same<Scalar, float>::value || std::is_same<Scalar, double>::value) {
    if (use_avx2()) return adam_update_avx2(theta, m, v, g, n, c);
  }
#endif
  using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;
  Eigen::Map<Array> mm(m, n), vv(v, n), th(theta, n);
  const Eigen::Map<const Array> gg(g, n);
  mm = c.b1 * mm + c.c1 * gg;
  vv = c.b2 * vv + c.c2 * gg.square();
  th -= c.step * mm / (vv.sqrt() * c.scale + c.eps);
}
} // namespace detail

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
  // In cache-sized blocks (`detail::adam_update` streams g, m, v and theta through memory once
  // per step), on OpenMP threads for large networks. Element-wise: the result does not depend on
  // the blocks or the threads.
  void update(Vector& theta, const Vector& g, Scalar b1, Scalar b2, Scalar step, Scalar scale,
              Scalar eps) {
    constexpr Eigen::Index block = 4096, task = 16 * block;
    const Eigen::Index n = theta.size();
    const detail::AdamConstants<Scalar> c{b1, Scalar(1) - b1, b2, Scalar(1) - b2, step, scale, eps};
    auto run = [&](long k) {
      const Eigen::Index end = std::min(n, Eigen::Index(k + 1) * task);
      for (Eigen::Index i = Eigen::Index(k) * task; i < end; i += block) {
        const Eigen::Index len = std::min(block, end - i);
        detail::adam_update(theta.data() + i, m_m.data() + i, m_v.data() + i, g.data() + i, len, c);
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
