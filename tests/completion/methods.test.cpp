// Completion methods on hand-made tensors: exact means, DNPP neighbours, NTK completion equal to
// an explicit dense kernel regression on concatenated features, protocol coverage, bad input.
#include "test_data.hpp"

#include <cimpute/completion.hpp>
#include <cimpute/kernels/gram.hpp>

#include <random>

using cimpute::PairIndex;
using Tensor = cimpute::PerturbationTensor<double>;

namespace {
// 4 perturbations x 3 contexts x 5 genes, all observed except (p3, c2); signature = a_c + b_p +
// noise.
Tensor planted(unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  Eigen::MatrixXd a(3, 5), b(4, 5);
  for (Eigen::Index i = 0; i < a.size(); ++i) a(i) = n01(rng);
  for (Eigen::Index i = 0; i < b.size(); ++i) b(i) = n01(rng);
  std::vector<std::string> p, c;
  std::vector<Eigen::RowVectorXd> rows;
  for (int ci = 0; ci < 3; ++ci)
    for (int pi = 0; pi < 4; ++pi) {
      if (pi == 3 && ci == 2) continue;
      Eigen::RowVectorXd x = a.row(ci) + b.row(pi);
      for (Eigen::Index g = 0; g < 5; ++g) x[g] += 0.01 * n01(rng);
      rows.push_back(x);
      p.push_back("p" + std::to_string(pi));
      c.push_back("c" + std::to_string(ci));
    }
  Eigen::MatrixXd X(Eigen::Index(rows.size()), 5);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(Eigen::Index(i)) = rows[i];
  return Tensor::from_signatures(X, p, c, {"g1", "g2", "g3", "g4", "g5"});
}
std::vector<Eigen::Index> all_rows(const Tensor& t) {
  std::vector<Eigen::Index> r(std::size_t(t.num_observed()));
  for (Eigen::Index i = 0; i < t.num_observed(); ++i) r[std::size_t(i)] = i;
  return r;
}
} // namespace

TEST_CASE("MeanCompletion: context, perturbation and two-way means", "[completion][means]") {
  const Tensor t = planted(1);
  const cimpute::TrainingSet<double> train(t, all_rows(t));
  const PairIndex q{3, 2}; // the unobserved pair
  cimpute::MeanCompletion<double> ctx(cimpute::MeanKind::Context),
      pert(cimpute::MeanKind::Perturbation), two(cimpute::MeanKind::TwoWay);
  const Eigen::RowVectorXd c_mean = t.context_slice(2).values.colwise().mean();
  const Eigen::RowVectorXd p_mean = t.perturbation_slice(3).values.colwise().mean();
  CHECK((ctx.fit(train).predict({q}).row(0) - c_mean).norm() < 1e-14);
  CHECK((pert.fit(train).predict({q}).row(0) - p_mean).norm() < 1e-14);
  CHECK((two.fit(train).predict({q}).row(0) - (c_mean + p_mean) / 2).norm() < 1e-14);
  CHECK(two.name() == "two-way-mean");
  CHECK_THROWS_AS(cimpute::MeanCompletion<double>().predict({q}), cimpute::logic_error);
  CHECK_THROWS_AS(ctx.predict({{7, 0}}), cimpute::invalid_argument);
}

