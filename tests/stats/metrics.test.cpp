#include "test_data.hpp"

#include <cimpute/stats/metrics.hpp>

TEST_CASE("metrics: hand-computed pooled Pearson, R^2 and cosine", "[stats][metrics]") {
  Eigen::MatrixXd truth(2, 3), pred(2, 3);
  truth << 1, 2, 3, //
      0, 1, 0;
  pred << 1, 2, 4, //
      0, 2, 0;
  // Pooled Pearson over the 6 entries: x = (1,2,3,0,1,0), y = (1,2,4,0,2,0); means 7/6 and 9/6;
  // sum dx dy = 51/6, sum dx^2 = 246/36, sum dy^2 = 11.5.
  CHECK(cimpute::pooled_pearson(pred, truth) ==
        Approx(51.0 / 6.0 / std::sqrt(246.0 / 36.0 * 11.5)).epsilon(1e-14));
  // R^2: row 1: 1 - 1 / 2 = 0.5; row 2: mean 1/3, ss = 2/3, residual 1 -> 1 - 1.5 = -0.5.
  CHECK(cimpute::mean_r2(pred, truth) == Approx(0.0).margin(1e-14));
  // Cosine: row 1: 17 / (sqrt(14) sqrt(21)); row 2: 1.
  CHECK(cimpute::mean_cosine(pred, truth) ==
        Approx((17.0 / std::sqrt(14.0 * 21.0) + 1.0) / 2).epsilon(1e-14));
  const auto s = cimpute::completion_scores(truth, truth);
  CHECK(s.pearson == Approx(1.0));
  CHECK(s.r2 == Approx(1.0));
  CHECK(s.cosine == Approx(1.0));
  CHECK_THROWS_WITH(cimpute::mean_r2(pred, truth.leftCols(2)),
                    Catch::Contains("2 x 3") && Catch::Contains("2 x 2"));
  pred(0, 0) = std::nan("");
  CHECK_THROWS_AS(cimpute::pooled_pearson(pred, truth), cimpute::invalid_argument);
}
