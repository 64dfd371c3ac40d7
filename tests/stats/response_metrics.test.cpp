// Response metrics (issue 32 part 1), each against an independent computation written out here:
// Benjamini-Hochberg against its definition and R's p.adjust; the sorted-reference rank-sum test
// against the pooled-sort one; energy distances against double loops over cell pairs, the E-test
// against the exact enumeration of labellings; the per-perturbation scores against direct
// formulas, pds against a brute-force rank; des on planted DE genes; the challenge's summary.
#include "test_data.hpp"

#include <cimpute/stats/response_metrics.hpp>

#include <cmath>
#include <random>
#include <set>

namespace {
// Zero-inflated counts (log1p-transformed): heavy ties at 0 and among small integers.
Eigen::MatrixXd counts(Eigen::Index n, Eigen::Index g, double rate, std::mt19937_64& rng,
                       const Eigen::VectorXd* gene_rates = nullptr) {
  Eigen::MatrixXd x(n, g);
  for (Eigen::Index j = 0; j < g; ++j) {
    std::poisson_distribution<int> pois(gene_rates ? (*gene_rates)[j] : rate);
    for (Eigen::Index i = 0; i < n; ++i) x(i, j) = std::log1p(double(pois(rng)));
  }
  return x;
}
} // namespace

TEST_CASE("benjamini_hochberg: R's p.adjust and the definition", "[stats][metrics]") {
  const Eigen::VectorXd p = (Eigen::VectorXd(4) << 0.01, 0.04, 0.03, 0.005).finished();
  const Eigen::VectorXd q = cimpute::benjamini_hochberg(p);
  // p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") in R: 0.02 0.04 0.04 0.02
  CHECK(q[0] == Approx(0.02));
  CHECK(q[1] == Approx(0.04));
  CHECK(q[2] == Approx(0.04));
  CHECK(q[3] == Approx(0.02));
  // The definition q_i = min over p_j >= p_i of min(1, m p_j / rank_j), ranks with ties broken
  // by position, on random p-values with ties.
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> u(0, 40);
  Eigen::VectorXd r(60);
  for (Eigen::Index i = 0; i < r.size(); ++i) r[i] = u(rng) / 40.0;
  const Eigen::VectorXd qr = cimpute::benjamini_hochberg(r);
  for (Eigen::Index i = 0; i < r.size(); ++i) {
    double best = 1.0;
    for (Eigen::Index j = 0; j < r.size(); ++j) {
      if (r[j] < r[i]) continue;
      Eigen::Index rank = 0; // 1-based rank of j in the stable ascending order
      for (Eigen::Index k = 0; k < r.size(); ++k)
        if (r[k] < r[j] || (r[k] == r[j] && k <= j)) ++rank;
      best = std::min(best, double(r.size()) * r[j] / double(rank));
    }
    CHECK(qr[i] == Approx(best).epsilon(1e-14));
  }
  const Eigen::VectorXd bad = (Eigen::VectorXd(2) << 0.5, 1.5).finished();
  CHECK_THROWS_WITH(cimpute::benjamini_hochberg(bad), Catch::Contains("p-value 1 is 1.5"));
}

TEST_CASE("RankSumReference equals wilcoxon_rank_sum on tied data", "[stats][metrics]") {
  std::mt19937_64 rng(11);
  for (const double rate : {0.05, 0.4, 3.0})
    for (const Eigen::Index nx : {1, 2, 7, 100})
      for (const Eigen::Index ny : {1, 3, 50, 400}) {
        const Eigen::MatrixXd x = counts(nx, 1, rate, rng), y = counts(ny, 1, rate * 1.5, rng);
        const cimpute::RankSumReference ref(y.col(0));
        const auto a = ref.test(x.col(0));
        const auto b = cimpute::wilcoxon_rank_sum(x.col(0), y.col(0));
        CHECK(a.u == b.u);
        CHECK(a.z == b.z);
        CHECK(a.p_value == b.p_value);
      }
  // Values beyond both ends of the reference.
  const Eigen::VectorXd y = (Eigen::VectorXd(3) << 1.0, 2.0, 2.0).finished();
  const Eigen::VectorXd x = (Eigen::VectorXd(4) << -1.0, 2.0, 5.0, 5.0).finished();
  const auto a = cimpute::RankSumReference(y).test(x);
  const auto b = cimpute::wilcoxon_rank_sum(x, y);
  CHECK(a.u == b.u);
  CHECK(a.z == b.z);
  CHECK_THROWS_WITH(cimpute::RankSumReference(Eigen::VectorXd()), Catch::Contains("empty"));
}

