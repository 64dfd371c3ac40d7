// Choosing pairs to measure: the design's predicted total posterior variance after B
// measurements equals a refit on the enlarged training set (a prior that does not depend on the
// training signatures: one-hot), its first choice equals a brute-force search over refits,
// `AnyCompletion` passes the covariance on, and bad input throws.
#include "test_data.hpp"

#include <cimpute/completion/any_completion.hpp>
#include <cimpute/completion/means.hpp>
#include <cimpute/completion/ntk_completion.hpp>
#include <cimpute/completion/pair_design.hpp>
#include <cimpute/completion/target_design.hpp>

#include <catch2/catch.hpp>

#include <random>

using Tensor = cimpute::PerturbationTensor<double>;
using cimpute::PairIndex;

namespace {
// Every pair of 6 perturbations x 4 contexts observed (values do not matter for the variances).
Tensor full_tensor() {
  const Eigen::MatrixXd X = cimpute_test::normal_matrix(24, 5, 3);
  std::vector<std::string> p, c;
  for (int ci = 0; ci < 4; ++ci)
    for (int pi = 0; pi < 6; ++pi) {
      p.push_back("p" + std::to_string(pi));
      c.push_back("c" + std::to_string(ci));
    }
  return Tensor::from_signatures(X, p, c, {"g1", "g2", "g3", "g4", "g5"});
}

cimpute::NtkCompletion<double> one_hot_ntk() {
  cimpute::NtkCompletionOptions o;
  o.prior = cimpute::NtkPrior::OneHot;
  o.ridge = 1e-3;
  return cimpute::NtkCompletion<double>(o);
}

// The posterior variance (relative) summed over `rest` after fitting on `rows`.
double total_after(const Tensor& t, const std::vector<Eigen::Index>& rows,
                   const std::vector<PairIndex>& rest) {
  auto m = one_hot_ntk();
  m.fit(cimpute::TrainingSet<double>(t, rows));
  return m.posterior_variance(rest).sum() / m.prior_variance();
}
} // namespace

TEST_CASE("design_pairs: predicted variances equal refits; the first choice is the best",
          "[completion][design]") {
  const Tensor t = full_tensor();
  const auto& pairs = t.observed_pairs();
  std::vector<Eigen::Index> train;
  std::vector<Eigen::Index> cand_rows;
  std::mt19937 rng(4);
  for (Eigen::Index r = 0; r < t.num_observed(); ++r) (rng() % 2 ? train : cand_rows).push_back(r);
  std::vector<PairIndex> candidates;
  for (Eigen::Index r : cand_rows) candidates.push_back(pairs[std::size_t(r)]);
  auto m = one_hot_ntk();
  m.fit(cimpute::TrainingSet<double>(t, train));
  cimpute::PairDesignOptions o;
  o.budget = 4;
  const auto d = cimpute::design_pairs(m, candidates, o);
  REQUIRE(d.chosen.size() == 4);
  CHECK(d.total_variance_before ==
        Approx(m.posterior_variance(candidates).sum() / m.prior_variance()).epsilon(1e-10));
  // After each step, a refit on the training rows plus the chosen pairs.
  std::vector<Eigen::Index> rows = train;
  std::vector<PairIndex> rest = candidates;
  for (const auto& c : d.chosen) {
    const auto it = std::find_if(cand_rows.begin(), cand_rows.end(), [&](Eigen::Index r) {
      return pairs[std::size_t(r)].perturbation == c.pair.perturbation &&
             pairs[std::size_t(r)].context == c.pair.context;
    });
    REQUIRE(it != cand_rows.end());
    auto before = one_hot_ntk();
    before.fit(cimpute::TrainingSet<double>(t, rows));
    CHECK(c.variance_before ==
          Approx(before.posterior_variance({c.pair})[0] / before.prior_variance()).epsilon(1e-8));
    rows.push_back(*it);
    rest.erase(std::remove_if(rest.begin(), rest.end(),
                              [&](const PairIndex& q) {
                                return q.perturbation == c.pair.perturbation &&
                                       q.context == c.pair.context;
                              }),
               rest.end());
    CHECK(c.total_variance_after == Approx(total_after(t, rows, rest)).epsilon(1e-8));
  }
  // Brute force for the first choice: refit with each candidate added. Candidates can tie
  // (one-hot prior on a full grid), so the check is that the choice's refit value is the best.
  double best = 1e300, chosen = -1;
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    std::vector<Eigen::Index> r = train;
    r.push_back(cand_rows[k]);
    std::vector<PairIndex> others = candidates;
    others.erase(others.begin() + long(k));
    const double v = total_after(t, r, others);
    best = std::min(best, v);
    if (candidates[k].perturbation == d.chosen[0].pair.perturbation &&
        candidates[k].context == d.chosen[0].pair.context)
      chosen = v;
  }
  CHECK(chosen == Approx(best).epsilon(1e-10));
  CHECK(d.chosen[0].total_variance_after == Approx(best).epsilon(1e-8));
  // Through AnyCompletion: the same design.
  cimpute::AnyCompletion<double> any(one_hot_ntk());
  any.fit(cimpute::TrainingSet<double>(t, train));
  const auto da = cimpute::design_pairs(any, candidates, o);
  for (std::size_t k = 0; k < 4; ++k) {
    CHECK(da.chosen[k].pair.perturbation == d.chosen[k].pair.perturbation);
    CHECK(da.chosen[k].pair.context == d.chosen[k].pair.context);
    CHECK(da.chosen[k].total_variance_after == Approx(d.chosen[k].total_variance_after));
  }
}

