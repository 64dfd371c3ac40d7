// Connectivity scores: hand-computed KS and WTCS cases (ties, empty sets), agreement with naive
// second implementations, sign and symmetry properties, NCS and tau, float references.
#include "test_data.hpp"

#include <cimpute/connectivity.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using cimpute::GeneSetQuery;

namespace {
Eigen::MatrixXd row(std::initializer_list<double> v) {
  Eigen::MatrixXd m(1, Eigen::Index(v.size()));
  Eigen::Index k = 0;
  for (double x : v) m(0, k++) = x;
  return m;
}

// Gene positions sorted by value, largest first (distinct values).
std::vector<Eigen::Index> descending(const Eigen::RowVectorXd& r) {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(r.size()));
  std::iota(order.begin(), order.end(), Eigen::Index(0));
  std::sort(order.begin(), order.end(),
            [&](Eigen::Index a, Eigen::Index b) { return r[a] > r[b]; });
  return order;
}

// Naive Lamb KS for distinct values: explicit sort, positions V(j), formulas of Lamb et al.
double naive_ks(const Eigen::RowVectorXd& r, const std::vector<Eigen::Index>& set) {
  const Eigen::Index n = r.size();
  const std::vector<Eigen::Index> order = descending(r);
  std::vector<double> v;
  for (Eigen::Index k = 0; k < n; ++k)
    if (std::find(set.begin(), set.end(), order[std::size_t(k)]) != set.end()) v.push_back(k + 1);
  const double t = double(v.size());
  double a = -1e9, b = -1e9;
  for (std::size_t j = 0; j < v.size(); ++j) {
    a = std::max(a, double(j + 1) / t - v[j] / double(n));
    b = std::max(b, v[j] / double(n) - double(j) / t);
  }
  return a > b ? a : -b;
}

// Naive weighted enrichment (GSEA, p = 1) for distinct values, step by step.
double naive_es(const Eigen::RowVectorXd& r, const std::vector<Eigen::Index>& set) {
  const Eigen::Index n = r.size();
  double nr = 0;
  for (Eigen::Index g : set) nr += std::abs(r[g]);
  double s = 0, best = 0;
  for (Eigen::Index g : descending(r)) {
    const bool hit = std::find(set.begin(), set.end(), g) != set.end();
    s += hit ? std::abs(r[g]) / nr : -1.0 / double(n - Eigen::Index(set.size()));
    if (std::abs(s) > std::abs(best)) best = s;
  }
  return best;
}
} // namespace

