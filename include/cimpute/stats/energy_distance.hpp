/// @file energy_distance.hpp
/// @brief Energy distance between two cell populations and the permutation E-test
/// (Szekely & Rizzo 2004; as used for perturbation screens by scPerturb, Peidli et al. 2024).
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace cimpute {

/// Which energy distance: the field uses several, so the variant is part of every reported value.
/// \f$ E = 2\,\overline{d(X, Y)} - \overline{d(X, X)} - \overline{d(Y, Y)} \f$ with
/// - `squared`: d the squared Euclidean distance (scPerturb's `edist`), else the Euclidean
///   distance (the classical energy distance);
/// - `distinct_pairs`: the within-population means over the n(n-1) pairs of distinct cells
///   (scPerturb), else over all n^2 pairs, the zero diagonal included (the V-statistic).
/// The default is scPerturb's, "sqeuclidean-distinct".
struct EnergyDistanceOptions {
  bool squared = true;
  bool distinct_pairs = true;
  /// The variant's name: "sqeuclidean-distinct", "sqeuclidean-all", "euclidean-distinct" or
  /// "euclidean-all".
  std::string name() const {
    return std::string(squared ? "sqeuclidean" : "euclidean") +
           (distinct_pairs ? "-distinct" : "-all");
  }
  /// The variant called `name` (as `name()` spells it). Throws `invalid_argument` listing them.
  static EnergyDistanceOptions parse(const std::string& name) {
    for (bool sq : {true, false})
      for (bool distinct : {true, false}) {
        EnergyDistanceOptions o;
        o.squared = sq;
        o.distinct_pairs = distinct;
        if (o.name() == name) return o;
      }
    detail::throw_invalid("EnergyDistanceOptions::parse", "unknown energy distance '", name,
                          "' (known: sqeuclidean-distinct, sqeuclidean-all, euclidean-distinct, "
                          "euclidean-all)");
  }
};

namespace detail {
inline void check_population(const char* fn, const Eigen::Ref<const Eigen::MatrixXd>& x,
                             const char* which, Eigen::Index cols, bool distinct) {
  if (x.rows() < (distinct ? 2 : 1))
    throw_invalid(fn, which, " has ", x.rows(), " cells (needs at least ", distinct ? 2 : 1,
                  distinct ? " for within-population means over distinct pairs)" : ")");
  if (x.cols() != cols)
    throw_invalid(fn, which, " has ", x.cols(), " features, the other population ", cols);
  if (!x.allFinite()) throw_invalid(fn, which, " has a non-finite value");
}

// Pairwise distances between the rows of a and b (squared Euclidean, or its square root) by the
// Gram expansion |a|^2 + |b|^2 - 2 a.b on rows centred at `centre` (which leaves the distances
// unchanged and keeps the cancellation small); `same` (a is b) makes the diagonal exactly zero.
inline Eigen::MatrixXd pairwise_distances(const Eigen::Ref<const Eigen::MatrixXd>& a,
                                          const Eigen::Ref<const Eigen::MatrixXd>& b,
                                          const Eigen::RowVectorXd& centre, bool squared,
                                          bool same) {
  const Eigen::MatrixXd ac = a.rowwise() - centre;
  const Eigen::MatrixXd bc = same ? ac : Eigen::MatrixXd(b.rowwise() - centre);
  Eigen::MatrixXd d = -2.0 * ac * bc.transpose();
  d.colwise() += ac.rowwise().squaredNorm();
  d.rowwise() += bc.rowwise().squaredNorm().transpose();
  d = d.cwiseMax(0.0);
  if (same) d.diagonal().setZero();
  if (!squared) d = d.cwiseSqrt();
  return d;
}
} // namespace detail

/// What the squared-Euclidean energy distance needs of a population: its size, centroid and mean
/// squared distance to the centroid. Summarise a population that is compared with many others
/// (a control) once.
struct PopulationMoments {
  Eigen::Index size = 0;
  Eigen::RowVectorXd centroid;
  double spread = 0; ///< mean squared distance to the centroid
  PopulationMoments() = default;
  explicit PopulationMoments(const Eigen::Ref<const Eigen::MatrixXd>& x)
      : size(x.rows()), centroid(x.colwise().mean()),
        spread(x.rows() > 0 ? (x.rowwise() - centroid).squaredNorm() / double(x.rows()) : 0.0) {}
};

/// The squared-Euclidean energy distance (`opt.squared` must hold) from the two populations'
/// moments: \f$ 2 (|\bar x - \bar y|^2 + v_x + v_y) - 2 v_x s_x - 2 v_y s_y \f$ with
/// \f$ s = n / (n - 1) \f$ for distinct pairs, else 1.
inline double energy_distance(const PopulationMoments& x, const PopulationMoments& y,
                              const EnergyDistanceOptions& opt = {}) {
  const char* fn = "energy_distance";
  if (!opt.squared)
    detail::throw_invalid(fn, "moments give the squared-Euclidean variants only, not ", opt.name());
  for (const PopulationMoments* p : {&x, &y})
    if (p->size < (opt.distinct_pairs ? 2 : 1))
      detail::throw_invalid(fn, "a population has ", p->size, " cells (needs at least ",
                            opt.distinct_pairs ? 2 : 1, ")");
  if (x.centroid.size() != y.centroid.size())
    detail::throw_invalid(fn, "the populations have ", x.centroid.size(), " and ",
                          y.centroid.size(), " features");
  auto scale = [&](Eigen::Index k) { return opt.distinct_pairs ? double(k) / double(k - 1) : 1.0; };
  const double cross = (x.centroid - y.centroid).squaredNorm() + x.spread + y.spread;
  return 2 * cross - 2 * x.spread * scale(x.size) - 2 * y.spread * scale(y.size);
}

/// The energy distance between populations `x` and `y` (cells as rows, the same features as
/// columns, e.g. genes or principal components). The squared variants take the closed form
/// \f$ \overline{|x - y|^2} = |\bar x - \bar y|^2 + v_x + v_y \f$ (\f$ v \f$ the mean squared
/// distance to the centroid) in O((n + m) G); the Euclidean ones form the n x m distances.
/// Throws `invalid_argument` for mismatched features, non-finite values, or a population too
/// small for the variant (fewer than 2 cells with distinct pairs).
inline double energy_distance(const Eigen::Ref<const Eigen::MatrixXd>& x,
                              const Eigen::Ref<const Eigen::MatrixXd>& y,
                              const EnergyDistanceOptions& opt = {}) {
  const char* fn = "energy_distance";
  detail::check_population(fn, x, "the first population", x.cols(), opt.distinct_pairs);
  detail::check_population(fn, y, "the second population", x.cols(), opt.distinct_pairs);
  if (opt.squared) return energy_distance(PopulationMoments(x), PopulationMoments(y), opt);
  const double n = double(x.rows()), m = double(y.rows());
  auto within_scale = [&](double k) { return opt.distinct_pairs ? k / (k - 1) : 1.0; };
  const Eigen::RowVectorXd c = (x.colwise().sum() + y.colwise().sum()) / (n + m);
  const double cross = detail::pairwise_distances(x, y, c, false, false).mean();
  const double wx =
      detail::pairwise_distances(x, x, c, false, true).sum() / (n * n) * within_scale(n);
  const double wy =
      detail::pairwise_distances(y, y, c, false, true).sum() / (m * m) * within_scale(m);
  return 2 * cross - wx - wy;
}

/// Result of `energy_test`.
struct EnergyTestResult {
  double distance = 0; ///< the observed energy distance
  double p_value = 1;  ///< (1 + #permutations at least as large) / (1 + permutations)
  int permutations = 0;
};

/// The permutation E-test of equal distributions: the energy distance of `x` and `y` against its
/// distribution over random relabellings of the pooled cells (sizes kept). The pooled distance
/// matrix is formed once ((n + m)^2 doubles), each permutation costs one product with it.
/// Deterministic for a seed on any thread count. Throws as `energy_distance`, and for
/// `permutations` < 1.
inline EnergyTestResult energy_test(const Eigen::Ref<const Eigen::MatrixXd>& x,
                                    const Eigen::Ref<const Eigen::MatrixXd>& y,
                                    int permutations = 1000, std::uint64_t seed = 0,
                                    const EnergyDistanceOptions& opt = {}) {
  const char* fn = "energy_test";
  if (permutations < 1) detail::throw_invalid(fn, "permutations must be >= 1, got ", permutations);
  EnergyTestResult r;
  r.distance = energy_distance(x, y, opt);
  r.permutations = permutations;
  const Eigen::Index n = x.rows(), m = y.rows(), N = n + m;
  Eigen::MatrixXd z(N, x.cols());
  z << x, y;
  const Eigen::MatrixXd D = detail::pairwise_distances(z, z, z.colwise().mean(), opt.squared, true);
  const double total = D.sum();
  auto scale = [&](double k) { return opt.distinct_pairs ? k * (k - 1) : k * k; };
  // The statistic of a labelling (indicator s of the first population, r = D s), from the same
  // matrix for the observed labelling and the permuted ones, so that equal labellings compare
  // equal whatever the rounding of the closed form.
  auto statistic = [&](const auto& s, const auto& rs) {
    const double sxx = s.dot(rs), sxy = rs.sum() - sxx, syy = total - 2 * sxy - sxx;
    return 2 * sxy / (double(n) * double(m)) - sxx / scale(double(n)) - syy / scale(double(m));
  };
  Eigen::VectorXd s0 = Eigen::VectorXd::Zero(N);
  s0.head(n).setOnes();
  const Eigen::VectorXd r0 = D * s0;
  const double observed = statistic(s0, r0);
  // Indicator columns of the permuted first population, drawn in sequence from one generator.
  std::mt19937_64 rng(seed);
  std::vector<Eigen::Index> idx(static_cast<std::size_t>(N));
  const Eigen::Index batch = 64;
  int at_least = 0;
  for (int done = 0; done < permutations;) {
    const Eigen::Index b = std::min<Eigen::Index>(batch, permutations - done);
    Eigen::MatrixXd S = Eigen::MatrixXd::Zero(N, b);
    for (Eigen::Index k = 0; k < b; ++k) {
      std::iota(idx.begin(), idx.end(), Eigen::Index(0));
      std::shuffle(idx.begin(), idx.end(), rng);
      for (Eigen::Index i = 0; i < n; ++i) S(idx[std::size_t(i)], k) = 1.0;
    }
    const Eigen::MatrixXd R = D * S; // column k: the distances of every cell to population x
    for (Eigen::Index k = 0; k < b; ++k)
      if (statistic(S.col(k), R.col(k)) >= observed) ++at_least;
    done += int(b);
  }
  r.p_value = (1.0 + at_least) / (1.0 + permutations);
  return r;
}

} // namespace cimpute
