// Tests of the delimited-table reader / writer (cimpute/io/table.hpp).
#include "cimpute/io/table.hpp"
#include "cimpute/io/edge_list.hpp"

#include "test_data.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>

namespace {

std::string write_temp(const std::string& name, const std::string& content) {
  const auto path = (cimpute_test::temp_dir() / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

cimpute::parse_error table_error_of(const std::string& name, const std::string& content,
                                    const cimpute::TableReadOptions& opt = {}) {
  const std::string path = write_temp(name, content);
  try {
    cimpute::read_table(path, opt);
  } catch (const cimpute::parse_error& e) {
    return e;
  }
  FAIL("read_table accepted the malformed file " << name);
  throw std::logic_error("unreachable");
}

cimpute::TableReadOptions labels(std::vector<std::string> cols) {
  cimpute::TableReadOptions o;
  o.label_columns = std::move(cols);
  return o;
}

} // namespace

TEST_CASE("table: the L1000 24-cells x 20-drugs TSV", "[io][table]") {
  const char* rel = "l1000/lincs_level2_24cells_20drugs.tsv";
  CIMPUTE_REQUIRE_DATA(rel);
  const auto m =
      cimpute::read_table(cimpute_test::data_path(rel), labels({"unit", "intervention"}));
  // awk -F'\t': 303 lines (header + 302 records), 981 fields = index, unit, intervention, 978
  // genes.
  REQUIRE(m.rows() == 978);
  REQUIRE(m.cols() == 302);
  CHECK(m.row_ids().front() == "780");
  CHECK(m.row_ids().back() == "79716");
  CHECK(m.col_ids().front() == "0"); // the unnamed index column gives the sample ids
  CHECK(m.col_ids().back() == "301");
  CHECK(m.col_meta().field_names() == std::vector<std::string>{"unit", "intervention"});
  CHECK(m.col_meta().value("unit", 0) == "HEPG2");
  CHECK(m.col_meta().value("intervention", 0) == "BRD-A19037878");
  CHECK(m.col_meta().value("unit", 301) == "A549");
  CHECK(m.data()(0, 0) == 256.67075);
  CHECK(m.data()(0, 301) == 285.375);
  CHECK(m.data()(977, 301) == 991.375);
  // awk -F'\t' 'NR>1{s+=$4}': column of gene 780 sums to 119500.27024.
  CHECK(m.data().row(0).sum() == Approx(119500.27024).epsilon(1e-12));
  CHECK(m.missing_count() == 0);
}

TEST_CASE("table: Sachs CSV with named label columns and generated ids", "[io][table]") {
  const char* rel = "sachs/sachs_9conditions_labeled.csv";
  CIMPUTE_REQUIRE_DATA(rel);
  const auto m = cimpute::read_table<float>(cimpute_test::data_path(rel),
                                            labels({"condition", "target", "iv_type"}));
  REQUIRE(m.rows() == 11);
  REQUIRE(m.cols() == 7466);
  CHECK(m.row_ids().front() == "praf");
  CHECK(m.row_ids().back() == "pjnk");
  CHECK(m.col_ids().front() == "row1");
  CHECK(m.col_ids().back() == "row7466");
  CHECK(m.data()(0, 0) == 26.4f);
  CHECK(m.data()(10, 7465) == 1.65f); // last line
  // awk -F, 'NR>1{s+=$4}': praf sums to 926321.03.
  CHECK(m.data().row(0).template cast<double>().sum() == Approx(926321.03).epsilon(1e-6));
  const auto& target = m.col_meta().field("target");
  // README: observational = the two `none` conditions, 853 + 902 = 1755 cells.
  CHECK(std::count(target.begin(), target.end(), "none") == 1755);
  CHECK(m.col_meta().value("condition", 7465) == "b2camp");
}

TEST_CASE("table: the COVID log2 fold-change CSV (genes as records)", "[io][table]") {
  const char* rel = "covid/sarscov2_a549_log2fc.csv";
  CIMPUTE_REQUIRE_DATA(rel);
  // Header ",0": unnamed index (gene symbols) and one numeric column named "0".
  const auto m = cimpute::read_table(cimpute_test::data_path(rel)).transposed();
  REQUIRE(m.rows() == 17785);
  REQUIRE(m.cols() == 1);
  CHECK(m.col_ids() == std::vector<std::string>{"0"});
  CHECK(m.at("CYB5B", "0") == -1.7198589944654064);
  CHECK(m.at("AMBN", "0") == 0.0);
  CHECK(m.data().sum() == Approx(-394.0050730962).epsilon(1e-10)); // awk -F, 'NR>1{s+=$2}'
}

TEST_CASE("table: read_delimited on a label-only table", "[io][table]") {
  const char* rel = "perturbseq/papalexi/papalexi_lowmoi_grna_targets.csv";
  CIMPUTE_REQUIRE_DATA(rel);
  const auto t = cimpute::read_delimited(cimpute_test::data_path(rel));
  CHECK(t.header == std::vector<std::string>{"grna_id", "grna_target"});
  CHECK(t.rows.size() == 110); // README: 110 gRNAs
  CHECK(t.rows[0] == std::vector<std::string>{"ATF2g1", "ATF2"});
  CHECK(t.column("grna_target") == 1);
  CHECK_THROWS_AS(t.column("nope"), cimpute::invalid_argument);
}

TEST_CASE("table: read_delimited keeps each record's file line", "[io][table]") {
  // Blank lines are skipped by the reader but still count: the second record is on line 4.
  const auto t = cimpute::read_delimited(write_temp("gaps.csv", "a,b\n1,2\n\n3,4\n"));
  REQUIRE(t.rows.size() == 2);
  CHECK(t.line(0) == 2);
  CHECK(t.line(1) == 4);
  // An edge-list error names that line.
  CHECK_THROWS_WITH(
      cimpute::read_edge_list(write_temp("gaps_edges.csv", "cause,effect\na,b\n\nb,a\n")),
      Catch::Contains(":4:"));
}

TEST_CASE("table: delimiter detection, quoting, missing values, id column", "[io][table]") {
  SECTION("semicolon with an id column") {
    cimpute::TableReadOptions o;
    o.id_column = "cell";
    o.label_columns = {"kind"};
    const auto m =
        cimpute::read_table(write_temp("semi.csv", "cell;kind;g1;g2\nc1;a;1;2\nc2;b;NA;4e3\n"), o);
    CHECK(m.col_ids() == std::vector<std::string>{"c1", "c2"});
    CHECK(m.row_ids() == std::vector<std::string>{"g1", "g2"});
    CHECK(std::isnan(m.data()(0, 1)));
    CHECK(m.data()(1, 1) == 4000.0);
  }
  SECTION("quoted CSV fields with delimiters and escaped quotes") {
    const auto m = cimpute::read_table(
        write_temp("quoted.csv",
                   "\"\",\"label, with comma\",\"x\"\n\"s1\",\"say \"\"hi\"\"\",\"1.5\"\ns2,,\n"),
        labels({"label, with comma"}));
    CHECK(m.col_ids() == std::vector<std::string>{"s1", "s2"});
    CHECK(m.col_meta().value("label, with comma", 0) == "say \"hi\"");
    CHECK(m.col_meta().value("label, with comma", 1).empty());
    CHECK(m.data()(0, 0) == 1.5);
    CHECK(std::isnan(m.data()(0, 1)));
  }
  SECTION("CRLF line ends and blank lines") {
    const auto m =
        cimpute::read_table(write_temp("crlf.tsv", "\ta\tb\r\nr1\t1\t2\r\n\r\nr2\t3\t4\r\n"));
    CHECK(m.cols() == 2);
    CHECK(m.data()(1, 1) == 4.0);
  }
}

TEST_CASE("table: malformed tables give parse errors naming line and column", "[io][table]") {
  SECTION("ragged record") {
    const auto e = table_error_of("ragged.csv", "a,b,c\n1,2,3\n4,5\n");
    CHECK(e.line() == 3);
    CHECK_THAT(e.message(), Catch::Contains("expected 3 fields") && Catch::Contains("found 2"));
  }
  SECTION("non-numeric cell names the column header and the line") {
    const auto e = table_error_of("nonnum.tsv", "\tunit\tg1\tg2\n0\tA\t1\t2\n1\tB\t3\toops\n",
                                  labels({"unit"}));
    CHECK(e.line() == 3);
    CHECK(e.column() == 4);
    CHECK_THAT(e.message(), Catch::Contains("column 'g2'") && Catch::Contains("'oops'"));
  }
  SECTION("unnamed label column left out of the options") {
    const auto e = table_error_of("labels.csv", "id,kind,x\n1,a,2\n");
    CHECK(e.line() == 2);
    CHECK_THAT(e.message(), Catch::Contains("column 'kind'"));
  }
  SECTION("empty file, unknown option column, duplicates, bad quotes") {
    CHECK(table_error_of("empty.csv", "").line() == 1);
    CHECK(table_error_of("unknown.csv", "a,b\n1,2\n", labels({"zzz"})).line() == 1);
    CHECK(table_error_of("dupcol.csv", "a,a\n1,2\n").column() == 2);
    CHECK(table_error_of("dupid.csv", ",a\nx,1\ny,2\nx,3\n").line() == 4);
    CHECK(table_error_of("quote.csv", "a,b\n\"1,2\n").line() == 2);
    CHECK(table_error_of("quote2.csv", "a,b\n\"1\"x,2\n").line() == 2);
  }
  SECTION("option validation") {
    cimpute::TableReadOptions o;
    o.label_columns = {"a"};
    o.id_column = "a";
    CHECK_THROWS_AS(o.validate(), cimpute::invalid_argument);
    cimpute::TableReadOptions q;
    q.delimiter = '"';
    CHECK_THROWS_AS(q.validate(), cimpute::invalid_argument);
  }
}

TEMPLATE_TEST_CASE("table: write_table round-trips through read_table", "[io][table]", float,
                   double) {
  const char* rel = "l1000/lincs_level2_dmso_24cells.tsv";
  CIMPUTE_REQUIRE_DATA(rel);
  const auto opt = labels({"unit", "intervention"});
  auto m = cimpute::read_table<TestType>(cimpute_test::data_path(rel), opt);
  REQUIRE(m.cols() == 24);
  REQUIRE(m.rows() == 978);
  m.data()(0, 0) = TestType(1) / TestType(7);
  m.data()(1, 0) = std::numeric_limits<TestType>::quiet_NaN();
  for (char delim : {'\t', ',', ';'}) {
    INFO("delimiter code " << int(delim));
    const auto path =
        (cimpute_test::temp_dir() / ("roundtrip_table" + std::to_string(sizeof(TestType))))
            .string();
    cimpute::write_table(path, m, delim);
    const auto back = cimpute::read_table<TestType>(path, opt);
    CHECK(back.row_ids() == m.row_ids());
    CHECK(back.col_ids() == m.col_ids());
    CHECK(back.col_meta() == m.col_meta());
    CHECK(((back.data().array() == m.data().array()) ||
           (back.data().array().isNaN() && m.data().array().isNaN()))
              .all());
  }
  // Labels holding the delimiter and quotes are quoted and read back.
  Eigen::Matrix<TestType, 1, 2> d;
  d << 1, 2;
  cimpute::MetadataTable cm(2);
  cm.add_field("note", {"a,b", "say \"x\""});
  cimpute::LabeledMatrix<TestType> q(d, {"g"}, {"s,1", "s2"}, cimpute::MetadataTable(1), cm);
  const auto path =
      (cimpute_test::temp_dir() / ("quoted_roundtrip" + std::to_string(sizeof(TestType)))).string();
  cimpute::write_table(path, q, ',');
  const auto back = cimpute::read_table<TestType>(path, labels({"note"}));
  CHECK(back.col_ids() == q.col_ids());
  CHECK(back.col_meta() == q.col_meta());
}
