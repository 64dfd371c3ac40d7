// Linear Gaussian SEM: closed-form moments against an explicit inverse, the sampler against the
// closed form, the likelihood against the multivariate normal density, and fitting (with
// per-setting exclusion of intervened samples) recovering planted weights.
#include "partial_correlation.hpp"
#include "test_data.hpp"

#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <limits>
#include <random>
#include <string>
#include <vector>

using cimpute::Intervention;
using Sem = cimpute::LinearGaussianSem<double>;

namespace {
Sem planted(std::uint64_t seed) {
  const cimpute::Dag g = cimpute::random_dag(6, 2.0, seed);
  return Sem::random(g, seed + 100);
}
} // namespace

TEST_CASE("LinearGaussianSem: closed-form moments and the sampler agree", "[sem]") {
  const std::uint64_t seed = 3;
  INFO("seed " << seed);
  const Sem s = planted(seed);
  const Eigen::Index p = s.num_nodes();
  const Eigen::MatrixXd IB = Eigen::MatrixXd::Identity(p, p) - s.weights();
  const Eigen::MatrixXd Sigma =
      IB.transpose().inverse() * s.noise_variances().asDiagonal() * IB.inverse();
  CHECK((s.covariance() - Sigma).cwiseAbs().maxCoeff() < 1e-12);
  const std::vector<Intervention> settings{Intervention{}, Intervention::perfect({2}, 1.0, 0.01),
                                           Intervention::shift({0, 4}, 2.0),
                                           Intervention::scaling({1, 3, 5}, 0.3, 2.0)};
  for (std::size_t k = 0; k < settings.size(); ++k) {
    INFO("setting " << k);
    const Eigen::Index n = 200000;
    const Eigen::MatrixXd X = s.sample(n, 7 + k, settings[k]);
    const Eigen::VectorXd m = X.colwise().mean();
    const Eigen::MatrixXd C =
        (X.rowwise() - m.transpose()).transpose() * (X.rowwise() - m.transpose()) / double(n - 1);
    const Eigen::VectorXd mu = s.mean(settings[k]);
    const Eigen::MatrixXd S = s.covariance(settings[k]);
    for (Eigen::Index i = 0; i < p; ++i) {
      CHECK(std::abs(m[i] - mu[i]) < 5 * std::sqrt(S(i, i) / double(n)) + 1e-12);
      for (Eigen::Index j = 0; j < p; ++j)
        CHECK(std::abs(C(i, j) - S(i, j)) <
              5 * std::sqrt((S(i, i) * S(j, j) + S(i, j) * S(i, j)) / double(n)) + 1e-12);
    }
  }
  // A perfect intervention cuts the node's parents: its mean and variance are the new ones.
  const Intervention iv = Intervention::perfect({2}, 1.0, 0.01);
  CHECK(s.mean(iv)[2] == Approx(1.0));
  CHECK(s.covariance(iv)(2, 2) == Approx(0.01));
  // Variance 0 is allowed: the node is constant.
  const Eigen::MatrixXd Xc = s.sample(10, 1, Intervention::perfect({1}, 3.0, 0.0));
  CHECK((Xc.col(1).array() == 3.0).all());
  // Same seed, same samples.
  CHECK(s.sample(5, 9) == s.sample(5, 9));
}

TEST_CASE("LinearGaussianSem: log-likelihood equals the multivariate normal density", "[sem]") {
  const Sem s = planted(5);
  const Eigen::MatrixXd X = s.sample(50, 2, Intervention::shift({1}, 1.5));
  const Eigen::VectorXd mu = s.mean(Intervention::shift({1}, 1.5));
  const Eigen::MatrixXd S = s.covariance(Intervention::shift({1}, 1.5));
  const Eigen::LLT<Eigen::MatrixXd> llt(S);
  const double logdet = 2 * llt.matrixL().toDenseMatrix().diagonal().array().log().sum();
  double ll = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const Eigen::VectorXd d = X.row(i).transpose() - mu;
    ll += -0.5 *
          (d.dot(llt.solve(d)) + logdet + double(s.num_nodes()) * std::log(2 * 3.141592653589793));
  }
  CHECK(s.log_likelihood(X, Intervention::shift({1}, 1.5)) == Approx(ll).epsilon(1e-10));
}

TEST_CASE("LinearGaussianSem: fitting recovers planted weights; intervened samples excluded",
          "[sem]") {
  const std::uint64_t seed = 11;
  INFO("seed " << seed);
  const Sem s = planted(seed);
  const Eigen::MatrixXd obs = s.sample(50000, 1);
  const Sem f = Sem::fit(s.graph(), obs);
  CHECK((f.weights() - s.weights()).cwiseAbs().maxCoeff() < 0.05);
  CHECK((f.noise_variances() - s.noise_variances()).cwiseAbs().maxCoeff() < 0.05);
  // Pool observational data with a strong perfect intervention on a node with parents.
  int target = -1;
  for (int v = 0; v < s.num_nodes(); ++v)
    if (!s.graph().parents(v).empty()) target = v;
  REQUIRE(target >= 0);
  const Eigen::MatrixXd iv = s.sample(50000, 2, Intervention::perfect({target}, 5.0, 0.1));
  Eigen::MatrixXd pooled(100000, s.num_nodes());
  pooled << obs, iv;
  Eigen::MatrixXi mask = Eigen::MatrixXi::Zero(100000, s.num_nodes());
  mask.bottomRows(50000).col(target).setOnes();
  const Sem naive = Sem::fit(s.graph(), pooled);
  const Sem aware = Sem::fit(s.graph(), pooled, mask);
  CHECK((aware.weights() - s.weights()).cwiseAbs().maxCoeff() < 0.05);
  CHECK((naive.weights().col(target) - s.weights().col(target)).cwiseAbs().maxCoeff() > 0.1);
}

