// Completion methods on hand-made tensors: exact means, DNPP neighbours, NTK completion equal to
// an explicit dense kernel regression on concatenated features, protocol coverage, bad input.
#include "test_data.hpp"

#include <cimpute/completion.hpp>
#include <cimpute/io/cmap.hpp>
#include <cimpute/io/gct.hpp>
#include <cimpute/kernels/gram.hpp>

#include <memory>
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
  // The posterior variance on the same explicit features: k(x, x) - k_x^T (K + ridge I)^-1 k_x.
  const Eigen::VectorXd var = ntk.posterior_variance(test);
  const Eigen::MatrixXd Kss = cimpute::gram(k, Ft);
  const Eigen::VectorXd var_ref = Kss.diagonal() - (Kt * K.llt().solve(Kt.transpose())).diagonal();
  CHECK((var - var_ref).cwiseAbs().maxCoeff() < 1e-10);
  CHECK(std::abs(ntk.prior_variance() - Kss(0, 0)) < 1e-12);
  CHECK((var.array() > 0).all());
  CHECK((var.array() < ntk.prior_variance()).all());
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

TEST_CASE("SyntheticInterventionsCompletion recovers a context that is a combination of others",
          "[completion][synthetic-interventions]") {
  // Contexts c0..c2 random, c3 = 0.5 c0 + 0.3 c1 - 0.2 c2 exactly, for 6 perturbations x 7 genes;
  // (p5, c3) is held out.
  std::mt19937 rng(17);
  std::normal_distribution<double> n01(0, 1);
  std::vector<Eigen::RowVectorXd> base(18);
  for (auto& v : base) {
    v.resize(7);
    for (Eigen::Index g = 0; g < 7; ++g) v[g] = n01(rng);
  }
  std::vector<std::string> p, c;
  std::vector<Eigen::RowVectorXd> rows;
  for (int k = 0; k < 4; ++k)
    for (int d = 0; d < 6; ++d) {
      if (k == 3 && d == 5) continue;
      rows.push_back(k < 3 ? base[std::size_t(k * 6 + d)]
                           : Eigen::RowVectorXd(0.5 * base[std::size_t(d)] +
                                                0.3 * base[std::size_t(6 + d)] -
                                                0.2 * base[std::size_t(12 + d)]));
      p.push_back("p" + std::to_string(d));
      c.push_back("c" + std::to_string(k));
    }
  Eigen::MatrixXd X(Eigen::Index(rows.size()), 7);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(Eigen::Index(i)) = rows[i];
  const Tensor t = Tensor::from_signatures(X, p, c, {"a", "b", "c", "d", "e", "f", "g"});
  const cimpute::TrainingSet<double> train(t, all_rows(t));
  const Eigen::RowVectorXd want = 0.5 * base[5] + 0.3 * base[11] - 0.2 * base[17];
  {
    cimpute::SyntheticInterventionsOptions o;
    o.energy = 1.0;            // ordinary least squares
    o.center_contexts = false; // the planted model has no context means
    cimpute::SyntheticInterventionsCompletion<double> exact(o);
    exact.fit(train);
    CHECK((exact.predict({{5, 3}}).row(0) - want).cwiseAbs().maxCoeff() < 1e-10);
    CHECK(exact.fallbacks() == 0);
  }
  // A perturbation measured nowhere in training has no donor: the context mean.
  std::vector<Eigen::Index> without_p4;
  for (Eigen::Index i = 0; i < t.num_observed(); ++i)
    if (t.observed_pairs()[std::size_t(i)].perturbation != 4) without_p4.push_back(i);
  const cimpute::TrainingSet<double> train4(t, without_p4);
  cimpute::SyntheticInterventionsCompletion<double> si;
  si.fit(train4);
  const Eigen::RowVectorXd c0_mean = train4.mean_of(train4.context_rows(0));
  CHECK((si.predict({{4, 0}}).row(0) - c0_mean).norm() < 1e-14);
  CHECK(si.fallbacks() == 1);
}

TEST_CASE("NtkCvCompletion: closed-form inner leave-one-out equals explicit refits",
          "[completion][ntk]") {
  const Tensor t = planted(7);
  cimpute::NtkSearchOptions s;
  s.priors = {cimpute::NtkPrior::OneHot};
  s.depths = {2};
  s.identity_weights = {1.0};
  s.scales = {0.75};
  s.ridges = {0.05};
  cimpute::NtkCvCompletion<double> cv(s);
  cv.fit(cimpute::TrainingSet<double>(t, all_rows(t)));
  REQUIRE(cv.search_points().size() == 1);
  const auto& pt = cv.search_points()[0];
  const auto explicit_loo =
      cimpute::leave_one_pair_out(cimpute::NtkCompletion<double>(pt.options), t);
  CHECK(std::abs(pt.scores.pearson - explicit_loo.scores.pearson) < 1e-9);
  CHECK(std::abs(pt.scores.r2 - explicit_loo.scores.r2) < 1e-9);
  CHECK(std::abs(pt.scores.cosine - explicit_loo.scores.cosine) < 1e-9);

  // The default search picks the best point by the mean of the three scores; without a
  // reference context the train-context-average prior is not tried.
  cimpute::NtkCvCompletion<double> full;
  full.fit(cimpute::TrainingSet<double>(t, all_rows(t)));
  double best = -1;
  for (const auto& q : full.search_points()) {
    CHECK(q.options.prior != cimpute::NtkPrior::TrainContextAverage);
    best = std::max(best, q.criterion);
  }
  const auto& sel = full.selected();
  const auto it = std::find_if(full.search_points().begin(), full.search_points().end(),
                               [&](const auto& q) { return q.criterion == best; });
  CHECK(it->options.depth == sel.depth);
  CHECK(it->options.identity_weight == sel.identity_weight);
  // The refit model is the selected one.
  CHECK((full.predict({{3, 2}}) - full.model().predict({{3, 2}})).norm() == 0.0);
  CHECK(full.model().options().depth == sel.depth);
}

