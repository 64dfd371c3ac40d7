// NtkPcgCompletion: on the full system (or with as many centres as training pairs) its
// predictions are the exact NtkCompletion's with the same ridge, for every prior; with fewer
// centres it approximates them; the private-coordinate kernel gives gram() its nugget.
#include "test_data.hpp"

#include <cimpute/completion/complete_missing.hpp>
#include <cimpute/completion/ntk_completion.hpp>
#include <cimpute/completion/ntk_pcg_completion.hpp>
#include <cimpute/completion/registry.hpp>
#include <cimpute/kernels/gram.hpp>

#include <catch2/catch.hpp>

#include <random>

using Tensor = cimpute::PerturbationTensor<double>;
using cimpute::PairIndex;

namespace {
// 12 perturbations x 6 contexts with a two-way structure plus noise; 70% of the pairs observed.
Tensor sparse_tensor(unsigned seed) {
  const Eigen::MatrixXd a = cimpute_test::normal_matrix(12, 8, seed);
  const Eigen::MatrixXd b = cimpute_test::normal_matrix(6, 8, seed + 1);
  std::mt19937 rng(seed);
  std::vector<std::string> p, c;
  std::vector<Eigen::RowVectorXd> rows;
  for (int ci = 0; ci < 6; ++ci)
    for (int pi = 0; pi < 12; ++pi)
      if (ci == 0 || rng() % 10 < 7) { // context c0 (the reference) complete
        p.push_back("p" + std::to_string(pi));
        c.push_back("c" + std::to_string(ci));
        rows.push_back(a.row(pi) + b.row(ci) +
                       0.3 * cimpute_test::normal_matrix(1, 8, seed + 100 + unsigned(rows.size())));
      }
  Eigen::MatrixXd X(Eigen::Index(rows.size()), 8);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(Eigen::Index(i)) = rows[i];
  std::vector<std::string> g;
  for (int k = 0; k < 8; ++k) g.push_back("g" + std::to_string(k));
  return Tensor::from_signatures(X, p, c, g);
}

} // namespace

TEST_CASE("NtkPcgCompletion equals the exact NtkCompletion on the full system",
          "[completion][ntk-pcg]") {
  const Tensor t = sparse_tensor(3);
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != 0) rows.push_back(r);
  const cimpute::TrainingSet<double> train(t, rows, 0); // c0: the training-only reference
  const auto test = cimpute::missing_pairs(t);
  REQUIRE(test.size() > 5);
  cimpute::NtkCompletionOptions base;
  base.ridge = 1e-3;
  base.depth = 2;
  base.identity_weight = 0.8;
  for (auto prior : {cimpute::NtkPrior::TrainContextAverage, cimpute::NtkPrior::TrainAverages,
                     cimpute::NtkPrior::OneHot, cimpute::NtkPrior::UserFeatures}) {
    CAPTURE(cimpute::to_string(prior));
    cimpute::NtkCompletionOptions o = base;
    o.prior = prior;
    if (prior == cimpute::NtkPrior::UserFeatures) {
      o.context_features = cimpute_test::normal_matrix(6, 3, 9);
      o.perturbation_features = cimpute_test::normal_matrix(12, 4, 10);
    }
    cimpute::NtkCompletion<double> exact(o);
    exact.fit(train);
    const Eigen::MatrixXd want = exact.predict(test);
    for (auto system : {cimpute::PcgSystem::Full, cimpute::PcgSystem::Restricted}) {
      cimpute::NtkPcgCompletionOptions po;
      po.ntk = o;
      po.solver.system = system;
      po.solver.centres = 1000; // >= n: the restricted system is the exact one too
      po.solver.tolerance = 1e-13;
      cimpute::NtkPcgCompletion<double> pcg(po);
      pcg.fit(train);
      CHECK(pcg.solver().info() == cimpute::ComputationInfo::Success);
      const Eigen::MatrixXd got = pcg.predict(test);
      CHECK((got - want).norm() <= 1e-8 * want.norm());
    }
  }
}

