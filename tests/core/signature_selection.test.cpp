// From a Level-5-like matrix (several doses, time points and replicates per pair) to one
// signature per pair: filters, the pair fields, each aggregation against a hand computation.
#include <cimpute/core/signature_selection.hpp>
#include <cimpute/io/cmap.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {
using Matrix = Eigen::MatrixXd;

// 4 genes x 7 signatures: (A, X) three times (doses, times), (B, X) twice, (A, Y) and (B, Y)
// once; distil_cc_q75 ties between c2 and c3 and is missing for c4.
cimpute::LabeledMatrix<double> level5() {
  Matrix v(4, 7);
  v << 1, 2, 6, 1, 3, 0, 5, //
      2, 4, 0, 7, 1, 1, 1,  //
      3, 3, 3, -1, 2, 9, 2, //
      0, 8, 1, 2, 2, 4, 3;
  cimpute::MetadataTable rows(4), cols(7);
  rows.add_field("pr_gene_symbol", {"TP53", "MYC", "EGFR", "KRAS"});
  cols.add_field("pert_id", {"A", "A", "A", "B", "B", "A", "B"});
  cols.add_field("cell_id", {"X", "X", "X", "X", "X", "Y", "Y"});
  cols.add_field("pert_idose", {"10 uM", "10 uM", "1 uM", "10 uM", "10 uM", "10 uM", "10 uM"});
  cols.add_field("pert_itime", {"24 h", "6 h", "24 h", "24 h", "24 h", "24 h", "24 h"});
  cols.add_field("distil_cc_q75", {"0.3", "0.5", "0.5", "-666", "0.1", "0.2", "0.9"});
  return cimpute::LabeledMatrix<double>(v, {"7157", "4609", "1956", "3845"},
                                        {"c1", "c2", "c3", "c4", "c5", "c6", "c7"}, std::move(rows),
                                        std::move(cols));
}

Eigen::VectorXd sig(const cimpute::PerturbationTensor<double>& t, const char* p, const char* c) {
  return t.signature(p, c);
}
} // namespace

TEST_CASE("select_signatures: every aggregation against a hand computation", "[core][selection]") {
  const auto m = level5();
  const Matrix& v = m.data();
  auto s = cimpute::cmap_selection();
  // Without an aggregation the duplicates are an error that names the pair and the options.
  CHECK_THROWS_WITH(cimpute::select_signatures(m, s),
                    Catch::Contains("pair (A, X) has 3 signatures (c1, c2, c3)") &&
                        Catch::Contains("best:FIELD"));

  cimpute::SelectionReport r;
  s.aggregate = cimpute::Aggregation::parse("mean");
  const auto mean = cimpute::select_signatures(m, s, &r);
  CHECK(mean.num_observed() == 4);
  CHECK(mean.perturbations().ids() == std::vector<std::string>{"A", "B"});
  CHECK(mean.feature_symbols() == std::vector<std::string>{"TP53", "MYC", "EGFR", "KRAS"});
  CHECK((sig(mean, "A", "X") - (v.col(0) + v.col(1) + v.col(2)) / 3).norm() < 1e-14);
  CHECK((sig(mean, "B", "X") - (v.col(3) + v.col(4)) / 2).norm() < 1e-14);
  CHECK(sig(mean, "B", "Y") == v.col(6));
  CHECK(r.read == 7);
  CHECK(r.filtered_out == 0);
  CHECK(r.merged == 3);
  CHECK(r.pairs == 4);

  s.aggregate = cimpute::Aggregation::parse("median");
  const auto med = cimpute::select_signatures(m, s);
  CHECK(sig(med, "A", "X") == Eigen::Vector4d(2, 2, 3, 1));   // middle of three
  CHECK(sig(med, "B", "X") == Eigen::Vector4d(2, 4, 0.5, 2)); // mean of the middle two

  s.aggregate = cimpute::Aggregation::parse("first");
  CHECK(sig(cimpute::select_signatures(m, s), "A", "X") == v.col(0));

  // best: the largest distil_cc_q75, the first on a tie (c2 before c3), a missing value never.
  s.aggregate = cimpute::Aggregation::parse("best:distil_cc_q75");
  const auto best = cimpute::select_signatures(m, s);
  CHECK(sig(best, "A", "X") == v.col(1));
  CHECK(sig(best, "B", "X") == v.col(4));
  s.aggregate = cimpute::Aggregation::parse("best:pert_idose");
  CHECK_THROWS_WITH(cimpute::select_signatures(m, s), Catch::Contains("pert_idose"));
}