namespace {
// P perturbations x C contexts x G genes, each pair observed with probability 0.7 (context c0,
// the reference, always; context c1 holds one pair only); signature = a_c + b_p + (a_c . b_p) u
// + noise.
Tensor random_screen(unsigned seed, int P, int C, int G) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u01(0, 1);
  const Eigen::MatrixXd a = Eigen::MatrixXd::NullaryExpr(C, G, [&] { return n01(rng); });
  const Eigen::MatrixXd b = Eigen::MatrixXd::NullaryExpr(P, G, [&] { return n01(rng); });
  const Eigen::RowVectorXd w = Eigen::RowVectorXd::NullaryExpr(G, [&] { return n01(rng); });
  std::vector<std::string> p, c;
  std::vector<Eigen::RowVectorXd> rows;
  for (int ci = 0; ci < C; ++ci)
    for (int pi = 0; pi < P; ++pi) {
      const bool keep = ci == 0 || (ci == 1 ? pi == 2 : u01(rng) < 0.7);
      if (!keep) continue;
      Eigen::RowVectorXd x = a.row(ci) + b.row(pi) + 0.1 * a.row(ci).dot(b.row(pi)) * w;
      for (Eigen::Index g = 0; g < G; ++g) x[g] += 0.3 * n01(rng);
      rows.push_back(x);
      p.push_back("p" + std::to_string(pi));
      c.push_back("c" + std::to_string(ci));
    }
  Eigen::MatrixXd X(Eigen::Index(rows.size()), G);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(Eigen::Index(i)) = rows[i];
  std::vector<std::string> genes;
  for (int g = 0; g < G; ++g) genes.push_back("g" + std::to_string(g));
  return Tensor::from_signatures(X, p, c, genes);
}
// Every observed pair outside `reference` (none when empty), with it as the reference context.
cimpute::TrainingSet<double> outside_reference(const Tensor& t, const std::string& reference) {
  std::vector<Eigen::Index> eval;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (reference.empty() || t.contexts()[t.observed_pairs()[std::size_t(r)].context] != reference)
      eval.push_back(r);
  const Eigen::Index ref = reference.empty() ? -1 : t.contexts().index(reference);
  return cimpute::TrainingSet<double>(t, eval, ref);
}
// NtkCvCompletion without its closed-form outer leave-one-out: leave_one_pair_out refits it.
struct RefitNtkCV {
  cimpute::NtkCvCompletion<double> cv;
  std::string name() const { return "ntk (refits)"; }
  RefitNtkCV& fit(const cimpute::TrainingSet<double>& t) {
    cv.fit(t);
    return *this;
  }
  Eigen::MatrixXd predict(const std::vector<PairIndex>& p) const { return cv.predict(p); }
};
} // namespace

TEST_CASE("NtkCvCompletion: the closed-form outer leave-one-pair-out equals refits",
          "[completion][ntk]") {
  const unsigned seed = 21;
  INFO("seed " << seed);
  const Tensor t = random_screen(seed, 9, 6, 12);
  cimpute::NtkSearchOptions s;
  s.depths = {1, 3};
  s.identity_weights = {0.5, 1.5};
  s.scales = {0.75, 3.0};
  s.ridges = {0.0, 0.1};
  cimpute::NtkCompletionOptions base;
  base.context_features = Eigen::MatrixXd::Random(6, 3);
  struct Case {
    const char* what;
    cimpute::NtkSearchOptions search;
    cimpute::NtkCompletionOptions base;
    std::string reference;
  };
  cimpute::NtkSearchOptions mean_r2 = s, one_hot = s, cross = s;
  mean_r2.criterion = cimpute::SelectionCriterion::R2;
  one_hot.priors = {cimpute::NtkPrior::OneHot};
  cross.priors = {cimpute::NtkPrior::CrossContext};
  const std::vector<Case> cases{{"every prior, reference c0", s, base, "c0"},
                                {"R^2 criterion, no user features", mean_r2, {}, "c0"},
                                {"one-hot only, no reference", one_hot, {}, ""},
                                {"cross-context only, no reference", cross, {}, ""},
                                {"cross-context only, reference c0", cross, {}, "c0"}};
  for (const auto& c : cases) {
    INFO(c.what);
    const cimpute::NtkCvCompletion<double> cv(c.search, c.base);
    const auto fast = cimpute::leave_one_pair_out(cv, t, c.reference);
    const auto refit = cimpute::leave_one_pair_out(RefitNtkCV{cv}, t, c.reference);
    REQUIRE(fast.pairs.size() == refit.pairs.size());
    const double scale = refit.predictions.cwiseAbs().maxCoeff();
    CHECK((fast.predictions - refit.predictions).cwiseAbs().maxCoeff() < 1e-9 * scale);
    // The same through the run-time interface.
    const auto any =
        cimpute::leave_one_pair_out(cimpute::AnyCompletion<double>(cv), t, c.reference);
    CHECK((any.predictions - fast.predictions).cwiseAbs().maxCoeff() == 0.0);
    // The closed form applies here (a context with one pair included): it is what ran.
    CHECK(cv.leave_one_pair_out_predictions(outside_reference(t, c.reference)));
  }
  // Where the closed form does not apply (train-averages prior), the refits run.
  cimpute::NtkSearchOptions averages = s;
  averages.priors = {cimpute::NtkPrior::TrainAverages};
  const cimpute::NtkCvCompletion<double> cv(averages);
  CHECK_FALSE(cv.leave_one_pair_out_predictions(cimpute::TrainingSet<double>(t, all_rows(t))));
}

