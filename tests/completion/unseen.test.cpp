// Unseen perturbations: the protocol that holds perturbations out of every context, the gene
// embedding and perturbation features from principal components, the linear baseline against
// its formula computed by an SVD, the NTK's inner folds of perturbations against refits, the
// field's metrics of a protocol run against score_responses context by context; cell-level
// predictions from predicted changes (predicted_cells).
#include <cimpute/completion.hpp>
#include <cimpute/workflow/cell_predictions.hpp>

#include <catch2/catch.hpp>

#include <Eigen/SVD>

#include <memory>
#include <random>
#include <set>

using cimpute::PairIndex;
using Tensor = cimpute::PerturbationTensor<double>;

namespace {
// P knock-downs named after genes g1..g(P-1) of G genes (p0 is "nontarget"), in C contexts, every
// pair observed but (P-1, C-1); signature = context effect + a rank-3 effect of the perturbed
// gene + noise.
Tensor knockdowns(int P, int C, int G, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  Eigen::MatrixXd ctx(C, G), load(G, 3), pert(P, 3);
  for (Eigen::Index i = 0; i < ctx.size(); ++i) ctx(i) = n01(rng);
  for (Eigen::Index i = 0; i < load.size(); ++i) load(i) = n01(rng);
  for (Eigen::Index i = 0; i < pert.size(); ++i) pert(i) = n01(rng);
  // Knocking gene g down moves the genes that load like g: the effect is predictable from g's
  // coordinates in the responses' principal components (the linear baseline's premise).
  for (int pi = 1; pi < std::min(P, G); ++pi) pert.row(pi) = load.row(pi);
  std::vector<std::string> p, c, genes;
  for (int g = 0; g < G; ++g) genes.push_back("g" + std::to_string(g));
  std::vector<Eigen::RowVectorXd> rows;
  for (int ci = 0; ci < C; ++ci)
    for (int pi = 0; pi < P; ++pi) {
      if (pi == P - 1 && ci == C - 1) continue;
      Eigen::RowVectorXd x = ctx.row(ci) + (load * pert.row(pi).transpose()).transpose();
      for (Eigen::Index g = 0; g < G; ++g) x[g] += 0.1 * n01(rng);
      rows.push_back(x);
      p.push_back(pi == 0 ? "nontarget" : "g" + std::to_string(pi)); // p0 is no gene
      c.push_back("c" + std::to_string(ci));
    }
  Eigen::MatrixXd X(Eigen::Index(rows.size()), G);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(Eigen::Index(i)) = rows[i];
  return Tensor::from_signatures(X, p, c, genes);
}

std::vector<Eigen::Index> rows_where(const Tensor& t, bool (*keep)(const PairIndex&)) {
  std::vector<Eigen::Index> r;
  for (Eigen::Index i = 0; i < t.num_observed(); ++i)
    if (keep(t.observed_pairs()[std::size_t(i)])) r.push_back(i);
  return r;
}

// A method that records, at every fit, which perturbations it could see (training or reference
// rows) and checks at predict that none of the requested pairs' perturbations was seen.
struct Spy {
  std::shared_ptr<int> violations = std::make_shared<int>(0);
  std::shared_ptr<int> fits = std::make_shared<int>(0);
  std::set<Eigen::Index> seen;
  Eigen::Index features = 0;
  std::string name() const { return "spy"; }
  Spy& fit(const cimpute::TrainingSet<double>& train) {
    seen.clear();
    const auto& t = train.tensor();
    for (Eigen::Index r : train.rows())
      seen.insert(t.observed_pairs()[std::size_t(r)].perturbation);
    for (Eigen::Index r : train.reference_rows())
      seen.insert(t.observed_pairs()[std::size_t(r)].perturbation);
    features = t.num_features();
    ++*fits;
    return *this;
  }
  Eigen::MatrixXd predict(const std::vector<PairIndex>& pairs) const {
    for (const auto& p : pairs) *violations += seen.count(p.perturbation) ? 1 : 0;
    return Eigen::MatrixXd::Zero(Eigen::Index(pairs.size()), features);
  }
};
} // namespace

