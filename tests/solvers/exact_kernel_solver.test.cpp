// ExactKernelSolver: residuals, LOO residuals against explicit refits, posterior variances
// against the explicit formula, fallbacks on indefinite / singular matrices, bad input.
#include "test_data.hpp"

#include <cimpute/solvers/exact_kernel_solver.hpp>

#include <Eigen/Dense>

#include <random>

namespace {
template <class Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>
gaussian_gram(const Eigen::MatrixXd& X, const Eigen::MatrixXd& Z, double h) {
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> K(X.rows(), Z.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    for (Eigen::Index j = 0; j < Z.rows(); ++j)
      K(i, j) = Scalar(std::exp(-(X.row(i) - Z.row(j)).squaredNorm() / (2 * h * h)));
  return K;
}
Eigen::MatrixXd random(Eigen::Index r, Eigen::Index c, std::mt19937& rng) {
  std::normal_distribution<double> n01(0, 1);
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = n01(rng);
  return m;
}
} // namespace

TEMPLATE_TEST_CASE("ExactKernelSolver: solve, LOO residuals, posterior variance",
                   "[solvers][exact]", float, double) {
  using M = Eigen::Matrix<TestType, Eigen::Dynamic, Eigen::Dynamic>;
  using V = Eigen::Matrix<TestType, Eigen::Dynamic, 1>;
  const unsigned seed = 17;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const Eigen::MatrixXd X = random(30, 3, rng), Xt = random(5, 3, rng);
  const M K = gaussian_gram<TestType>(X, X, 1.5);
  const M Y = random(30, 4, rng).cast<TestType>();
  const TestType ridge = TestType(0.1);
  cimpute::ExactKernelSolver<TestType> s(K, ridge);
  REQUIRE(s.info() == cimpute::ComputationInfo::Success);
  CHECK_FALSE(s.used_ldlt());
  CHECK(s.jitter() == TestType(0));
  const M alpha = s.solve(Y);
  M A = K;
  A.diagonal().array() += ridge;
  const TestType tol = std::is_same<TestType, float>::value ? TestType(2e-3) : TestType(1e-10);
  CHECK((A * alpha - Y).cwiseAbs().maxCoeff() <= tol);
  // Leave-one-out residuals equal explicit refits without point i.
  const M loo = s.loo_residuals(Y);
  for (Eigen::Index i = 0; i < 30; i += 7) {
    std::vector<Eigen::Index> keep;
    for (Eigen::Index k = 0; k < 30; ++k)
      if (k != i) keep.push_back(k);
    const M Ki = K(keep, keep);
    const cimpute::ExactKernelSolver<TestType> si(Ki, ridge);
    const M pred = K(std::vector<Eigen::Index>{i}, keep) * si.solve(Y(keep, Eigen::all));
    CHECK((Y.row(i) - pred - loo.row(i)).cwiseAbs().maxCoeff() <= 10 * tol);
  }
  // Posterior variance equals the explicit formula with a full inverse.
  const M Kx = gaussian_gram<TestType>(X, Xt, 1.5);
  const V kss = V::Ones(5);
  const V var = s.posterior_variance(Kx, kss);
  const M inv = A.inverse();
  for (Eigen::Index j = 0; j < 5; ++j) {
    const TestType explicit_var = kss[j] - (Kx.col(j).transpose() * inv * Kx.col(j))(0, 0);
    CHECK(std::abs(var[j] - explicit_var) <= 10 * tol);
    CHECK(var[j] >= TestType(0));
  }
  // Predictions through fit / predict.
  s.fit(Y);
  CHECK((s.predict(Kx.transpose()) - Kx.transpose() * alpha).cwiseAbs().maxCoeff() <= tol);
}

TEST_CASE("ExactKernelSolver: zero variance at training points without ridge", "[solvers][exact]") {
  std::mt19937 rng(4);
  const Eigen::MatrixXd X = random(12, 2, rng);
  const Eigen::MatrixXd K = gaussian_gram<double>(X, X, 2.0);
  const cimpute::ExactKernelSolver<double> s(K);
  const Eigen::VectorXd v = s.posterior_variance(K.leftCols(3), Eigen::VectorXd::Ones(3));
  CHECK(v.cwiseAbs().maxCoeff() < 1e-6);
}

TEST_CASE("ExactKernelSolver: fallbacks are used and reported", "[solvers][exact]") {
  // A rank-deficient PSD Gram (duplicated points): LLT may fail, the solver must still succeed
  // (LDLT or jitter) and say which.
  std::mt19937 rng(6);
  Eigen::MatrixXd X = random(10, 2, rng);
  X.row(9) = X.row(0);
  const Eigen::MatrixXd K = gaussian_gram<double>(X, X, 1.0);
  const cimpute::ExactKernelSolver<double> s(K);
  CHECK(s.info() == cimpute::ComputationInfo::Success);
  const Eigen::MatrixXd Y = Eigen::MatrixXd::Ones(10, 1);
  CHECK((K * s.solve(Y) - Y).norm() < 1e-4 * Y.norm() + s.jitter() * 1e6);
  // An indefinite matrix: LLT and LDLT fail, jitter too small to help -> NumericalIssue.
  Eigen::Matrix2d B;
  B << 1, 0, 0, -1;
  const cimpute::ExactKernelSolver<double> bad(B);
  CHECK(bad.info() == cimpute::ComputationInfo::NumericalIssue);
  CHECK_THROWS_AS(bad.solve(Eigen::MatrixXd::Ones(2, 1)), cimpute::logic_error);
  // An exactly singular matrix: jitter makes it factorisable and is reported.
  const Eigen::MatrixXd S = Eigen::MatrixXd::Ones(3, 3);
  const cimpute::ExactKernelSolver<double> sing(S);
  CHECK(sing.info() == cimpute::ComputationInfo::Success);
  CHECK((sing.used_ldlt() || sing.jitter() > 0));
  // compute_in_place takes K's storage and gives the same solution.
  Eigen::MatrixXd Kc = K;
  cimpute::ExactKernelSolver<double> in_place;
  in_place.compute_in_place(Kc, 0.01);
  CHECK(Kc.size() == 0);
  const cimpute::ExactKernelSolver<double> copy(K, 0.01);
  CHECK((in_place.solve(Y) - copy.solve(Y)).cwiseAbs().maxCoeff() == 0.0);
  Eigen::MatrixXd rect(2, 3);
  CHECK_THROWS_AS(in_place.compute_in_place(rect), cimpute::invalid_argument);
}

TEST_CASE("ExactKernelSolver: bad input", "[solvers][exact]") {
  cimpute::ExactKernelSolver<double> s;
  CHECK_THROWS_WITH(s.solve(Eigen::MatrixXd::Ones(2, 1)), Catch::Contains("compute()"));
  CHECK_THROWS_WITH(s.compute(Eigen::MatrixXd::Ones(2, 3)), Catch::Contains("not square"));
  Eigen::MatrixXd K = Eigen::MatrixXd::Identity(3, 3);
  CHECK_THROWS_WITH(s.compute(K, -1.0), Catch::Contains("ridge"));
  K(0, 1) = 0.5;
  CHECK_THROWS_WITH(s.compute(K), Catch::Contains("not symmetric"));
  K(0, 1) = std::nan("");
  CHECK_THROWS_WITH(s.compute(K), Catch::Contains("non-finite entry") && Catch::Contains("(0, 1)"));
  s.compute(Eigen::MatrixXd::Identity(3, 3));
  CHECK_THROWS_WITH(s.solve(Eigen::MatrixXd::Ones(2, 1)), Catch::Contains("2 rows"));
  CHECK_THROWS_AS(s.predict(Eigen::MatrixXd::Ones(1, 3)), cimpute::logic_error);
}

TEST_CASE("ExactKernelSolver: an unfitted solver can be copied and moved", "[solvers][exact]") {
  // Eigen's default-constructed decompositions leave their status uninitialised; copying them
  // used to be undefined behaviour (caught by UBSan in the sanitizer build).
  const cimpute::ExactKernelSolver<double> a;
  cimpute::ExactKernelSolver<double> b = a;
  b = cimpute::ExactKernelSolver<double>();
  CHECK(b.info() == cimpute::ComputationInfo::InvalidInput);
  CHECK_THROWS_AS(b.solve(Eigen::MatrixXd::Ones(1, 1)), cimpute::logic_error);
}