TEST_CASE("NtkCvCompletion: the updated cross-context criteria equal their brute force",
          "[completion][ntk]") {
  // Fold i's criterion: inner leave-one-out, context block by context block, of the features
  // of all pairs with pair i's signature left out of every feature (feature_without).
  using Eigen::MatrixXd;
  struct Case {
    unsigned seed;
    int P, C, G;
    std::string reference;
  };
  // G = 12 >= the blocks' sizes and G = 3 below them take the two routes of alpha_products.
  for (const Case& c : {Case{21, 9, 6, 12, ""}, Case{4, 14, 4, 3, ""}, Case{8, 12, 5, 3, "c0"}}) {
    INFO("seed " << c.seed << ", G = " << c.G << ", reference '" << c.reference << "'");
    const Tensor t = random_screen(c.seed, c.P, c.C, c.G);
    const cimpute::TrainingSet<double> all = outside_reference(t, c.reference);
    const cimpute::detail::LooGram g(all);
    std::vector<cimpute::NtkCompletionOptions> kernels;
    for (int depth : {1, 3})
      for (double id : {0.5, 1.5}) {
        cimpute::NtkCompletionOptions o;
        o.prior = cimpute::NtkPrior::CrossContext;
        o.depth = depth;
        o.identity_weight = id;
        kernels.push_back(o);
      }
    const std::vector<double> ridges{0.0, 0.1};
    const auto crit = cimpute::SelectionCriterion::Mean;
    const auto fast =
        cimpute::detail::updated_cross_context_criteria(all, g, kernels, ridges, crit);
    REQUIRE(fast);
    const auto pairs = all.pairs();
    const cimpute::detail::CrossContextFeatures feat(all);
    const MatrixXd Y = all.signatures();
    double worst = 0;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      std::vector<Eigen::Index> keep;
      for (std::size_t j = 0; j < pairs.size(); ++j)
        if (j != i) keep.push_back(Eigen::Index(j));
      for (std::size_t k = 0; k < kernels.size(); ++k) {
        const cimpute::NtkKernel<double> kernel(kernels[k].depth, kernels[k].bias);
        const double id2 = kernels[k].identity_weight * kernels[k].identity_weight;
        for (std::size_t r = 0; r < ridges.size(); ++r) {
          MatrixXd pred = MatrixXd::Zero(Eigen::Index(keep.size()), Y.cols());
          for (Eigen::Index ctx = 0; ctx < t.num_contexts(); ++ctx) {
            std::vector<Eigen::Index> b; // positions within `keep`
            for (std::size_t q = 0; q < keep.size(); ++q)
              if (pairs[std::size_t(keep[q])].context == ctx) b.push_back(Eigen::Index(q));
            if (b.size() < 2) continue; // alone: predicted as zero
            MatrixXd Fb(Eigen::Index(b.size()), Y.cols());
            MatrixXd Yb(Eigen::Index(b.size()), Y.cols());
            for (std::size_t q = 0; q < b.size(); ++q) {
              const Eigen::Index j = keep[std::size_t(b[q])];
              Fb.row(Eigen::Index(q)) = feat.feature_without(pairs[std::size_t(j)], pairs[i]);
              Yb.row(Eigen::Index(q)) = Y.row(j);
            }
            const Eigen::VectorXd na = Fb.rowwise().squaredNorm().array() + id2;
            MatrixXd K = cimpute::detail::cross_context_block(kernel, MatrixXd(Fb * Fb.transpose()),
                                                              na, na, true);
            K.diagonal().array() += ridges[r];
            const MatrixXd H = K.inverse();
            const MatrixXd loo = Yb - H.diagonal().cwiseInverse().asDiagonal() * (H * Yb);
            for (std::size_t q = 0; q < b.size(); ++q) pred.row(b[q]) = loo.row(Eigen::Index(q));
          }
          const double brute = cimpute::selection_value(
              crit, cimpute::completion_scores(pred, MatrixXd(Y(keep, Eigen::all))));
          const double d = std::abs(brute - (*fast)(Eigen::Index(i), Eigen::Index(k * 2 + r)));
          if (!(d <= worst)) worst = d; // a NaN stays
        }
      }
    }
    CHECK(worst < 1e-9);
    CHECK(fast->allFinite());
  }
}