TEST_CASE("CompletionProtocol parses unseen-perturbation:K", "[completion][protocol]") {
  const auto p = cimpute::CompletionProtocol::parse("unseen-perturbation:5");
  CHECK(p.kind == cimpute::CompletionProtocol::Kind::UnseenPerturbation);
  CHECK(p.value == 5);
  CHECK(p.is_random());
  CHECK(p.new_perturbations());
  CHECK_FALSE(cimpute::CompletionProtocol::parse("kfold:5").new_perturbations());
  for (const char* bad : {"unseen-perturbation:1", "unseen-perturbation:", "unseen-perturbation"})
    CHECK_THROWS_WITH(cimpute::CompletionProtocol::parse(bad),
                      Catch::Contains("unseen-perturbation:K"));
}

TEST_CASE("TrainingSet hides the reference rows of hidden perturbations",
          "[completion][protocol]") {
  const Tensor t = knockdowns(4, 3, 6, 1);
  const auto rows = rows_where(t, [](const PairIndex& p) { return p.context != 0; });
  const cimpute::TrainingSet<double> all(t, rows, 0);
  CHECK(all.reference_rows().size() == 4);
  std::vector<char> hidden(4, 0);
  hidden[2] = 1;
  const cimpute::TrainingSet<double> some(t, rows, 0, hidden);
  REQUIRE(some.reference_rows().size() == 3);
  for (Eigen::Index r : some.reference_rows())
    CHECK(t.observed_pairs()[std::size_t(r)].perturbation != 2);
  CHECK(some.subset({rows[0], rows[1]}).reference_rows() == some.reference_rows());
  CHECK(some.with_reference().size() == Eigen::Index(rows.size()) + 3);
  CHECK_THROWS_WITH(cimpute::TrainingSet<double>(t, rows, 0, {1, 0}),
                    Catch::Contains("hidden_perturbations has 2 flags"));
}

TEST_CASE("unseen_perturbation_folds holds each perturbation out of every context",
          "[completion][protocol]") {
  const Tensor t = knockdowns(12, 3, 6, 2);
  for (const std::string ref : {"", "c0"}) {
    INFO("reference '" << ref << "'");
    Spy spy;
    const auto ev = cimpute::unseen_perturbation_folds(spy, t, 4, 7, ref);
    CHECK(*spy.violations == 0);
    CHECK(*spy.fits == 4);
    // Every non-reference pair is tested exactly once.
    std::set<std::pair<Eigen::Index, Eigen::Index>> tested;
    for (const auto& p : ev.pairs) {
      CHECK(tested.insert({p.perturbation, p.context}).second);
      if (!ref.empty()) CHECK(p.context != 0);
    }
    CHECK(Eigen::Index(tested.size()) == (ref.empty() ? t.num_observed() : t.num_observed() - 12));
    // The same seed gives the same split.
    const auto again = cimpute::unseen_perturbation_folds(spy, t, 4, 7, ref);
    CHECK(again.pairs == ev.pairs);
  }
  // Through the protocol runner, as the front ends call it.
  Spy spy;
  const auto run = cimpute::run_protocol(
      spy, t, cimpute::CompletionProtocol::parse("unseen-perturbation:3"), "", 1);
  CHECK(*spy.violations == 0);
  CHECK(run.pairs.size() == std::size_t(t.num_observed()));
  CHECK_THROWS_WITH(cimpute::unseen_perturbation_folds(spy, t, 13, 1),
                    Catch::Contains("only 12 perturbations"));
}