TEST_CASE("design_pairs: bad input", "[completion][design]") {
  const Tensor t = full_tensor();
  std::vector<Eigen::Index> train{0, 1, 2, 3, 6, 7, 8, 12, 13, 18};
  auto m = one_hot_ntk();
  m.fit(cimpute::TrainingSet<double>(t, train));
  const std::vector<PairIndex> cand{t.observed_pairs()[4], t.observed_pairs()[5]};
  using Catch::Matchers::Contains;
  cimpute::PairDesignOptions o;
  o.budget = 0;
  CHECK_THROWS_WITH(cimpute::design_pairs(m, cand, o), Contains("budget must be >= 1"));
  o.budget = 3;
  CHECK_THROWS_WITH(cimpute::design_pairs(m, cand, o), Contains("exceeds the 2 candidate"));
  o.budget = 1;
  CHECK_THROWS_WITH(cimpute::design_pairs(m, {cand[0], cand[0]}, o), Contains("listed twice"));
  o.max_candidates = 1;
  CHECK_THROWS_WITH(cimpute::design_pairs(m, cand, o), Contains("max_candidates"));
  o.max_candidates = 100;
  cimpute::AnyCompletion<double> mean{cimpute::MeanCompletion<double>()};
  mean.fit(cimpute::TrainingSet<double>(t, train));
  CHECK_THROWS_WITH(cimpute::design_pairs(mean, cand, o),
                    Contains("no kernel posterior covariance"));
}

// ------------------------------------------------------------------ designing toward a target

namespace {
// The pairs of context `c` of `t` and the rows of every other context.
void split_context(const Tensor& t, Eigen::Index c, std::vector<Eigen::Index>& train,
                   std::vector<PairIndex>& candidates, std::vector<Eigen::Index>& cand_rows) {
  const auto& pairs = t.observed_pairs();
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (pairs[std::size_t(r)].context == c) {
      candidates.push_back(pairs[std::size_t(r)]);
      cand_rows.push_back(r);
    } else {
      train.push_back(r);
    }
}

// A screen of P perturbations x C contexts with signatures X (row ci * P + pi): the one-hot NTK's
// posterior over the last context's pairs, fitted on the others, and their measured signatures.
struct PlantedScreen {
  cimpute::CandidatePosterior post;
  Eigen::MatrixXd revealed;
  std::vector<Eigen::Index> columns; // every feature
};
PlantedScreen planted_screen(const Eigen::MatrixXd& X, int P, int C) {
  std::vector<std::string> p, c, g;
  for (int ci = 0; ci < C; ++ci)
    for (int pi = 0; pi < P; ++pi) {
      p.push_back("p" + std::to_string(pi));
      c.push_back("c" + std::to_string(ci));
    }
  for (Eigen::Index gi = 0; gi < X.cols(); ++gi) g.push_back("g" + std::to_string(gi));
  const Tensor t = Tensor::from_signatures(X, p, c, g);
  std::vector<Eigen::Index> train, cand_rows;
  std::vector<PairIndex> candidates;
  split_context(t, C - 1, train, candidates, cand_rows);
  auto m = one_hot_ntk();
  m.fit(cimpute::TrainingSet<double>(t, train));
  PlantedScreen s{
      cimpute::CandidatePosterior::of(m, cimpute::TrainingSet<double>(t, train), candidates),
      Eigen::MatrixXd(P, X.cols()), std::vector<Eigen::Index>(std::size_t(X.cols()))};
  for (int k = 0; k < P; ++k) s.revealed.row(k) = t.observed().row(cand_rows[std::size_t(k)]);
  for (Eigen::Index j = 0; j < X.cols(); ++j) s.columns[std::size_t(j)] = j;
  return s;
}
} // namespace

