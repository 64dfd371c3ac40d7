// Kernel tests: the HSIC statistic against a direct computation with explicit centring
// matrices, type I error at the nominal level (Gamma and permutation nulls) on independent
// data, power where the Gaussian test is blind (y = x^2), the residual-based conditional test on
// nonlinear chains and colliders, the kernel invariance test, and PC / GSP with kernel tests on a
// nonlinear SEM whose dependences have zero correlation.
#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>

#include <catch2/catch.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <random>

namespace {
Eigen::VectorXd gaussian(Eigen::Index n, std::mt19937_64& rng, double sd = 1.0) {
  std::normal_distribution<double> N(0, sd);
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = N(rng);
  return v;
}
// Rejection count over `reps` replicates of hsic_test(x, y) at alpha.
template <class Make>
int rejections(int reps, double alpha, const cimpute::HsicOptions& o, Make&& make) {
  int r = 0;
  for (int k = 0; k < reps; ++k) {
    auto [x, y] = make(k);
    r += cimpute::hsic_test(x, y, o).p_value < alpha;
  }
  return r;
}
} // namespace

TEST_CASE("hsic_test: the statistic equals tr(K H L H) / n computed directly",
          "[discovery][hsic]") {
  std::mt19937_64 rng(1);
  const Eigen::Index n = 40;
  const Eigen::VectorXd x = gaussian(n, rng), y = x.array().sin().matrix() + gaussian(n, rng, 0.5);
  // Direct: standardise, median-heuristic Gaussian kernels, explicit H.
  auto gram = [n](Eigen::VectorXd v) {
    v.array() -= v.mean();
    v /= std::sqrt(v.squaredNorm() / double(n - 1));
    std::vector<double> d;
    Eigen::MatrixXd D(n, n);
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < n; ++j) {
        D(i, j) = (v[i] - v[j]) * (v[i] - v[j]);
        if (i < j) d.push_back(D(i, j));
      }
    std::sort(d.begin(), d.end());
    const double s2 = d[d.size() / 2];
    return Eigen::MatrixXd((-D / (2 * s2)).array().exp());
  };
  const Eigen::MatrixXd H =
      Eigen::MatrixXd::Identity(n, n) - Eigen::MatrixXd::Constant(n, n, 1.0 / double(n));
  const double direct = (gram(x) * H * gram(y) * H).trace() / double(n);
  CHECK(cimpute::hsic_test(x, y).statistic == Approx(direct).epsilon(1e-10));
  // Symmetric, and invariant to affine maps of either variable (standardisation).
  CHECK(cimpute::hsic_test(y, x).statistic == Approx(direct).epsilon(1e-10));
  const Eigen::VectorXd x2 = (3 * x.array() + 7).matrix();
  CHECK(cimpute::hsic_test(x2, y).statistic == Approx(direct).epsilon(1e-10));
}

TEST_CASE("hsic_test: nominal level under independence, power on y = x^2", "[discovery][hsic]") {
  const int reps = 300;
  const double alpha = 0.05;
  // Binomial(300, 0.05): mean 15, sd 3.8; allow 4 sd either side.
  for (auto null : {cimpute::HsicNull::Gamma, cimpute::HsicNull::Permutation}) {
    cimpute::HsicOptions o;
    o.null = null;
    o.permutations = 200;
    const int r = rejections(null == cimpute::HsicNull::Gamma ? reps : 100, alpha, o, [](int k) {
      std::mt19937_64 rng(1000 + std::uint64_t(k));
      Eigen::VectorXd x = gaussian(150, rng), y = gaussian(150, rng);
      y = y.array().cube().matrix(); // heavy-tailed, still independent
      return std::make_pair(x, y);
    });
    INFO("null " << int(null) << ": " << r << " rejections");
    if (null == cimpute::HsicNull::Gamma)
      CHECK((r >= 0 && r <= 15 + 15));
    else
      CHECK(r <= 5 + 9); // Binomial(100, 0.05): mean 5, sd 2.2
  }
  // y = x^2 + noise: zero correlation, strong dependence.
  int hsic = 0, fisher = 0;
  for (int k = 0; k < 50; ++k) {
    std::mt19937_64 rng(5000 + std::uint64_t(k));
    const Eigen::VectorXd x = gaussian(150, rng);
    const Eigen::VectorXd y = x.array().square().matrix() + gaussian(150, rng, 0.5);
    hsic += cimpute::hsic_test(x, y).p_value < alpha;
    Eigen::MatrixXd X(150, 2);
    X << x, y;
    fisher += cimpute::GaussianCiTest::from_data(X).p_value(0, 1, {}) < alpha;
  }
  CHECK(hsic >= 48);
  CHECK(fisher <= 20);
}

