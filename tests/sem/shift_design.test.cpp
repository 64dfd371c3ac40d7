// Shift design: the exact shift against planted shifts, the best k-target shift against brute
// force over target sets with effects measured from the SEM's means (an independent route).
#include <catch2/catch.hpp>

#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <random>
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

// ------------------------------------------------------------------ active matching

TEST_CASE("active matching: the posterior mean equals least squares; an oracle recovers the "
          "planted shift",
          "[sem][shift]") {
  const Sem truth = random_sem(8, 31);
  const std::vector<int> planted{2, 5};
  const Eigen::VectorXd desired = planted_mean(truth, planted, {1.5, -2.0});

  // Observational samples with a negligible prior: the posterior-mean SEM is the least-squares
  // fit (LinearGaussianSem::fit, an independent route).
  cimpute::ShiftMatchingPosterior post(truth.graph(), desired, 1e-12);
  const Eigen::MatrixXd X = truth.sample(4000, 5);
  post.observe(Eigen::VectorXd::Zero(8), X);
  const Sem ls = Sem::fit(truth.graph(), X);
  const Sem pm = post.mean_sem();
  CHECK((pm.weights() - ls.weights()).norm() < 1e-8);
  CHECK((pm.noise_means() - ls.noise_means()).norm() < 1e-8);
  // A shift on a node moves only its noise mean: the same noise draws under it (the samples
  // moved by the shift's effect on the mean), the shift subtracted, leave the fitted weights
  // where they were; the intercepts move by the fit's weight error times the parents' move.
  cimpute::ShiftMatchingPosterior shifted(truth.graph(), desired, 1e-12);
  const Eigen::VectorXd a = Eigen::VectorXd::Unit(8, 3) * 2.5;
  Eigen::MatrixXd Xs = X;
  const Eigen::VectorXd move =
      truth.mean(cimpute::ShiftMatchingPosterior::as_intervention(a)) - truth.mean();
  Xs.rowwise() += move.transpose();
  shifted.observe(a, Xs);
  CHECK((shifted.mean_sem().weights() - pm.weights()).norm() < 1e-7);
  const Eigen::VectorXd offset = (truth.weights() - pm.weights()).transpose() * move;
  CHECK((shifted.mean_sem().noise_means() - pm.noise_means() - offset).norm() < 1e-7);

  // Population (oracle) rounds: the planted shift and its targets are recovered, and every
  // acquisition reaches the desired mean in the first round.
  for (auto acq : {cimpute::ShiftAcquisition::Active, cimpute::ShiftAcquisition::PointEstimate,
                   cimpute::ShiftAcquisition::Random}) {
    cimpute::ShiftMatchingOptions o;
    o.acquisition = acq;
    o.population = true;
    o.rounds = 3;
    o.samples_per_round = 1000;
    o.prior_precision = 1e-9;
    const auto run = cimpute::simulate_shift_matching(truth, truth.graph(), desired, o, planted);
    CHECK(run.recommended.targets == planted);
    CHECK(std::abs(run.recommended.shift(2) - 1.5) < 1e-6);
    CHECK(std::abs(run.recommended.shift(5) + 2.0) < 1e-6);
    CHECK(run.rounds_to_tolerance == 1);
    CHECK(run.rounds_to_targets == 1);
    CHECK(run.rounds.back().relative_distance < 1e-6);
  }
}

TEST_CASE("active matching: the spread falls with samples; the active choice minimises the "
          "expected spread",
          "[sem][shift]") {
  const Sem truth = random_sem(10, 41);
  const Eigen::VectorXd desired = planted_mean(truth, {4}, {2.0});
  cimpute::ShiftMatchingPosterior post(truth.graph(), desired);
  post.observe(Eigen::VectorXd::Zero(10), truth.sample(20, 6));
  const double before = post.spread();
  std::mt19937_64 rng(1);
  const Eigen::VectorXd chosen = post.choose(cimpute::ShiftAcquisition::Active, 5, rng);
  const double expected = post.expected_spread(chosen, 5);
  CHECK(expected < before);
  // No candidate of the acquisition does better: the recommended shift and every single node.
  const double size = std::max(post.recommend().shift.lpNorm<Eigen::Infinity>(), 1e-3);
  CHECK(expected <= post.expected_spread(post.recommend_sparse().shift, 5) + 1e-12);
  for (int j = 0; j < 10; ++j)
    for (double s : {size, -size})
      CHECK(expected <= post.expected_spread(Eigen::VectorXd::Unit(10, j) * s, 5) + 1e-12);
  // The expected spread is the spread after those samples' expected statistics when the
  // posterior-mean SEM is the truth (the noise variances re-estimated from them stay close).
  cimpute::ShiftMatchingPosterior copy = post;
  const Sem pm = post.mean_sem();
  copy.observe_expected(chosen, pm.mean(cimpute::ShiftMatchingPosterior::as_intervention(chosen)),
                        pm.covariance(), 5);
  CHECK(copy.spread() == Approx(expected).epsilon(0.2));
  // Sampled rounds: the recommended shift approaches the desired mean.
  cimpute::ShiftMatchingOptions o;
  o.rounds = 30;
  o.samples_per_round = 50;
  const auto run = cimpute::simulate_shift_matching(truth, truth.graph(), desired, o, {4});
  CHECK(run.rounds.back().relative_distance < 0.1);
  CHECK(run.rounds.back().spread < run.rounds.front().spread);
}