TEST_CASE("gene_embedding is U_K S_K of the genes x responses matrix", "[completion][features]") {
  std::mt19937 rng(3);
  std::normal_distribution<double> n01(0, 1);
  for (const auto& shape : {std::pair<int, int>{30, 8}, std::pair<int, int>{8, 30}}) {
    INFO(shape.first << " responses x " << shape.second << " genes");
    Eigen::MatrixXd y(shape.first, shape.second);
    for (Eigen::Index i = 0; i < y.size(); ++i) y(i) = n01(rng);
    const Eigen::MatrixXd g = cimpute::gene_embedding(y, 3);
    REQUIRE(g.rows() == shape.second);
    REQUIRE(g.cols() == 3);
    const Eigen::JacobiSVD<Eigen::MatrixXd> svd(y.transpose(),
                                                Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::MatrixXd us =
        svd.matrixU().leftCols(3) * svd.singularValues().head(3).asDiagonal();
    // Column by column up to sign.
    for (Eigen::Index j = 0; j < 3; ++j)
      CHECK(std::min((g.col(j) - us.col(j)).norm(), (g.col(j) + us.col(j)).norm()) <
            1e-10 * us.col(j).norm());
  }
  // K is capped at the rank.
  const Eigen::MatrixXd rank1 = Eigen::VectorXd::LinSpaced(6, 1, 6) * Eigen::RowVectorXd::Ones(4);
  CHECK(cimpute::gene_embedding(rank1, 3).cols() == 1);
  CHECK_THROWS_WITH(cimpute::gene_embedding(rank1, 0), Catch::Contains("components must be >= 1"));
}

TEST_CASE("pca_perturbation_features: the target gene's row, zero without one",
          "[completion][features]") {
  const Tensor t = knockdowns(6, 2, 10, 4);
  const auto target = cimpute::target_gene_columns(t);
  CHECK(target[0] == -1); // "nontarget"
  CHECK(target[3] == 3);
  // Numeric gene ids with symbols beside them (CMap's pr_gene_id / pr_gene_symbol).
  Tensor ids = Tensor::from_signatures(Eigen::MatrixXd::Ones(2, 3), {"B", "X"}, {"c", "c"},
                                       {"100", "200", "300"});
  ids.set_feature_symbols({"A", "B", "C"});
  CHECK(cimpute::target_gene_columns(ids) == std::vector<Eigen::Index>{1, -1});
  const cimpute::TrainingSet<double> train(t, rows_where(t, [](const PairIndex&) { return true; }));
  const Eigen::MatrixXd e = cimpute::pca_perturbation_features(train, 2);
  REQUIRE(e.rows() == 6);
  CHECK(e.row(0).norm() == 0.0);
  // The rows are the centred responses' gene coordinates (each context centred by its mean),
  // scaled to unit root-mean-square norm.
  Eigen::MatrixXd y(t.num_observed(), 10);
  Eigen::Index at = 0;
  for (Eigen::Index c = 0; c < 2; ++c) {
    const auto& rows = train.context_rows(c);
    const Eigen::RowVectorXd m = train.mean_of(rows);
    for (Eigen::Index r : rows) y.row(at++) = t.observed().row(r) - m;
  }
  const Eigen::MatrixXd g = cimpute::gene_embedding(y, 2);
  Eigen::MatrixXd raw = Eigen::MatrixXd::Zero(6, 2);
  for (Eigen::Index p = 1; p < 6; ++p) raw.row(p) = g.row(p);
  const double rms = std::sqrt(raw.rowwise().squaredNorm().sum() / 5.0);
  CHECK((e - raw / rms).norm() < 1e-12);
  CHECK(e.rowwise().squaredNorm().sum() == Approx(5.0));
  CHECK(cimpute::parse_pca_components("pca:7") == 7);
  CHECK(cimpute::parse_pca_components("embedding.csv") == 0);
  CHECK_THROWS_WITH(cimpute::parse_pca_components("pca:x"), Catch::Contains("'pca:x'"));
}

TEST_CASE("LinearModelCompletion equals its formula computed by an SVD", "[completion][linear]") {
  const Tensor t = knockdowns(15, 2, 12, 5);
  // Train on every pair of c1 but p4's; predict (p4, c1).
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r) {
    const auto& p = t.observed_pairs()[std::size_t(r)];
    if (p.context == 1 && p.perturbation != 4) rows.push_back(r);
  }
  const cimpute::TrainingSet<double> train(t, rows);
  // The formula: Y (genes x perturbations) = G W P^T + b.
  const Eigen::Index n = Eigen::Index(rows.size());
  Eigen::MatrixXd Y(12, n);
  for (Eigen::Index i = 0; i < n; ++i)
    Y.col(i) = t.observed().row(rows[std::size_t(i)]).transpose();
  const Eigen::VectorXd b = Y.rowwise().mean();
  const Eigen::MatrixXd Yc = Y.colwise() - b;
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(Yc, Eigen::ComputeThinU);
  const Eigen::Index K = 4;
  const double lambda = 0.1;
  const Eigen::MatrixXd G = svd.matrixU().leftCols(K) * svd.singularValues().head(K).asDiagonal();
  auto emb = [&](Eigen::Index p) -> Eigen::RowVectorXd {
    return p == 0 || p >= 12 ? Eigen::RowVectorXd::Zero(K)
                             : Eigen::RowVectorXd(G.row(p)); // gene "gp"
  };
  Eigen::MatrixXd P(n, K);
  for (Eigen::Index i = 0; i < n; ++i)
    P.row(i) = emb(t.observed_pairs()[std::size_t(rows[std::size_t(i)])].perturbation);
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(K, K);
  const Eigen::MatrixXd W = (G.transpose() * G + lambda * I).inverse() * G.transpose() * Yc * P *
                            (P.transpose() * P + lambda * I).inverse();
  const Eigen::VectorXd expect = G * W * emb(4).transpose() + b;

  cimpute::LinearModelOptions o;
  o.components = K;
  cimpute::LinearModelCompletion<double> lin(o);
  const Eigen::RowVectorXd got = lin.fit(train).predict({{4, 1}}).row(0);
  CHECK((got.transpose() - expect).norm() < 1e-10 * expect.norm());
  // A perturbation that is no gene is predicted as the training mean; so is a context without
  // training pairs (the global mean).
  CHECK((lin.predict({{0, 1}}).row(0).transpose() - b).norm() < 1e-12);
  CHECK((lin.predict({{4, 0}}).row(0).transpose() - b).norm() < 1e-12);
  CHECK(lin.name() == "linear");

  // A supplied embedding replaces the gene rows.
  cimpute::LinearModelOptions u = o;
  u.perturbation_features = Eigen::MatrixXd::Random(15, 3);
  Eigen::MatrixXd Pu(n, 3);
  for (Eigen::Index i = 0; i < n; ++i)
    Pu.row(i) = u.perturbation_features.row(
        t.observed_pairs()[std::size_t(rows[std::size_t(i)])].perturbation);
  const Eigen::MatrixXd I3 = Eigen::MatrixXd::Identity(3, 3);
  const Eigen::MatrixXd Wu = (G.transpose() * G + lambda * I).inverse() * G.transpose() * Yc * Pu *
                             (Pu.transpose() * Pu + lambda * I3).inverse();
  const Eigen::VectorXd expect_u = G * Wu * u.perturbation_features.row(4).transpose() + b;
  cimpute::LinearModelCompletion<double> lu(u);
  CHECK((lu.fit(train).predict({{4, 1}}).row(0).transpose() - expect_u).norm() <
        1e-10 * expect_u.norm());
  u.perturbation_features.resize(3, 3);
  CHECK_THROWS_WITH(cimpute::LinearModelCompletion<double>(u).fit(train),
                    Catch::Contains("3 rows, the tensor 15 perturbations"));
  o.components = 0;
  CHECK_THROWS_AS(cimpute::LinearModelCompletion<double>(o), cimpute::invalid_argument);
}