TEST_CASE("hsic_test: Gamma and permutation p-values agree", "[discovery][hsic]") {
  double diff = 0;
  const int reps = 20;
  for (int k = 0; k < reps; ++k) {
    std::mt19937_64 rng(77 + std::uint64_t(k));
    const Eigen::VectorXd x = gaussian(120, rng);
    const Eigen::VectorXd y = 0.15 * x.array().square().matrix() + gaussian(120, rng);
    cimpute::HsicOptions perm;
    perm.null = cimpute::HsicNull::Permutation;
    perm.permutations = 1000;
    diff += std::abs(cimpute::hsic_test(x, y).p_value - cimpute::hsic_test(x, y, perm).p_value);
  }
  INFO("mean |p_gamma - p_perm| = " << diff / reps);
  CHECK(diff / reps < 0.04);
}

TEST_CASE("HsicCiTest: conditional independence on nonlinear chains and colliders",
          "[discovery][hsic]") {
  int chain_marginal = 0, chain_conditional = 0, collider_marginal = 0, collider_conditional = 0;
  const int reps = 20;
  for (int k = 0; k < reps; ++k) {
    std::mt19937_64 rng(300 + std::uint64_t(k));
    const Eigen::Index n = 300;
    const Eigen::VectorXd a = gaussian(n, rng);
    const Eigen::VectorXd b = 2 * (2 * a.array()).tanh().matrix() + gaussian(n, rng, 0.3);
    const Eigen::VectorXd c = b.array().square().matrix() + gaussian(n, rng, 0.3);
    Eigen::MatrixXd chain(n, 3);
    chain << a, b, c; // 0 -> 1 -> 2
    const cimpute::HsicCiTest t(chain);
    chain_marginal += !t.independent(0, 2, {}, 0.05);
    chain_conditional += !t.independent(0, 2, {1}, 0.05);

    const Eigen::VectorXd u = gaussian(n, rng), v = gaussian(n, rng);
    // Residual-based tests need E[. | w] to carry the dependence: w = u + v^2 (with a
    // symmetric collider such as u^2 + v^2 both conditional means are 0 and the residuals are
    // u and v themselves, a known blind spot of residual tests that KCI does not have).
    const Eigen::VectorXd w = u + v.array().square().matrix() + gaussian(n, rng, 0.3);
    Eigen::MatrixXd col(n, 3);
    col << u, v, w; // 0 -> 2 <- 1
    const cimpute::HsicCiTest s(col);
    collider_marginal += !s.independent(0, 1, {}, 0.05);
    collider_conditional += !s.independent(0, 1, {2}, 0.05);
  }
  INFO("chain: " << chain_marginal << " / " << chain_conditional << ", collider "
                 << collider_marginal << " / " << collider_conditional);
  CHECK(chain_marginal >= 18);       // dependent
  CHECK(chain_conditional <= 5);     // independent given the middle node
  CHECK(collider_marginal <= 4);     // independent
  CHECK(collider_conditional >= 14); // dependent given the collider
}

