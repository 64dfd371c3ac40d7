// Leave-one-pair-out on the real 24 x 20 L1000 subset, MCF7 as training-only reference: the
// mean baselines, DNPP and the reference NTK must reproduce the NumPy prototype's numbers in
// ../shared/reference/ntk_completion.md ("Measured on the real 24 x 20 L1000 subset").
#include "test_data.hpp"

#include <cimpute/completion.hpp>
#include <cimpute/io/l1000_directory.hpp>

namespace {
void check_scores(const cimpute::CompletionEvaluation& ev, double pearson, double r2,
                  double cosine) {
  INFO("pearson " << ev.scores.pearson << ", r2 " << ev.scores.r2 << ", cosine " << ev.scores.cosine
                  << ", " << ev.seconds << " s");
  CHECK(ev.pairs.size() == 282);
  CHECK(std::abs(ev.scores.pearson - pearson) < 1e-3);
  CHECK(std::abs(ev.scores.r2 - r2) < 1e-3);
  CHECK(std::abs(ev.scores.cosine - cosine) < 1e-3);
}
} // namespace

TEST_CASE("completion: leave-one-pair-out reproduces the reference table on real L1000 data",
          "[completion][l1000]") {
  CIMPUTE_REQUIRE_DATA("l1000/lincs_level2_24cells_20drugs.tsv");
  const auto t = cimpute::read_l1000_directory<double>(cimpute_test::data_path("l1000"));
  SECTION("context mean") {
    check_scores(cimpute::leave_one_pair_out(
                     cimpute::MeanCompletion<double>(cimpute::MeanKind::Context), t, "MCF7"),
                 0.7491, 0.3310, 0.7219);
  }
  SECTION("two-way mean") {
    check_scores(cimpute::leave_one_pair_out(
                     cimpute::MeanCompletion<double>(cimpute::MeanKind::TwoWay), t, "MCF7"),
                 0.7419, 0.2758, 0.7067);
  }
  SECTION("DNPP, k = 10") {
    check_scores(cimpute::leave_one_pair_out(cimpute::DnppCompletion<double>(10), t, "MCF7"),
                 0.7985, 0.4701, 0.7855);
  }
  SECTION("NTK, published settings") {
    check_scores(cimpute::leave_one_pair_out(cimpute::NtkCompletion<double>(), t, "MCF7"), 0.7986,
                 0.4849, 0.7963);
  }
}