TEST_CASE("NtkCvCompletion: inner folds of perturbations equal explicit refits",
          "[completion][ntk]") {
  // Four perturbations: the inner search deals them into four folds of one perturbation each,
  // which is what unseen_perturbation_folds with K = 4 does, whatever the shuffle.
  const Tensor t = knockdowns(4, 3, 7, 6);
  cimpute::NtkSearchOptions s;
  s.inner = cimpute::InnerProtocol::LeavePerturbationsOut;
  s.depths = {1, 2};
  s.identity_weights = {1.0};
  s.scales = {1.5};
  s.ridges = {0.0, 0.05};
  cimpute::NtkCompletionOptions base;
  base.perturbation_features = Eigen::MatrixXd::Random(4, 5);
  cimpute::NtkCvCompletion<double> cv(s, base);
  cv.fit(cimpute::TrainingSet<double>(t, rows_where(t, [](const PairIndex&) { return true; })));
  // One-hot and user features only (cross-context and the signature priors are skipped): 2 x 2
  // kernels x 2 ridges.
  REQUIRE(cv.search_points().size() == 8);
  for (const auto& pt : cv.search_points()) {
    INFO("prior " << cimpute::to_string(pt.options.prior) << ", depth " << pt.options.depth
                  << ", ridge " << pt.options.ridge);
    CHECK((pt.options.prior == cimpute::NtkPrior::OneHot ||
           pt.options.prior == cimpute::NtkPrior::UserFeatures));
    const auto ref =
        cimpute::unseen_perturbation_folds(cimpute::NtkCompletion<double>(pt.options), t, 4, 1);
    CHECK(std::abs(pt.scores.pearson - ref.scores.pearson) < 1e-9);
    CHECK(std::abs(pt.scores.r2 - ref.scores.r2) < 1e-9);
    CHECK(std::abs(pt.scores.cosine - ref.scores.cosine) < 1e-9);
  }
}

