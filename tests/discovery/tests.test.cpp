// Conditional independence and invariance tests: partial correlations against the explicit
// inverse of the correlation submatrix, p-values against erfc, memoisation, type I error at the
// nominal level on data whose independences are known (d-separation), power against planted
// dependences and interventions, bad input.
#include "partial_correlation.hpp"
#include "test_data.hpp"

#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/io/edge_list.hpp>
#include <cimpute/io/interventional_csv.hpp>
#include <cimpute/sem.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <fstream>

using cimpute::GaussianCiTest;
using cimpute::GaussianInvarianceTest;
using cimpute::Intervention;

namespace {
cimpute::LinearGaussianSem<double> chain_sem() {
  // 0 -> 1 -> 2, 3 -> 2, 4 isolated.
  cimpute::Dag g(5);
  g.add_arc(0, 1);
  g.add_arc(1, 2);
  g.add_arc(3, 2);
  Eigen::MatrixXd B = Eigen::MatrixXd::Zero(5, 5);
  B(0, 1) = 0.8;
  B(1, 2) = -0.6;
  B(3, 2) = 0.7;
  return cimpute::LinearGaussianSem<double>(g, B, Eigen::VectorXd::Zero(5),
                                            Eigen::VectorXd::Ones(5));
}
} // namespace

TEST_CASE("GaussianCiTest: partial correlations, p-values, memoisation", "[discovery][ci]") {
  const auto sem = chain_sem();
  const Eigen::MatrixXd X = sem.sample(500, 3);
  const GaussianCiTest t = GaussianCiTest::from_data(X);
  const Eigen::MatrixXd C =
      (X.rowwise() - X.colwise().mean()).transpose() * (X.rowwise() - X.colwise().mean()) / 499.0;
  for (const std::vector<int>& S : {std::vector<int>{}, {1}, {1, 3}, {1, 3, 4}}) {
    INFO("|S| = " << S.size());
    CHECK(t.partial_correlation(0, 2, S) ==
          Approx(cimpute_test::explicit_partial_correlation(C, 0, 2, S)).margin(1e-12));
    CHECK(t.partial_correlation(2, 0, S) == Approx(t.partial_correlation(0, 2, S)).margin(1e-15));
    // The Fisher-z p-value, through erfc instead of Boost's normal distribution.
    const double r = t.partial_correlation(0, 2, S);
    const double z = std::sqrt(500.0 - double(S.size()) - 3) * std::abs(std::atanh(r));
    CHECK(t.p_value(0, 2, S) == Approx(std::erfc(z / std::sqrt(2.0))).epsilon(1e-10));
  }
  // 0 and 2 are dependent marginally, independent given 1 (a chain).
  CHECK_FALSE(t.independent(0, 2, {}, 1e-3));
  CHECK(t.p_value(0, 2, {1}) > 1e-3);
  // Memoised: the same unordered pair and set is not recomputed.
  const auto before = t.tests_computed();
  t.p_value(2, 0, {3, 1});
  t.p_value(0, 2, {1, 3});
  CHECK(t.tests_computed() == before);
  t.p_value(0, 3, {});
  CHECK(t.tests_computed() == before + 1);
  // Bad input.
  CHECK_THROWS_WITH(t.p_value(0, 0, {}), Catch::Contains("both 0"));
  CHECK_THROWS_WITH(t.p_value(0, 7, {}), Catch::Contains("outside"));
  CHECK_THROWS_WITH(t.p_value(0, 2, {1, 1}), Catch::Contains("repeated"));
  CHECK_THROWS_WITH(t.p_value(0, 2, {2}), Catch::Contains("contains i or j"));
  Eigen::MatrixXd bad = X;
  bad(4, 1) = std::nan("");
  CHECK_THROWS_WITH(GaussianCiTest::from_data(bad), Catch::Contains("non-finite"));
  CHECK_THROWS_WITH(GaussianCiTest(Eigen::MatrixXd::Identity(3, 3), 3),
                    Catch::Contains("at least 4 samples"));
  const GaussianCiTest small(Eigen::MatrixXd::Identity(6, 6), 6);
  CHECK_THROWS_WITH(small.p_value(0, 1, {2, 3, 4}), Catch::Contains("too few"));
}

