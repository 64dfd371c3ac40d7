// Choosing pairs to measure: the design's predicted total posterior variance after B
// measurements equals a refit on the enlarged training set (a prior that does not depend on the
// training signatures: one-hot), its first choice equals a brute-force search over refits,
// `AnyCompletion` passes the covariance on, and bad input throws.
#include "test_data.hpp"

#include <cimpute/completion/any_completion.hpp>
#include <cimpute/completion/means.hpp>
#include <cimpute/completion/ntk_completion.hpp>
#include <cimpute/completion/pair_design.hpp>

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
  // Brute force for the first choice: refit with each candidate added.
  double best = 1e300;
  std::size_t best_k = 0;
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    std::vector<Eigen::Index> r = train;
    r.push_back(cand_rows[k]);
    std::vector<PairIndex> others = candidates;
    others.erase(others.begin() + long(k));
    const double v = total_after(t, r, others);
    if (v < best - 1e-12) best = v, best_k = k;
  }
  CHECK(d.chosen[0].pair.perturbation == candidates[best_k].perturbation);
  CHECK(d.chosen[0].pair.context == candidates[best_k].context);
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
