#include "test_data.hpp"

#include <cimpute/core/errors.hpp>
#include <cimpute/core/labeled_matrix.hpp>
#include <cimpute/core/labels.hpp>
#include <cimpute/core/metadata_table.hpp>
#include <cimpute/core/sparse_labeled_matrix.hpp>

#include <cmath>

using cimpute::LabeledMatrix;
using cimpute::MetadataTable;

TEST_CASE("Labels: lookup, duplicates, interning", "[core][labels]") {
  cimpute::Labels l({"a", "b", "c"});
  CHECK(l.size() == 3);
  CHECK(l.find("b") == 1);
  CHECK(l.find("z") == -1);
  CHECK_THROWS_AS(l.index("z", "f"), cimpute::invalid_argument);
  CHECK_THROWS_WITH(l.index("z", "myfn"), Catch::Contains("myfn") && Catch::Contains("'z'"));
  CHECK_THROWS_WITH(cimpute::Labels({"x", "y", "x"}, "gene"),
                    Catch::Contains("duplicate gene 'x'") && Catch::Contains("0 and 2"));
  CHECK(l.intern("c") == 2);
  CHECK(l.intern("d") == 3);
  CHECK(l.select({3, 0}).ids() == std::vector<std::string>{"d", "a"});
  CHECK_THROWS_AS(l.select({4}), cimpute::invalid_argument);
}

TEST_CASE("MetadataTable: typed accessors and missing tokens", "[core][metadata]") {
  MetadataTable m(4);
  m.add_field("dose", {"10", "-666", "2.5e-1", "na"});
  m.add_field("count", {"1", "2", "-3", "40000000000"});
  m.add_field("name", {"a", "b", "c", "d\xb5"});
  CHECK(m.num_fields() == 3);
  CHECK(m.missing_count("dose") == 2);
  const Eigen::VectorXd d = m.as_double("dose");
  CHECK(d[0] == 10.0);
  CHECK(std::isnan(d[1]));
  CHECK(d[2] == 0.25);
  CHECK(std::isnan(d[3]));
  CHECK(m.as_int64("count")[3] == 40000000000LL);
  CHECK_THROWS_WITH(m.as_double("name"), Catch::Contains("'name'") && Catch::Contains("'a'"));
  CHECK_THROWS_WITH(m.field("nope"), Catch::Contains("nope"));
  CHECK_THROWS_AS(m.add_field("dose", {"1", "2", "3", "4"}), cimpute::invalid_argument);
  CHECK_THROWS_WITH(m.add_field("short", {"1"}), Catch::Contains("1 values, expected 4"));
  const MetadataTable s = m.select({3, 1});
  CHECK(s.size() == 2);
  CHECK(s.value("name", 0) == "d\xb5");
  CHECK(s.value("count", 1) == "2");
  // Renaming keeps the order and the values; clashes and unknown names throw.
  MetadataTable r = m;
  r.rename_field("count", "n");
  CHECK(r.field_names() == std::vector<std::string>{"dose", "n", "name"});
  CHECK(r.field("n") == m.field("count"));
  r.rename_field("n", "n");
  CHECK_THROWS_WITH(r.rename_field("n", "dose"), Catch::Contains("'dose' exists already"));
  CHECK_THROWS_WITH(r.rename_field("count", "x"), Catch::Contains("'count'"));
}

TEMPLATE_TEST_CASE("LabeledMatrix: invariants, selection, transpose", "[core][labeled_matrix]",
                   float, double) {
  using M = typename LabeledMatrix<TestType>::Matrix;
  M d(2, 3);
  d << 1, 2, 3, 4, 5, 6;
  MetadataTable rm(2), cm(3);
  rm.add_field("symbol", {"G1", "G2"});
  cm.add_field("cell", {"A", "B", "C"});
  LabeledMatrix<TestType> m(d, {"r1", "r2"}, {"c1", "c2", "c3"}, rm, cm);
  CHECK(m.at("r2", "c3") == TestType(6));
  const auto s = m.select_cols({"c3", "c1"});
  CHECK(s.cols() == 2);
  CHECK(s.data()(1, 0) == TestType(6));
  CHECK(s.col_meta().value("cell", 0) == "C");
  const auto t = m.transposed();
  CHECK(t.rows() == 3);
  CHECK(t.row_meta().value("cell", 2) == "C");
  CHECK(t.data() == d.transpose());
  CHECK_THROWS_WITH(LabeledMatrix<TestType>(d, {"r1"}, {"c1", "c2", "c3"}),
                    Catch::Contains("1 row ids for 2 rows"));
  CHECK_THROWS_WITH(LabeledMatrix<TestType>(d, {"r1", "r1"}, {"c1", "c2", "c3"}),
                    Catch::Contains("duplicate row id 'r1'"));
  CHECK_THROWS_AS(LabeledMatrix<TestType>(d, {"r1", "r2"}, {"c1", "c2", "c3"}, rm, rm),
                  cimpute::invalid_argument);
  CHECK_THROWS_WITH(m.at("r9", "c1"), Catch::Contains("LabeledMatrix::row_index"));
}

TEST_CASE("SparseLabeledMatrix: dense copy and transpose agree", "[core][sparse]") {
  using S = cimpute::SparseLabeledMatrix<double>::SparseMatrix;
  S s(3, 2);
  s.insert(0, 0) = 1;
  s.insert(2, 1) = 5;
  s.makeCompressed();
  cimpute::SparseLabeledMatrix<double> m(s, {"g1", "g2", "g3"}, {"c1", "c2"}, MetadataTable(3),
                                         MetadataTable(2));
  CHECK(m.nonzeros() == 2);
  const auto d = m.to_dense();
  CHECK(d.at("g3", "c2") == 5.0);
  CHECK(d.data().sum() == 6.0);
  CHECK(m.transposed().to_dense().data() == d.data().transpose());
  CHECK_THROWS_AS(cimpute::SparseLabeledMatrix<double>(s, {"g1"}, {"c1", "c2"}, MetadataTable(1),
                                                       MetadataTable(2)),
                  cimpute::invalid_argument);
}

TEST_CASE("parse_error carries file, line and column", "[core][errors]") {
  const cimpute::parse_error e("x.gct", 7, 3, "expected a number");
  CHECK(std::string(e.what()) == "x.gct:7:3: expected a number");
  CHECK(e.line() == 7);
  CHECK(e.column() == 3);
  const std::invalid_argument& base = e;
  CHECK(std::string(base.what()).find("x.gct") == 0);
}