TEST_CASE("NtkCvCompletion: inner folds with pca features equal refits without each fold",
          "[completion][ntk]") {
  // Principal-component features are recomputed without each inner fold, as the outer protocol
  // recomputes them without its fold: the inner scores are those of unseen_perturbation_folds.
  const Tensor t = knockdowns(4, 3, 7, 15);
  cimpute::NtkSearchOptions s;
  s.inner = cimpute::InnerProtocol::LeavePerturbationsOut;
  s.priors = {cimpute::NtkPrior::UserFeatures};
  s.depths = {1};
  s.identity_weights = {1.0};
  s.scales = {0.75, 1.5};
  s.ridges = {0.0, 0.1};
  cimpute::NtkCompletionOptions base;
  base.perturbation_pca = 2;
  cimpute::NtkCvCompletion<double> cv(s, base);
  cv.fit(cimpute::TrainingSet<double>(t, rows_where(t, [](const PairIndex&) { return true; })));
  REQUIRE(cv.search_points().size() == 4);
  for (const auto& pt : cv.search_points()) {
    INFO("scale " << pt.options.scale << ", ridge " << pt.options.ridge);
    const auto ref =
        cimpute::unseen_perturbation_folds(cimpute::NtkCompletion<double>(pt.options), t, 4, 1);
    CHECK(std::abs(pt.scores.pearson - ref.scores.pearson) < 1e-9);
    CHECK(std::abs(pt.scores.r2 - ref.scores.r2) < 1e-9);
  }
}

TEST_CASE("NTK with pca perturbation features predicts unseen knock-downs better than the mean",
          "[completion][ntk]") {
  // The planted effect is low-rank in the perturbed gene's loadings: the prior carries it.
  const Tensor t = knockdowns(40, 3, 30, 8);
  cimpute::CompletionSetup setup;
  setup.new_perturbations = true;
  setup.perturbation_features.pca_components = 5;
  const auto proto = cimpute::CompletionProtocol::parse("unseen-perturbation:5");
  const auto score = [&](const std::string& name) {
    return cimpute::run_protocol(cimpute::make_completion_method<double>(name, setup), t, proto, "",
                                 1)
        .scores.r2;
  };
  const double mean = score("training-mean"), ntk = score("ntk"), linear = score("linear");
  INFO("training-mean " << mean << ", linear " << linear << ", ntk " << ntk);
  CHECK(linear > mean + 0.05);
  CHECK(ntk > mean + 0.05);
  CHECK(score("no-change") < mean);
}

TEST_CASE("completion_response_scores is score_responses context by context",
          "[completion][metrics]") {
  const Tensor t = knockdowns(10, 2, 8, 9);
  const auto ev = cimpute::unseen_perturbation_folds(
      cimpute::MeanCompletion<double>(cimpute::MeanKind::TwoWay), t, 5, 3);
  const auto got = cimpute::completion_response_scores(ev, t);
  REQUIRE(got.size() == ev.pairs.size());
  const auto target = cimpute::target_gene_columns(t);
  for (Eigen::Index c = 0; c < 2; ++c) {
    std::vector<Eigen::Index> rows;
    cimpute::ResponseScoreOptions opt;
    for (std::size_t i = 0; i < ev.pairs.size(); ++i)
      if (ev.pairs[i].context == c) {
        rows.push_back(Eigen::Index(i));
        opt.target_genes.push_back(target[std::size_t(ev.pairs[i].perturbation)]);
      }
    const Eigen::RowVectorXd zero = Eigen::RowVectorXd::Zero(8);
    const auto expect = cimpute::score_responses(ev.predictions(rows, Eigen::all),
                                                 ev.truths(rows, Eigen::all), zero, zero, opt);
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const auto& g = got[std::size_t(rows[k])];
      CHECK(g.pds == expect[k].pds);
      CHECK(g.pearson_delta == expect[k].pearson_delta);
      CHECK(g.mse == expect[k].mse);
    }
  }
  auto bad = ev;
  bad.truths.conservativeResize(bad.truths.rows() - 1, Eigen::NoChange);
  CHECK_THROWS_WITH(cimpute::completion_response_scores(bad, t),
                    Catch::Contains("completion_response_scores"));
}

