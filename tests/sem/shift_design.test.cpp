// Shift design: the exact shift against planted shifts, the best k-target shift against brute
// force over target sets with effects measured from the SEM's means (an independent route).
#include <catch2/catch.hpp>

#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <vector>

namespace {
using Sem = cimpute::LinearGaussianSem<double>;

Sem random_sem(int p, std::uint64_t seed) {
  const cimpute::Dag g = cimpute::random_dag(p, 2.0, seed);
  Sem s = Sem::random(g, seed + 7);
  // Non-zero noise means, so that the shift is not the desired mean's image alone.
  Eigen::VectorXd mu = Eigen::VectorXd::LinSpaced(p, -1.0, 2.0);
  return Sem(s.graph(), s.weights(), mu, s.noise_variances());
}

// The smallest distance to `desired` of a shift on the nodes T: least squares by QR on the
// effects of unit shifts, each measured as mean(shift 1 on i) - mean().
double brute_distance(const Sem& sem, const Eigen::VectorXd& desired, const std::vector<int>& T) {
  const Eigen::VectorXd base = sem.mean();
  Eigen::MatrixXd E(base.size(), Eigen::Index(T.size()));
  for (std::size_t k = 0; k < T.size(); ++k)
    E.col(Eigen::Index(k)) = sem.mean(cimpute::Intervention::shift({T[k]}, 1.0)) - base;
  const Eigen::VectorXd r = desired - base;
  const Eigen::VectorXd a = E.colPivHouseholderQr().solve(r);
  return (E * a - r).norm();
}

Eigen::VectorXd planted_mean(const Sem& sem, const std::vector<int>& nodes,
                             const std::vector<double>& shifts) {
  cimpute::Intervention iv;
  for (std::size_t k = 0; k < nodes.size(); ++k)
    iv.targets.push_back({nodes[k], cimpute::InterventionKind::Shift, 0, 0, shifts[k], 1, 1});
  return sem.mean(iv);
}
} // namespace

TEST_CASE("exact_shift recovers a planted shift and its targets", "[sem][shift]") {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    INFO("seed " << seed);
    const Sem sem = random_sem(20, seed);
    const std::vector<int> nodes{3, 11, 17};
    const std::vector<double> shifts{1.5, -0.75, 2.0};
    const Eigen::VectorXd desired = planted_mean(sem, nodes, shifts);
    const cimpute::ShiftDesign d = cimpute::exact_shift(sem, desired);
    CHECK(d.targets == nodes);
    for (std::size_t k = 0; k < nodes.size(); ++k)
      CHECK(std::abs(d.shift[nodes[k]] - shifts[k]) < 1e-10);
    CHECK((d.mean - desired).cwiseAbs().maxCoeff() < 1e-10);
    CHECK(d.distance < 1e-10);
    CHECK(d.relative < 1e-10);
    // The observational mean needs no shift.
    CHECK(cimpute::exact_shift(sem, sem.mean()).targets.empty());
    // With enough targets allowed, best_shift is the exact shift.
    CHECK(cimpute::best_shift(sem, desired, 3).targets == nodes);
  }
}

TEST_CASE("best_shift equals brute force over one and two targets", "[sem][shift]") {
  for (std::uint64_t seed : {11u, 12u, 13u, 14u}) {
    INFO("seed " << seed);
    const int p = 12;
    const Sem sem = random_sem(p, seed);
    const Eigen::VectorXd desired = planted_mean(sem, {1, 5, 8, 10}, {1.0, -2.0, 0.5, 1.25});
    double best1 = 1e300, best2 = 1e300;
    for (int i = 0; i < p; ++i) {
      best1 = std::min(best1, brute_distance(sem, desired, {i}));
      for (int j = i + 1; j < p; ++j) best2 = std::min(best2, brute_distance(sem, desired, {i, j}));
    }
    const cimpute::ShiftDesign d1 = cimpute::best_shift(sem, desired, 1);
    const cimpute::ShiftDesign d2 = cimpute::best_shift(sem, desired, 2);
    REQUIRE(d1.targets.size() == 1);
    REQUIRE(d2.targets.size() == 2);
    CHECK(std::abs(d1.distance - best1) < 1e-9);
    CHECK(std::abs(d2.distance - best2) < 1e-9);
    // The reported mean is the SEM's under the reported shift.
    CHECK((d2.mean - sem.mean(d2.intervention())).norm() < 1e-12);
    // Greedy beyond two targets: never worse than two, and the four planted targets reach the
    // desired mean exactly.
    const cimpute::ShiftDesign d3 = cimpute::best_shift(sem, desired, 3);
    CHECK(d3.targets.size() <= 3);
    CHECK(d3.distance <= d2.distance + 1e-12);
    CHECK(cimpute::best_shift(sem, desired, 4).distance < 1e-10);
  }
}

TEST_CASE("shift design refuses bad input", "[sem][shift]") {
  const Sem sem = random_sem(6, 3);
  CHECK_THROWS_WITH(cimpute::exact_shift(sem, Eigen::VectorXd::Zero(5)),
                    Catch::Contains("exact_shift") && Catch::Contains("5 entries for 6 nodes"));
  Eigen::VectorXd bad = sem.mean();
  bad[2] = std::nan("");
  CHECK_THROWS_WITH(cimpute::best_shift(sem, bad, 1), Catch::Contains("non-finite"));
  CHECK_THROWS_WITH(cimpute::best_shift(sem, sem.mean(), 0),
                    Catch::Contains("max_targets must be >= 1, got 0"));
}