TEST_CASE("energy_distance: every variant against double loops; E-test against enumeration",
          "[stats][metrics]") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n01;
  Eigen::MatrixXd x(9, 4), y(13, 4);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = n01(rng);
  for (Eigen::Index i = 0; i < y.size(); ++i) y.data()[i] = 0.7 + 1.3 * n01(rng);
  for (bool squared : {true, false})
    for (bool distinct : {true, false}) {
      cimpute::EnergyDistanceOptions o;
      o.squared = squared;
      o.distinct_pairs = distinct;
      auto d = [&](const Eigen::MatrixXd& a, Eigen::Index i, const Eigen::MatrixXd& b,
                   Eigen::Index j) {
        const double s = (a.row(i) - b.row(j)).squaredNorm();
        return squared ? s : std::sqrt(s);
      };
      auto within = [&](const Eigen::MatrixXd& a) {
        double sum = 0;
        for (Eigen::Index i = 0; i < a.rows(); ++i)
          for (Eigen::Index j = 0; j < a.rows(); ++j) sum += d(a, i, a, j);
        const double n = double(a.rows());
        return sum / (distinct ? n * (n - 1) : n * n);
      };
      double cross = 0;
      for (Eigen::Index i = 0; i < x.rows(); ++i)
        for (Eigen::Index j = 0; j < y.rows(); ++j) cross += d(x, i, y, j);
      cross /= double(x.rows() * y.rows());
      const double want = 2 * cross - within(x) - within(y);
      CAPTURE(o.name());
      CHECK(cimpute::energy_distance(x, y, o) == Approx(want).epsilon(1e-12));
      CHECK(cimpute::EnergyDistanceOptions::parse(o.name()).name() == o.name());
    }
  // E-test on 2 + 3 cells: 10 labellings, so the permutation p-value tends to the exact share of
  // labellings at least as extreme, (1 + #) / (1 + permutations).
  Eigen::MatrixXd a(2, 2), b(3, 2);
  a << 0, 0, 0.4, 0.1;
  b << 1.0, 1.2, 0.9, 0.8, 0.3, 0.2;
  Eigen::MatrixXd z(5, 2);
  z << a, b;
  const double observed = cimpute::energy_distance(a, b);
  int extreme = 0, total = 0;
  for (int i = 0; i < 5; ++i)
    for (int j = i + 1; j < 5; ++j) {
      Eigen::MatrixXd pa(2, 2), pb(3, 2);
      int k = 0;
      for (int r = 0; r < 5; ++r)
        if (r == i || r == j)
          continue;
        else
          pb.row(k++) = z.row(r);
      pa << z.row(i), z.row(j);
      extreme += cimpute::energy_distance(pa, pb) >= observed - 1e-12;
      ++total;
    }
  REQUIRE(total == 10);
  const auto t = cimpute::energy_test(a, b, 20000, 7);
  CHECK(t.distance == Approx(observed));
  CHECK(t.p_value == Approx(double(extreme) / total).margin(0.01));
  CHECK(cimpute::energy_test(a, b, 500, 7).p_value == cimpute::energy_test(a, b, 500, 7).p_value);
  // Far apart populations: no relabelling reaches the observed distance.
  const auto far = cimpute::energy_test(x, (y.array() + 10).matrix(), 99, 1);
  CHECK(far.p_value == Approx(0.01));
  CHECK_THROWS_WITH(cimpute::energy_distance(x.topRows(1), y), Catch::Contains("1 cells"));
  CHECK_THROWS_WITH(cimpute::energy_distance(x, y.leftCols(3)), Catch::Contains("features"));
  CHECK_THROWS_WITH(cimpute::EnergyDistanceOptions::parse("cosine"),
                    Catch::Contains("sqeuclidean-distinct"));
}