TEST_CASE("TargetSearch: conditioning on measurements equals a refit with them",
          "[completion][design]") {
  const Tensor t = full_tensor();
  std::vector<Eigen::Index> train, cand_rows;
  std::vector<PairIndex> candidates;
  split_context(t, 3, train, candidates, cand_rows);
  auto m = one_hot_ntk();
  m.fit(cimpute::TrainingSet<double>(t, train));
  const auto post =
      cimpute::CandidatePosterior::of(m, cimpute::TrainingSet<double>(t, train), candidates);
  // The gene variances: the mean square of the training signatures.
  Eigen::MatrixXd Y(train.size(), t.num_features());
  for (std::size_t i = 0; i < train.size(); ++i)
    Y.row(Eigen::Index(i)) = t.observed().row(train[i]);
  CHECK((post.gene_variance - Y.array().square().colwise().mean().matrix()).norm() < 1e-14);

  const std::vector<Eigen::Index> columns{0, 2, 3, 4};
  const Eigen::VectorXd target = Eigen::Vector4d(1, -2, 0.5, 3);
  cimpute::TargetDesignOptions plain;
  plain.metric = cimpute::TargetMetric::Cosine;
  cimpute::TargetSearch s(post, columns, target, plain);
  cimpute::TargetSearch w(post, columns, target); // the whitened metric (default)
  std::vector<Eigen::Index> refit_rows = train;
  for (Eigen::Index k : {Eigen::Index(2), Eigen::Index(4)}) {
    s.observe(k, t.observed().row(cand_rows[std::size_t(k)]));
    w.observe(k, t.observed().row(cand_rows[std::size_t(k)]));
    refit_rows.push_back(cand_rows[std::size_t(k)]);
  }
  CHECK(s.remaining() == 4);
  auto refit = one_hot_ntk();
  refit.fit(cimpute::TrainingSet<double>(t, refit_rows));
  const Eigen::MatrixXd predicted = refit.predict(candidates);
  const Eigen::MatrixXd cov = refit.posterior_covariance(candidates) / refit.prior_variance();
  for (Eigen::Index k : {0, 1, 3, 5}) {
    for (std::size_t j = 0; j < columns.size(); ++j)
      CHECK(std::abs(s.mean()(k, Eigen::Index(j)) - predicted(k, columns[j])) < 1e-9);
    for (Eigen::Index l : {0, 1, 3, 5}) CHECK(std::abs(s.covariance()(k, l) - cov(k, l)) < 1e-9);
    // The match is the cosine of the mean with the target.
    const Eigen::VectorXd y = s.mean().row(k).transpose();
    CHECK(s.predicted_match()(k) == Approx(y.dot(target) / (y.norm() * target.norm())));
  }
  // The whitened metric: the training signatures' second moments, shrunk by Schafer & Strimmer's
  // intensity, define <a, b> = a' C^-1 b on the target's genes; the whitened search conditions
  // like the refit and scores the refit's predictions by that cosine.
  CHECK((post.gene_covariance - Y.transpose() * Y / double(Y.rows())).norm() < 1e-12);
  CHECK(post.gene_shrinkage == Approx(cimpute::GaussianCiTest::shrinkage_intensity(Y)));
  CHECK(post.gene_shrinkage > 0);
  Eigen::Matrix4d C;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b)
      C(a, b) = (a == b ? 1 : 1 - post.gene_shrinkage) *
                post.gene_covariance(columns[std::size_t(a)], columns[std::size_t(b)]);
  const Eigen::Matrix4d Ci = C.inverse();
  const auto inner = [&](const Eigen::Vector4d& a, const Eigen::Vector4d& b) {
    return a.dot(Ci * b);
  };
  for (Eigen::Index k : {0, 1, 3, 5}) {
    Eigen::Vector4d y;
    for (int j = 0; j < 4; ++j) y(j) = predicted(k, columns[std::size_t(j)]);
    CHECK(w.predicted_match()(k) ==
          Approx(inner(y, target) / std::sqrt(inner(y, y) * inner(target, target))));
    CHECK(w.covariance()(k, k) == Approx(s.covariance()(k, k)));
  }
  cimpute::TargetDesignOptions g;
  g.acquisition = cimpute::TargetAcquisition::Greedy;
  cimpute::TargetSearch sg(post, columns, target, g);
  sg.assume_measured(2);
  sg.assume_measured(4);
  CHECK((sg.covariance() - s.covariance()).norm() < 1e-12); // the covariance needs no values
  CHECK(cimpute::TargetSearch(post, columns, -target, g)
            .predicted_match()
            .isApprox(-cimpute::TargetSearch(post, columns, target, g).predicted_match()));
}