TEST_CASE("active matching over candidate DAGs: the evidence is the Gaussian marginal "
          "likelihood; shifts find the true member of the class",
          "[sem][shift]") {
  // A chain 0 -> 1 -> 2 -> 3 -> 4: its class has 5 members (one per source), which
  // observational samples cannot tell apart.
  cimpute::Dag chain(5);
  for (int v = 0; v + 1 < 5; ++v) chain.add_arc(v, v + 1);
  const Sem base = Sem::random(chain, 12);
  const Sem truth(chain, base.weights(), Eigen::VectorXd::LinSpaced(5, -1.0, 1.0),
                  base.noise_variances());
  const std::vector<cimpute::Dag> members = cimpute::equivalence_class(cimpute::cpdag(chain));
  REQUIRE(members.size() == 5);
  int true_k = -1;
  for (std::size_t k = 0; k < members.size(); ++k)
    if (members[k].arcs() == chain.arcs()) true_k = int(k);
  REQUIRE(true_k >= 0);
  const std::vector<int> planted{2};
  const Eigen::VectorXd desired = planted_mean(truth, planted, {1.5});

  // The evidence against the dense Gaussian density of each node's regression targets,
  // y ~ N(0, sigma^2 I + Z Z' / lambda) (an independent route).
  {
    const double lambda = 0.5;
    cimpute::ShiftMatchingPosterior post(chain, desired, lambda);
    CHECK(post.log_evidence() == Approx(0).margin(1e-12));
    const Eigen::VectorXd a = Eigen::VectorXd::Unit(5, 1) * 0.7;
    const Eigen::MatrixXd X =
        truth.sample(30, 8, cimpute::ShiftMatchingPosterior::as_intervention(a));
    post.observe(a, X);
    const Eigen::VectorXd s2 = post.mean_sem().noise_variances();
    // And the BIC against each node's least squares by QR: -n/2 (log 2 pi RSS/n + 1) - (d/2) log n.
    double dense = 0, bic = 0;
    for (int i = 0; i < 5; ++i) {
      const auto& pa = chain.parents(i);
      Eigen::MatrixXd Z(30, Eigen::Index(pa.size()) + 1);
      for (std::size_t k = 0; k < pa.size(); ++k) Z.col(Eigen::Index(k)) = X.col(pa[k]);
      Z.col(Z.cols() - 1).setOnes();
      const Eigen::VectorXd y = X.col(i).array() - a(i);
      Eigen::MatrixXd C = Z * Z.transpose() / lambda;
      C.diagonal().array() += s2(i);
      const Eigen::LLT<Eigen::MatrixXd> L(C);
      const Eigen::VectorXd w = L.matrixL().solve(y);
      const Eigen::MatrixXd LL = L.matrixL();
      dense += -0.5 * 30 * std::log(2 * M_PI) - LL.diagonal().array().log().sum() -
               0.5 * w.squaredNorm();
      const double rss = (y - Z * Z.colPivHouseholderQr().solve(y)).squaredNorm();
      bic += -15 * (std::log(2 * M_PI * rss / 30) + 1) - 0.5 * double(Z.cols() + 1) * std::log(30);
    }
    CHECK(post.log_evidence() == Approx(dense).epsilon(1e-9));
    CHECK(post.bic() == Approx(bic).epsilon(1e-9));
  }
  {
    // Score equivalence: on observational samples every member of the class weighs the same.
    cimpute::ShiftMatchingPosterior few(chain, desired);
    few.observe(Eigen::VectorXd::Zero(5), truth.sample(2, 4));
    CHECK(std::isnan(few.bic())); // two samples for a regression with an intercept and a parent
    cimpute::ShiftMatchingEnsemble ens(members, desired);
    ens.observe(Eigen::VectorXd::Zero(5), truth.sample(200, 5));
    for (int k = 0; k < 5; ++k) CHECK(ens.weights()(k) == Approx(0.2).epsilon(1e-9));
  }

  // Population (oracle) statistics: observational ones leave the members' predicted means and
  // weights equal (nothing told them apart).
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(5);
  cimpute::ShiftMatchingEnsemble ens(members, desired, 1e-9);
  ens.observe_expected(zero, truth.mean(), truth.covariance(), 1000);
  CHECK(ens.discrimination(zero, 1000) < 1e-6);
  for (int k = 0; k < 5; ++k) CHECK(ens.weights()(k) == Approx(0.2).epsilon(1e-9));
  // The expected spread: no sample changes nothing; observational samples leave the weights,
  // so only each member's own spread falls; the active choice removes the members' disagreement
  // (their exact shifts differ: the between-DAG term is most of the spread).
  std::mt19937_64 rng(1);
  const Eigen::VectorXd s = ens.choose(cimpute::ShiftAcquisition::Active, 1000, rng);
  CHECK(ens.expected_spread(s, 0) == Approx(ens.spread()).epsilon(1e-9));
  double within = 0;
  for (int k = 0; k < 5; ++k) within += 0.2 * ens.member(k).spread();
  CHECK(within < 0.05 * ens.spread());
  CHECK(ens.expected_spread(zero, 1000) > ens.spread() - within);
  CHECK(ens.expected_spread(s, 1000) < within);
  CHECK(ens.discrimination(s, 1000) > 1);
  double size = 1e-3;
  for (int k = 0; k < 5; ++k)
    size = std::max(size, ens.member(k).recommend().shift.lpNorm<Eigen::Infinity>());
  for (int j = 0; j < 5; ++j)
    for (double sign : {1.0, -1.0})
      CHECK(ens.expected_spread(s, 1000) <=
            ens.expected_spread(Eigen::VectorXd::Unit(5, j) * (sign * size), 1000) + 1e-12);

  // The loop: oracle rounds put the weight on the true DAG and recover the planted shift;
  // sampled rounds find the true DAG too.
  cimpute::ShiftMatchingOptions o;
  o.population = true;
  o.observational = 1000;
  o.rounds = 3;
  o.samples_per_round = 1000;
  o.prior_precision = 1e-9;
  const auto run = cimpute::simulate_shift_matching(truth, members, desired, o, planted);
  CHECK(run.rounds.back().graph == true_k);
  CHECK(run.rounds.back().graph_weight > 0.999);
  CHECK(run.recommended.targets == planted);
  CHECK(std::abs(run.recommended.shift(2) - 1.5) < 1e-6);
  CHECK(run.rounds.back().relative_distance < 1e-6);
  o.population = false;
  o.observational = 200;
  o.rounds = 20;
  o.samples_per_round = 20;
  o.prior_precision = 1;
  const auto sampled = cimpute::simulate_shift_matching(truth, members, desired, o, planted);
  CHECK(sampled.rounds.back().graph == true_k);
  CHECK(sampled.rounds.back().graph_weight > 0.9);
  CHECK(sampled.rounds.back().relative_distance < 0.1);
  // One candidate: the same run as on that DAG.
  const auto one = cimpute::simulate_shift_matching(truth, std::vector<cimpute::Dag>{chain},
                                                    desired, o, planted);
  const auto dag = cimpute::simulate_shift_matching(truth, chain, desired, o, planted);
  CHECK(one.rounds.back().relative_distance == dag.rounds.back().relative_distance);
  CHECK_THROWS_WITH(cimpute::ShiftMatchingEnsemble({}, desired),
                    Catch::Contains("ShiftMatchingEnsemble") && Catch::Contains("no candidate"));
}