TEST_CASE("KernelInvarianceTests: level under invariance, power on changed mechanisms",
          "[discovery][hsic]") {
  int false_rejections = 0, mechanism_detected = 0, marginal_detected = 0;
  const int reps = 20;
  for (int k = 0; k < reps; ++k) {
    std::mt19937_64 rng(900 + std::uint64_t(k));
    const Eigen::Index n = 250;
    auto sample = [&](double shift, double curvature) {
      const Eigen::VectorXd x = (gaussian(n, rng).array() + shift).matrix();
      const Eigen::VectorXd y = curvature * x.array().square().matrix() + gaussian(n, rng, 0.5);
      Eigen::MatrixXd X(n, 2);
      X << x, y;
      return X;
    };
    const Eigen::MatrixXd obs = sample(0, 1);
    // Setting 0 shifts x only (y | x invariant); setting 1 changes y's mechanism.
    const cimpute::KernelInvarianceTests inv(obs, {sample(1.0, 1), sample(0, 0.3)}, {{0}, {1}});
    false_rejections += !inv.invariant(0, 1, {0}, 0.05);
    marginal_detected += !inv.invariant(0, 0, {}, 0.05);
    mechanism_detected += !inv.invariant(1, 1, {0}, 0.05);
  }
  INFO(false_rejections << " false rejections, " << marginal_detected << " / " << mechanism_detected
                        << " detections");
  CHECK(false_rejections <= 5);
  CHECK(marginal_detected >= 18);
  CHECK(mechanism_detected >= 18);
}

TEST_CASE("pc and gsp with kernel tests learn a nonlinear SEM the Gaussian tests miss",
          "[discovery][hsic]") {
  // 0 -> 2 <- 1, 2 -> 3 with quadratic mechanisms: x0's and x2's dependences with their
  // neighbours have ~zero correlation.
  std::mt19937_64 rng(11);
  const Eigen::Index n = 400;
  const Eigen::VectorXd x0 = gaussian(n, rng), x1 = gaussian(n, rng);
  const Eigen::VectorXd x2 = x0.array().square().matrix() + 0.8 * x1 + gaussian(n, rng, 0.3);
  const Eigen::VectorXd x3 = (x2.array() - x2.mean()).square().matrix() + gaussian(n, rng, 0.3);
  Eigen::MatrixXd X(n, 4);
  X << x0, x1, x2, x3;
  cimpute::Dag truth(4);
  truth.add_arc(0, 2);
  truth.add_arc(1, 2);
  truth.add_arc(2, 3);
  const cimpute::HsicCiTest kernel(X);
  cimpute::PcOptions po;
  po.alpha = 0.01;
  CHECK(cimpute::pc(kernel, po).cpdag == cimpute::cpdag(truth));
  cimpute::GspOptions go;
  go.alpha = 0.01;
  CHECK(cimpute::cpdag(cimpute::gsp(kernel, go)) == cimpute::cpdag(truth));
  const auto gaussian_ci = cimpute::GaussianCiTest::from_data(X);
  CHECK(cimpute::pc(gaussian_ci, po).cpdag != cimpute::cpdag(truth));
}

TEST_CASE("kernel tests: bad input", "[discovery][hsic]") {
  Eigen::MatrixXd X = Eigen::MatrixXd::Random(20, 3);
  Eigen::MatrixXd Y = X;
  Y.col(1).setConstant(2.0);
  CHECK_THROWS_WITH(cimpute::HsicCiTest(Y), Catch::Contains("variable 1 is constant"));
  Y = X;
  Y(3, 2) = std::nan("");
  CHECK_THROWS_WITH(cimpute::HsicCiTest(Y), Catch::Contains("non-finite"));
  CHECK_THROWS_WITH(cimpute::hsic_test(X.col(0), X.topRows(10).col(1)),
                    Catch::Contains("20 samples"));
  const cimpute::HsicCiTest t(X);
  CHECK_THROWS_WITH(t.p_value(0, 0, {}), Catch::Contains("both 0"));
  CHECK_THROWS_WITH(t.p_value(0, 1, {1}), Catch::Contains("contains i or j"));
  CHECK_THROWS_WITH(t.p_value(0, 5, {}), Catch::Contains("outside"));
  CHECK_THROWS_WITH(cimpute::KernelInvarianceTests(X, {X.leftCols(2)}, {{0}}),
                    Catch::Contains("2 variables"));
  CHECK_THROWS_WITH(cimpute::KernelInvarianceTests(X, {X}, {{7}}), Catch::Contains("target 7"));
}
