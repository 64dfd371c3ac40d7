// Tests of the GCT reader / writer (cimpute/io/gct.hpp) on the shared fixtures and on malformed
// files written to a temporary folder.
#include "cimpute/io/gct.hpp"

#include "test_data.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

std::string write_temp(const std::string& name, const std::string& content) {
  const auto path = (cimpute_test::temp_dir() / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// The parse_error thrown when reading `content` as a GCT file (fails the test when none is).
cimpute::parse_error gct_error_of(const std::string& name, const std::string& content) {
  const std::string path = write_temp(name, content);
  try {
    cimpute::read_gct(path);
  } catch (const cimpute::parse_error& e) {
    return e;
  }
  FAIL("read_gct accepted the malformed file " << name);
  throw std::logic_error("unreachable");
}

struct Shape {
  const char* file;
  Eigen::Index rows, cols, row_meta, col_meta;
};

} // namespace

TEST_CASE("gct: every fixture reads with the shape declared by its header", "[io][gct]") {
  // Shapes from line 2 of each file (`head -2 file`); 1.2 files get one row-metadata field.
  const Shape shapes[] = {
      {"gct_fixtures/col_meta_only_example_n355x355.gct", 355, 355, 0, 50},
      {"gct_fixtures/mini_gctoo_for_testing.gct", 6, 6, 5, 5},
      {"gct_fixtures/mini_gctoo_for_testing_nometa.gct", 6, 6, 0, 0},
      {"gct_fixtures/older_version_v1_2.gct", 5, 3, 1, 0},
      {"gct_fixtures/row_meta_only_example_n2x1203.gct", 1203, 2, 50, 0},
      {"gct_fixtures/test_n5x10.gct", 10, 5, 10, 42},
      {"gct_fixtures/test_p100.gct", 96, 96, 11, 19},
      {"gct_fixtures/test_v1point2_n5x10.gct", 10, 5, 1, 0},
      {"gct_fixtures/gct_text_with_gctx_extension.gctx", 978, 377, 11, 37},
      {"l1000/a375_level3_plate_n978x377.gct", 978, 377, 11, 35},
      {"l1000/pipeline/TEST_A375_24H_X1_B20_COUNT_n26x978.gct", 978, 26, 8, 30},
      {"l1000/pipeline/TEST_A375_24H_X1_B20_GEX_n26x978.gct", 978, 26, 8, 30},
      {"l1000/pipeline/TEST_A375_24H_X1_B20_NORM_n23x978.gct", 978, 23, 8, 34},
      {"l1000/pipeline/TEST_A375_24H_X1_B20_QNORM_n23x978.gct", 978, 23, 8, 34},
      {"l1000/pipeline/TEST_A375_24H_X1_B20_ZSPCQNORM_n23x978.gct", 978, 23, 8, 34},
  };
  for (const auto& s : shapes) {
    INFO(s.file);
    CIMPUTE_REQUIRE_DATA(s.file);
    const auto m = cimpute::read_gct(cimpute_test::data_path(s.file));
    CHECK(m.rows() == s.rows);
    CHECK(m.cols() == s.cols);
    CHECK(m.row_meta().num_fields() == s.row_meta);
    CHECK(m.col_meta().num_fields() == s.col_meta);
  }
}

TEST_CASE("gct: A375 level-3 plate values, ids and metadata", "[io][gct]") {
  const char* rel = "l1000/a375_level3_plate_n978x377.gct";
  CIMPUTE_REQUIRE_DATA(rel);
  const auto m = cimpute::read_gct(cimpute_test::data_path(rel));
  // awk -F'\t' 'NR==39{print $1,$13,$14}': first data line (3 + 35 metadata lines + 1).
  CHECK(m.row_ids().front() == "200814_at");
  CHECK(m.col_ids().front() == "LJP005_A375_24H_X1_B19:A03");
  CHECK(m.col_ids().back() == "LJP005_A375_24H_X1_B19:P24");
  CHECK(m.data()(0, 0) == 11.3819);
  CHECK(m.data()(0, 1) == 11.3336);
  // awk -F'\t' 'NR==1016{print $1,$13,$NF}': last data line.
  CHECK(m.row_ids().back() == "203897_at");
  CHECK(m.data()(977, 0) == 6.6108);
  CHECK(m.data()(977, 376) == 5.1256);
  CHECK(m.at("203897_at", "LJP005_A375_24H_X1_B19:P24") == 5.1256);
  // Row metadata: columns 8 and 9 of line 39; field names from line 3.
  CHECK(m.row_meta().value("pr_gene_symbol", 0) == "PSME1");
  CHECK(m.row_meta().field_names().front() == "pr_analyte_id");
  // Column metadata (awk -F'\t' 'NR>=4 && NR<=38{print $1, $13}'): line 4 qc_slope = 58 for the
  // first well, line 19 pert_dose = -666 (missing), line 21 pert_id = DMSO.
  CHECK(m.col_meta().field_names().front() == "qc_slope");
  CHECK(m.col_meta().value("qc_slope", 0) == "58");
  CHECK(m.col_meta().is_missing("pert_dose", 0));
  CHECK(m.col_meta().value("pert_id", 0) == "DMSO");
  // Sum of all 978 x 377 numbers: awk 'NR>=39{for(i=13;i<=NF;i++)s+=$i}' gives 3088568.132400
  // over 368706 cells.
  CHECK(m.data().size() == 368706);
  CHECK(m.data().sum() == Approx(3088568.1324).epsilon(1e-12));
  CHECK(m.missing_count() == 0);

  // float reads the same numbers rounded once.
  const auto f = cimpute::read_gct<float>(cimpute_test::data_path(rel));
  CHECK(f.data()(977, 376) == 5.1256f);
}

TEST_CASE("gct: version 1.2 files, trailing tabs, Description field", "[io][gct]") {
  const char* rel = "gct_fixtures/test_v1point2_n5x10.gct"; // lines 1-2 end with tabs
  CIMPUTE_REQUIRE_DATA(rel);
  const auto m = cimpute::read_gct(cimpute_test::data_path(rel));
  CHECK(m.row_meta().field_names() == std::vector<std::string>{"Description"});
  CHECK(m.row_ids()[0] == "200814_at");
  CHECK(m.row_meta().value("Description", 0) == "PSME1");
  CHECK(m.data()(9, 4) == 8.1654); // line 13: 203627_at IGF1R ... 8.1654
  const auto o = cimpute::read_gct(cimpute_test::data_path("gct_fixtures/older_version_v1_2.gct"));
  CHECK(o.col_ids() == std::vector<std::string>{"DLBCL.205", "DLBCL.206", "DLBCL.232"});
  CHECK(o.row_meta().value("Description", 1) == "M87338 /FEATURE= /DEFINITION=HUMA");
  CHECK(o.data()(4, 2) == 18.46); // last line, no final newline
}

TEST_CASE("gct: P100 fixture with an NA cell and the pipeline z-scores", "[io][gct]") {
  const char* rel = "gct_fixtures/test_p100.gct";
  CIMPUTE_REQUIRE_DATA(rel);
  const auto m = cimpute::read_gct(cimpute_test::data_path(rel));
  // python: one cell is 'NA'; the other numbers sum to -16065.167181139832.
  CHECK(m.missing_count() == 1);
  CHECK(m.data().array().isNaN().select(0.0, m.data().array()).sum() ==
        Approx(-16065.167181139832).epsilon(1e-12));
  CHECK(m.row_ids()[0] == "10011_DYRK_Y321_IYQY[+80]IQSR");
  CHECK(m.col_ids()[0] == "PM7-27493-001A01-3");
  CHECK(m.data()(0, 0) == 0.918157217057044);

  const char* z = "l1000/pipeline/TEST_A375_24H_X1_B20_ZSPCQNORM_n23x978.gct";
  CIMPUTE_REQUIRE_DATA(z);
  const auto zm = cimpute::read_gct(cimpute_test::data_path(z));
  CHECK(zm.data()(0, 0) == 1.5405); // line 38, field 10
  CHECK(zm.data()(977, 22) == 0.0); // last line "203897_at ... 0.0000"
  CHECK(zm.col_ids().back() == "TEST_A375_24H_X1_B20:B19");
  CHECK(zm.row_meta().value("pr_gene_symbol", 0) == "PSME1");
}

TEST_CASE("gct: the mini fixture keeps -666 metadata and negative values", "[io][gct]") {
  const char* rel = "gct_fixtures/mini_gctoo_for_testing.gct";
  CIMPUTE_REQUIRE_DATA(rel);
  const auto m = cimpute::read_gct(cimpute_test::data_path(rel));
  CHECK(m.col_meta().value("mfc_plate_id", 0) == "-666");
  CHECK(m.col_meta().missing_count("mfc_plate_id") == 6);
  CHECK(m.row_meta().value("count_cv", 0) == "14|15|14");
  CHECK(m.data()(4, 3) == -9.822065353393555); // line 13 (DMSO row), 4th number
  CHECK(m.data()(5, 5) == -6.0);
}

TEST_CASE("gct: a text GCT named .gctx is read by content, an HDF5 GCTX is refused clearly",
          "[io][gct]") {
  const char* text = "gct_fixtures/gct_text_with_gctx_extension.gctx";
  CIMPUTE_REQUIRE_DATA(text);
  CHECK(cimpute::read_gct(cimpute_test::data_path(text)).rows() == 978);
  const std::string h5 = cimpute_test::data_path("l1000/a375_level3_plate_n978x377.gctx");
  CIMPUTE_REQUIRE_DATA("l1000/a375_level3_plate_n978x377.gctx");
  CHECK(cimpute::detail::is_hdf5_file(h5));
  CHECK_FALSE(cimpute::detail::is_hdf5_file(cimpute_test::data_path(text)));
  CHECK_THROWS_WITH(cimpute::read_gct(h5), Catch::Contains("HDF5") && Catch::Contains("GCTX"));
}

TEST_CASE("gct: the bad-header fixture is rejected at line 2", "[io][gct]") {
  const char* rel = "gct_fixtures/modzs_n25x50_bad_header.gct";
  CIMPUTE_REQUIRE_DATA(rel);
  // Line 2 claims 15 column-metadata rows; the file has 54 lines, 3 + 15 + 50 = 68 are needed.
  try {
    cimpute::read_gct(cimpute_test::data_path(rel));
    FAIL("bad header accepted");
  } catch (const cimpute::parse_error& e) {
    CHECK(e.line() == 2);
    CHECK(e.file() == cimpute_test::data_path(rel));
    CHECK_THAT(e.message(), Catch::Contains("15 column-metadata rows") &&
                                Catch::Contains("68 lines") && Catch::Contains("54"));
  }
}

TEST_CASE("gct: malformed files give parse errors with the right line", "[io][gct]") {
  const std::string good = "#1.3\n2\t2\t1\t1\nid\tsym\tA\tB\ndose\t-666\t1\t2\n"
                           "g1\tX\t1.5\t2\ng2\tY\t3\t4\n";
  CHECK(cimpute::read_gct(write_temp("good.gct", good)).data()(1, 1) == 4.0);

  SECTION("empty file") {
    CHECK(gct_error_of("empty.gct", "").line() == 1);
    CHECK(gct_error_of("blank.gct", "\n\n").line() == 1);
  }
  SECTION("not a GCT version line") {
    const auto e = gct_error_of("ver.gct", "#1.4\n1\t1\t0\t0\nid\tA\ng\t1\n");
    CHECK(e.line() == 1);
  }
  SECTION("truncated: the last data row missing") {
    const auto e = gct_error_of("trunc.gct", good.substr(0, good.rfind("g2")));
    CHECK(e.line() == 2);
    CHECK_THAT(e.message(), Catch::Contains("only 5 lines"));
  }
  SECTION("truncated in the middle of a row") {
    const auto e = gct_error_of("trunc2.gct", good.substr(0, good.size() - 3));
    CHECK(e.line() == 6);
  }
  SECTION("more rows than declared") {
    const auto e = gct_error_of("extra.gct", good + "g3\tZ\t5\t6\n");
    CHECK(e.line() == 7);
  }
  SECTION("ragged rows") {
    auto e = gct_error_of("short.gct", "#1.3\n2\t2\t0\t0\nid\tA\tB\ng1\t1\ng2\t3\t4\n");
    CHECK(e.line() == 4);
    e = gct_error_of("long.gct", "#1.3\n2\t2\t0\t0\nid\tA\tB\ng1\t1\t2\ng2\t3\t4\t5\n");
    CHECK(e.line() == 5);
    e = gct_error_of("hdr3.gct", "#1.3\n1\t3\t0\t0\nid\tA\tB\ng1\t1\t2\t3\n");
    CHECK(e.line() == 3);
    e = gct_error_of("cm.gct", "#1.3\n1\t2\t0\t1\nid\tA\tB\ndose\t1\ng1\t1\t2\n");
    CHECK(e.line() == 4);
  }
  SECTION("non-numeric cell") {
    const auto e = gct_error_of("nonnum.gct", "#1.3\n2\t2\t0\t0\nid\tA\tB\ng1\t1\t2\ng2\t3\tx4\n");
    CHECK(e.line() == 5);
    CHECK(e.column() == 3);
    CHECK_THAT(e.message(), Catch::Contains("'x4'") && Catch::Contains("column 'B'"));
  }
  SECTION("missing-number tokens are NaN") {
    const auto m = cimpute::read_gct(
        write_temp("nan.gct", "#1.3\n1\t5\t0\t0\nid\tA\tB\tC\tD\tE\ng1\tNaN\tnan\tNA\t\t-1e-2\n"));
    CHECK(m.missing_count() == 4);
    CHECK(m.data()(0, 4) == -0.01);
  }
  SECTION("Latin-1 bytes in metadata are kept as they are") {
    const auto m = cimpute::read_gct(
        write_temp("latin1.gct", "#1.3\n1\t1\t0\t1\nid\tA\npert_idose\t10 \xB5M\ng1\t1\n"));
    CHECK(m.col_meta().value("pert_idose", 0) == "10 \xB5M");
  }
  SECTION("duplicate ids") {
    auto e = gct_error_of("duprow.gct", "#1.3\n2\t1\t0\t0\nid\tA\ng1\t1\ng1\t2\n");
    CHECK(e.line() == 5);
    CHECK_THAT(e.message(), Catch::Contains("duplicate row id 'g1'"));
    e = gct_error_of("dupcol.gct", "#1.3\n1\t2\t0\t0\nid\tA\tA\ng1\t1\t2\n");
    CHECK(e.line() == 3);
    CHECK(e.column() == 3);
  }
  SECTION("absurd declared sizes are rejected before allocation") {
    auto e = gct_error_of("huge.gct", "#1.3\n99999999\t99999999\t0\t0\nid\tA\ng1\t1\n");
    CHECK(e.line() == 2);
    e = gct_error_of("huge2.gct", "#1.3\n18446744073709551615\t2\t0\t0\nid\tA\n");
    CHECK(e.line() == 2);
    e = gct_error_of("neg.gct", "#1.3\n-1\t2\t0\t0\nid\tA\tB\n");
    CHECK(e.line() == 2);
    CHECK(e.column() == 1);
    e = gct_error_of("dims.gct", "#1.3\n1\t2\nid\tA\tB\ng\t1\t2\n");
    CHECK(e.line() == 2);
  }
  SECTION("an unreadable path is an invalid_argument naming the file") {
    CHECK_THROWS_WITH(cimpute::read_gct("/nonexistent/x.gct"),
                      Catch::Contains("read_gct") && Catch::Contains("/nonexistent/x.gct"));
  }
}

TEMPLATE_TEST_CASE("gct: write then read gives back the same matrix and metadata", "[io][gct]",
                   float, double) {
  const char* rel = "l1000/a375_level3_plate_n978x377.gct";
  CIMPUTE_REQUIRE_DATA(rel);
  auto m = cimpute::read_gct<TestType>(cimpute_test::data_path(rel));
  // Values needing every digit, NaN and infinities survive too.
  m.data()(0, 0) = TestType(1) / TestType(3);
  m.data()(1, 1) = std::numeric_limits<TestType>::quiet_NaN();
  m.data()(2, 2) = -std::numeric_limits<TestType>::infinity();
  m.data()(3, 3) = std::numeric_limits<TestType>::denorm_min();
  // One file per scalar type: ctest may run the two instantiations in parallel.
  const std::string name = "roundtrip" + std::to_string(sizeof(TestType)) + ".gct";
  const auto path = (cimpute_test::temp_dir() / name).string();
  cimpute::write_gct(path, m);
  const auto back = cimpute::read_gct<TestType>(path);
  CHECK(back.row_ids() == m.row_ids());
  CHECK(back.col_ids() == m.col_ids());
  CHECK(back.row_meta() == m.row_meta());
  CHECK(back.col_meta() == m.col_meta());
  const auto& a = m.data();
  const auto& b = back.data();
  CHECK(((a.array() == b.array()) || (a.array().isNaN() && b.array().isNaN())).all());
  // No temporary file left behind.
  for (const auto& entry : std::filesystem::directory_iterator(cimpute_test::temp_dir()))
    CHECK(entry.path().filename().string().find(name + ".tmp") == std::string::npos);

  // Fixed precision: 3 significant digits.
  cimpute::write_gct(path, m, 3);
  const auto rounded = cimpute::read_gct<TestType>(path);
  CHECK(rounded.data()(0, 0) == TestType(0.333));
  CHECK_THROWS_AS(cimpute::write_gct(path, m, 0), cimpute::invalid_argument);
}

TEST_CASE("writers write devices directly and refuse directories", "[io][gct]") {
  Eigen::MatrixXd d(1, 1);
  d << 1.0;
  const cimpute::LabeledMatrix<double> m(d, {"r"}, {"c"});
  // /dev/null is written to, not replaced by a renamed temporary.
  cimpute::write_gct("/dev/null", m);
  CHECK(std::filesystem::is_character_file("/dev/null"));
  CHECK_THROWS_WITH(cimpute::write_gct(cimpute_test::temp_dir().string(), m),
                    Catch::Contains("not a regular file"));
  // A symbolic link is followed: the file it points to is replaced, the link stays a link.
  const auto dir = cimpute_test::temp_dir();
  const auto target = dir / "symlink_target.gct", link = dir / "symlink_to_target.gct";
  std::filesystem::remove(link);
  std::ofstream(target.string()) << "old";
  std::filesystem::create_symlink(target, link);
  cimpute::write_gct(link.string(), m);
  CHECK(std::filesystem::is_symlink(std::filesystem::symlink_status(link)));
  CHECK(cimpute::read_gct<double>(target.string()).data()(0, 0) == 1.0);
}

TEST_CASE("gct: the writer refuses ids that would corrupt the file and leaves no file",
          "[io][gct]") {
  Eigen::MatrixXd d(1, 1);
  d << 1.0;
  cimpute::LabeledMatrix<double> m(d, {"bad\tid"}, {"c"});
  const auto path = (cimpute_test::temp_dir() / "refused.gct").string();
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(cimpute::write_gct(path, m), Catch::Contains("bad\tid"));
  CHECK_FALSE(std::filesystem::exists(path));
  // Round trip of a 1.2 file: Description becomes a 1.3 row-metadata field.
  CIMPUTE_REQUIRE_DATA("gct_fixtures/older_version_v1_2.gct");
  const auto o = cimpute::read_gct(cimpute_test::data_path("gct_fixtures/older_version_v1_2.gct"));
  cimpute::write_gct(path, o);
  const auto back = cimpute::read_gct(path);
  CHECK(back.row_meta() == o.row_meta());
  CHECK(back.data() == o.data());
}