TEST_CASE("GaussianCiTest: type I error at the nominal level, power on dependences",
          "[discovery][ci]") {
  // 400 replicate data sets of n = 200: d-separated statements are rejected about 5% of the
  // time at alpha = 0.05 (binomial sd 1.1%), d-connected ones nearly always.
  const auto sem = chain_sem();
  int null_rejections = 0, null_tests = 0, power = 0, alt_tests = 0;
  const std::vector<std::tuple<int, int, std::vector<int>>> nulls{
      {0, 2, {1}}, {0, 3, {}}, {4, 2, {1, 3}}, {1, 3, {}}};
  const std::vector<std::tuple<int, int, std::vector<int>>> alts{{0, 2, {}}, {1, 3, {2}}};
  for (std::uint64_t rep = 0; rep < 400; ++rep) {
    const GaussianCiTest t = GaussianCiTest::from_data(sem.sample(200, 1000 + rep));
    for (const auto& [i, j, S] : nulls) {
      REQUIRE(cimpute::d_separated(sem.graph(), {i}, {j}, S));
      null_rejections += !t.independent(i, j, S, 0.05);
      ++null_tests;
    }
    for (const auto& [i, j, S] : alts) {
      power += !t.independent(i, j, S, 0.05);
      ++alt_tests;
    }
  }
  const double rate = double(null_rejections) / null_tests;
  INFO("type I error " << rate);
  CHECK(std::abs(rate - 0.05) < 4 * std::sqrt(0.05 * 0.95 / null_tests));
  CHECK(double(power) / alt_tests > 0.99);
}

TEST_CASE("GaussianInvarianceTest: nominal level under invariance, detects interventions",
          "[discovery][invariance]") {
  const auto sem = chain_sem();
  int rejections = 0, tests = 0, var_rejections = 0, coef_rejections = 0;
  for (std::uint64_t rep = 0; rep < 300; ++rep) {
    const Eigen::MatrixXd obs = sem.sample(300, 5000 + rep);
    // A shift on node 0 leaves X_1 | X_0 and X_2 | X_1, X_3 invariant (their mechanisms are
    // untouched), but changes the marginal of X_1.
    const Eigen::MatrixXd shifted = sem.sample(200, 9000 + rep, Intervention::shift({0}, 1.0));
    const GaussianInvarianceTest t(obs, shifted);
    for (const auto& [i, S] : {std::pair<int, std::vector<int>>{1, {0}}, {2, {1, 3}}, {4, {}}}) {
      const auto r = t.test(i, S);
      rejections += r.p_value() < 0.05;
      var_rejections += r.p_variance < 0.05;
      coef_rejections += r.p_coefficients < 0.05;
      ++tests;
    }
    CHECK_FALSE(t.invariant(1, {}, 1e-3)); // the marginal of X_1 moved by 0.8
  }
  INFO("rejections " << rejections << ", variance part " << var_rejections << ", coefficient part "
                     << coef_rejections << " of " << tests);
  const double se = std::sqrt(0.05 * 0.95 / tests);
  CHECK(std::abs(double(rejections) / tests - 0.05) < 4 * se);
  CHECK(std::abs(double(var_rejections) / tests - 0.05) < 4 * se);
  CHECK(std::abs(double(coef_rejections) / tests - 0.05) < 4 * se);
  // A change of X_2's own mechanism is seen given its parents: in the weights (scaling) and in
  // the noise variance.
  const Eigen::MatrixXd obs = sem.sample(2000, 1);
  const GaussianInvarianceTest weights(obs, sem.sample(2000, 2, Intervention::scaling({2}, 0.3)));
  CHECK(weights.test(2, {1, 3}).p_coefficients < 1e-6);
  const GaussianInvarianceTest noise(obs,
                                     sem.sample(2000, 3, Intervention::scaling({2}, 1.0, 1.5)));
  CHECK(noise.test(2, {1, 3}).p_variance < 1e-6);
  CHECK(noise.test(2, {1, 3}).p_coefficients > 1e-3);
  // Bad input.
  CHECK_THROWS_WITH(GaussianInvarianceTest(obs, Eigen::MatrixXd::Zero(10, 4)),
                    Catch::Contains("variables"));
  CHECK_THROWS_WITH(weights.test(5, {}), Catch::Contains("outside"));
  CHECK_THROWS_WITH(weights.test(2, {2}), Catch::Contains("invalid for target"));
}

