// GCTX reading (whole and subsets), writing and round trips. Expected values come from h5dump on
// the fixtures (command noted beside each check).
#include "test_data.hpp"

#include <cimpute/core/config.hpp>

#if CIMPUTE_HAS_HDF5
#include <cimpute/io/gct.hpp>
#include <cimpute/io/gctx.hpp>

#include <algorithm>
#include <cmath>
#include <random>

using cimpute_test::data_path;

TEST_CASE("gctx: every fixture reads with the shape of its matrix dataset", "[io][gctx]") {
  // h5ls FILE/0/DATA/0/matrix gives (samples, features); rows are features.
  const std::vector<std::tuple<std::string, Eigen::Index, Eigen::Index>> cases = {
      {"gct_fixtures/int32_matrix_no_version.gctx", 12328, 131},
      {"gct_fixtures/mini_gctoo_for_testing.gctx", 6, 6},
      {"gct_fixtures/mini_gctx_with_metadata_n2x3.gctx", 3, 2},
      {"gct_fixtures/modzs_n25x50.gctx", 50, 25},
      {"gct_fixtures/test_n5x10.gctx", 10, 5},
      {"gct_fixtures/test_parse_gctx_rid_entrez_id.gctx", 5, 5},
      {"l1000/a375_level3_plate_n978x377.gctx", 978, 377}};
  for (const auto& [rel, rows, cols] : cases) {
    CIMPUTE_REQUIRE_DATA(rel);
    INFO(rel);
    const auto m = cimpute::read_gctx<double>(data_path(rel));
    CHECK(m.rows() == rows);
    CHECK(m.cols() == cols);
    const auto info = cimpute::read_gctx_info(data_path(rel));
    CHECK(info.rows == rows);
    CHECK(info.col_ids == m.col_ids());
  }
}

TEST_CASE("gctx: int32 matrix without version, int64 ids, metadata", "[io][gctx]") {
  const std::string i32 = "gct_fixtures/int32_matrix_no_version.gctx";
  CIMPUTE_REQUIRE_DATA(i32);
  const auto info = cimpute::read_gctx_info(data_path(i32));
  CHECK(info.element_type == "int32");
  CHECK(info.version.empty());
  const auto m = cimpute::read_gctx<double>(data_path(i32));
  // h5dump -d /0/DATA/0/matrix -s "0,0" -c "1,3": 10, 5, 11 (sample 0, features 0..2)
  CHECK(m.data()(0, 0) == 10.0);
  CHECK(m.data()(1, 0) == 5.0);
  CHECK(m.data()(2, 0) == 11.0);
  CHECK(m.row_ids()[0] == "5720");
  CHECK(m.col_ids()[0] == "CPC020_MCF7_24H_X1_F1B4_DUO52HI53LO:P17");

  const std::string ent = "gct_fixtures/test_parse_gctx_rid_entrez_id.gctx";
  CIMPUTE_REQUIRE_DATA(ent);
  // h5dump -d /0/META/ROW/id: int64 5720, 55847, 7416, 10174, 25803
  CHECK(cimpute::read_gctx<float>(data_path(ent)).row_ids() ==
        std::vector<std::string>{"5720", "55847", "7416", "10174", "25803"});

  const std::string meta = "gct_fixtures/mini_gctx_with_metadata_n2x3.gctx";
  CIMPUTE_REQUIRE_DATA(meta);
  const auto mm = cimpute::read_gctx<double>(data_path(meta));
  CHECK(mm.row_meta().field_names() ==
        std::vector<std::string>{"pr_analyte_id", "pr_analyte_num", "pr_gene_id", "pr_model_id"});
  CHECK(mm.col_meta().field_names() == std::vector<std::string>{"bead_batch", "bead_revision"});
  CHECK(cimpute::read_gctx_info(data_path(meta)).version == "GCTX1.0"); // 1-element array
}

TEST_CASE("gctx: the A375 GCTX and GCT copies share ids and metadata", "[io][gctx]") {
  const std::string x = "l1000/a375_level3_plate_n978x377.gctx";
  const std::string t = "l1000/a375_level3_plate_n978x377.gct";
  CIMPUTE_REQUIRE_DATA(x);
  CIMPUTE_REQUIRE_DATA(t);
  const auto a = cimpute::read_gctx<double>(data_path(x));
  const auto b = cimpute::read_gct<double>(data_path(t));
  CHECK(a.row_ids() == b.row_ids());
  CHECK(a.col_ids() == b.col_ids());
  CHECK(a.row_meta().value("pr_gene_symbol", 0) == b.row_meta().value("pr_gene_symbol", 0));
  // h5dump -d /0/DATA/0/matrix -s "0,0" -c "1,3": the GCTX stores other values than the GCT
  // (0.347329 vs 11.3819 for 200814_at in well A03): it is cmapPy's high-precision test copy.
  CHECK(a.data()(0, 0) == Approx(0.347329).epsilon(1e-5));
  CHECK(b.data()(0, 0) == Approx(11.3819).epsilon(1e-6));
}