TEST_CASE("LinearGaussianSem::fit: exact planted regressions, and singular ones refused", "[sem]") {
  // x2 = 1 + 2 x0 - 0.5 x1 + e with e orthogonal to (1, x0, x1) by construction: least squares
  // returns the planted weights, and the residual variance is |e|^2 / (n - 3), exactly.
  const cimpute::Dag named = [] {
    cimpute::Dag g(std::vector<std::string>{"x0", "x1", "x2"});
    g.add_arc(0, 2);
    g.add_arc(1, 2);
    return g;
  }();
  const Eigen::Index n = 40;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n01;
  Eigen::MatrixXd X(n, 3);
  for (Eigen::Index i = 0; i < n; ++i) X(i, 0) = 100 + n01(rng), X(i, 1) = 1e-3 * n01(rng);
  Eigen::MatrixXd D(n, 3);
  D << Eigen::VectorXd::Ones(n), X.leftCols(2);
  Eigen::VectorXd e(n);
  for (Eigen::Index i = 0; i < n; ++i) e[i] = n01(rng);
  e -= D * (D.transpose() * D).inverse() * (D.transpose() * e);
  X.col(2) = 1 + 2 * X.col(0).array() - 0.5 * X.col(1).array() + e.array();
  const Sem f = Sem::fit(named, X);
  CHECK(f.weights()(0, 2) == Approx(2).margin(1e-9));
  CHECK(f.weights()(1, 2) == Approx(-0.5).margin(1e-6)); // x1 is in units of 1e-3
  CHECK(f.noise_means()[2] == Approx(1).margin(1e-7));
  CHECK(f.noise_variances()[2] == Approx(e.squaredNorm() / double(n - 3)).epsilon(1e-9));

  Eigen::MatrixXd collinear = X;
  collinear.col(1) = 3 * X.col(0).array() - 7; // x1 a linear function of x0
  CHECK_THROWS_WITH(Sem::fit(named, collinear),
                    "LinearGaussianSem::fit: the parents of node x2 (x0, x1) are collinear in its "
                    "40 samples (rank 1 of 2): the fitted SEM would be singular");
  Eigen::MatrixXd constant = X;
  constant.col(0).setConstant(2.5);
  CHECK_THROWS_WITH(Sem::fit(named, constant),
                    "LinearGaussianSem::fit: parent x0 of node x2 is constant over the node's 40 "
                    "samples: the fitted SEM would be singular");
  // Constant only where the node is observed: the intervened samples are left out.
  Eigen::MatrixXi mask = Eigen::MatrixXi::Zero(n, 3);
  mask.col(2).tail(n / 2).setOnes();
  constant.col(0).tail(n / 2) = X.col(0).tail(n / 2);
  CHECK_THROWS_WITH(Sem::fit(named, constant, mask),
                    Catch::Contains("constant over the node's 20"));
  Eigen::MatrixXd nan = X;
  nan(3, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(Sem::fit(named, nan), Catch::Contains("of node x1 in sample 3 is not finite"));
}

TEST_CASE("LinearGaussianSem: bad input", "[sem]") {
  cimpute::Dag g(2);
  g.add_arc(0, 1);
  Eigen::MatrixXd B = Eigen::MatrixXd::Zero(2, 2);
  B(1, 0) = 0.5; // not an arc
  CHECK_THROWS_WITH(Sem(g, B, Eigen::VectorXd::Zero(2), Eigen::VectorXd::Ones(2)),
                    Catch::Contains("not an arc"));
  const Sem s = Sem::random(g, 1);
  CHECK_THROWS_AS(s.mean(Intervention::perfect({5})), cimpute::invalid_argument);
  CHECK_THROWS_AS(s.mean(Intervention::perfect({0}, 0.0, -1.0)), cimpute::invalid_argument);
  CHECK_THROWS_AS(s.log_likelihood(Eigen::MatrixXd::Zero(3, 3)), cimpute::invalid_argument);
  CHECK_THROWS_WITH(s.log_likelihood(Eigen::MatrixXd::Zero(3, 2), Intervention::perfect({0})),
                    Catch::Contains("variance is 0"));
}

TEST_CASE("d-separation agrees with the zero partial correlations of random linear SEMs",
          "[sem][dsep]") {
  // An independent route to conditional independence: the partial correlation of a and b given
  // S, from the closed-form covariance, is zero exactly when a and b are d-separated by S
  // (random weights are faithful with probability one).
  std::mt19937_64 rng(17);
  int separated = 0, connected = 0;
  for (std::uint64_t k = 0; k < 100; ++k) {
    const cimpute::Dag g = cimpute::random_dag(7, 2.5, 1000 + k);
    const Eigen::MatrixXd Sigma = Sem::random(g, 2000 + k).covariance();
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<int> nodes{0, 1, 2, 3, 4, 5, 6};
      std::shuffle(nodes.begin(), nodes.end(), rng);
      const int a = nodes[0], b = nodes[1];
      const std::vector<int> S(nodes.begin() + 2, nodes.begin() + 2 + int(rng() % 4));
      const double rho = cimpute_test::explicit_partial_correlation(Sigma, a, b, S);
      INFO("graph " << k << ", a " << a << ", b " << b << ", |S| " << S.size() << ", rho " << rho);
      if (cimpute::d_separated(g, {a}, {b}, S)) {
        CHECK(std::abs(rho) < 1e-10);
        ++separated;
      } else {
        CHECK(std::abs(rho) > 1e-6);
        ++connected;
      }
    }
  }
  // Both outcomes were exercised.
  CHECK(separated > 50);
  CHECK(connected > 50);
}