TEST_CASE("summarize_response_runs: means and standard errors over runs", "[completion][metrics]") {
  cimpute::ResponseScores a, b;
  a.pds = 0.5;
  b.pds = 0.7;
  a.mse = b.mse = 2.0;
  const auto s = cimpute::summarize_response_runs({a, b});
  CHECK(s.runs == 2);
  CHECK(s.mean.pds == Approx(0.6));
  CHECK(s.standard_error.pds == Approx(0.1)); // sd 0.1414 / sqrt(2)
  CHECK(s.standard_error.mse == 0.0);
  CHECK(std::isnan(s.mean.des));
  CHECK(cimpute::needs_cells(cimpute::response_metric("des@20")));
  CHECK_FALSE(cimpute::needs_cells(cimpute::response_metric("pds")));
  CHECK_THROWS_WITH(cimpute::summarize_response_runs({}), Catch::Contains("no runs"));
}

TEST_CASE("no-change and the training-mean alias", "[completion][registry]") {
  const Tensor t = knockdowns(5, 2, 4, 10);
  const cimpute::TrainingSet<double> train(t, rows_where(t, [](const PairIndex&) { return true; }));
  const cimpute::CompletionSetup setup;
  auto none = cimpute::make_completion_method<double>("no-change", setup);
  none.fit(train);
  CHECK(none.predict({{4, 1}, {0, 0}}).isZero(0.0));
  CHECK(cimpute::is_completion_method("training-mean"));
  CHECK(cimpute::completion_method("training-mean").name == "context-mean");
  CHECK(cimpute::visit_completion_method<double>(
            "training-mean", "", [](const auto& m) { return m.name(); }) == "context-mean");
}

namespace {
// S single drugs s0..s(S-1) and every pair "si+sj" in C contexts; a pair's change is the sum of
// its singles' plus `interaction` times a fixed nonlinear term of them, plus noise.
Tensor drug_pairs(int S, int C, int G, double interaction, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  std::vector<Eigen::MatrixXd> single(std::size_t(C), Eigen::MatrixXd(S, G));
  for (auto& m : single)
    for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = n01(rng);
  std::vector<std::string> p, c, genes;
  for (int g = 0; g < G; ++g) genes.push_back("x" + std::to_string(g));
  std::vector<Eigen::RowVectorXd> rows;
  for (int ci = 0; ci < C; ++ci) {
    const Eigen::MatrixXd& y = single[std::size_t(ci)];
    for (int i = 0; i < S; ++i) {
      rows.push_back(y.row(i));
      p.push_back("s" + std::to_string(i));
      c.push_back("c" + std::to_string(ci));
    }
    for (int i = 0; i < S; ++i)
      for (int j = i + 1; j < S; ++j) {
        Eigen::RowVectorXd x = y.row(i) + y.row(j);
        x += interaction * (y.row(i).array() * y.row(j).array()).matrix();
        for (Eigen::Index g = 0; g < G; ++g) x[g] += 0.05 * n01(rng);
        rows.push_back(x);
        p.push_back("s" + std::to_string(i) + "+s" + std::to_string(j));
        c.push_back("c" + std::to_string(ci));
      }
  }
  Eigen::MatrixXd X(Eigen::Index(rows.size()), G);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(Eigen::Index(i)) = rows[i];
  return Tensor::from_signatures(X, p, c, genes);
}
} // namespace

TEST_CASE("combination_parts names the singles of A+B", "[completion][combinations]") {
  const Tensor t =
      Tensor::from_signatures(Eigen::MatrixXd::Ones(5, 2), {"A", "B", "A+B", "A+C", "B+A+B"},
                              {"c", "c", "c", "c", "c"}, {"g1", "g2"});
  const auto parts = cimpute::combination_parts(t);
  CHECK(parts[0].empty());
  CHECK(parts[2] == std::vector<Eigen::Index>{0, 1});
  CHECK(parts[3].empty()); // C is no perturbation of the data
  CHECK(parts[4] == std::vector<Eigen::Index>{1, 0, 1});
  CHECK(cimpute::combination_parts(t, "|")[2].empty());
  CHECK_THROWS_WITH(cimpute::combination_parts(t, ""), Catch::Contains("empty separator"));
  Eigen::MatrixXd f(5, 2);
  f << 1, 2, 10, 20, 0, 0, 5, 5, 0, 0;
  cimpute::sum_combination_rows(f, parts);
  CHECK(f.row(2) == Eigen::RowVector2d(11, 22));
  CHECK(f.row(3) == Eigen::RowVector2d(5, 5)); // its own row stays
  CHECK(f.row(4) == Eigen::RowVector2d(21, 42));
}

