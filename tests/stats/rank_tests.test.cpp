// Wilcoxon rank-sum test: U against the direct pair count, the tie-corrected null mean and
// variance against the exact permutation distribution (enumerated), the published asymptotic
// p-value of a textbook case, type I error at the nominal level, bad input.
#include "test_data.hpp"

#include <cimpute/stats/rank_tests.hpp>

#include <cmath>
#include <random>

TEST_CASE("wilcoxon_rank_sum: U, tie-corrected null moments, p-values", "[stats][ranks]") {
  // U of x = the number of pairs with x > y, ties counting 1/2.
  const Eigen::VectorXd x = (Eigen::VectorXd(5) << 3.0, 1.0, 4.0, 1.0, 5.0).finished();
  const Eigen::VectorXd y = (Eigen::VectorXd(4) << 2.0, 4.0, 1.0, 6.0).finished();
  double pairs = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i)
    for (Eigen::Index j = 0; j < y.size(); ++j)
      pairs += x[i] > y[j] ? 1.0 : x[i] == y[j] ? 0.5 : 0.0;
  const auto r = cimpute::wilcoxon_rank_sum(x, y);
  CHECK(r.u == pairs);
  // Exact permutation distribution of U over all 126 splits of the 9 pooled values: its mean and
  // variance are what the tie-corrected normal approximation uses.
  std::vector<double> pooled{3, 1, 4, 1, 5, 2, 4, 1, 6};
  double sum = 0, sum2 = 0;
  int count = 0;
  for (unsigned mask = 0; mask < (1U << 9); ++mask) {
    if (__builtin_popcount(mask) != 5) continue;
    Eigen::VectorXd a(5), b(4);
    int ia = 0, ib = 0;
    for (int k = 0; k < 9; ++k) (mask >> k & 1U ? a[ia++] : b[ib++]) = pooled[std::size_t(k)];
    const double u = cimpute::wilcoxon_rank_sum(a, b).u;
    sum += u;
    sum2 += u * u;
    ++count;
  }
  REQUIRE(count == 126);
  const double mean = sum / count, var = sum2 / count - mean * mean;
  CHECK(mean == Approx(10.0));
  const double d = r.u - mean;
  CHECK(r.z == Approx((d - (d > 0 ? 0.5 : -0.5)) / std::sqrt(var)).epsilon(1e-12));
  // Textbook case (R: wilcox.test(1:5, 6:10, exact = FALSE), W = 0, p-value = 0.01219).
  const Eigen::VectorXd lo = Eigen::VectorXd::LinSpaced(5, 1, 5), hi = lo.array() + 5;
  const auto t = cimpute::wilcoxon_rank_sum(lo, hi);
  CHECK(t.u == 0);
  CHECK(t.p_value == Approx(0.01219).margin(5e-5));
  CHECK(cimpute::wilcoxon_rank_sum(hi, lo).p_value == Approx(t.p_value));
  // All tied: no evidence.
  CHECK(cimpute::wilcoxon_rank_sum(Eigen::VectorXd::Ones(3), Eigen::VectorXd::Ones(4)).p_value ==
        1.0);
  CHECK_THROWS_WITH(cimpute::wilcoxon_rank_sum(Eigen::VectorXd(0), y), Catch::Contains("empty"));
}

TEST_CASE("wilcoxon_rank_sum: type I error at the nominal level", "[stats][ranks]") {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n01(0, 1);
  int rejections = 0;
  const int reps = 4000;
  for (int k = 0; k < reps; ++k) {
    Eigen::VectorXd a(30), b(40);
    for (Eigen::Index i = 0; i < 30; ++i) a[i] = n01(rng);
    for (Eigen::Index i = 0; i < 40; ++i) b[i] = n01(rng);
    rejections += cimpute::wilcoxon_rank_sum(a, b).p_value < 0.05;
  }
  CHECK(std::abs(double(rejections) / reps - 0.05) < 4 * std::sqrt(0.05 * 0.95 / reps));
}