namespace {
cimpute::InterventionalCsvOptions cond_options() {
  cimpute::InterventionalCsvOptions o;
  o.setting_column = "cond";
  return o;
}
} // namespace

TEST_CASE("read_interventional_csv: settings, targets and bad input", "[discovery][io]") {
  const auto dir = cimpute_test::temp_dir();
  auto write = [&](const std::string& name, const std::string& text) {
    const auto path = (dir / name).string();
    std::ofstream(path) << text;
    return path;
  };
  const std::string good = write("iv_good.csv", "cond,target,a,b,c\n"
                                                "obs,none,1,2,3\n"
                                                "obs,none,2,1,4\n"
                                                "x,a,5,2,3\n"
                                                "y,b;c,1,7,8\n"
                                                "x,a,6,1,2\n");
  const auto d = cimpute::read_interventional_csv(good, cond_options());
  CHECK(d.variables == std::vector<std::string>{"a", "b", "c"});
  CHECK(d.observational.rows() == 2);
  CHECK(d.setting_names == std::vector<std::string>{"x", "y"});
  CHECK(d.settings[0].rows() == 2);
  CHECK(d.settings[0](1, 0) == 6.0);
  CHECK(d.targets == std::vector<std::vector<int>>{{0}, {1, 2}});
  cimpute::InterventionalCsvOptions ex = cond_options();
  ex.exclude_settings = {"y"};
  CHECK(cimpute::read_interventional_csv(good, ex).settings.size() == 1);
  ex.exclude_settings = {"z"};
  CHECK_THROWS_WITH(cimpute::read_interventional_csv(good, ex),
                    Catch::Contains("no setting named 'z'"));
  const std::string bad_target =
      write("iv_bad_target.csv", "cond,target,a,b\nobs,none,1,2\nx,q,1,2\n");
  CHECK_THROWS_WITH(cimpute::read_interventional_csv(bad_target, cond_options()),
                    Catch::Contains("iv_bad_target.csv:3") &&
                        Catch::Contains("'q' is not a variable"));
  const std::string mixed = write("iv_mixed.csv", "cond,target,a\nobs,none,1\nx,a,1\nx,none,2\n");
  CHECK_THROWS_WITH(cimpute::read_interventional_csv(mixed, cond_options()),
                    Catch::Contains("iv_mixed.csv:4") && Catch::Contains("setting 'x'"));
  const std::string text = write("iv_text.csv", "cond,target,a,kind\nobs,none,1,foo\n");
  CHECK_THROWS_WITH(cimpute::read_interventional_csv(text, cond_options()),
                    Catch::Contains("iv_text.csv:2:4") && Catch::Contains("'kind'"));
  const std::string no_obs = write("iv_no_obs.csv", "cond,target,a\nx,a,1\n");
  CHECK_THROWS_WITH(cimpute::read_interventional_csv(no_obs, cond_options()),
                    Catch::Contains("no observational samples"));
  cimpute::InterventionalCsvOptions lg = cond_options();
  lg.log = true;
  const std::string neg = write("iv_neg.csv", "cond,target,a\nobs,none,-1\n");
  CHECK_THROWS_WITH(cimpute::read_interventional_csv(neg, lg), Catch::Contains("log of -1"));
  // A constant column cannot be tested.
  Eigen::MatrixXd X = Eigen::MatrixXd::Random(20, 3);
  X.col(1).setConstant(2.0);
  CHECK_THROWS_WITH(GaussianCiTest::from_data(X), Catch::Contains("constant column"));
}