TEST_CASE("replay_target: a planted shared response is found far faster than at random",
          "[completion][design]") {
  // 30 perturbations with a response shared by 5 contexts (plus small context noise): the
  // one-hot NTK predicts a hidden context's signatures from the other contexts', so the target
  // (one perturbation's measured signature in the hidden context) is found in few experiments.
  const int P = 30, C = 5, G = 12;
  const Eigen::MatrixXd A = cimpute_test::normal_matrix(P, G, 11);
  const Eigen::MatrixXd noise = cimpute_test::normal_matrix(P * C, G, 12);
  Eigen::MatrixXd X(P * C, G);
  for (int r = 0; r < P * C; ++r) X.row(r) = A.row(r % P) + 0.3 * noise.row(r);
  const auto [post, revealed, columns] = planted_screen(X, P, C);
  double design = 0, greedy = 0, ucb = 0;
  for (int k = 0; k < P; ++k) {
    cimpute::TargetDesignOptions o;
    o.acquisition = cimpute::TargetAcquisition::Thompson;
    o.seed = std::uint64_t(k);
    const auto r = cimpute::replay_target(post, columns, revealed.row(k).transpose(), revealed, o);
    CHECK(r.best == k); // a signature matches itself best
    CHECK(r.random == Approx((P + 1) / 2.0));
    CHECK(r.design >= 1);
    CHECK(r.design <= P);
    design += double(r.design) / P;
    greedy += double(r.greedy) / P;
    // Without greedy: the same design replay (greedy draws nothing from the seed's generator).
    const auto alone =
        cimpute::replay_target(post, columns, revealed.row(k).transpose(), revealed, o, {}, false);
    CHECK(alone.design == r.design);
    CHECK(alone.greedy == 0);
    o.acquisition = cimpute::TargetAcquisition::UpperConfidence;
    ucb += double(cimpute::replay_target(post, columns, revealed.row(k).transpose(), revealed, o)
                      .design) /
           P;
  }
  CHECK(design < (P + 1) / 6.0);
  CHECK(greedy < (P + 1) / 6.0);
  CHECK(ucb < (P + 1) / 6.0);

  // The heuristic order: ascending scores, unscored candidates after the scored ones.
  Eigen::VectorXd h = Eigen::VectorXd::LinSpaced(P, 1, double(P));
  const auto first =
      cimpute::replay_target(post, columns, revealed.row(7).transpose(), revealed, {}, h);
  CHECK(first.heuristic == 8);
  h(7) = std::nan("");
  h(3) = std::nan("");
  const auto unscored =
      cimpute::replay_target(post, columns, revealed.row(7).transpose(), revealed, {}, h);
  CHECK(unscored.heuristic == Approx(28 + 1.5));

  // design_target: distinct choices, the first greedy one the best posterior-mean match.
  cimpute::TargetDesignOptions go;
  go.acquisition = cimpute::TargetAcquisition::Greedy;
  const auto chosen = cimpute::design_target(post, columns, revealed.row(0).transpose(), 5, go);
  REQUIRE(chosen.size() == 5);
  const Eigen::VectorXd pm =
      cimpute::TargetSearch(post, columns, revealed.row(0).transpose()).predicted_match();
  Eigen::Index argmax = 0;
  pm.maxCoeff(&argmax);
  CHECK(chosen[0].candidate == argmax);
  CHECK(chosen[0].predicted_match == Approx(pm(argmax)));
  for (std::size_t i = 0; i < chosen.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) CHECK(chosen[i].candidate != chosen[j].candidate);
}