TEST_CASE("ks_scores: Lamb's formulas on hand-computed cases", "[connectivity][ks]") {
  // Values already sorted: gene g sits at position g + 1.
  const Eigen::MatrixXd r = row({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  // Up at positions 1 and 3: a = max(1/2 - 1/10, 1 - 3/10) = 0.7, b = max(0.1, 0.3 - 0.5) = 0.1.
  CHECK(cimpute::ks_statistic({1, 3}, 10) == Approx(0.7));
  // Down at positions 8 and 10: a = max(0.5 - 0.8, 1 - 1) = 0, b = max(0.8, 1 - 0.5) = 0.8.
  CHECK(cimpute::ks_statistic({8, 10}, 10) == Approx(-0.8));
  GeneSetQuery q{{0, 2}, {7, 9}};
  CHECK(cimpute::ks_scores(r, q)[0] == Approx(0.7 + 0.8));
  // Same signs give 0: up and down both near the top.
  CHECK(cimpute::ks_scores(r, GeneSetQuery{{0}, {1}})[0] == 0.0);
  // Empty sets: the other set alone.
  CHECK(cimpute::ks_scores(r, GeneSetQuery{{0, 2}, {}})[0] == Approx(0.7));
  CHECK(cimpute::ks_scores(r, GeneSetQuery{{}, {7, 9}})[0] == Approx(0.8));
  // Ties: genes 1 and 2 share the value 4, positions 2 and 3, midrank 2.5; up = {2}:
  // a = 1 - 0.25 = 0.75, b = 0.25 -> 0.75, whichever order the tie is stored in.
  const Eigen::MatrixXd tied = row({5, 4, 4, 3, 2, 1, 0, -1, -2, -3});
  CHECK(cimpute::ks_scores(tied, GeneSetQuery{{2}, {}})[0] == Approx(0.75));
  CHECK(cimpute::ks_scores(tied, GeneSetQuery{{1}, {}})[0] == Approx(0.75));
  // Scaling over a reference set.
  const Eigen::VectorXd s = cimpute::scale_ks_scores(Eigen::Vector4d(0.5, -0.2, 0.25, 0));
  CHECK(s.isApprox(Eigen::Vector4d(1, -1, 0.5, 0)));
}

TEST_CASE("wtcs_scores: weighted enrichment on hand-computed cases", "[connectivity][wtcs]") {
  const Eigen::MatrixXd r = row({3, 2, 1, -1, -2});
  // Up {0, 3}: weights 3 and 1 (sum 4), misses 1/3: .75, .4167, .0833, .3333, 0 -> ES .75.
  // Down {4}: misses 1/4 four times then the hit: -1 -> ES -1. WTCS = (.75 + 1) / 2.
  CHECK(cimpute::wtcs_scores(r, GeneSetQuery{{0, 3}, {4}})[0] == Approx(0.875));
  // Empty down set: ES_up alone; empty up set: -ES_down.
  CHECK(cimpute::wtcs_scores(r, GeneSetQuery{{0, 3}, {}})[0] == Approx(0.75));
  CHECK(cimpute::wtcs_scores(r, GeneSetQuery{{}, {4}})[0] == Approx(1.0));
  // Same signs: 0.
  CHECK(cimpute::wtcs_scores(r, GeneSetQuery{{0}, {1}})[0] == 0.0);
  // Ties: genes 1 and 2 tie at 1; up {0, 2}. Read after the tie block only: ES = .75 whether
  // gene 2 is stored before or after gene 1 (stepwise it would be 1.0 in one of the orders).
  const Eigen::MatrixXd tied = row({3, 1, 1, -1, -2});
  CHECK(cimpute::wtcs_scores(tied, GeneSetQuery{{0, 2}, {}})[0] == Approx(0.75));
  CHECK(cimpute::wtcs_scores(tied, GeneSetQuery{{0, 1}, {}})[0] == Approx(0.75));
  const Eigen::MatrixXd zero = row({3, 0, -1, -2, -4});
  // Zero weights: equal steps (hit +1, misses 1/4): -.25, .75, .5, .25, 0 -> ES .75.
  CHECK(cimpute::wtcs_scores(zero, GeneSetQuery{{1}, {}})[0] == Approx(0.75));
}

TEST_CASE("set scores equal naive implementations on random signatures", "[connectivity]") {
  std::mt19937 rng(7);
  std::normal_distribution<double> n01(0, 1);
  const Eigen::Index n = 60, m = 300;
  Eigen::MatrixXd R(m, n);
  for (Eigen::Index i = 0; i < R.size(); ++i) R(i) = n01(rng);
  std::vector<Eigen::Index> genes(static_cast<std::size_t>(n));
  std::iota(genes.begin(), genes.end(), Eigen::Index(0));
  std::shuffle(genes.begin(), genes.end(), rng);
  const GeneSetQuery q{{genes.begin(), genes.begin() + 7}, {genes.begin() + 7, genes.begin() + 12}};
  const Eigen::VectorXd ks = cimpute::ks_scores(R, q), w = cimpute::wtcs_scores(R, q);
  int nonzero = 0;
  for (Eigen::Index i = 0; i < m; ++i) {
    INFO("signature " << i);
    const Eigen::RowVectorXd x = R.row(i);
    const double ku = naive_ks(x, q.up), kd = naive_ks(x, q.down);
    const double eu = naive_es(x, q.up), ed = naive_es(x, q.down);
    const bool diff_k = (ku > 0) != (kd > 0), diff_e = (eu > 0) != (ed > 0);
    CHECK(ks[i] == Approx(diff_k ? ku - kd : 0.0).margin(1e-12));
    CHECK(w[i] == Approx(diff_e ? (eu - ed) / 2 : 0.0).margin(1e-12));
    nonzero += diff_e ? 1 : 0;
  }
  CHECK(nonzero > 50); // both branches exercised
}

TEST_CASE("connectivity of a signature with itself and its negation", "[connectivity]") {
  std::mt19937 rng(11);
  std::normal_distribution<double> n01(0, 1);
  const Eigen::Index n = 200;
  Eigen::VectorXd x(n);
  for (Eigen::Index g = 0; g < n; ++g) x[g] = n01(rng);
  Eigen::MatrixXd R(12, n);
  R.row(0) = x.transpose();
  R.row(1) = -x.transpose();
  for (Eigen::Index i = 2; i < R.rows(); ++i)
    for (Eigen::Index g = 0; g < n; ++g) R(i, g) = n01(rng);
  for (auto f :
       {&cimpute::cosine_scores<Eigen::MatrixXd>, &cimpute::pearson_scores<Eigen::MatrixXd>,
        &cimpute::spearman_scores<Eigen::MatrixXd>}) {
    const Eigen::VectorXd s = f(R, x);
    CHECK(s[0] == Approx(1.0).epsilon(1e-12));
    CHECK(s[1] == Approx(-1.0).epsilon(1e-12));
    CHECK(s.tail(10).cwiseAbs().maxCoeff() < 0.5);
  }
  cimpute::AlignedSignature a;
  a.values = x;
  a.columns.resize(static_cast<std::size_t>(n));
  std::iota(a.columns.begin(), a.columns.end(), Eigen::Index(0));
  const GeneSetQuery q = cimpute::top_gene_sets(a, 20);
  REQUIRE(q.up.size() == 20);
  REQUIRE(q.down.size() == 20);
  const Eigen::VectorXd w = cimpute::wtcs_scores(R, q);
  CHECK(w[0] == w.maxCoeff());
  CHECK(w[1] == w.minCoeff());
  CHECK(w[0] > 0.9);
  CHECK(w[1] == Approx(-w[0]).epsilon(1e-12)); // reversing the list mirrors the running sums
  const Eigen::VectorXd k = cimpute::scale_ks_scores(cimpute::ks_scores(R, q));
  CHECK(k[0] == 1.0);
  CHECK(k[1] == -1.0);
}

TEST_CASE("pairwise scores equal direct formulas; float references agree", "[connectivity]") {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> level(-3, 3); // many ties for Spearman
  const Eigen::Index n = 40, m = 150;
  Eigen::MatrixXd R(m, n);
  Eigen::VectorXd q(n);
  for (Eigen::Index i = 0; i < R.size(); ++i) R(i) = level(rng);
  for (Eigen::Index g = 0; g < n; ++g) q[g] = level(rng) + 0.5 * level(rng);
  auto pearson = [](const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
    const Eigen::VectorXd ac = a.array() - a.mean(), bc = b.array() - b.mean();
    return ac.dot(bc) / (ac.norm() * bc.norm());
  };
  const Eigen::VectorXd c = cimpute::cosine_scores(R, q), p = cimpute::pearson_scores(R, q),
                        s = cimpute::spearman_scores(R, q);
  for (Eigen::Index i = 0; i < m; ++i) {
    const Eigen::VectorXd x = R.row(i).transpose();
    CHECK(c[i] == Approx(x.dot(q) / (x.norm() * q.norm())).epsilon(1e-12));
    CHECK(p[i] == Approx(pearson(x, q)).epsilon(1e-12));
    CHECK(s[i] ==
          Approx(pearson(cimpute::average_ranks(x), cimpute::average_ranks(q))).epsilon(1e-12));
  }
  const Eigen::MatrixXf Rf = R.cast<float>();
  CHECK((cimpute::cosine_scores(Rf, q) - c).cwiseAbs().maxCoeff() < 1e-5);
  CHECK((cimpute::spearman_scores(Rf, q) - s).cwiseAbs().maxCoeff() < 1e-12);
  const GeneSetQuery gs{{0, 5, 9}, {2, 3}};
  CHECK((cimpute::wtcs_scores(Rf, gs) - cimpute::wtcs_scores(R, gs)).cwiseAbs().maxCoeff() < 1e-6);
  // A zero signature has cosine 0; NaN in a reference throws.
  CHECK(cimpute::cosine_scores(Eigen::MatrixXd::Zero(1, n), q)[0] == 0.0);
  Eigen::MatrixXd bad = R.topRows(2);
  bad(1, 3) = std::nan("");
  CHECK_THROWS_WITH(cimpute::pearson_scores(bad, q), Catch::Contains("non-finite"));
  CHECK_THROWS_WITH(cimpute::cosine_scores(R, Eigen::VectorXd(Eigen::VectorXd::Ones(n - 1))),
                    Catch::Contains("cosine_scores") && Catch::Contains("40 genes"));
}

TEST_CASE("average_ranks and competition_ranks handle ties", "[connectivity][ranking]") {
  CHECK(cimpute::average_ranks(Eigen::Vector4d(10, 20, 10, 5))
            .isApprox(Eigen::Vector4d(2.5, 4, 2.5, 1)));
  const auto r = cimpute::competition_ranks(Eigen::Vector4d(0.1, 0.5, 0.5, -1));
  CHECK(r == std::vector<Eigen::Index>{3, 1, 1, 4});
}

TEST_CASE("GeneSetQuery validation and top_gene_sets", "[connectivity]") {
  CHECK_THROWS_WITH((GeneSetQuery{{}, {}}.validate(5)),
                    Catch::Contains("both gene sets are empty"));
  CHECK_THROWS_WITH((GeneSetQuery{{1}, {1}}.validate(5)), Catch::Contains("both up and down"));
  CHECK_THROWS_WITH((GeneSetQuery{{7}, {}}.validate(5)), Catch::Contains("position 7"));
  CHECK_THROWS_WITH((GeneSetQuery{{1, 1}, {}}.validate(5)), Catch::Contains("twice"));
  CHECK_THROWS_WITH(cimpute::wtcs_scores(row({1, 2, 3}), GeneSetQuery{{0, 1, 2}, {}}),
                    Catch::Contains("covers all"));
  cimpute::AlignedSignature a;
  a.values = Eigen::Vector4d(0.5, -2, 3, 0);
  a.columns = {10, 11, 12, 13};
  const GeneSetQuery q = cimpute::top_gene_sets(a, 5);
  CHECK(q.up == std::vector<Eigen::Index>{12, 10}); // positives only, largest first
  CHECK(q.down == std::vector<Eigen::Index>{11});   // zeros are in neither set
}

TEST_CASE("normalized_connectivity and tau_scores", "[connectivity][wtcs]") {
  const Eigen::VectorXd w = (Eigen::VectorXd(6) << 0.4, 0.2, -0.3, -0.1, 0.5, 0).finished();
  const std::vector<std::string> g{"A", "A", "A", "A", "B", "B"};
  const Eigen::VectorXd ncs = cimpute::normalized_connectivity(w, g);
  // Group A: mean positive 0.3, mean negative -0.2; group B: mean positive 0.5.
  const Eigen::VectorXd expected =
      (Eigen::VectorXd(6) << 0.4 / 0.3, 0.2 / 0.3, -1.5, -0.5, 1.0, 0).finished();
  CHECK(ncs.isApprox(expected));
  const Eigen::VectorXd ref = (Eigen::VectorXd(4) << -2, 0.5, 1, 3).finished();
  // |1.5| exceeds |0.5| and |1| -> 50; |-2.5| exceeds three of four -> -75; 0 -> 0.
  const Eigen::VectorXd tau = cimpute::tau_scores(Eigen::Vector3d(1.5, -2.5, 0), ref);
  CHECK(tau.isApprox(Eigen::Vector3d(50, -75, 0)));
  CHECK_THROWS_WITH(cimpute::normalized_connectivity(w, {"A"}), Catch::Contains("group labels"));
}

TEST_CASE("rank_by_reversal: scores, competition ranks, ties by key, bad input", "[connectivity]") {
  Eigen::VectorXd d(3);
  d << 1, -1, 0.5;
  Eigen::MatrixXd S(4, 3);
  S.row(0) = -d.transpose();     // reverses the disease exactly: cosine 1
  S.row(1) = d.transpose();      // mimics it: -1
  S.row(2) = -2 * d.transpose(); // as reversing as row 0 (cosine ignores the scale)
  S.row(3) << 1, 1, 0;           // orthogonal: 0
  const auto r =
      cimpute::rank_by_reversal(S, d, cimpute::ConnectivityScore::Cosine, 1, {5, 2, 1, 0});
  CHECK(r.score[0] == Approx(1.0));
  CHECK(r.score[1] == Approx(-1.0));
  CHECK(r.score[3] == 0.0);
  CHECK_FALSE(std::signbit(r.score[3])); // never "-0"
  CHECK(r.rank == std::vector<Eigen::Index>{1, 4, 1, 3});
  CHECK(r.order == std::vector<Eigen::Index>{2, 0, 3, 1}); // the tie by key: 1 before 5
  CHECK(cimpute::rank_by_reversal(S, d, cimpute::ConnectivityScore::Cosine, 1).order ==
        std::vector<Eigen::Index>{0, 2, 3, 1}); // no key: row order
  // Set scores on the disease's top genes: the exact reversal is the most reversing.
  const auto w = cimpute::rank_by_reversal(S, d, cimpute::ConnectivityScore::Wtcs, 1);
  CHECK(w.gene_sets.up.size() == 1);
  CHECK(w.score[0] > w.score[1]);
  CHECK_THROWS_WITH(
      cimpute::rank_by_reversal(S, Eigen::VectorXd::Ones(2), cimpute::ConnectivityScore::Cosine, 1),
      Catch::Contains("rank_by_reversal") && Catch::Contains("3 genes"));
  CHECK_THROWS_WITH(cimpute::rank_by_reversal(S, d, cimpute::ConnectivityScore::Cosine, 1, {1}),
                    Catch::Contains("1 tie keys for 4"));
  CHECK_THROWS_WITH(
      cimpute::rank_by_reversal(Eigen::MatrixXd(0, 3), d, cimpute::ConnectivityScore::Cosine, 1),
      Catch::Contains("no signature"));
}