TEMPLATE_TEST_CASE("gctx: subset reads equal slices of the whole read", "[io][gctx]", float,
                   double) {
  const std::string x = "l1000/a375_level3_plate_n978x377.gctx";
  CIMPUTE_REQUIRE_DATA(x);
  const auto all = cimpute::read_gctx<TestType>(data_path(x));
  const unsigned seed = 5;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 4; ++trial) {
    cimpute::GctxSelection sel;
    std::vector<std::string> c = all.col_ids(), r = all.row_ids();
    std::shuffle(c.begin(), c.end(), rng);
    std::shuffle(r.begin(), r.end(), rng);
    sel.col_ids.assign(c.begin(), c.begin() + 1 + trial * 20);
    if (trial % 2 == 1) sel.row_ids.assign(r.begin(), r.begin() + 50);
    const auto s = cimpute::read_gctx<TestType>(data_path(x), sel);
    CHECK(s.col_ids() == sel.col_ids);
    const auto expect = trial % 2 == 1 ? all.select_rows(sel.row_ids).select_cols(sel.col_ids)
                                       : all.select_cols(sel.col_ids);
    CHECK(s.data() == expect.data());
    CHECK(s.col_meta() == expect.col_meta());
    CHECK(s.row_meta() == expect.row_meta());
  }
  cimpute::GctxSelection bad;
  bad.col_ids = {"no-such-well"};
  CHECK_THROWS_WITH(cimpute::read_gctx<TestType>(data_path(x), bad),
                    Catch::Contains("'no-such-well'"));
  bad.col_ids = {all.col_ids()[0], all.col_ids()[0]};
  CHECK_THROWS_AS(cimpute::read_gctx<TestType>(data_path(x), bad), cimpute::invalid_argument);
}

TEMPLATE_TEST_CASE("gctx: write / read round trip", "[io][gctx]", float, double) {
  using M = typename cimpute::LabeledMatrix<TestType>::Matrix;
  M d(3, 4);
  d << 1, 2, 3, 4,                                                 //
      5.5f, -6, 7e-3f, std::numeric_limits<TestType>::quiet_NaN(), //
      9, 10, 11, 12;
  cimpute::MetadataTable rm(3), cm(4);
  rm.add_field("pr_gene_symbol", {"TP53", "MYC", "EGFR"});
  cm.add_field("pert_iname", {"DMSO", "vorinostat", "-666", "trichostatin A"});
  const cimpute::LabeledMatrix<TestType> m(d, {"7157", "4609", "1956"}, {"w1", "w2", "w3", "w4"},
                                           rm, cm);
  for (int level : {-1, 0, 6}) {
    INFO("compression " << level);
    cimpute::GctxWriteOptions o;
    o.compression = level;
    o.chunk_columns = 3;
    o.float64 = std::is_same<TestType, double>::value;
    const auto path = (cimpute_test::temp_dir() / "roundtrip.gctx").string();
    cimpute::write_gctx(path, m, o);
    const auto back = cimpute::read_gctx<TestType>(path);
    CHECK(back.row_ids() == m.row_ids());
    CHECK(back.col_ids() == m.col_ids());
    CHECK(back.row_meta() == m.row_meta());
    CHECK(back.col_meta() == m.col_meta());
    CHECK(std::isnan(back.data()(1, 3)));
    auto a = back.data(), b = m.data();
    a(1, 3) = b(1, 3) = 0;
    CHECK(a == b);
    CHECK(cimpute::read_gctx_info(path).version == "GCTX1.0");
    const auto sub = cimpute::read_gctx<TestType>(path, {{"1956"}, {"w4", "w2"}});
    CHECK(sub.data()(0, 0) == TestType(12));
    CHECK(sub.data()(0, 1) == TestType(10));
  }
  cimpute::GctxWriteOptions bad;
  bad.compression = 12;
  CHECK_THROWS_AS(cimpute::write_gctx("/tmp/never.gctx", m, bad), cimpute::invalid_argument);
  CHECK_FALSE(std::filesystem::exists("/tmp/never.gctx"));
  CHECK_THROWS_AS(cimpute::write_gctx("/no/such/dir/x.gctx", m), cimpute::invalid_argument);
}

TEST_CASE("gctx: wrong files are rejected with a clear message", "[io][gctx]") {
  const std::string text = "gct_fixtures/gct_text_with_gctx_extension.gctx";
  CIMPUTE_REQUIRE_DATA(text);
  CHECK_THROWS_WITH(cimpute::read_gctx<double>(data_path(text)),
                    Catch::Contains("gct_text_with_gctx_extension.gctx") &&
                        Catch::Contains("text GCT"));
  CHECK_THROWS_WITH(cimpute::read_gctx<double>("/nonexistent.gctx"),
                    Catch::Contains("no such file"));
  const std::string h5ad = "formats/10x_pbmc68k_reduced.h5ad";
  CIMPUTE_REQUIRE_DATA(h5ad);
  CHECK_THROWS_WITH(cimpute::read_gctx<double>(data_path(h5ad)),
                    Catch::Contains("/0/DATA/0/matrix") && Catch::Contains("missing"));
}
#endif
