#include "test_data.hpp"

#include <cimpute/core/perturbation_tensor.hpp>
#include <cimpute/core/robust_zscore.hpp>
#include <cimpute/core/tensor3.hpp>
#include <cimpute/core/tensor_transforms.hpp>
#include <cimpute/discovery/interventional_data.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_map>

using cimpute::MissingValues;
using cimpute::PerturbationTensor;
using cimpute::Tensor3;

namespace {
// A planted design: 3 contexts x 4 perturbations (ctrl + 3), with (p2, c1) missing, 2-3 samples
// per pair; sample = base(c) + effect(p) + noise.
template <class Scalar>
struct Planted {
  using M = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  M samples;
  std::vector<std::string> pert, ctx, genes{"g1", "g2", "g3", "g4", "g5"};
  explicit Planted(unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 0.1);
    const char* ps[] = {"ctrl", "p1", "p2", "p3"};
    const char* cs[] = {"c0", "c1", "c2"};
    std::vector<std::vector<double>> rows;
    for (int c = 0; c < 3; ++c)
      for (int p = 0; p < 4; ++p) {
        if (p == 2 && c == 1) continue;
        const int reps = 2 + (p + c) % 2;
        for (int r = 0; r < reps; ++r) {
          std::vector<double> x(5);
          for (int g = 0; g < 5; ++g) x[std::size_t(g)] = 10.0 + c + 0.5 * p * (g + 1) + noise(rng);
          rows.push_back(x);
          pert.push_back(ps[p]);
          ctx.push_back(cs[c]);
        }
      }
    samples.resize(Eigen::Index(rows.size()), 5);
    for (std::size_t i = 0; i < rows.size(); ++i)
      for (int g = 0; g < 5; ++g) samples(Eigen::Index(i), g) = Scalar(rows[i][std::size_t(g)]);
  }
};
} // namespace

TEMPLATE_TEST_CASE("PerturbationTensor: aggregation is the per-pair mean", "[core][tensor]", float,
                   double) {
  const unsigned seed = 42;
  INFO("seed " << seed);
  Planted<TestType> d(seed);
  auto t = PerturbationTensor<TestType>::from_samples(d.samples, d.pert, d.ctx, d.genes);
  CHECK(t.num_perturbations() == 4);
  CHECK(t.num_contexts() == 3);
  CHECK(t.num_samples() == d.samples.rows());
  CHECK_FALSE(t.has_signatures());
  auto a = t.aggregated();
  CHECK(a.num_observed() == 11);
  const auto p2 = a.perturbations().index("p2"), c1 = a.contexts().index("c1");
  CHECK_FALSE(a.is_observed(p2, c1));
  CHECK_FALSE(a.mask()(p2, c1));
  CHECK(a.mask().count() == 11);
  // Independent mean for (p3, c2).
  Eigen::Matrix<TestType, 1, Eigen::Dynamic> sum =
      Eigen::Matrix<TestType, 1, Eigen::Dynamic>::Zero(5);
  int n = 0;
  for (Eigen::Index i = 0; i < d.samples.rows(); ++i)
    if (d.pert[std::size_t(i)] == "p3" && d.ctx[std::size_t(i)] == "c2") {
      sum += d.samples.row(i);
      ++n;
    }
  const auto s = a.signature("p3", "c2");
  CHECK((s.transpose() - sum / TestType(n)).cwiseAbs().maxCoeff() <=
        cimpute_test::tol<TestType>() * 20);
  CHECK_THROWS_WITH(a.signature("p2", "c1"), Catch::Contains("not observed"));
}