TEST_CASE("score_responses: direct formulas, pds by brute force, the target gene left out",
          "[stats][metrics]") {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> n01;
  const Eigen::Index P = 12, G = 40;
  Eigen::MatrixXd truth(P, G), pred(P, G);
  for (Eigen::Index i = 0; i < truth.size(); ++i) truth.data()[i] = n01(rng);
  for (Eigen::Index i = 0; i < pred.size(); ++i) pred.data()[i] = truth.data()[i] + n01(rng);
  Eigen::RowVectorXd tc(G), pc(G);
  for (Eigen::Index j = 0; j < G; ++j) tc[j] = 0.2 * n01(rng), pc[j] = 0.2 * n01(rng);
  const auto s = cimpute::score_responses(pred, truth, pc, tc);
  REQUIRE(s.size() == std::size_t(P));
  for (Eigen::Index p = 0; p < P; ++p) {
    double mae = 0, mse = 0, sa = 0, sb = 0, dot = 0, na = 0, nb = 0;
    for (Eigen::Index j = 0; j < G; ++j) {
      mae += std::abs(pred(p, j) - truth(p, j)) / G;
      mse += std::pow(pred(p, j) - truth(p, j), 2) / G;
      sa += pred(p, j) / G;
      sb += truth(p, j) / G;
      const double da = pred(p, j) - pc[j], db = truth(p, j) - tc[j];
      dot += da * db, na += da * da, nb += db * db;
    }
    double cab = 0, caa = 0, cbb = 0;
    for (Eigen::Index j = 0; j < G; ++j) {
      cab += (pred(p, j) - sa) * (truth(p, j) - sb);
      caa += std::pow(pred(p, j) - sa, 2);
      cbb += std::pow(truth(p, j) - sb, 2);
    }
    const auto& r = s[std::size_t(p)];
    CHECK(r.mae == Approx(mae).epsilon(1e-12));
    CHECK(r.mse == Approx(mse).epsilon(1e-12));
    CHECK(r.pearson == Approx(cab / std::sqrt(caa * cbb)).epsilon(1e-12));
    CHECK(r.cosine == Approx(dot / std::sqrt(na * nb)).epsilon(1e-12));
    CHECK(std::isnan(r.des));
    // pds: brute-force rank of p's own measurement among L1 distances.
    auto l1 = [&](Eigen::Index q) {
      double d = 0;
      for (Eigen::Index j = 0; j < G; ++j)
        d += std::abs((pred(p, j) - pc[j]) - (truth(q, j) - tc[j]));
      return d;
    };
    int closer = 0;
    for (Eigen::Index q = 0; q < P; ++q) closer += q != p && l1(q) < l1(p);
    CHECK(r.pds == Approx(1.0 - double(closer) / P));
  }
  // A perfect prediction: pds 1, pearson-delta 1, errors 0.
  const auto perfect = cimpute::score_responses(truth, truth, tc, tc);
  for (const auto& r : perfect) {
    CHECK(r.pds == 1.0);
    CHECK(r.pearson_delta == Approx(1.0));
    CHECK(r.pearson_delta_de20 == Approx(1.0));
    CHECK(r.mae == 0.0);
    CHECK(r.r2 == Approx(1.0));
  }
  // de20 on a planted set: only genes 0..19 change, the prediction is exact there and wrong
  // elsewhere, so pearson-delta-de20 is 1 while pearson-delta is not.
  Eigen::MatrixXd t2 = Eigen::MatrixXd::Zero(1, G), p2(1, G);
  for (Eigen::Index j = 0; j < G; ++j) t2(0, j) = j < 20 ? 5.0 + j : 0.01 * n01(rng);
  for (Eigen::Index j = 0; j < G; ++j) p2(0, j) = j < 20 ? t2(0, j) : 3 * n01(rng);
  const Eigen::RowVectorXd zero = Eigen::RowVectorXd::Zero(G);
  const auto de = cimpute::score_responses(p2, t2, zero, zero)[0];
  CHECK(de.pearson_delta_de20 == Approx(1.0));
  CHECK(de.mse_de20 == Approx(0.0).margin(1e-24));
  CHECK(de.pearson_delta < 0.99);
  // The target gene's column is left out of pds. Perturbation 0 knocks down gene 2; its
  // prediction misses gene 2's change, which perturbation 1's measurement happens to share.
  Eigen::MatrixXd t3(2, 3), p3(2, 3);
  t3 << 1, 0, 0, 0, 1, 9;
  p3 << 1, 0, 9, 0, 1, 9;
  const Eigen::RowVectorXd z3 = Eigen::RowVectorXd::Zero(3);
  cimpute::ResponseScoreOptions o;
  CHECK(cimpute::score_responses(p3, t3, z3, z3, o)[0].pds == 0.5); // L1 9 to its own, 2 to 1's
  o.target_genes = {2, -1};
  CHECK(cimpute::score_responses(p3, t3, z3, z3, o)[0].pds == 1.0); // without gene 2: 0 vs 2
  p3.row(0) << 0.4, 1.5, 9;                                         // 2.1 vs 0.9
  CHECK(cimpute::score_responses(p3, t3, z3, z3, o)[0].pds == 0.5);
  o.target_genes = {-1, 2};
  CHECK(cimpute::score_responses(p3, t3, z3, z3, o)[0].pds == 0.5); // 11.1 vs 0.9: still second
  // Bad input names what is wrong.
  Eigen::MatrixXd nan = truth;
  nan(3, 7) = std::nan("");
  CHECK_THROWS_WITH(cimpute::score_responses(nan, truth, tc, tc),
                    Catch::Contains("perturbation 3, gene 7"));
  CHECK_THROWS_WITH(cimpute::score_responses(pred.topRows(5), truth, tc, tc),
                    Catch::Contains("5 x 40"));
}