TEST_CASE("AdditiveCompletion and unseen_combination_folds", "[completion][combinations]") {
  const Tensor t = drug_pairs(6, 2, 5, 0.0, 11);
  // Every combination alone: 15 per context, held out of both contexts at once.
  Spy spy;
  const auto ev = cimpute::unseen_combination_folds(spy, t, 0, 1);
  CHECK(*spy.violations == 0);
  CHECK(*spy.fits == 15);
  CHECK(ev.pairs.size() == 30);
  const auto parts = cimpute::combination_parts(t);
  for (const auto& p : ev.pairs) CHECK_FALSE(parts[std::size_t(p.perturbation)].empty());
  // K folds, through the parser.
  const auto proto = cimpute::CompletionProtocol::parse("unseen-combination:3");
  CHECK(proto.is_random());
  CHECK_FALSE(cimpute::CompletionProtocol::parse("unseen-combination").is_random());
  Spy spy3;
  CHECK(cimpute::run_protocol(spy3, t, proto, "", 5).pairs.size() == 30);
  CHECK(*spy3.fits == 3);
  CHECK(*spy3.violations == 0);
  // The additive model reproduces additive pairs up to the noise (0.05 per gene).
  const auto add =
      cimpute::unseen_combination_folds(cimpute::AdditiveCompletion<double>(), t, 0, 1);
  CHECK((add.predictions - add.truths).cwiseAbs().maxCoeff() < 0.3);
  CHECK(add.scores.r2 > 0.99);
  // A pair that is no combination gets the context mean.
  cimpute::AdditiveCompletion<double> a;
  a.fit(cimpute::TrainingSet<double>(t, rows_where(t, [](const PairIndex&) { return true; })));
  const cimpute::TrainingSet<double> all(t, rows_where(t, [](const PairIndex&) { return true; }));
  CHECK((a.predict({{0, 1}}).row(0) - all.mean_of(all.context_rows(1))).norm() < 1e-12);
  CHECK(a.name() == "additive");
  const Tensor singles = knockdowns(5, 2, 4, 12);
  CHECK_THROWS_WITH(cimpute::unseen_combination_folds(spy, singles, 0, 1),
                    Catch::Contains("no perturbation is a combination"));
  CHECK_THROWS_WITH(cimpute::unseen_combination_folds(spy, t, 1, 1),
                    Catch::Contains("folds must be 0"));
}

TEST_CASE("signature features: a pair is the sum of its singles' training signatures",
          "[completion][combinations]") {
  const Tensor t = drug_pairs(4, 1, 6, 0.5, 13);
  std::vector<Eigen::Index> rows = rows_where(t, [](const PairIndex&) { return true; });
  rows.pop_back(); // s2+s3 is not in training; its features come from its singles anyway
  const cimpute::TrainingSet<double> train(t, rows);
  const Eigen::MatrixXd e = cimpute::signature_perturbation_features(train);
  const auto parts = cimpute::combination_parts(t);
  Eigen::MatrixXd raw = Eigen::MatrixXd::Zero(t.num_perturbations(), 6);
  for (Eigen::Index p = 0; p < 4; ++p) raw.row(p) = t.observed().row(p); // the singles' rows
  for (Eigen::Index p = 4; p < t.num_perturbations(); ++p)
    for (Eigen::Index q : parts[std::size_t(p)]) raw.row(p) += raw.row(q);
  CHECK((e - cimpute::unit_rms_rows(raw)).norm() < 1e-12);
}

TEST_CASE("ntk on the singles' signatures predicts unseen pairs with an interaction",
          "[completion][combinations]") {
  // Pairs are additive plus a product term: the additive model misses it, the kernel on the
  // singles' signatures can learn part of it from the other pairs.
  const Tensor t = drug_pairs(12, 1, 8, 0.6, 14);
  cimpute::CompletionSetup setup;
  setup.new_perturbations = true;
  setup.perturbation_features.signatures = true;
  const auto proto = cimpute::CompletionProtocol::parse("unseen-combination:5");
  const auto r2 = [&](const std::string& name) {
    return cimpute::run_protocol(cimpute::make_completion_method<double>(name, setup), t, proto, "",
                                 1)
        .scores.r2;
  };
  const double mean = r2("training-mean"), add = r2("additive"), ntk = r2("ntk");
  INFO("training-mean " << mean << ", additive " << add << ", ntk " << ntk);
  CHECK(add > mean);
  CHECK(ntk > mean);
}

