// Nonlinear additive-noise SEM: with the linear mechanism it reproduces LinearGaussianSem sample
// for sample (same seed) and under every intervention type; Laplace noise has the Laplace
// kurtosis; random MLP mechanisms are nonlinear functions of the parents only; perfect
// interventions leave non-descendants untouched; bad input.
#include "test_data.hpp"

#include <cimpute/sem.hpp>

#include <Eigen/Dense>

using cimpute::Intervention;

namespace {
Eigen::VectorXd column_means(const Eigen::MatrixXd& X) {
  return X.colwise().mean();
}
} // namespace

TEST_CASE("NonlinearSem: the linear mechanism reproduces LinearGaussianSem", "[sem][nonlinear]") {
  const cimpute::Dag g = cimpute::random_dag(8, 2.5, 11);
  const auto lin = cimpute::LinearGaussianSem<double>::random(g, 12);
  Eigen::VectorXd mu = Eigen::VectorXd::LinSpaced(8, -1, 1);
  Eigen::VectorXd sd = Eigen::VectorXd::LinSpaced(8, 0.5, 1.5);
  const cimpute::LinearGaussianSem<double> ref(g, lin.weights(), mu, sd.array().square());
  const cimpute::NonlinearSem<double, cimpute::LinearMechanism<double>> sem(
      g, cimpute::LinearMechanism<double>(g, lin.weights()), cimpute::NoiseKind::Gaussian, mu, sd);
  // Unintervened, shifted and scaled: the same noise draws, so the same samples.
  for (const Intervention& iv : {Intervention{}, Intervention::shift({0, 5}, 2.0),
                                 Intervention::scaling({3, 6}, 0.5, 2.0)}) {
    const Eigen::MatrixXd a = ref.sample(300, 4, iv), b = sem.sample(300, 4, iv);
    CHECK((a - b).cwiseAbs().maxCoeff() < 1e-12);
  }
  // Perfect interventions draw their own values: compare the moments with the closed form.
  const Intervention iv = Intervention::perfect({2, 7}, 1.0, 0.1);
  const Eigen::Index n = 200000;
  const Eigen::MatrixXd X = sem.sample(n, 5, iv);
  const Eigen::VectorXd m = column_means(X), mref = ref.mean(iv);
  const Eigen::MatrixXd S = ref.covariance(iv);
  const Eigen::MatrixXd C =
      (X.rowwise() - m.transpose()).transpose() * (X.rowwise() - m.transpose()) / double(n - 1);
  for (Eigen::Index i = 0; i < 8; ++i) {
    CHECK(std::abs(m[i] - mref[i]) < 5 * std::sqrt(S(i, i) / double(n)));
    for (Eigen::Index j = 0; j < 8; ++j)
      CHECK(std::abs(C(i, j) - S(i, j)) <
            5 * std::sqrt((S(i, i) * S(j, j) + S(i, j) * S(i, j)) / double(n)) + 1e-12);
  }
}