TEST_CASE("score_cell_responses: DE tests, des on planted genes, energy distances",
          "[stats][metrics]") {
  std::mt19937_64 rng(21);
  const Eigen::Index P = 3, G = 60, cells = 80, control = 200;
  Eigen::VectorXd base = Eigen::VectorXd::Constant(G, 2.0);
  auto population = [&](Eigen::Index p) { // perturbation p raises genes 10p .. 10p + 7 tenfold
    Eigen::VectorXd r = base;
    if (p >= 0) r.segment(10 * p, 8).array() *= 10.0;
    return r;
  };
  auto sample = [&](std::uint64_t seed) {
    std::mt19937_64 g(seed);
    cimpute::CellGroups c;
    c.cells.resize(control + P * cells, G);
    for (Eigen::Index p = -1; p < P; ++p) {
      const Eigen::Index first = p < 0 ? 0 : control + p * cells, n = p < 0 ? control : cells;
      const Eigen::VectorXd rates = population(p);
      c.cells.middleRows(first, n) = counts(n, G, 0, g, &rates);
      for (Eigen::Index i = 0; i < n; ++i) c.group.push_back(p);
    }
    return c;
  };
  const cimpute::CellGroups measured = sample(1), predicted = sample(2);
  cimpute::ResponseScoreOptions o;
  o.etest_permutations = 99;
  const auto s = cimpute::score_cell_responses(predicted, measured, P, o);
  // The DE tests of one perturbation against the control, gene by gene with the plain test and
  // Benjamini-Hochberg written out: the significant set is the 8 planted genes.
  std::vector<Eigen::Index> rows0, rowsc;
  for (std::size_t i = 0; i < measured.group.size(); ++i) {
    if (measured.group[i] == 0) rows0.push_back(Eigen::Index(i));
    if (measured.group[i] == -1) rowsc.push_back(Eigen::Index(i));
  }
  const Eigen::MatrixXd x0 = measured.cells(rows0, Eigen::all),
                        xc = measured.cells(rowsc, Eigen::all);
  const cimpute::DifferentialExpression de = cimpute::ControlCells(xc).test(x0);
  std::vector<std::pair<double, Eigen::Index>> ps;
  for (Eigen::Index g = 0; g < G; ++g) {
    const auto r = cimpute::wilcoxon_rank_sum(x0.col(g), xc.col(g));
    CHECK(de.p_value[g] == r.p_value);
    CHECK(de.z[g] == r.z);
    ps.emplace_back(r.p_value, g);
    const double lfc = std::log2((x0.col(g).array().exp() - 1).mean() + 1e-9) -
                       std::log2((xc.col(g).array().exp() - 1).mean() + 1e-9);
    CHECK(de.log2_fold_change[g] == Approx(lfc).epsilon(1e-10));
  }
  std::sort(ps.begin(), ps.end());
  std::set<Eigen::Index> bh; // step-up: the largest rank k with p_(k) <= k alpha / m, and below
  for (std::size_t k = ps.size(); k-- > 0;)
    if (ps[k].first <= double(k + 1) * 0.05 / double(G)) {
      for (std::size_t j = 0; j <= k; ++j) bh.insert(ps[j].second);
      break;
    }
  const auto sig = de.significant(0.05);
  CHECK(std::set<Eigen::Index>(sig.begin(), sig.end()) == bh);
  CHECK(bh == std::set<Eigen::Index>{0, 1, 2, 3, 4, 5, 6, 7});
  for (const auto& r : s) {
    CHECK(r.des == 1.0);      // an independent sample of the same populations finds the same genes
    CHECK(r.des_at_k == 1.0); // k = min(20, 8)
    CHECK(r.pds == 1.0);
    CHECK(r.pearson_delta_de20 > 0.9);
    CHECK(r.edistance < 0.2 * r.edistance_truth_control);
    CHECK(r.edistance_predicted_control > 0);
    CHECK(r.etest_p > 0.01); // same distribution: no evidence against it
  }
  // A prediction that shifts the wrong genes: des 0, and the E-test rejects.
  cimpute::CellGroups wrong = predicted;
  for (std::size_t i = 0; i < wrong.group.size(); ++i)
    if (wrong.group[i] >= 0) wrong.group[i] = (wrong.group[i] + 1) % P;
  const auto w = cimpute::score_cell_responses(wrong, measured, P, o);
  for (const auto& r : w) {
    CHECK(r.des == 0.0);
    CHECK(r.etest_p == Approx(0.01));
    CHECK(r.pds < 1.0);
  }
  // The summary against a baseline: by hand for des, pds, mae.
  const cimpute::ResponseScores m = cimpute::mean_scores(s), b = cimpute::mean_scores(w);
  const double want = ((m.des - b.des) / (1 - b.des) + (m.pds - b.pds) / (1 - b.pds) +
                       std::max(0.0, 1 - m.mae / b.mae)) /
                      3;
  CHECK(cimpute::normalised_summary(m, b, {"des", "pds", "mae"}) == Approx(want));
  CHECK(cimpute::normalised_summary(b, m, {"des", "pds"}) == 0.0); // worse: clipped at 0
  CHECK_THROWS_WITH(cimpute::normalised_summary(m, b, {"etest-p"}), Catch::Contains("descriptive"));
  CHECK_THROWS_WITH(cimpute::response_metric("pdss"), Catch::Contains("known: mae"));
  CHECK(std::string(cimpute::response_metric("des@50").name) == "des@K");
  // Clipped to [0, 1]: the distinct-pairs energy distance can fall below 0.
  const auto& ed = cimpute::response_metric("edistance");
  CHECK(cimpute::normalised_score(ed, -0.5, 2.0) == 1.0);
  CHECK(cimpute::normalised_score(ed, 1.0, 2.0) == 0.5);
  CHECK(cimpute::normalised_score(ed, 1.0, -2.0) == 0.0);
  // Fold changes stay finite for negative values (means clamped at 0) and name an overflow.
  Eigen::MatrixXd neg = -Eigen::MatrixXd::Ones(4, 2), ctl = Eigen::MatrixXd::Ones(5, 2);
  const auto dn = cimpute::ControlCells(ctl).test(neg);
  CHECK(dn.log2_fold_change.allFinite());
  CHECK(dn.log2_fold_change[0] < -20); // from (e - 1) to (0 + 1e-9)
  CHECK_THROWS_WITH(cimpute::ControlCells(ctl).test(Eigen::MatrixXd::Constant(4, 2, 800.0)),
                    Catch::Contains("overflow expm1"));
  cimpute::DifferentialExpressionOptions linear;
  linear.log1p_input = false;
  CHECK(cimpute::ControlCells(ctl, linear)
            .test(Eigen::MatrixXd::Constant(4, 2, 800.0))
            .log2_fold_change[1] == Approx(std::log2(800.0)).epsilon(1e-9));
  // Bad input: a perturbation with one cell.
  cimpute::CellGroups one = measured;
  for (std::size_t i = 1; i < one.group.size(); ++i)
    if (one.group[i] == 2) one.group[i] = -1;
  one.group[std::size_t(control + 2 * cells)] = 2;
  CHECK_THROWS_WITH(cimpute::score_cell_responses(predicted, one, P, o),
                    Catch::Contains("measured perturbation 2 has 1 cells"));
}