TEST_CASE("PerturbationTensor: signatures relative to the control recover the planted effect",
          "[core][tensor]") {
  Planted<double> d(7);
  auto t = PerturbationTensor<double>::from_samples(d.samples, d.pert, d.ctx, d.genes).aggregated();
  CHECK_THROWS_AS(cimpute::relative_to_control(t), cimpute::logic_error); // no control yet
  t.set_control("ctrl");
  const auto s = cimpute::relative_to_control(t);
  CHECK(s.num_observed() == 8); // 11 pairs minus 3 controls
  for (const auto& pc : s.observed_pairs()) {
    const double p = double(pc.perturbation); // label order ctrl,p1,p2,p3 = 0..3
    const auto sig = s.observed().row(s.pair_index(pc.perturbation, pc.context));
    for (int g = 0; g < 5; ++g) CHECK(std::abs(sig(g) - 0.5 * p * (g + 1)) < 0.35);
  }
  // log2 fold change against an independent formula.
  cimpute::SignatureOptions o;
  o.kind = cimpute::SignatureKind::Log2FoldChange;
  o.pseudocount = 1.0;
  const auto l = cimpute::relative_to_control(t, o);
  const auto x = t.signature("p1", "c0"), c = t.signature("ctrl", "c0");
  for (int g = 0; g < 5; ++g)
    CHECK(l.signature("p1", "c0")(g) ==
          Approx(std::log2(x(g) + 1.0) - std::log2(c(g) + 1.0)).epsilon(1e-12));
  o.pseudocount = -1;
  CHECK_THROWS_AS(cimpute::relative_to_control(t, o), cimpute::invalid_argument);
  o.pseudocount = 0;
  o.keep_controls = true;
  CHECK(cimpute::relative_to_control(t, o).signature("ctrl", "c2").cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("PerturbationTensor: dense unfolding and its inverse", "[core][tensor]") {
  Planted<double> d(3);
  const auto t =
      PerturbationTensor<double>::from_samples(d.samples, d.pert, d.ctx, d.genes).aggregated();
  const auto T = t.dense();
  CHECK(T.dim(0) == 4);
  CHECK(T.dim(1) == 5);
  CHECK(T.dim(2) == 3);
  CHECK(T.vec().array().isNaN().count() == 5); // exactly one unobserved fibre
  const auto back = PerturbationTensor<double>::from_dense(T, t.perturbations().ids(),
                                                           t.contexts().ids(), t.features().ids());
  CHECK(back.num_observed() == t.num_observed());
  for (const auto& pc : t.observed_pairs())
    CHECK(back.signature(pc.perturbation, pc.context) == t.signature(pc.perturbation, pc.context));
  auto partial = T;
  partial(0, 2, 0) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(PerturbationTensor<double>::from_dense(partial, t.perturbations().ids(),
                                                           t.contexts().ids(), t.features().ids()),
                    Catch::Contains("NaN"));
  CHECK_NOTHROW(PerturbationTensor<double>::from_dense(partial, t.perturbations().ids(),
                                                       t.contexts().ids(), t.features().ids(),
                                                       MissingValues::Allow));
  // Slices agree with the dense tensor.
  const auto cs = t.context_slice(1);
  CHECK(cs.labels.size() == 3);
  for (std::size_t k = 0; k < cs.labels.size(); ++k)
    CHECK(cs.values.row(Eigen::Index(k)) == T.slice(1).row(cs.labels[k]));
  const auto ps = t.perturbation_slice(2);
  CHECK(ps.labels == std::vector<Eigen::Index>{0, 2});
}

TEMPLATE_TEST_CASE("Tensor3: fold(unfold) is the identity in every mode", "[core][tensor3]", float,
                   double) {
  Tensor3<TestType> t(3, 4, 2);
  for (Eigen::Index i = 0; i < t.size(); ++i) t.vec()[i] = TestType(i);
  for (int n = 0; n < 3; ++n) {
    const auto U = t.unfold(n);
    CHECK(U.rows() == t.dim(n));
    CHECK(U.cols() == 24 / t.dim(n));
    CHECK(Tensor3<TestType>::fold(n, U, 3, 4, 2).vec() == t.vec());
  }
  // Kolda-Bader column order: entry (i,j,k) of mode 1 sits at column i + I*k; of mode 2 at i + I*j.
  CHECK(t.unfold(1)(2, 1 + 3 * 1) == t(1, 2, 1));
  CHECK(t.unfold(2)(1, 2 + 3 * 3) == t(2, 3, 1));
  CHECK_THROWS_AS(Tensor3<TestType>::fold(1, t.unfold(0), 3, 4, 2), cimpute::invalid_argument);
}

TEST_CASE("setting_blocks and interventional_data: the discovery view of a tensor",
          "[core][tensor][discovery]") {
  Planted<double> d(5);
  auto t = PerturbationTensor<double>::from_samples(d.samples, d.pert, d.ctx, d.genes);
  CHECK_THROWS_AS(cimpute::setting_blocks(t, 0), cimpute::logic_error); // no control yet
  CHECK_THROWS_AS(cimpute::setting_blocks(t, 7), cimpute::invalid_argument);
  t.set_control("ctrl");
  const Eigen::Index c1 = t.contexts().index("c1");
  const auto b = cimpute::setting_blocks(t, c1);
  CHECK(b.perturbations.size() == 2); // p2 is unobserved in c1
  // Every sample of c1 lands in exactly one block, with its own values.
  Eigen::Index total = b.control.rows();
  for (const auto& m : b.blocks) total += m.rows();
  Eigen::Index expected = 0;
  for (const auto& c : d.ctx) expected += c == "c1";
  CHECK(total == expected);
  std::vector<Eigen::Index> first_p1;
  for (std::size_t i = 0; i < d.ctx.size(); ++i)
    if (d.ctx[i] == "c1" && d.pert[i] == "p1") first_p1.push_back(Eigen::Index(i));
  REQUIRE(t.perturbations()[b.perturbations[0]] == "p1");
  CHECK(b.blocks[0].row(0) == d.samples.row(first_p1.front()));
  // As discovery input: the controls are observational; a perturbation named after a feature
  // (here p3, renamed to gene g2) targets it, the others have unknown targets.
  auto renamed = d.pert;
  for (auto& p : renamed)
    if (p == "p3") p = d.genes[2];
  auto k = PerturbationTensor<double>::from_samples(d.samples, renamed, d.ctx, d.genes);
  k.set_control("ctrl");
  const auto data = cimpute::interventional_data(k, k.contexts().index("c0"));
  CHECK(data.variables == d.genes);
  CHECK(data.observational_settings == std::vector<std::string>{"ctrl"});
  REQUIRE(data.setting_names.size() == data.targets.size());
  for (std::size_t s = 0; s < data.setting_names.size(); ++s) {
    INFO(data.setting_names[s]);
    if (data.setting_names[s] == d.genes[2])
      CHECK(data.targets[s] == std::vector<int>{2});
    else
      CHECK(data.targets[s].empty());
  }
}

TEST_CASE("robust_zscore_by_plate z-scores each plate on its own", "[core][tensor][zscore]") {
  Planted<double> d(4);
  const auto t = PerturbationTensor<double>::from_samples(d.samples, d.pert, d.ctx, d.genes);
  std::vector<std::string> plate(d.ctx.size());
  for (std::size_t i = 0; i < plate.size(); ++i) plate[i] = i % 3 == 0 ? "P1" : "P2";
  const auto z = cimpute::robust_zscore_by_plate(t, plate, 0.05);
  CHECK_FALSE(z.has_signatures());
  CHECK(z.sample_perturbations() == t.sample_perturbations());
  for (const std::string name : {"P1", "P2"}) {
    std::vector<Eigen::Index> rows;
    for (std::size_t i = 0; i < plate.size(); ++i)
      if (plate[i] == name) rows.push_back(Eigen::Index(i));
    const Eigen::MatrixXd expected =
        cimpute::robust_zscore(Eigen::MatrixXd(d.samples(rows, Eigen::all).transpose()), 0.05);
    CHECK((z.samples()(rows, Eigen::all).transpose() - expected).cwiseAbs().maxCoeff() == 0.0);
  }
  CHECK_THROWS_WITH(cimpute::robust_zscore_by_plate(t, {"P1"}),
                    Catch::Contains("1 plate labels for"));
}

TEST_CASE("PerturbationTensor::with_data keeps the labels and validates the new values",
          "[core][tensor]") {
  Planted<double> d(6);
  auto t = PerturbationTensor<double>::from_samples(d.samples, d.pert, d.ctx, d.genes).aggregated();
  t.set_control("ctrl");
  const Eigen::MatrixXd sig = Eigen::MatrixXd::Ones(2, 5);
  const std::vector<cimpute::PairIndex> pairs{{1, 0}, {2, 1}};
  const auto w = t.with_data({}, sig, pairs);
  CHECK(w.perturbations().ids() == t.perturbations().ids());
  CHECK(w.contexts().ids() == t.contexts().ids());
  CHECK(w.control(0) == t.control(0));
  CHECK_FALSE(w.has_samples());
  CHECK(w.num_observed() == 2);
  CHECK(w.is_observed(2, 1));
  CHECK_THROWS_WITH(t.with_data({}, sig, {{1, 0}}), Catch::Contains("2 signatures for 1 pairs"));
  CHECK_THROWS_WITH(t.with_data({}, sig, {{1, 0}, {1, 0}}), Catch::Contains("appears twice"));
  CHECK_THROWS_WITH(t.with_data({}, sig, {{9, 0}, {1, 0}}), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(t.with_data(Eigen::MatrixXd::Zero(3, 5), sig, pairs),
                    Catch::Contains("3 sample rows"));
  Eigen::MatrixXd bad = sig;
  bad(0, 0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(t.with_data({}, bad, pairs), Catch::Contains("infinite"));
  CHECK_THROWS_WITH(t.set_feature_ids({"a"}), Catch::Contains("1 ids for 5 features"));
}

TEST_CASE("PerturbationTensor: bad input is rejected with a precise message", "[core][tensor]") {
  Eigen::MatrixXd x = Eigen::MatrixXd::Ones(2, 3);
  CHECK_THROWS_WITH(
      PerturbationTensor<double>::from_signatures(x, {"a", "a"}, {"c", "c"}, {"g1", "g2", "g3"}),
      Catch::Contains("(a, c) appears twice"));
  CHECK_THROWS_WITH(
      PerturbationTensor<double>::from_signatures(x, {"a"}, {"c", "c"}, {"g1", "g2", "g3"}),
      Catch::Contains("1 perturbation labels for 2 rows"));
  CHECK_THROWS_WITH(
      PerturbationTensor<double>::from_signatures(x, {"a", "b"}, {"c", "c"}, {"g1", "g2", "g2"}),
      Catch::Contains("duplicate feature id 'g2'"));
  x(1, 2) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(
      PerturbationTensor<double>::from_signatures(x, {"a", "b"}, {"c", "c"}, {"g1", "g2", "g3"}),
      Catch::Contains("NaN at row 1, column 2"));
  CHECK_NOTHROW(PerturbationTensor<double>::from_signatures(
      x, {"a", "b"}, {"c", "c"}, {"g1", "g2", "g3"}, MissingValues::Allow));
  x(1, 2) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(PerturbationTensor<double>::from_signatures(
                        x, {"a", "b"}, {"c", "c"}, {"g1", "g2", "g3"}, MissingValues::Allow),
                    Catch::Contains("infinite"));
}

TEST_CASE("PerturbationTensor: feature selection and renaming", "[core][tensor]") {
  Eigen::MatrixXd x(2, 3);
  x << 1, 2, 3, 4, 5, 6;
  auto t = PerturbationTensor<double>::from_signatures(x, {"a", "b"}, {"c", "c"}, {"7", "8", "9"});
  const auto s = t.select_features({"9", "7"});
  CHECK(s.signature("b", "c") == Eigen::Vector2d(6, 4));
  CHECK_THROWS_WITH(t.select_features({"10"}), Catch::Contains("'10'"));
  const auto r = cimpute::rename_features(t, {{"7", "TP53"}, {"9", "MYC"}}, true);
  CHECK(r.features().ids() == std::vector<std::string>{"TP53", "MYC"});
  CHECK(r.signature("a", "c") == Eigen::Vector2d(1, 3));
  CHECK_THROWS_WITH(cimpute::rename_features(t, {{"7", "TP53"}}),
                    Catch::Contains("'8' has no mapping"));
  CHECK_THROWS_AS(cimpute::rename_features(t, {{"7", "X"}, {"8", "X"}, {"9", "Y"}}),
                  cimpute::invalid_argument);
}

TEMPLATE_TEST_CASE("robust_zscore agrees with a sort-based reference", "[core][zscore]", float,
                   double) {
  const unsigned seed = 11;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::lognormal_distribution<double> dist(0, 1);
  Eigen::Matrix<TestType, Eigen::Dynamic, Eigen::Dynamic> X(6, 9);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = TestType(dist(rng));
  X.row(5).setConstant(TestType(3)); // MAD 0: the floor applies
  const auto Z = cimpute::robust_zscore(X, TestType(0.1));
  for (Eigen::Index g = 0; g < X.rows(); ++g) {
    std::vector<double> v(X.row(g).data(), X.row(g).data() + 0);
    for (Eigen::Index j = 0; j < X.cols(); ++j) v.push_back(double(X(g, j)));
    std::sort(v.begin(), v.end());
    const double med = v[4];
    std::vector<double> dv;
    for (Eigen::Index j = 0; j < X.cols(); ++j) dv.push_back(std::abs(double(X(g, j)) - med));
    std::sort(dv.begin(), dv.end());
    const double scale = 1.4826 * std::max(dv[4], 0.1);
    for (Eigen::Index j = 0; j < X.cols(); ++j)
      CHECK(double(Z(g, j)) == Approx((double(X(g, j)) - med) / scale)
                                   .epsilon(cimpute_test::tol<TestType>(1000))
                                   .margin(cimpute_test::tol<TestType>(1000)));
  }
  CHECK(Z.row(5).cwiseAbs().maxCoeff() == TestType(0));
  CHECK(cimpute::nan_median(Eigen::Vector4d(4, 1, std::nan(""), 2)) == 2.0);
  CHECK(cimpute::nan_median(Eigen::Vector4d(4, 1, 3, 2)) == 2.5);
}

TEST_CASE("PerturbationTensor: concatenation unions labels and keeps every pair",
          "[core][tensor]") {
  Planted<double> d(9);
  const auto full = PerturbationTensor<double>::from_samples(d.samples, d.pert, d.ctx, d.genes);
  // Split the samples into control and non-control halves, rebuild, and compare.
  std::vector<Eigen::Index> ci, ti;
  for (std::size_t i = 0; i < d.pert.size(); ++i)
    (d.pert[i] == "ctrl" ? ci : ti).push_back(Eigen::Index(i));
  auto part = [&](const std::vector<Eigen::Index>& idx) {
    Eigen::MatrixXd x(Eigen::Index(idx.size()), 5);
    std::vector<std::string> p, c;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      x.row(Eigen::Index(k)) = d.samples.row(idx[k]);
      p.push_back(d.pert[std::size_t(idx[k])]);
      c.push_back(d.ctx[std::size_t(idx[k])]);
    }
    return PerturbationTensor<double>::from_samples(x, p, c, d.genes).aggregated();
  };
  auto ctrl = part(ci);
  ctrl.set_control("ctrl");
  const auto both = PerturbationTensor<double>::concatenate(part(ti), ctrl);
  const auto ref = full.aggregated();
  CHECK(both.num_observed() == ref.num_observed());
  CHECK(both.num_samples() == ref.num_samples());
  for (const auto& pc : ref.observed_pairs()) {
    const auto& pn = ref.perturbations()[pc.perturbation];
    const auto& cn = ref.contexts()[pc.context];
    CHECK((both.signature(pn, cn) - ref.signature(pn, cn)).cwiseAbs().maxCoeff() < 1e-12);
  }
  CHECK(both.perturbations()[both.control(0)] == "ctrl");
  CHECK_THROWS_WITH(PerturbationTensor<double>::concatenate(ctrl, ctrl),
                    Catch::Contains("appears twice"));
  CHECK_THROWS_AS(PerturbationTensor<double>::concatenate(ctrl, ctrl.select_features({"g2", "g1"})),
                  cimpute::invalid_argument);
}

TEST_CASE("id_mapping and align_features by id and by symbol", "[core][tensor]") {
  const auto map = cimpute::id_mapping({"1", "2", "2", "-666"}, {"A", "B", "B", "C"});
  CHECK(map.size() == 2);
  CHECK_THROWS_WITH(cimpute::id_mapping({"1", "1"}, {"A", "B"}),
                    Catch::Contains("'1' maps to both 'A' and 'B'"));
  Eigen::MatrixXd x(1, 3), y(1, 2);
  x << 1, 2, 3;
  y << 20, 30;
  auto a = PerturbationTensor<double>::from_signatures(x, {"p"}, {"c"}, {"1", "2", "3"});
  auto b = PerturbationTensor<double>::from_signatures(y, {"q"}, {"c"}, {"e3", "e2"});
  CHECK_THROWS_WITH(cimpute::align_features(a, b), Catch::Contains("share no feature id"));
  a.set_feature_symbols({"A", "B", "C"});
  b.set_feature_symbols({"C", "B"});
  const auto [a2, b2] = cimpute::align_features(a, b, cimpute::AlignBy::Symbol);
  CHECK(a2.features().ids() == std::vector<std::string>{"2", "3"});
  CHECK(b2.features().ids() == std::vector<std::string>{"e2", "e3"});
  CHECK(b2.signature("q", "c") == Eigen::Vector2d(30, 20));
  b.set_feature_symbols({"B", "B"});
  CHECK_THROWS_WITH(cimpute::align_features(a, b, cimpute::AlignBy::Symbol),
                    Catch::Contains("duplicate feature symbol 'B'"));
}

TEST_CASE("PerturbationTensor::with_labels re-indexes onto a superset of labels",
          "[core][tensor]") {
  Eigen::MatrixXd X(3, 2);
  X << 1, 2, 3, 4, 5, 6;
  auto t = cimpute::PerturbationTensor<double>::from_signatures(X, {"b", "ctrl", "a"},
                                                                {"c1", "c1", "c2"}, {"g1", "g2"});
  t.set_control("c1", "ctrl");
  const auto u = t.with_labels({"a", "x", "ctrl", "b"}, {"c0", "c2", "c1"});
  CHECK(u.num_perturbations() == 4);
  CHECK(u.num_contexts() == 3);
  CHECK(u.num_observed() == 3);
  CHECK(u.observed().row(u.pair_index(3, 2)) == X.row(0)); // (b, c1)
  CHECK(u.observed().row(u.pair_index(0, 1)) == X.row(2)); // (a, c2)
  CHECK(u.pair_index(1, 0) < 0);
  CHECK(u.control(2) == 2); // ctrl in c1
  CHECK(u.control(0) == -1);
  CHECK_THROWS_WITH(t.with_labels({"a", "b"}, {"c1", "c2"}),
                    Catch::Contains("perturbation 'ctrl' is not among the new labels"));
}