TEST_CASE("TargetSearch: the whitened metric sees past a large response of every pair",
          "[completion][design]") {
  // Every signature carries a large response in a few directions U, of random amplitude per pair
  // (batch, plate or toxicity effects that the other contexts cannot predict), plus a small
  // perturbation-specific part. The plain cosine of a prediction with the target is swamped by
  // that response and tells the candidates apart badly; whitening by the signatures' gene
  // covariance discounts U, and the specific part finds the target.
  const int P = 40, C = 5, G = 20;
  const Eigen::MatrixXd A = cimpute_test::normal_matrix(P, G, 21);
  const Eigen::MatrixXd noise = cimpute_test::normal_matrix(P * C, G, 22);
  const Eigen::MatrixXd amplitude = cimpute_test::normal_matrix(P * C, 3, 23);
  const Eigen::MatrixXd U = cimpute_test::normal_matrix(3, G, 24).rowwise().normalized();
  Eigen::MatrixXd X(P * C, G);
  for (int r = 0; r < P * C; ++r)
    X.row(r) = 0.5 * A.row(r % P) + 0.2 * noise.row(r) + 6.0 * amplitude.row(r) * U;
  const auto [post, revealed, columns] = planted_screen(X, P, C);
  double whitened = 0, plain = 0;
  for (int k = 0; k < P; ++k) {
    cimpute::TargetDesignOptions o;
    o.acquisition = cimpute::TargetAcquisition::Greedy;
    const auto rw = cimpute::replay_target(post, columns, revealed.row(k).transpose(), revealed, o);
    o.metric = cimpute::TargetMetric::Cosine;
    const auto rc = cimpute::replay_target(post, columns, revealed.row(k).transpose(), revealed, o);
    CHECK(rw.best == k); // the best match is the plain cosine in both metrics
    CHECK(rc.best == k);
    whitened += double(rw.design) / P;
    plain += double(rc.design) / P;
  }
  CHECK(whitened < 2);
  CHECK(plain > 3 * whitened);
}

TEST_CASE("TargetSearch and design_target: bad input", "[completion][design]") {
  const Tensor t = full_tensor();
  std::vector<Eigen::Index> train, cand_rows;
  std::vector<PairIndex> candidates;
  split_context(t, 0, train, candidates, cand_rows);
  auto m = one_hot_ntk();
  m.fit(cimpute::TrainingSet<double>(t, train));
  const auto post =
      cimpute::CandidatePosterior::of(m, cimpute::TrainingSet<double>(t, train), candidates);
  const std::vector<Eigen::Index> cols{0, 1};
  const Eigen::VectorXd target = Eigen::Vector2d(1, 2);
  CHECK_THROWS_WITH(cimpute::design_target(post, cols, target, 0),
                    Catch::Contains("design_target") && Catch::Contains("budget"));
  CHECK_THROWS_AS(cimpute::design_target(post, cols, target, 7), std::invalid_argument);
  CHECK_THROWS_WITH(cimpute::TargetSearch(post, {0}, Eigen::VectorXd::Ones(1)),
                    Catch::Contains("at least 2 genes"));
  CHECK_THROWS_WITH(cimpute::TargetSearch(post, cols, Eigen::Vector2d(0, 0)),
                    Catch::Contains("zero on every gene"));
  CHECK_THROWS_WITH(cimpute::TargetSearch(post, {0, 9}, target), Catch::Contains("column 9"));
  CHECK_THROWS_WITH(cimpute::TargetSearch(post, cols, Eigen::Vector2d(1, std::nan(""))),
                    Catch::Contains("non-finite"));
  cimpute::TargetSearch s(post, cols, target);
  s.observe(1, t.observed().row(cand_rows[1]));
  CHECK_THROWS_WITH(s.observe(1, t.observed().row(cand_rows[1])), Catch::Contains("is measured"));
  CHECK_THROWS_WITH(s.observe(1, t.observed().row(cand_rows[1])), Catch::Contains("observe"));
  CHECK_THROWS_WITH(cimpute::replay_target(post, cols, target, Eigen::MatrixXd::Zero(3, 5)),
                    Catch::Contains("replay_target"));
  CHECK_THROWS_WITH(cimpute::parse_target_acquisition("best"), Catch::Contains("thompson"));
  CHECK_THROWS_WITH(cimpute::parse_target_metric("pearson"), Catch::Contains("whitened"));
  // No gene covariance (above max_covariance_features): the whitened metric says so.
  const auto no_cov = cimpute::CandidatePosterior::of(m, cimpute::TrainingSet<double>(t, train),
                                                      post.candidates, 20000, 1);
  CHECK(no_cov.gene_covariance.size() == 0);
  CHECK_THROWS_WITH(cimpute::TargetSearch(no_cov, cols, target),
                    Catch::Contains("gene covariance") && Catch::Contains("cosine metric"));
  cimpute::TargetDesignOptions plain;
  plain.metric = cimpute::TargetMetric::Cosine;
  CHECK(cimpute::TargetSearch(no_cov, cols, target, plain).num_candidates() == 6);
  CHECK_THROWS_WITH(cimpute::CandidatePosterior::of(m, cimpute::TrainingSet<double>(t, train),
                                                    std::vector<PairIndex>{}),
                    Catch::Contains("no candidate"));
}
