// Low-rank completion: singular-value shrinkage against Eigen's SVD, SoftImpute against its
// closed form and a planted low-rank matrix, FaLRTC's invariants and a planted low-rank tensor.
#include "test_data.hpp"

#include <cimpute/completion.hpp>

#include <Eigen/SVD>

#include <random>

namespace {
template <class Scalar>
Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> random_matrix(Eigen::Index r, Eigen::Index c,
                                                                    unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = Scalar(n01(rng));
  return m;
}

// A rank-2 P x G x C tensor sum_r a_r (x) b_r (x) c_r with whole (p, ., c) fibres missing (NaN)
// with probability `missing`; every perturbation and context keeps an observed fibre.
cimpute::Tensor3<double> planted_tensor(Eigen::Index P, Eigen::Index G, Eigen::Index C,
                                        double missing, unsigned seed,
                                        cimpute::Tensor3<double>* truth) {
  const Eigen::MatrixXd A = random_matrix<double>(P, 2, seed),
                        B = random_matrix<double>(G, 2, seed + 1),
                        Cm = random_matrix<double>(C, 2, seed + 2);
  cimpute::Tensor3<double> t(P, G, C);
  for (Eigen::Index k = 0; k < C; ++k)
    for (Eigen::Index j = 0; j < G; ++j)
      for (Eigen::Index i = 0; i < P; ++i)
        t(i, j, k) = A(i, 0) * B(j, 0) * Cm(k, 0) + A(i, 1) * B(j, 1) * Cm(k, 1);
  *truth = t;
  std::mt19937 rng(seed + 3);
  std::bernoulli_distribution drop(missing);
  for (Eigen::Index k = 0; k < C; ++k)
    for (Eigen::Index i = 0; i < P; ++i)
      if (i != k % P && k != i % C && drop(rng))
        t.slice(k).row(i).setConstant(std::numeric_limits<double>::quiet_NaN());
  return t;
}
} // namespace