TEST_CASE("active matching refuses bad input", "[sem][shift]") {
  const Sem truth = random_sem(5, 3);
  CHECK_THROWS_WITH(cimpute::ShiftMatchingPosterior(truth.graph(), Eigen::VectorXd::Zero(4)),
                    Catch::Contains("ShiftMatchingPosterior") && Catch::Contains("4 entries"));
  CHECK_THROWS_WITH(cimpute::ShiftMatchingPosterior(truth.graph(), Eigen::VectorXd::Zero(5), 0),
                    Catch::Contains("prior precision"));
  cimpute::ShiftMatchingPosterior post(truth.graph(), Eigen::VectorXd::Zero(5));
  CHECK_THROWS_WITH(post.observe(Eigen::VectorXd::Zero(5), Eigen::MatrixXd::Zero(3, 4)),
                    Catch::Contains("observe") && Catch::Contains("4 columns"));
  CHECK_THROWS_WITH(post.observe(Eigen::VectorXd::Zero(3), Eigen::MatrixXd::Zero(3, 5)),
                    Catch::Contains("a shift of 3 entries"));
  Eigen::MatrixXd bad = Eigen::MatrixXd::Zero(2, 5);
  bad(1, 1) = std::nan("");
  CHECK_THROWS_WITH(post.observe(Eigen::VectorXd::Zero(5), bad), Catch::Contains("not finite"));
  cimpute::ShiftMatchingOptions o;
  o.samples_per_round = 0;
  CHECK_THROWS_WITH(
      cimpute::simulate_shift_matching(truth, truth.graph(), Eigen::VectorXd::Zero(5), o),
      Catch::Contains("simulate_shift_matching"));
  CHECK_THROWS_WITH(cimpute::parse_shift_acquisition("best"), Catch::Contains("point-estimate"));
}