TEST_CASE("NtkCompletion: the cross-context prior's kernel and what it learns",
          "[completion][ntk]") {
  // Planted: y(p, c) = a_c + W_c b_p + noise, a context-specific map of a perturbation factor,
  // which an additive (one-hot) model cannot express but a perturbation's signatures in the
  // other contexts reveal.
  const unsigned seed = 5;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  const int P = 40, C = 4, G = 30, L = 3;
  std::vector<Eigen::MatrixXd> W;
  for (int c = 0; c < C; ++c)
    W.push_back(Eigen::MatrixXd::NullaryExpr(G, L, [&] { return n01(rng); }));
  const Eigen::MatrixXd b = Eigen::MatrixXd::NullaryExpr(P, L, [&] { return n01(rng); });
  std::vector<std::string> pn, cn, genes;
  std::vector<Eigen::RowVectorXd> rows;
  for (int c = 0; c < C; ++c)
    for (int p = 0; p < P; ++p) {
      if ((p + c) % 7 == 0) continue; // a few missing pairs
      Eigen::RowVectorXd x = (W[std::size_t(c)] * b.row(p).transpose()).transpose();
      x.array() += double(c);
      for (Eigen::Index g = 0; g < G; ++g) x[g] += 0.2 * n01(rng);
      rows.push_back(x);
      pn.push_back("p" + std::to_string(p));
      cn.push_back("c" + std::to_string(c));
    }
  for (int g = 0; g < G; ++g) genes.push_back("g" + std::to_string(g));
  Eigen::MatrixXd X(Eigen::Index(rows.size()), G);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(Eigen::Index(i)) = rows[i];
  const Tensor t = Tensor::from_signatures(X, pn, cn, genes);

  cimpute::NtkCompletionOptions o;
  o.prior = cimpute::NtkPrior::CrossContext;
  o.depth = 2;
  o.ridge = 0.1;
  cimpute::NtkCompletion<double> m(o);
  const cimpute::TrainingSet<double> all(t, all_rows(t));
  m.prepare(all);
  const auto pairs = all.pairs();
  const Eigen::MatrixXd K = m.kernel_matrix(pairs, pairs, true);
  // Zero between contexts, symmetric, positive definite with the identity coordinate.
  for (std::size_t i = 0; i < pairs.size(); ++i)
    for (std::size_t j = 0; j < pairs.size(); ++j)
      if (pairs[i].context != pairs[j].context) REQUIRE(K(Eigen::Index(i), Eigen::Index(j)) == 0.0);
  CHECK((K - K.transpose()).cwiseAbs().maxCoeff() == 0.0);
  CHECK(Eigen::LLT<Eigen::MatrixXd>(K).info() == Eigen::Success);
  // No feature of a context's pairs depends on that context's signatures: changing every
  // signature of context 2 leaves its block of the Gram as it is (and changes the others).
  Eigen::MatrixXd X2 = X;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (cn[i] == "c2") X2.row(Eigen::Index(i)) *= -3.0;
  const Tensor t2 = Tensor::from_signatures(X2, pn, cn, genes);
  cimpute::NtkCompletion<double> m2(o);
  m2.prepare(cimpute::TrainingSet<double>(t2, all_rows(t2)));
  const Eigen::MatrixXd K2 = m2.kernel_matrix(pairs, pairs, true);
  std::vector<Eigen::Index> in2, in0;
  for (std::size_t i = 0; i < pairs.size(); ++i)
    (pairs[i].context == 2 ? in2 : in0).push_back(Eigen::Index(i));
  CHECK((K2(in2, in2) - K(in2, in2)).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((K2(in0, in0) - K(in0, in0)).cwiseAbs().maxCoeff() > 1e-3);

  // 5-fold within each context: far better than the one-hot (additive) NTK and the context mean.
  cimpute::NtkCompletionOptions h = o;
  h.prior = cimpute::NtkPrior::OneHot;
  const auto cross = cimpute::kfold_per_context(cimpute::NtkCompletion<double>(o), t, 5, 1);
  const auto one_hot = cimpute::kfold_per_context(cimpute::NtkCompletion<double>(h), t, 5, 1);
  const auto means = cimpute::kfold_per_context(
      cimpute::MeanCompletion<double>(cimpute::MeanKind::Context), t, 5, 1);
  INFO("cross-context " << cross.scores.pearson << ", one-hot " << one_hot.scores.pearson
                        << ", context mean " << means.scores.pearson);
  CHECK(cross.scores.pearson > one_hot.scores.pearson + 0.1);
  CHECK(cross.scores.r2 > means.scores.r2 + 0.3);
  // The search finds it.
  cimpute::NtkCvCompletion<double> cv;
  cv.fit(all);
  CHECK(cv.selected().prior == cimpute::NtkPrior::CrossContext);
  // It needs training pairs in the context: inner leave-one-context-out never tries it.
  cimpute::NtkSearchOptions loco;
  loco.inner = cimpute::InnerProtocol::LeaveOneContextOut;
  cimpute::NtkCvCompletion<double> cv_loco(loco);
  cv_loco.fit(all);
  for (const auto& pt : cv_loco.search_points())
    CHECK(pt.options.prior != cimpute::NtkPrior::CrossContext);
}

TEST_CASE("NtkCvCompletion: inner leave-one-context-out equals explicit refits",
          "[completion][ntk]") {
  const Tensor t = planted(9);
  cimpute::NtkSearchOptions s;
  s.inner = cimpute::InnerProtocol::LeaveOneContextOut;
  s.depths = {2};
  s.identity_weights = {1.0};
  s.scales = {1.5};
  s.ridges = {0.0, 0.05};
  cimpute::NtkCompletionOptions base;
  base.context_features = Eigen::MatrixXd::Random(3, 4); // one row per context
  cimpute::NtkCvCompletion<double> cv(s, base);
  // c0 is the reference; c1 and c2 are held out in turn.
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != 0) rows.push_back(r);
  cv.fit(cimpute::TrainingSet<double>(t, rows, 0));
  // One-hot and user features by the closed form, train-context-average by refits: 3 x 2 points.
  REQUIRE(cv.search_points().size() == 6);
  for (const auto& pt : cv.search_points()) {
    INFO("prior " << cimpute::to_string(pt.options.prior) << ", ridge " << pt.options.ridge);
    const auto ref =
        cimpute::leave_one_context_out(cimpute::NtkCompletion<double>(pt.options), t, "c0");
    CHECK(std::abs(pt.scores.pearson - ref.scores.pearson) < 1e-9);
    CHECK(std::abs(pt.scores.r2 - ref.scores.r2) < 1e-9);
    CHECK(std::abs(pt.scores.cosine - ref.scores.cosine) < 1e-9);
  }
}