TEST_CASE("NtkPcgCompletion with fewer centres approximates the exact fit",
          "[completion][ntk-pcg]") {
  const Tensor t = sparse_tensor(5);
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r) rows.push_back(r);
  const cimpute::TrainingSet<double> train(t, rows);
  const auto test = cimpute::missing_pairs(t);
  cimpute::NtkPcgCompletionOptions po;
  po.ntk.prior = cimpute::NtkPrior::TrainAverages;
  po.ntk.ridge = 1e-2;
  cimpute::NtkCompletion<double> exact(po.ntk);
  const Eigen::MatrixXd want = exact.fit(train).predict(test);
  // Nyström on m of the n training pairs: the error falls with m and vanishes at m = n.
  double previous = 1e300;
  for (Eigen::Index m : {Eigen::Index(10), Eigen::Index(25), Eigen::Index(40), train.size()}) {
    po.solver.centres = m;
    po.solver.tolerance = 1e-12;
    cimpute::NtkPcgCompletion<double> pcg(po);
    const double err = (pcg.fit(train).predict(test) - want).norm() / want.norm();
    CAPTURE(m, err);
    CHECK(err < previous);
    previous = err;
  }
  CHECK(previous < 1e-8);
  // Through the registry, under its name.
  auto any = cimpute::make_completion_method<double>("ntk-pcg", "");
  CHECK(any.name() == "ntk-pcg");
  CHECK(any.fit(train).predict(test).allFinite());
  // Predicting before fitting is a logic error.
  CHECK_THROWS_WITH(cimpute::NtkPcgCompletion<double>().predict(test),
                    Catch::Contains("call fit() first"));
}

TEST_CASE("NtkPcgCompletion takes the exact solve for small training sets",
          "[completion][ntk-pcg]") {
  const Tensor t = sparse_tensor(7);
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != 0) rows.push_back(r);
  const cimpute::TrainingSet<double> train(t, rows, 0);
  const auto test = cimpute::missing_pairs(t);
  // The named method's settings: exact at or below the number of centres.
  cimpute::NtkPcgCompletionOptions po = cimpute::NtkPcgCompletionOptions::published("c0");
  CHECK(po.exact_at_most == po.solver.centres);
  cimpute::NtkPcgCompletion<double> small(po);
  small.fit(train);
  REQUIRE(small.exact());
  CHECK_THROWS_WITH(small.solver(), Catch::Contains("exact"));
  // The same model as NtkCompletion with the solver's default ridge (1e-6 k(1))...
  cimpute::NtkCompletionOptions o = po.ntk;
  o.ridge = 1e-6 * cimpute::NtkKernel<double>(o.depth, o.bias).from_inner(1, 1, 1);
  cimpute::NtkCompletion<double> exact(o);
  const Eigen::MatrixXd want = exact.fit(train).predict(test);
  CHECK(small.predict(test) == want);
  // ... and as the PCG solve of the same system, to the solver's tolerance.
  po.exact_at_most = 0;
  po.solver.tolerance = 1e-12;
  cimpute::NtkPcgCompletion<double> pcg(po);
  pcg.fit(train);
  CHECK_FALSE(pcg.exact());
  CHECK((pcg.predict(test) - want).norm() <= 1e-6 * want.norm());
  // Above the threshold the PCG route is taken.
  po.exact_at_most = train.size() - 1;
  CHECK_FALSE(cimpute::NtkPcgCompletion<double>(po).fit(train).exact());
  po.exact_at_most = -1;
  CHECK_THROWS_WITH(cimpute::NtkPcgCompletion<double>(po), Catch::Contains("exact_at_most"));
}

TEST_CASE("A kernel's self_value is the diagonal of gram()", "[completion][ntk-pcg][kernels]") {
  const Eigen::MatrixXd X = cimpute_test::normal_matrix(5, 3, 2).rowwise().normalized() * 0.7;
  const cimpute::detail::PrivateCoordinateNtk<double> k{cimpute::NtkKernel<double>(1)};
  const Eigen::MatrixXd G = cimpute::gram(k, X);
  const double k1 = cimpute::NtkKernel<double>(1).from_inner(1, 1, 1);
  CHECK((G.diagonal().array() - k1).abs().maxCoeff() < 1e-15);
  CHECK(G(1, 0) == Approx(cimpute::NtkKernel<double>(1).from_inner(X.row(1).dot(X.row(0)), 1, 1))
                       .epsilon(1e-13));
}