TEST_CASE("predicted_cells shifts each context's control cells by the pair's change",
          "[unseen][cells]") {
  // 3 genes; context A: control cells a0, a1 and a knock-out cell; context B: control cell b0.
  cimpute::ProfileGroups<double> g;
  Eigen::MatrixXd x(3, 4);
  x << 1, 2, 9, 5, //
      3, 4, 9, 6,  //
      0, 1, 9, 7;
  g.profiles = cimpute::LabeledMatrix<double>(x, {"g1", "g2", "g3"}, {"a0", "a1", "k", "b0"});
  const std::vector<std::pair<const char*, const char*>> labels = {
      {"ctrl", "A"}, {"ctrl", "A"}, {"KO", "A"}, {"ctrl", "B"}};
  for (const auto& [p, c] : labels)
    g.pair.push_back({g.perturbations.intern(p), g.contexts.intern(c)});
  // Changes of two pairs with the genes in another order (rows found by id).
  Eigen::MatrixXd d(3, 2);
  d << 0.5, -1, //
      0.25, 2,  //
      0, 4;
  cimpute::MetadataTable meta(2);
  meta.add_field("perturbation", {"NEW", "NEW"});
  meta.add_field("context", {"B", "A"});
  const cimpute::LabeledMatrix<double> change(d, {"g3", "g1", "g2"}, {"NEW:B", "NEW:A"},
                                              cimpute::MetadataTable(3), meta);
  cimpute::CellPredictionOptions opt;
  opt.perturbation_field = "target";
  const auto cells = cimpute::predicted_cells(g, "ctrl", change, opt);
  REQUIRE(cells.row_ids() == std::vector<std::string>{"g3", "g1", "g2"});
  // Control cells of B then A (first use), then NEW:B (b0), then NEW:A (a0, a1).
  REQUIRE(cells.col_ids() ==
          std::vector<std::string>{"b0", "a0", "a1", "NEW:B:b0", "NEW:A:a0", "NEW:A:a1"});
  Eigen::MatrixXd expect(3, 6);
  expect << 7, 0, 1, 7.5, -1, 0, //
      5, 1, 2, 5.25, 3, 4,       //
      6, 3, 4, 6, 7, 8;
  CHECK(cells.data() == expect);
  CHECK(cells.col_meta().field("target") ==
        std::vector<std::string>{"ctrl", "ctrl", "ctrl", "NEW", "NEW", "NEW"});
  CHECK(cells.col_meta().field("context") ==
        std::vector<std::string>{"B", "A", "A", "B", "A", "A"});
  CHECK(cells.col_meta().field("source_cell") ==
        std::vector<std::string>{"b0", "a0", "a1", "b0", "a0", "a1"});
  opt.include_control = false;
  CHECK(cimpute::predicted_cells(g, "ctrl", change, opt).cols() == 3);

  // Bad input: each names what is wrong.
  CHECK_THROWS_WITH(cimpute::predicted_cells(g, "DMSO", change),
                    Catch::Contains("context 'B' of 'NEW:B' has no 'DMSO' cells"));
  const cimpute::LabeledMatrix<double> other(d, {"g3", "g1", "g9"}, {"NEW:B", "NEW:A"},
                                             cimpute::MetadataTable(3), meta);
  CHECK_THROWS_WITH(cimpute::predicted_cells(g, "ctrl", other), Catch::Contains("gene 'g9'"));
  Eigen::MatrixXd bad = d;
  bad(1, 1) = std::nan("");
  const cimpute::LabeledMatrix<double> nan(bad, {"g3", "g1", "g2"}, {"NEW:B", "NEW:A"},
                                           cimpute::MetadataTable(3), meta);
  CHECK_THROWS_WITH(cimpute::predicted_cells(g, "ctrl", nan),
                    Catch::Contains("'NEW:A' is not finite at gene 'g1'"));
  const cimpute::LabeledMatrix<double> bare(d, {"g3", "g1", "g2"}, {"NEW:B", "NEW:A"});
  CHECK_THROWS_WITH(cimpute::predicted_cells(g, "ctrl", bare),
                    Catch::Contains("no column field 'perturbation'"));
}
