// The contract every completion method of the table (completion_methods()) keeps, checked on
// each one by name through AnyCompletion, in double and float: a new method gets these checks by
// being in the table.
// - fit / predict: one finite row per requested pair, with the tensor's features;
// - complete_missing returns exactly the missing pairs;
// - determinism: two fresh methods give the same predictions (bit for bit);
// - float and double agree (the float predictions within 5% of the double ones, relative);
// - predict before fit and an unknown pair are errors (logic_error / invalid_argument);
// - degenerate input (a single context; a context with one training pair) gives finite
//   predictions or a clear invalid_argument, never NaN.
#include "test_data.hpp"

#include <cimpute/completion/complete_missing.hpp>
#include <cimpute/completion/registry.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

namespace {

// P perturbations x C contexts x 6 genes: a two-way model plus small noise, every pair observed
// but every third one of the last context (and, with `one_in_last`, all but one there).
template <class Scalar>
cimpute::PerturbationTensor<Scalar> table(int P, int C, bool one_in_last = false) {
  std::mt19937 rng(17);
  std::normal_distribution<double> n01(0, 1);
  Eigen::MatrixXd a(C, 6), b(P, 6);
  for (Eigen::Index i = 0; i < a.size(); ++i) a(i) = n01(rng);
  for (Eigen::Index i = 0; i < b.size(); ++i) b(i) = n01(rng);
  std::vector<std::string> p, c;
  std::vector<Eigen::RowVectorXd> rows;
  for (int ci = 0; ci < C; ++ci)
    for (int pi = 0; pi < P; ++pi) {
      const bool last = ci == C - 1 && C > 1;
      if (last && (one_in_last ? pi > 0 : pi % 3 == 2)) continue;
      Eigen::RowVectorXd x = a.row(ci) + b.row(pi);
      for (Eigen::Index g = 0; g < 6; ++g) x[g] += 0.05 * n01(rng);
      rows.push_back(x);
      p.push_back("p" + std::to_string(pi));
      c.push_back("c" + std::to_string(ci));
    }
  Eigen::MatrixXd X(Eigen::Index(rows.size()), 6);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(Eigen::Index(i)) = rows[i];
  return cimpute::PerturbationTensor<Scalar>::from_signatures(X.cast<Scalar>(), p, c,
                                                              {"g1", "g2", "g3", "g4", "g5", "g6"});
}

// Every method fast enough for a unit test on these tiny tables: the autoencoder trains briefly.
cimpute::CompletionSetup setup() {
  cimpute::CompletionSetup s;
  s.autoencoder.hidden = {8};
  s.autoencoder.epochs = 30;
  return s;
}

template <class Scalar>
Eigen::MatrixXd fit_predict(const std::string& name, const cimpute::PerturbationTensor<Scalar>& t,
                            const std::vector<cimpute::PairIndex>& pairs) {
  auto m = cimpute::make_completion_method<Scalar>(name, setup());
  std::vector<Eigen::Index> rows(std::size_t(t.num_observed()));
  for (std::size_t r = 0; r < rows.size(); ++r) rows[r] = Eigen::Index(r);
  m.fit(cimpute::TrainingSet<Scalar>(t, rows));
  return m.predict(pairs).template cast<double>();
}

template <class Scalar>
void check_contract(const std::string& name) {
  const auto t = table<Scalar>(9, 4);
  const auto missing = cimpute::missing_pairs(t);
  REQUIRE(missing.size() == 3);
  const Eigen::MatrixXd got = fit_predict(name, t, missing);
  CHECK(got.rows() == 3);
  CHECK(got.cols() == t.num_features());
  CHECK(got.allFinite());
  // Determinism: a second fresh method, the same numbers.
  CHECK(fit_predict(name, t, missing) == got);
  // complete_missing: the missing pairs, in order.
  const auto filled =
      cimpute::complete_missing(cimpute::make_completion_method<Scalar>(name, setup()), t);
  REQUIRE(filled.cols() == 3);
  for (std::size_t k = 0; k < missing.size(); ++k)
    CHECK(filled.col_ids()[k] ==
          t.perturbations()[missing[k].perturbation] + ":" + t.contexts()[missing[k].context]);
  // Errors: predict before fit; an unknown pair.
  const auto fresh = cimpute::make_completion_method<Scalar>(name, setup());
  CHECK_THROWS_AS(fresh.predict(missing), cimpute::logic_error);
  auto fitted = cimpute::make_completion_method<Scalar>(name, setup());
  std::vector<Eigen::Index> rows(std::size_t(t.num_observed()));
  for (std::size_t r = 0; r < rows.size(); ++r) rows[r] = Eigen::Index(r);
  fitted.fit(cimpute::TrainingSet<Scalar>(t, rows));
  CHECK_THROWS_AS(fitted.predict({{99, 0}}), cimpute::invalid_argument);
  // Degenerate tables: finite predictions or a clear invalid_argument.
  for (const auto& odd : {table<Scalar>(9, 1), table<Scalar>(9, 3, true)}) {
    const auto pairs = odd.num_contexts() == 1 ? std::vector<cimpute::PairIndex>{{0, 0}}
                                               : cimpute::missing_pairs(odd);
    try {
      CHECK(fit_predict(name, odd, pairs).allFinite());
    } catch (const cimpute::invalid_argument& e) {
      CHECK(std::string(e.what()).size() > 10);
    }
  }
}

} // namespace

TEST_CASE("completion contract: every method of the table, double", "[completion][contract]") {
  for (const auto& m : cimpute::completion_methods()) {
    INFO(m.name);
    check_contract<double>(m.name);
  }
}

TEST_CASE("completion contract: every method of the table, float", "[completion][contract]") {
  const auto t = table<float>(9, 4);
  const auto td = table<double>(9, 4);
  const auto missing = cimpute::missing_pairs(t);
  for (const auto& m : cimpute::completion_methods()) {
    INFO(m.name);
    check_contract<float>(m.name);
    // float within 5% of double (the solvers' tolerances and the autoencoder's training differ
    // in the last digits only on this well-posed table).
    const Eigen::MatrixXd f = fit_predict(m.name, t, missing), d = fit_predict(m.name, td, missing);
    CHECK((f - d).norm() <= 0.05 * d.norm());
  }
}