TEST_CASE("NtkCvCompletion: inner leave-one-context-out by blocks of one inverse equals refits",
          "[completion][ntk]") {
  // 6 perturbations x 6 contexts x 7 genes with a third of the pairs missing; c0 is the
  // reference, so five contexts are held out in turn. Every prior: one-hot, user features and
  // train-context-average by the closed form, train-averages by refits.
  std::mt19937 rng(17);
  std::normal_distribution<double> n01(0, 1);
  std::vector<std::string> p, c;
  std::vector<Eigen::RowVectorXd> rows;
  for (int ci = 0; ci < 6; ++ci)
    for (int pi = 0; pi < 6; ++pi) {
      if (ci > 0 && (pi + 2 * ci) % 3 == 0) continue;
      Eigen::RowVectorXd x(7);
      for (Eigen::Index g = 0; g < 7; ++g) x[g] = n01(rng) + 0.5 * pi - 0.3 * ci * (g % 2);
      rows.push_back(x);
      p.push_back("p" + std::to_string(pi));
      c.push_back("c" + std::to_string(ci));
    }
  Eigen::MatrixXd X(Eigen::Index(rows.size()), 7);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(Eigen::Index(i)) = rows[i];
  const Tensor t = Tensor::from_signatures(X, p, c, {"g1", "g2", "g3", "g4", "g5", "g6", "g7"});
  cimpute::NtkSearchOptions s;
  s.inner = cimpute::InnerProtocol::LeaveOneContextOut;
  s.priors = {cimpute::NtkPrior::OneHot, cimpute::NtkPrior::TrainContextAverage,
              cimpute::NtkPrior::UserFeatures, cimpute::NtkPrior::TrainAverages};
  s.depths = {1, 3};
  s.identity_weights = {0.5};
  s.scales = {0.75, 2.0};
  s.ridges = {0.0, 0.1};
  cimpute::NtkCompletionOptions base;
  base.context_features = Eigen::MatrixXd::Random(6, 3);
  base.perturbation_features = Eigen::MatrixXd::Random(6, 4);
  std::vector<std::pair<long, long>> calls; // the progress of the search: one per kernel
  s.progress = [&calls](long done, long total) { calls.emplace_back(done, total); };
  cimpute::NtkCvCompletion<double> cv(s, base);
  std::vector<Eigen::Index> train;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != 0) train.push_back(r);
  cv.fit(cimpute::TrainingSet<double>(t, train, 0));
  REQUIRE(cv.search_points().size() == 4 * 2 * 2 * 2);
  REQUIRE(calls.size() == 16);
  for (std::size_t i = 0; i < calls.size(); ++i)
    CHECK(calls[i] == std::make_pair(long(i + 1), 16L));
  for (const auto& pt : cv.search_points()) {
    INFO("prior " << cimpute::to_string(pt.options.prior) << ", depth " << pt.options.depth
                  << ", scale " << pt.options.scale << ", ridge " << pt.options.ridge);
    const auto ref =
        cimpute::leave_one_context_out(cimpute::NtkCompletion<double>(pt.options), t, "c0");
    CHECK(std::abs(pt.scores.pearson - ref.scores.pearson) < 1e-9);
    CHECK(std::abs(pt.scores.r2 - ref.scores.r2) < 1e-9);
    CHECK(std::abs(pt.scores.cosine - ref.scores.cosine) < 1e-9);
  }
}

TEST_CASE("complete_missing predicts every unobserved pair with its labels",
          "[completion][protocol]") {
  const Tensor t = planted(2);
  const auto m = cimpute::complete_missing(cimpute::MeanCompletion<double>(), t);
  REQUIRE(m.cols() == 1);
  CHECK(m.col_ids()[0] == "p3:c2");
  CHECK(m.col_meta().field("perturbation")[0] == "p3");
  CHECK(m.col_meta().field("context")[0] == "c2");
  cimpute::MeanCompletion<double> mean;
  mean.fit(cimpute::TrainingSet<double>(t, all_rows(t)));
  CHECK((m.data().col(0).transpose() - mean.predict({{3, 2}}).row(0)).norm() < 1e-14);
}