TEST_CASE("DnppCompletion: similarity and the weighted neighbour mean", "[completion][dnpp]") {
  // Two genes' worth of hand-made signatures in two contexts.
  Eigen::MatrixXd X(5, 4);
  X << 1, 2, 3, 4, // pA c1
      1, 2, 3, 5,  // pB c1 (close to pA)
      4, 3, 2, 1,  // pC c1 (anti-correlated with pA)
      2, 4, 6, 8,  // pB c2
      8, 6, 4, 2;  // pC c2
  const Tensor t = Tensor::from_signatures(
      X, {"pA", "pB", "pC", "pB", "pC"}, {"c1", "c1", "c1", "c2", "c2"}, {"g1", "g2", "g3", "g4"});
  const cimpute::TrainingSet<double> train(t, all_rows(t));
  cimpute::DnppCompletion<double> dnpp(1);
  dnpp.fit(train);
  const auto& S = dnpp.similarity();
  // S(pA, pB) = corr in c1 only; S(pA, pC) negative -> 0; diagonal 0.
  const Eigen::Vector4d a(1, 2, 3, 4), b(1, 2, 3, 5);
  const Eigen::Vector4d ac = a.array() - a.mean(), bc = b.array() - b.mean();
  CHECK(S(0, 1) == Approx(ac.dot(bc) / (ac.norm() * bc.norm())).epsilon(1e-14));
  CHECK(S(0, 2) == 0.0);
  CHECK(S(1, 1) == 0.0);
  // (pA, c2): the single nearest perturbation observed in c2 is pB.
  CHECK((dnpp.predict({{0, 1}}).row(0) - X.row(3)).norm() < 1e-14);
}

TEST_CASE("NtkCompletion equals dense kernel regression on explicit pair features",
          "[completion][ntk]") {
  const Tensor t = planted(3);
  cimpute::NtkCompletionOptions o;
  o.reference_context = "c0";
  o.identity_weight = 1.5;
  o.depth = 2;
  o.ridge = 1e-3;
  // Train on contexts c1, c2 with c0 as reference (features only).
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != 0 && !(r == 5)) rows.push_back(r);
  const cimpute::TrainingSet<double> train(t, rows, 0);
  cimpute::NtkCompletion<double> ntk(o);
  ntk.fit(train);
  const std::vector<PairIndex> test{t.observed_pairs()[5], {3, 2}};
  const Eigen::MatrixXd pred = ntk.predict(test);
  // Explicit features: f = [0.75 |e_d| m_c, e_d, 1.5 onehot(pair)], unit-normalised, NTK depth 2.
  const auto pairs = train.pairs();
  const Eigen::Index n = Eigen::Index(pairs.size()), G = t.num_features();
  auto e = [&](Eigen::Index d) { return Eigen::RowVectorXd(t.signature(d, 0).transpose()); };
  auto m = [&](Eigen::Index c) {
    Eigen::RowVectorXd s = train.mean_of(train.context_rows(c));
    return Eigen::RowVectorXd(s / s.norm());
  };
  auto feature = [&](const PairIndex& p, Eigen::Index slot, Eigen::Index width) {
    Eigen::RowVectorXd f = Eigen::RowVectorXd::Zero(2 * G + width);
    f.segment(0, G) = 0.75 * e(p.perturbation).norm() * m(p.context);
    f.segment(G, G) = e(p.perturbation);
    if (slot >= 0) f[2 * G + slot] = 1.5;
    return Eigen::RowVectorXd(f / f.norm());
  };
  // Every pair (training or test) has its own private identity coordinate.
  const Eigen::Index width = n + 2;
  Eigen::MatrixXd F(n, 2 * G + width), Ft(2, 2 * G + width);
  for (Eigen::Index i = 0; i < n; ++i) F.row(i) = feature(pairs[std::size_t(i)], i, width);
  for (Eigen::Index i = 0; i < 2; ++i) Ft.row(i) = feature(test[std::size_t(i)], n + i, width);
  const cimpute::NtkKernel<double> k(2);
  Eigen::MatrixXd K = cimpute::gram(k, F);
  K.diagonal().array() += 1e-3;
  const Eigen::MatrixXd Kt = cimpute::gram(k, Ft, F);
  const Eigen::MatrixXd ref = Kt * K.llt().solve(train.signatures());
  CHECK((pred - ref).cwiseAbs().maxCoeff() < 1e-10);
}