TEST_CASE("select_signatures: filters keep what they name and explain what they miss",
          "[core][selection]") {
  const auto m = level5();
  auto s = cimpute::cmap_selection();
  s.filters = {cimpute::ColumnFilter::parse("pert_itime=24 h"),
               cimpute::ColumnFilter::parse("pert_idose=10 uM")};
  // Left: c1 (A, X), c4 and c5 (B, X), c6, c7 -> (B, X) is still doubled.
  CHECK_THROWS_WITH(cimpute::select_signatures(m, s), Catch::Contains("(B, X) has 2"));
  s.aggregate = cimpute::Aggregation::parse("first");
  cimpute::SelectionReport r;
  const auto t = cimpute::select_signatures(m, s, &r);
  CHECK(t.signature("A", "X") == m.data().col(0));
  CHECK(t.signature("B", "X") == m.data().col(3));
  CHECK(r.filtered_out == 2);
  CHECK(r.merged == 1);
  CHECK(r.pairs == 4);
  // A filter with several values keeps either.
  s.filters = {cimpute::ColumnFilter::parse("pert_itime=6 h,48 h")};
  CHECK(cimpute::select_signatures(m, s).num_observed() == 1);
  // Unknown field: the fields are listed; no match: the field's values are.
  s.filters = {cimpute::ColumnFilter::parse("pert_time=24 h")};
  CHECK_THROWS_WITH(cimpute::select_signatures(m, s),
                    Catch::Contains("'pert_time'") && Catch::Contains("pert_itime"));
  s.filters = {cimpute::ColumnFilter::parse("pert_itime=48 h")};
  CHECK_THROWS_WITH(cimpute::select_signatures(m, s),
                    Catch::Contains("matches no column") && Catch::Contains("'24 h', '6 h'"));
  CHECK(cimpute::filter_columns(m.col_meta(), {cimpute::ColumnFilter::parse("cell_id=Y")}) ==
        std::vector<Eigen::Index>{5, 6});
  // != drops values; thresholds compare numbers, and a missing value (-666) never passes.
  using cimpute::ColumnFilter;
  auto cols = [&](const char* f) {
    return cimpute::filter_columns(m.col_meta(), {ColumnFilter::parse(f)});
  };
  CHECK(cols("pert_idose!=10 uM") == std::vector<Eigen::Index>{2});
  CHECK(cols("pert_itime!=6 h,48 h") == std::vector<Eigen::Index>{0, 2, 3, 4, 5, 6});
  CHECK(cols("distil_cc_q75>0.3") == std::vector<Eigen::Index>{1, 2, 6});
  CHECK(cols("distil_cc_q75>=0.3") == std::vector<Eigen::Index>{0, 1, 2, 6});
  CHECK(cols("distil_cc_q75<0.3") == std::vector<Eigen::Index>{4, 5});
  CHECK(cols("distil_cc_q75<=0.3") == std::vector<Eigen::Index>{0, 4, 5});
  CHECK_THROWS_WITH(cols("distil_cc_q75>2"),
                    Catch::Contains("filter distil_cc_q75>'2' matches no column"));
  CHECK_THROWS_WITH(cols("pert_id!=A,B"), Catch::Contains("matches no column"));
}

TEST_CASE("ColumnFilter, Aggregation and the CMap fields parse as documented",
          "[core][selection]") {
  const auto f = cimpute::ColumnFilter::parse("pert_type=trt_cp,ctl_vehicle");
  CHECK(f.field == "pert_type");
  CHECK(f.values == std::vector<std::string>{"trt_cp", "ctl_vehicle"});
  for (const char* bad : {"pert_type", "=x", "pert_type=", "a=b,,c", "a!b", "a!=", ">3", "a>",
                          "a>x", "a<=1,2", "a>nan", "a<inf"})
    CHECK_THROWS_AS(cimpute::ColumnFilter::parse(bad), cimpute::invalid_argument);
  using Op = cimpute::ColumnFilter::Op;
  CHECK(cimpute::ColumnFilter::parse("a!=x,y").op == Op::NotIn);
  CHECK(cimpute::ColumnFilter::parse("a!=x,y").values == std::vector<std::string>{"x", "y"});
  CHECK(cimpute::ColumnFilter::parse("a>=0.5").op == Op::GreaterEqual);
  CHECK(cimpute::ColumnFilter::parse("a<-1").op == Op::Less);
  CHECK(cimpute::ColumnFilter::parse("a<-1").values == std::vector<std::string>{"-1"});
  CHECK(cimpute::ColumnFilter::parse("a=b=c").values == std::vector<std::string>{"b=c"});
  CHECK(cimpute::Aggregation::parse("best:distil_cc_q75").field == "distil_cc_q75");
  for (const char* bad : {"max", "best:", "Mean"})
    CHECK_THROWS_AS(cimpute::Aggregation::parse(bad), cimpute::invalid_argument);
  // The 2020 release names the cell line cell_iname.
  cimpute::MetadataTable meta(1);
  meta.add_field("pert_id", {"A"});
  meta.add_field("cell_iname", {"X"});
  auto s = cimpute::cmap_selection();
  CHECK_FALSE(cimpute::adapt_cmap_release(s, meta).empty());
  CHECK(s.context_field == "cell_iname");
  auto own = cimpute::cmap_selection("pert_iname", "cell_line");
  CHECK(cimpute::adapt_cmap_release(own, meta).empty()); // the user's own names are kept
  CHECK(own.context_field == "cell_line");
}

TEST_CASE("cmap_landmark_rows reads each release's landmark field", "[core][selection]") {
  cimpute::MetadataTable geo(3), beta(3), none(3);
  geo.add_field("pr_is_lm", {"1", "0", "1"});
  CHECK(cimpute::cmap_landmark_rows(geo) == std::vector<Eigen::Index>{0, 2});
  beta.add_field("feature_space", {"inferred", "landmark", "best inferred"});
  CHECK(cimpute::cmap_landmark_rows(beta) == std::vector<Eigen::Index>{1});
  none.add_field("pr_gene_symbol", {"A", "B", "C"});
  CHECK_THROWS_WITH(cimpute::cmap_landmark_rows(none), Catch::Contains("pr_is_lm, is_lm"));
  cimpute::MetadataTable zero(2);
  zero.add_field("is_lm", {"0", "0"});
  CHECK_THROWS_WITH(cimpute::cmap_landmark_rows(zero), Catch::Contains("no row has is_lm"));
}