TEST_CASE("impute_pairs predicts the requested pairs with the NTK's posterior variance",
          "[completion][protocol]") {
  const Tensor t = planted(4);
  // Observed and missing pairs alike; c0 the reference (side information only).
  const std::vector<PairIndex> pairs{{3, 2}, {0, 1}};
  cimpute::NtkCompletionOptions o;
  o.prior = cimpute::NtkPrior::OneHot;
  o.ridge = 0.1;
  const auto m = cimpute::impute_pairs(cimpute::NtkCompletion<double>(o), t, pairs, "c0");
  REQUIRE(m.cols() == 2);
  CHECK(m.col_ids() == std::vector<std::string>{"p3:c2", "p0:c1"});
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != 0) rows.push_back(r);
  cimpute::NtkCompletion<double> ref(o);
  ref.fit(cimpute::TrainingSet<double>(t, rows, 0));
  CHECK((m.data().transpose() - ref.predict(pairs)).norm() < 1e-12);
  // The variance field: the posterior over the prior variance, smaller for the observed pair.
  const Eigen::VectorXd v = m.col_meta().as_double("variance");
  const Eigen::VectorXd expected = ref.posterior_variance(pairs) / ref.prior_variance();
  CHECK((v - expected).cwiseAbs().maxCoeff() < 1e-5); // written with 6 significant digits
  CHECK(v[1] < v[0]);
  // In expression units: times each gene's mean square over the training signatures.
  const Eigen::MatrixXd ev = cimpute::expression_variances(t, v, "c0");
  const Eigen::VectorXd ms =
      t.observed()(rows, Eigen::all).array().square().colwise().mean().transpose();
  CHECK((ev.col(0) - ms * v[0]).norm() < 1e-12);
  // A method without a posterior has no variance field; complete_missing is the missing pairs.
  const auto mean = cimpute::impute_pairs(cimpute::MeanCompletion<double>(), t, pairs);
  CHECK_FALSE(mean.col_meta().has_field("variance"));
  CHECK(cimpute::missing_pairs(t) == std::vector<PairIndex>{{3, 2}});
  CHECK_THROWS_WITH(cimpute::impute_pairs(cimpute::MeanCompletion<double>(), t, {{9, 0}}),
                    Catch::Contains("impute_pairs"));
}

TEST_CASE("visit_completion_method constructs every named method", "[completion][registry]") {
  for (const auto& name : cimpute::completion_method_names()) {
    INFO(name);
    const std::string got =
        cimpute::visit_completion_method<double>(name, "", [](const auto& m) { return m.name(); });
    CHECK(got == name);
    // The table's capability is the method type's: a kernel posterior (variance, covariance).
    const bool posterior = cimpute::visit_completion_method<double>(name, "", [](const auto& m) {
      return cimpute::detail::has_kernel_posterior<std::decay_t<decltype(m)>>();
    });
    CHECK(cimpute::completion_method(name).posterior == posterior);
    CHECK_FALSE(cimpute::completion_method(name).summary.empty());
  }
  CHECK(cimpute::completion_methods().size() == cimpute::completion_method_names().size());
  // The methods that fit over processes construct for a communicator; the others are refused.
  const cimpute::CompletionSetup setup;
  for (const auto& m : cimpute::completion_methods()) {
    INFO(m.name);
    const auto name_of = [](auto& method) { return method.name(); };
    if (m.sharded_fit)
      CHECK(cimpute::visit_sharded_completion_method<double>(
                m.name, setup, cimpute::SingleProcess{}, name_of) == m.name);
    else
      CHECK_THROWS_WITH(
          cimpute::visit_sharded_completion_method<double>(m.name, setup, cimpute::SingleProcess{},
                                                           name_of),
          Catch::Contains("does not fit over processes") && Catch::Contains("ntk-pcg"));
  }
  CHECK_THROWS_WITH(cimpute::completion_method("bogus"),
                    Catch::Contains("unknown method 'bogus'") && Catch::Contains("ntk-pcg"));
  CHECK_THROWS_WITH(
      cimpute::visit_completion_method<double>("bogus", "", [](const auto& m) { return m.name(); }),
      Catch::Contains("unknown method 'bogus'") && Catch::Contains("soft-impute"));
}

TEST_CASE("AnyCompletion wraps a method behind virtual calls", "[completion][registry]") {
  const Tensor t = planted(5);
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != 0) rows.push_back(r);
  const cimpute::TrainingSet<double> train(t, rows, 0);
  const std::vector<PairIndex> q{{3, 2}, {1, 1}};
  cimpute::NtkCompletionOptions o;
  o.reference_context = "c0";
  cimpute::AnyCompletion<double> any = cimpute::NtkCompletion<double>(o);
  cimpute::AnyCompletion<double> copy = any; // deep: fitting the original leaves it unfitted
  any.fit(train);
  CHECK_THROWS_AS(copy.predict(q), cimpute::logic_error);
  cimpute::NtkCompletion<double> direct(o);
  direct.fit(train);
  CHECK((any.predict(q) - direct.predict(q)).norm() == 0.0);
  CHECK(any.name() == "ntk-reference");
  REQUIRE(any.target<cimpute::NtkCompletion<double>>() != nullptr);
  CHECK(any.target<cimpute::MeanCompletion<double>>() == nullptr);
  const Eigen::VectorXd rel = any.relative_posterior_variance(q);
  CHECK((rel - direct.posterior_variance(q) / direct.prior_variance()).norm() < 1e-15);
  // Methods without a kernel posterior report NaN; names come from the registry.
  auto mean = cimpute::make_completion_method<double>("context-mean");
  CHECK(mean.name() == "context-mean");
  CHECK(std::isnan(mean.fit(train).relative_posterior_variance(q)[0]));
  const auto a = cimpute::leave_one_pair_out(mean, t, "c0");
  const auto b = cimpute::leave_one_pair_out(cimpute::MeanCompletion<double>(), t, "c0");
  CHECK(a.scores.pearson == b.scores.pearson);
  CHECK_THROWS_WITH(cimpute::make_completion_method<double>("bogus"),
                    Catch::Contains("unknown method 'bogus'"));
}