TEST_CASE("leave_one_pair_out covers every non-reference pair once", "[completion][protocol]") {
  const Tensor t = planted(5);
  const auto ev = cimpute::leave_one_pair_out(cimpute::MeanCompletion<double>(), t, "c0");
  CHECK(ev.pairs.size() == 7); // 11 observed, 4 in c0
  for (const auto& p : ev.pairs) CHECK(p.context != 0);
  for (std::size_t i = 0; i < ev.pairs.size(); ++i)
    for (std::size_t j = i + 1; j < ev.pairs.size(); ++j) CHECK_FALSE(ev.pairs[i] == ev.pairs[j]);
  CHECK_THROWS_WITH(cimpute::leave_one_pair_out(cimpute::MeanCompletion<double>(), t, "nope"),
                    Catch::Contains("'nope'"));
  CHECK_THROWS_WITH(cimpute::TrainingSet<double>(t, {}), Catch::Contains("empty training set"));
  CHECK_THROWS_WITH(cimpute::TrainingSet<double>(t, {0, 0}), Catch::Contains("given twice"));
  CHECK_THROWS_WITH(cimpute::TrainingSet<double>(t, {0}, 0), Catch::Contains("reference context"));
  cimpute::NtkCompletionOptions o;
  o.depth = 0;
  CHECK_THROWS_AS(cimpute::NtkCompletion<double>(o), cimpute::invalid_argument);
}

TEST_CASE("kfold_per_context and sparse_per_context split as documented",
          "[completion][protocol]") {
  const Tensor t = planted(8);
  const unsigned seed = 3;
  INFO("seed " << seed);
  // 3 folds, c0 reference: c1 (4 pairs) and c2 (3 pairs) are tested, each pair exactly once.
  const auto kf = cimpute::kfold_per_context(cimpute::MeanCompletion<double>(), t, 3, seed, "c0");
  CHECK(kf.pairs.size() == 7);
  for (std::size_t i = 0; i < kf.pairs.size(); ++i) {
    CHECK(kf.pairs[i].context != 0);
    for (std::size_t j = i + 1; j < kf.pairs.size(); ++j) CHECK_FALSE(kf.pairs[i] == kf.pairs[j]);
  }
  // With 4 folds c2 (3 pairs) is below the minimum and only trains.
  const auto kf4 = cimpute::kfold_per_context(cimpute::MeanCompletion<double>(), t, 4, seed, "c0");
  CHECK(kf4.pairs.size() == 4);
  // Same seed, same split.
  const auto again =
      cimpute::kfold_per_context(cimpute::MeanCompletion<double>(), t, 3, seed, "c0");
  CHECK(again.predictions == kf.predictions);
  // Sparse B = 1: one training pair per context, the rest tested (3 + 2).
  const auto sp = cimpute::sparse_per_context(cimpute::MeanCompletion<double>(), t, 1, seed, "c0");
  CHECK(sp.pairs.size() == 5);
  const auto sum = cimpute::summarize({kf, again});
  CHECK(sum.runs == 2);
  CHECK(sum.standard_error.pearson == 0.0);
  CHECK(sum.mean.pearson == Approx(kf.scores.pearson));
  CHECK_THROWS_AS(cimpute::kfold_per_context(cimpute::MeanCompletion<double>(), t, 1, seed),
                  cimpute::invalid_argument);
  CHECK_THROWS_AS(cimpute::sparse_per_context(cimpute::MeanCompletion<double>(), t, 0, seed),
                  cimpute::invalid_argument);
}

TEST_CASE("leave_one_context_out holds each context out whole", "[completion][protocol]") {
  const Tensor t = planted(11);
  // Context mean cannot see the held-out context: its prediction falls back to the global mean.
  const auto ev = cimpute::leave_one_context_out(cimpute::MeanCompletion<double>(), t, "c0");
  CHECK(ev.pairs.size() == 7);
  std::vector<Eigen::Index> c2_rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context == 2) c2_rows.push_back(r);
  Eigen::RowVectorXd global = Eigen::RowVectorXd::Zero(t.num_features());
  for (Eigen::Index r : c2_rows) global += t.observed().row(r);
  global /= double(c2_rows.size());
  // The first evaluated pairs belong to c1; their prediction is the mean of c2 (the only other
  // non-reference context).
  CHECK(ev.pairs.front().context == 1);
  CHECK((ev.predictions.row(0) - global).norm() < 1e-12);
}