TEST_CASE("NonlinearSem: Laplace noise, MLP mechanisms and perfect interventions",
          "[sem][nonlinear]") {
  const cimpute::Dag g = cimpute::random_dag(10, 3, 21);
  const cimpute::RandomMlpMechanism<double> f(g, 22);
  const cimpute::NonlinearSem<double> sem(g, f, cimpute::NoiseKind::Laplace);
  const Eigen::Index n = 200000;
  const Eigen::MatrixXd X = sem.sample(n, 1);
  CHECK(X == sem.sample(n, 1));
  // A root is pure noise: Laplace(0, 1/sqrt 2) has variance 1 and kurtosis 6.
  const auto order = g.topological_order();
  const int root = order.front();
  REQUIRE(g.parents(root).empty());
  const Eigen::ArrayXd r = X.col(root).array() - X.col(root).mean();
  const double var = r.square().mean(), kurt = r.pow(4).mean() / (var * var);
  CHECK(var == Approx(1.0).epsilon(0.02));
  CHECK(kurt == Approx(6.0).epsilon(0.08));

  // Every node is its mechanism on its parents plus the noise: with the noise switched off
  // (sd 0) the mechanism reproduces each node from its parents' sampled values.
  const Eigen::VectorXd zero_sd = Eigen::VectorXd::Zero(10);
  const cimpute::NonlinearSem<double> quiet(g, f, cimpute::NoiseKind::Gaussian,
                                            Eigen::VectorXd::Constant(10, 0.3), zero_sd);
  const Eigen::MatrixXd Q = quiet.sample(500, 2);
  int nonlinear_nodes = 0;
  for (int j = 0; j < 10; ++j) {
    const auto& pa = g.parents(j);
    Eigen::MatrixXd P(500, Eigen::Index(pa.size()));
    for (std::size_t k = 0; k < pa.size(); ++k) P.col(Eigen::Index(k)) = Q.col(pa[k]);
    CHECK((Q.col(j) - (f(j, P).array() + 0.3).matrix()).cwiseAbs().maxCoeff() < 1e-12);
    // Nonlinear: a least-squares linear fit of X_j on its parents leaves a residual. (Parents
    // of a noise-free SEM can be constant, so use the noisy samples.)
    if (pa.empty()) continue;
    Eigen::MatrixXd D(n, Eigen::Index(pa.size()) + 1);
    D.col(0).setOnes();
    for (std::size_t k = 0; k < pa.size(); ++k) D.col(Eigen::Index(k) + 1) = X.col(pa[k]);
    Eigen::MatrixXd Pn = D.rightCols(Eigen::Index(pa.size()));
    const Eigen::VectorXd fx = f(j, Pn);
    const Eigen::VectorXd beta = D.colPivHouseholderQr().solve(fx);
    const double resid = (fx - D * beta).squaredNorm() / double(n);
    const double total = (fx.array() - fx.mean()).square().mean();
    if (resid > 1e-3 * total) ++nonlinear_nodes;
  }
  CHECK(nonlinear_nodes >= 1);

  // A perfect intervention moves the target and maybe its descendants, never the others.
  const int t = order[3];
  const Eigen::MatrixXd Y = sem.sample(n, 3, Intervention::perfect({t}, 2.0, 0.0));
  CHECK((Y.col(t).array() == 2.0).all());
  const auto desc = g.descendants(t);
  for (int j = 0; j < 10; ++j) {
    if (j == t || std::binary_search(desc.begin(), desc.end(), j)) continue;
    const double sdj = std::sqrt((X.col(j).array() - X.col(j).mean()).square().mean());
    CHECK(std::abs(Y.col(j).mean() - X.col(j).mean()) < 6 * sdj * std::sqrt(2.0 / double(n)));
  }
}

TEST_CASE("NonlinearSem: user mechanisms and bad input", "[sem][nonlinear]") {
  cimpute::Dag g(3);
  g.add_arc(0, 1);
  g.add_arc(1, 2);
  // A user functor: X1 = X0^2, X2 = sin(X1) + 1 (roots get f = 0 through zero columns).
  auto mech = [](int node, const Eigen::MatrixXd& P) -> Eigen::VectorXd {
    if (node == 1) return P.col(0).array().square();
    if (node == 2) return P.col(0).array().sin() + 1.0;
    return Eigen::VectorXd::Zero(P.rows());
  };
  const cimpute::NonlinearSem<double, decltype(mech)> sem(
      g, mech, cimpute::NoiseKind::Gaussian, Eigen::VectorXd(), Eigen::Vector3d(1, 0, 0));
  const Eigen::MatrixXd X = sem.sample(100, 1);
  CHECK((X.col(1).array() - X.col(0).array().square()).abs().maxCoeff() < 1e-14);
  CHECK((X.col(2).array() - X.col(1).array().sin() - 1.0).abs().maxCoeff() < 1e-14);
  CHECK_THROWS_WITH(sem.sample(5, 1, Intervention::perfect({3})), Catch::Contains("target 3"));
  CHECK_THROWS_WITH(sem.sample(-1, 1), Catch::Contains("negative sample count"));
  CHECK_THROWS_WITH(
      (cimpute::NonlinearSem<double, decltype(mech)>(g, mech, cimpute::NoiseKind::Gaussian,
                                                     Eigen::VectorXd(), Eigen::Vector3d(1, -1, 1))),
      Catch::Contains("negative noise sd"));
  auto wrong = [](int, const Eigen::MatrixXd&) -> Eigen::VectorXd { return Eigen::VectorXd(2); };
  const cimpute::NonlinearSem<double, decltype(wrong)> bad(g, wrong);
  CHECK_THROWS_WITH(bad.sample(5, 1), Catch::Contains("returned 2 values for 5 samples"));
  CHECK_THROWS_WITH(cimpute::LinearMechanism<double>(g, Eigen::MatrixXd::Zero(2, 2)),
                    Catch::Contains("LinearMechanism"));
  // Float is supported.
  const cimpute::NonlinearSem<float> fs(g, cimpute::RandomMlpMechanism<float>(g, 3));
  CHECK(fs.sample(10, 2).allFinite());
}