TEST_CASE("EnsembleCompletion averages its members", "[completion][ensemble]") {
  const Tensor t = planted(4);
  const cimpute::TrainingSet<double> train(t, all_rows(t));
  using Mean = cimpute::MeanCompletion<double>;
  cimpute::EnsembleCompletion<double, Mean, Mean, cimpute::DnppCompletion<double>> e(
      "mix", Mean(cimpute::MeanKind::Context), Mean(cimpute::MeanKind::Perturbation),
      cimpute::DnppCompletion<double>(2));
  CHECK_THROWS_AS(e.predict({{3, 2}}), cimpute::logic_error);
  e.fit(train);
  const std::vector<PairIndex> q{{3, 2}, {0, 1}};
  const Eigen::MatrixXd want = (Mean(cimpute::MeanKind::Context).fit(train).predict(q) +
                                Mean(cimpute::MeanKind::Perturbation).fit(train).predict(q) +
                                cimpute::DnppCompletion<double>(2).fit(train).predict(q)) /
                               3;
  CHECK((e.predict(q) - want).cwiseAbs().maxCoeff() < 1e-14);
  CHECK(e.name() == "mix");
}

TEST_CASE("complete_missing_by_name writes every method's predictions side by side",
          "[completion][registry]") {
  const Tensor t = planted(2);
  const auto m = cimpute::complete_missing_by_name<double>({"context-mean", "dnpp"}, t);
  REQUIRE(m.cols() == 2);
  CHECK(m.col_ids()[0] == "context-mean:p3:c2");
  CHECK(m.col_ids()[1] == "dnpp:p3:c2");
  CHECK(m.col_meta().field("method")[1] == "dnpp");
  CHECK(m.col_meta().field("context")[1] == "c2");
  const auto dnpp = cimpute::complete_missing(cimpute::DnppCompletion<double>(10), t);
  CHECK((m.data().col(1) - dnpp.data().col(0)).norm() == 0.0);
  // The file round-trips through GCT, with CMap's field names.
  const auto path = (cimpute_test::temp_dir() / "predictions.gct").string();
  cimpute::write_gct(path, cimpute::with_cmap_fields(m));
  const auto back = cimpute::read_gct<double>(path);
  CHECK(back.col_meta().field_names() == std::vector<std::string>{"pert_id", "cell_id", "method"});
  CHECK(back.col_meta().field("pert_id")[0] == "p3");
  CHECK(back.col_meta().field("cell_id")[1] == "c2");
  CHECK((back.data() - m.data()).cwiseAbs().maxCoeff() == 0.0);
}

namespace {
// A context-mean baseline that records what it was fitted on and asked for.
struct SpyBaseline {
  struct Log {
    std::vector<std::vector<PairIndex>> fits, predicts;
  };
  std::shared_ptr<Log> log = std::make_shared<Log>();
  cimpute::MeanCompletion<double> mean;
  SpyBaseline& fit(const cimpute::TrainingSet<double>& train) {
    log->fits.push_back(train.pairs());
    log->predicts.emplace_back();
    mean.fit(train);
    return *this;
  }
  Eigen::MatrixXd predict(const std::vector<PairIndex>& pairs) const {
    auto& p = log->predicts.back();
    p.insert(p.end(), pairs.begin(), pairs.end());
    return mean.predict(pairs);
  }
};
cimpute::MixedPriorOptions one_point_mixed(Eigen::Index threshold) {
  cimpute::MixedPriorOptions o;
  o.min_training_perturbations = threshold;
  o.depths = {2};
  o.identity_weights = {1.0};
  o.scales = {0.75};
  o.ridges = {1e-3};
  o.inner_folds = 2;
  return o;
}
} // namespace