TEMPLATE_TEST_CASE("singular_value_shrinkage matches the SVD on wide and tall matrices",
                   "[completion][low-rank]", float, double) {
  using Scalar = TestType;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const Scalar tol = Scalar(500) * std::numeric_limits<Scalar>::epsilon();
  for (auto [r, c] : {std::pair<int, int>{5, 12}, {12, 5}, {6, 6}}) {
    INFO(r << " x " << c);
    const Matrix M = random_matrix<Scalar>(r, c, unsigned(r * 7 + c));
    Eigen::JacobiSVD<Matrix> svd(M, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const auto& s = svd.singularValues(); // descending
    const Scalar tau = (s[1] + s[2]) / 2;
    Matrix excess;
    const auto sigma = cimpute::singular_value_shrinkage(M, tau, &excess); // ascending
    REQUIRE(sigma.size() == s.size());
    for (Eigen::Index i = 0; i < s.size(); ++i)
      CHECK(std::abs(sigma[s.size() - 1 - i] - s[i]) < tol * s[0]);
    const Eigen::Matrix<Scalar, Eigen::Dynamic, 1> shrunk = (s.array() - tau).max(Scalar(0));
    const Matrix expect = svd.matrixU() * shrunk.asDiagonal() * svd.matrixV().transpose();
    CHECK((excess - expect).cwiseAbs().maxCoeff() < tol * s[0]);
    // The partial decomposition (xSYEVR under LAPACKE): the same matrix, the 2 values above tau.
    Matrix partial;
    const auto top = cimpute::singular_value_threshold(M, tau, partial);
    REQUIRE(top.size() == 2);
    CHECK(std::abs(top[1] - s[0]) < tol * s[0]);
    CHECK(std::abs(top[0] - s[1]) < tol * s[0]);
    CHECK((partial - expect).cwiseAbs().maxCoeff() < tol * s[0]);
    // Nothing above the threshold: zero.
    CHECK(cimpute::singular_value_threshold(M, Scalar(2) * s[0], partial).size() == 0);
    CHECK(partial.cwiseAbs().maxCoeff() == Scalar(0));
  }
}

TEST_CASE("soft_impute: closed form when fully observed, planted low-rank recovery",
          "[completion][low-rank]") {
  const Eigen::MatrixXd X = random_matrix<double>(8, 15, 4);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(X, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const double lambda = (svd.singularValues()[1] + svd.singularValues()[2]) / 2;
  // Fully observed: the first step is already the fixed point U (S - lambda)_+ V^T.
  const auto full = cimpute::soft_impute(X, lambda);
  const Eigen::VectorXd shrunk = (svd.singularValues().array() - lambda).max(0.0);
  CHECK((full.estimate - svd.matrixU() * shrunk.asDiagonal() * svd.matrixV().transpose())
            .cwiseAbs()
            .maxCoeff() < 1e-10);
  CHECK(full.converged);
  CHECK(full.iterations == 2);
  CHECK(full.rank == 2);

  // Rank 2, 40 x 30, 30% of entries missing: recovered with a small lambda.
  const Eigen::MatrixXd L = random_matrix<double>(40, 2, 7) * random_matrix<double>(2, 30, 8);
  Eigen::MatrixXd Xm = L;
  std::mt19937 rng(9);
  std::bernoulli_distribution drop(0.3);
  Eigen::Index missing = 0;
  for (Eigen::Index i = 0; i < Xm.size(); ++i)
    if (drop(rng)) {
      Xm(i) = std::numeric_limits<double>::quiet_NaN();
      ++missing;
    }
  // The regularisation path with warm starts, as in Mazumder et al.
  Eigen::MatrixXd Z;
  cimpute::SoftImputeResult<double> res;
  for (double lam : {5.0, 2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.01}) {
    res = cimpute::soft_impute(Xm, lam, Z, 1000, 1e-12);
    Z = res.estimate;
    CHECK(res.converged);
  }
  CHECK(res.rank == 2);
  const Eigen::ArrayXXd miss = Xm.array().isNaN().cast<double>();
  const double err =
      std::sqrt(((res.estimate - L).array() * miss).square().sum() / double(missing));
  const double scale = std::sqrt((L.array() * miss).square().sum() / double(missing));
  INFO("rms error on missing entries " << err << " vs rms value " << scale);
  CHECK(err < 0.02 * scale);
  // Fixed point: Z = S_lambda(P_Omega(X) + P_Omega^perp(Z)).
  Eigen::MatrixXd fill = Xm.array().isNaN().select(res.estimate, Xm);
  Eigen::MatrixXd again;
  cimpute::singular_value_shrinkage(fill, 0.01, &again);
  CHECK((again - res.estimate).norm() < 1e-4 * res.estimate.norm());
  CHECK_THROWS_AS(cimpute::soft_impute(Xm, -1.0), cimpute::invalid_argument);
}

TEST_CASE("falrtc keeps observed entries, lowers the nuclear norms and recovers a planted tensor",
          "[completion][falrtc]") {
  cimpute::Tensor3<double> truth;
  const auto T = planted_tensor(30, 20, 8, 0.2, 21, &truth);
  const Eigen::Array<bool, Eigen::Dynamic, 1> obs = !T.vec().array().isNaN();
  const Eigen::Index n_missing = (!obs).count();
  REQUIRE(n_missing > 0);
  std::vector<double> changes;
  const auto res =
      cimpute::falrtc(T, cimpute::FalrtcOptions::liu(),
                      [&](const cimpute::FalrtcProgress& p) { changes.push_back(p.change); });
  INFO("iterations " << res.iterations << ", objective " << res.initial_objective << " -> "
                     << res.objective.back());
  CHECK(int(changes.size()) == res.iterations);
  CHECK(int(res.objective.size()) == res.iterations);
  // Observed entries are kept exactly.
  CHECK((obs.select(res.tensor.vec().array() - T.vec().array(), 0.0)).abs().maxCoeff() == 0.0);
  CHECK(res.objective.back() < res.initial_objective);
  // Missing fibres: far closer to the truth than the mean fill.
  const double mean = obs.select(T.vec().array(), 0.0).sum() / double(obs.count());
  const Eigen::ArrayXd diff = (!obs).select(res.tensor.vec().array() - truth.vec().array(), 0.0);
  const Eigen::ArrayXd base = (!obs).select(mean - truth.vec().array(), 0.0);
  INFO("error " << std::sqrt(diff.square().sum()) << " vs mean fill "
                << std::sqrt(base.square().sum()));
  CHECK(std::sqrt(diff.square().sum()) < 0.1 * std::sqrt(base.square().sum()));
  // With a small smoothing floor and many iterations the planted tensor is recovered.
  cimpute::FalrtcOptions fine;
  fine.mu_scale = 0.05;
  fine.max_iterations = 3000;
  fine.tolerance = 1e-9;
  const auto exact = cimpute::falrtc(T, fine);
  const Eigen::ArrayXd diff2 = (!obs).select(exact.tensor.vec().array() - truth.vec().array(), 0.0);
  INFO("small smoothing: error " << std::sqrt(diff2.square().sum()));
  CHECK(std::sqrt(diff2.square().sum()) < 0.01 * std::sqrt(base.square().sum()));
  // Its weighted nuclear norm is no larger than the truth's (which satisfies the constraints), up
  // to the smoothing.
  double truth_objective = 0;
  for (int i = 0; i < 3; ++i)
    truth_objective += cimpute::singular_value_shrinkage(truth.unfold(i), 0.0).sum() / 3;
  CHECK(exact.objective.back() <= truth_objective * (1 + 1e-3));

  // Hodos' settings stop early on the same data but keep the invariants.
  const auto hodos = cimpute::falrtc(T, cimpute::FalrtcOptions::hodos());
  CHECK(hodos.iterations <= 20);
  CHECK((obs.select(hodos.tensor.vec().array() - T.vec().array(), 0.0)).abs().maxCoeff() == 0.0);

  cimpute::Tensor3<double> empty(2, 2, 2, std::numeric_limits<double>::quiet_NaN());
  CHECK_THROWS_AS(cimpute::falrtc(empty), cimpute::invalid_argument);
  cimpute::FalrtcOptions bad;
  bad.shrink = 1.5;
  CHECK_THROWS_AS(cimpute::falrtc(T, bad), cimpute::invalid_argument);
}

TEST_CASE("FaLRTC and SoftImpute completion methods beat the context mean on a planted tensor",
          "[completion][falrtc][low-rank]") {
  cimpute::Tensor3<double> truth;
  const auto T = planted_tensor(30, 20, 8, 0.2, 21, &truth);
  std::vector<std::string> p, g, c;
  for (int i = 0; i < 30; ++i) p.push_back("p" + std::to_string(i));
  for (int i = 0; i < 20; ++i) g.push_back("g" + std::to_string(i));
  for (int i = 0; i < 8; ++i) c.push_back("c" + std::to_string(i));
  const auto t = cimpute::PerturbationTensor<double>::from_dense(T, p, c, g);
  std::vector<Eigen::Index> rows(std::size_t(t.num_observed()));
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = Eigen::Index(i);
  const cimpute::TrainingSet<double> train(t, rows);
  std::vector<cimpute::PairIndex> missing;
  Eigen::MatrixXd want(0, 20);
  for (Eigen::Index k = 0; k < 8; ++k)
    for (Eigen::Index i = 0; i < 30; ++i)
      if (!t.is_observed(i, k)) {
        missing.push_back({i, k});
        want.conservativeResize(want.rows() + 1, Eigen::NoChange);
        want.bottomRows(1) = truth.slice(k).row(i);
      }
  REQUIRE(!missing.empty());
  const double base = (cimpute::MeanCompletion<double>().fit(train).predict(missing) - want).norm();
  cimpute::FalrtcCompletion<double> f(cimpute::FalrtcOptions::liu());
  const double ef = (f.fit(train).predict(missing) - want).norm();
  cimpute::SoftImputeCompletion<double> s;
  const double es = (s.fit(train).predict(missing) - want).norm();
  INFO("context mean " << base << ", falrtc " << ef << ", soft-impute " << es << " (lambda index "
                       << s.lambda_index() << ")");
  CHECK(ef < 0.2 * base);
  CHECK(es < 0.1 * base);
  cimpute::SoftImputeOptions so;
  so.unfolding = cimpute::SoftImputeUnfolding::Contexts;
  cimpute::SoftImputeCompletion<double> sc(so);
  CHECK((sc.fit(train).predict(missing) - want).norm() < base);
  so.lambda_path = {0.1, 0.2};
  CHECK_THROWS_AS(cimpute::SoftImputeCompletion<double>(so), cimpute::invalid_argument);
}