TEST_CASE("NtkMixedPriorCompletion equals dense kernel regression on explicit mixed features",
          "[completion][ntk][mixed]") {
  const Tensor t = planted(11);
  // Reference c0; training: c1's p0..p2 (3 perturbations: rich at threshold 3) and c2's p0, p1.
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r) {
    const PairIndex p = t.observed_pairs()[std::size_t(r)];
    if ((p.context == 1 && p.perturbation < 3) || (p.context == 2 && p.perturbation < 2))
      rows.push_back(r);
  }
  const cimpute::TrainingSet<double> train(t, rows, 0);
  SpyBaseline spy;
  cimpute::NtkMixedPriorCompletion<double, SpyBaseline> mixed(spy, one_point_mixed(3));
  mixed.fit(train);
  CHECK(mixed.rich_contexts() == std::vector<char>{0, 1, 0});
  const std::vector<PairIndex> test{{3, 1}, {2, 2}, {3, 2}};
  const Eigen::MatrixXd pred = mixed.predict(test);

  // Explicit features f = [0.75 |e| m_c, e, onehot(pair)], unit-normalised, NTK depth 2, where
  // e is the signature (training pair in c1), c1's training mean (the context-mean baseline's
  // prediction for the test pair in c1) or the reference signature (pairs in c2).
  const auto pairs = train.pairs();
  const Eigen::Index n = Eigen::Index(pairs.size()), G = t.num_features();
  const Eigen::RowVectorXd c1_mean = train.mean_of(train.context_rows(1));
  auto e = [&](const PairIndex& p, bool training) {
    if (p.context != 1) return Eigen::RowVectorXd(t.signature(p.perturbation, 0).transpose());
    return training ? Eigen::RowVectorXd(t.signature(p.perturbation, 1).transpose()) : c1_mean;
  };
  auto m = [&](Eigen::Index c) {
    Eigen::RowVectorXd s = train.mean_of(train.context_rows(c));
    return Eigen::RowVectorXd(s / s.norm());
  };
  const Eigen::Index width = n + Eigen::Index(test.size());
  auto feature = [&](const PairIndex& p, bool training, Eigen::Index slot) {
    Eigen::RowVectorXd f = Eigen::RowVectorXd::Zero(2 * G + width);
    const Eigen::RowVectorXd ep = e(p, training);
    f.segment(0, G) = 0.75 * ep.norm() * m(p.context);
    f.segment(G, G) = ep;
    f[2 * G + slot] = 1.0;
    return Eigen::RowVectorXd(f / f.norm());
  };
  Eigen::MatrixXd F(n, 2 * G + width), Ft(Eigen::Index(test.size()), 2 * G + width);
  for (Eigen::Index i = 0; i < n; ++i) F.row(i) = feature(pairs[std::size_t(i)], true, i);
  for (Eigen::Index i = 0; i < Ft.rows(); ++i)
    Ft.row(i) = feature(test[std::size_t(i)], false, n + i);
  const cimpute::NtkKernel<double> k(2);
  Eigen::MatrixXd K = cimpute::gram(k, F);
  K.diagonal().array() += 1e-3;
  const Eigen::MatrixXd ref = cimpute::gram(k, Ft, F) * K.llt().solve(train.signatures());
  CHECK((pred - ref).cwiseAbs().maxCoeff() < 1e-10);

  // Honesty of the inner K-fold: 2 folds + the final fit; every inner baseline predicts only
  // pairs it was not fitted on, and only pairs of the rich context.
  REQUIRE(spy.log->fits.size() == 3);
  for (std::size_t f = 0; f < 2; ++f) {
    CHECK(!spy.log->predicts[f].empty());
    for (const PairIndex& p : spy.log->predicts[f]) {
      CHECK(p.context == 1);
      for (const PairIndex& q : spy.log->fits[f])
        CHECK(!(p.perturbation == q.perturbation && p.context == q.context));
    }
  }
  CHECK(spy.log->fits[2].size() == rows.size());
  CHECK(mixed.search_points().size() == 1);
}

TEST_CASE("NtkMixedPriorCompletion without a rich context is the train-context-average NTK",
          "[completion][ntk][mixed]") {
  const Tensor t = planted(12);
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != 0 && r != 6) rows.push_back(r);
  const cimpute::TrainingSet<double> train(t, rows, 0);
  SpyBaseline spy;
  cimpute::NtkMixedPriorCompletion<double, SpyBaseline> mixed(spy, one_point_mixed(1000));
  mixed.fit(train);
  CHECK(spy.log->fits.empty()); // the baseline is not needed
  cimpute::NtkCompletionOptions o;
  o.reference_context = "c0";
  o.depth = 2;
  o.identity_weight = 1.0;
  o.ridge = 1e-3;
  const std::vector<PairIndex> test{t.observed_pairs()[6], {3, 2}};
  const Eigen::MatrixXd want = cimpute::NtkCompletion<double>(o).fit(train).predict(test);
  CHECK((mixed.predict(test) - want).cwiseAbs().maxCoeff() < 1e-10);

  // The default search scores every grid point and refits the best one.
  cimpute::MixedPriorOptions def;
  def.inner_folds = 2;
  cimpute::NtkMixedPriorCompletion<double, cimpute::DnppCompletion<double>> full(
      cimpute::DnppCompletion<double>(2), def);
  full.fit(train);
  CHECK(full.search_points().size() == 16);
  double best = -1e300;
  for (const auto& p : full.search_points()) best = std::max(best, p.criterion);
  const auto it = std::find_if(full.search_points().begin(), full.search_points().end(),
                               [&](const auto& p) { return p.criterion == best; });
  CHECK(it->settings.depth == full.selected().depth);
  CHECK(it->settings.ridge == full.selected().ridge);

  const cimpute::NtkMixedPriorCompletion<double, SpyBaseline> unfitted{SpyBaseline()};
  CHECK_THROWS_AS(unfitted.predict(test), cimpute::logic_error);
  cimpute::MixedPriorOptions bad;
  bad.inner_folds = 1;
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("inner_folds"));
  bad = {};
  bad.depths.clear();
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("search space"));
  bad = {};
  bad.min_training_perturbations = 0;
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("min_training_perturbations"));
}
