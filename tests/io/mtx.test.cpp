// Tests of the Matrix Market / 10x reader and writer (cimpute/io/mtx.hpp).
#include "cimpute/io/mtx.hpp"

#include "test_data.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

std::string write_temp(const std::string& name, const std::string& content) {
  const auto path = (cimpute_test::temp_dir() / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

cimpute::parse_error mtx_error_of(const std::string& name, const std::string& content) {
  const std::string path = write_temp(name, content);
  try {
    cimpute::read_mtx(path);
  } catch (const cimpute::parse_error& e) {
    return e;
  }
  FAIL("read_mtx accepted the malformed file " << name);
  throw std::logic_error("unreachable");
}

template <class Scalar>
double total(const cimpute::SparseLabeledMatrix<Scalar>& m) {
  return static_cast<double>(m.data().sum());
}

} // namespace

TEST_CASE("mtx: 10x v2 folder (uncompressed, genes.tsv)", "[io][mtx]") {
  const char* rel = "formats/10x_v2_hg19_chr21";
  CIMPUTE_REQUIRE_DATA(rel);
  const auto m = cimpute::read_10x_mtx(cimpute_test::data_path(rel));
  // matrix.mtx line 3: "343 12 12"; genes.tsv 343 lines, barcodes.tsv 12 lines.
  CHECK(m.rows() == 343);
  CHECK(m.cols() == 12);
  CHECK(m.nonzeros() == 12);
  CHECK(total(m) == 12.0);              // awk 'NR>3{s+=$3}'
  CHECK(m.data().coeff(200, 0) == 1.0); // line 4: "201 1 1"
  CHECK(m.row_ids()[0] == "DSCAM");
  CHECK(m.row_meta().field_names() == std::vector<std::string>{"name"});
  CHECK(m.col_ids()[0] == "AACACGTGTACGCTGC-1");
}

TEST_CASE("mtx: 10x v3 folder (gzip, features.tsv with type, %metadata_json)", "[io][mtx]") {
  const char* rel = "formats/10x_v3";
  CIMPUTE_REQUIRE_DATA(rel);
#if CIMPUTE_HAS_ZLIB
  const auto m = cimpute::read_10x_mtx<float>(cimpute_test::data_path(rel));
  CHECK(m.rows() == 507);
  CHECK(m.cols() == 1107);
  CHECK(m.nonzeros() == 23866);
  CHECK(total(m) == 41549.0);            // zcat matrix.mtx.gz | awk 'NR>3{s+=$3}'
  CHECK(m.data().coeff(457, 0) == 3.0f); // first entry "458 1 3"
  CHECK(m.row_ids()[0] == "ENSG00000279493");
  CHECK(m.row_meta().value("name", 0) == "CH507-9B2.2");
  CHECK(m.row_meta().value("feature_type", 0) == "Gene Expression");
  CHECK(m.col_ids()[0] == "AAACCCAAGGAGAGTA-1");
#else
  CHECK_THROWS_WITH(cimpute::read_10x_mtx(cimpute_test::data_path(rel)), Catch::Contains("zlib"));
#endif
}

TEST_CASE("mtx: Papalexi response counts with explicit gene and barcode files", "[io][mtx]") {
  const std::string dir = "perturbseq/papalexi/";
  CIMPUTE_REQUIRE_DATA(dir + "papalexi_lowmoi_response_counts.mtx.gz");
#if CIMPUTE_HAS_ZLIB
  const auto m =
      cimpute::read_10x_mtx(cimpute_test::data_path(dir + "papalexi_lowmoi_response_counts.mtx.gz"),
                            cimpute_test::data_path(dir + "papalexi_lowmoi_genes.tsv"),
                            cimpute_test::data_path(dir + "papalexi_lowmoi_barcodes.tsv"));
  REQUIRE(m.rows() == 299);
  REQUIRE(m.cols() == 20729);
  CHECK(m.nonzeros() == 1390126);
  // zcat | awk 'NR>2{s+=$3; if($1==1)r+=$3; if($2==1)c+=$3}': 4299765, row 1: 1103, col 1: 212.
  CHECK(total(m) == 4299765.0);
  CHECK(m.data().row(0).sum() == 1103.0);
  CHECK(m.data().col(0).sum() ==
        212.0); // = n_umi_response of cell_1 in papalexi_lowmoi_cell_meta.csv
  CHECK(m.row_ids()[0] == "PCBP3");
  CHECK(m.row_meta().num_fields() == 0); // one-column gene file: ids only
  CHECK(m.col_ids()[0] == "cell_1");

  // The bare reader numbers rows and columns.
  const auto g =
      cimpute::read_mtx(cimpute_test::data_path(dir + "papalexi_lowmoi_grna_counts.mtx.gz"));
  CHECK(g.rows() == 110);
  CHECK(g.cols() == 20729);
  CHECK(g.nonzeros() == 162681);
  CHECK(total(g) == 4619963.0);
  CHECK(g.row_ids()[0] == "1");
  CHECK(g.col_ids().back() == "20729");

  // Features / barcodes that do not match the matrix.
  CHECK_THROWS_WITH(
      cimpute::read_10x_mtx(cimpute_test::data_path(dir + "papalexi_lowmoi_response_counts.mtx.gz"),
                            cimpute_test::data_path(dir + "papalexi_lowmoi_grnas.tsv"),
                            cimpute_test::data_path(dir + "papalexi_lowmoi_barcodes.tsv")),
      Catch::Contains("110 features") && Catch::Contains("299 rows"));
#endif
}

TEST_CASE("mtx: a truncated gzip file is an error, not a short matrix", "[io][mtx]") {
  const char* rel = "formats/10x_v3/matrix.mtx.gz";
  CIMPUTE_REQUIRE_DATA(rel);
#if CIMPUTE_HAS_ZLIB
  std::ifstream in(cimpute_test::data_path(rel), std::ios::binary);
  std::string head(20000, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  const auto path = write_temp("truncated.mtx.gz", head);
  CHECK_THROWS_WITH(cimpute::read_mtx(path),
                    Catch::Contains("truncated.mtx.gz") && Catch::Contains("gzip"));
#endif
}

TEST_CASE("mtx: mismatched and duplicated labels in a 10x folder", "[io][mtx]") {
  const auto dir = cimpute_test::temp_dir() / "tenx_bad";
  std::filesystem::create_directories(dir);
  auto put = [&](const char* name, const std::string& content) {
    std::ofstream((dir / name).string(), std::ios::binary) << content;
  };
  put("matrix.mtx", "%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 2 5\n");
  put("genes.tsv", "g1\tA\ng2\tB\n");
  put("barcodes.tsv", "c1\n");
  CHECK_THROWS_WITH(cimpute::read_10x_mtx(dir.string()),
                    Catch::Contains("1 barcodes") && Catch::Contains("2 columns"));
  put("barcodes.tsv", "c1\nc1\n");
  try {
    cimpute::read_10x_mtx(dir.string());
    FAIL("duplicate barcode accepted");
  } catch (const cimpute::parse_error& e) {
    CHECK(e.line() == 2);
    CHECK_THAT(e.message(), Catch::Contains("duplicate barcode 'c1'"));
  }
  put("barcodes.tsv", "c1\nc2\n");
  put("genes.tsv", "g1\tA\ng2\n");
  CHECK_THROWS_AS(cimpute::read_10x_mtx(dir.string()), cimpute::parse_error);
  put("genes.tsv", "g1\tA\ng2\tA\n"); // repeated symbols are fine: the id column is the row id
  const auto m = cimpute::read_10x_mtx(dir.string());
  CHECK(m.data().coeff(0, 1) == 5.0);
  CHECK(m.row_meta().field("name") == std::vector<std::string>{"A", "A"});
  std::filesystem::remove((dir / "matrix.mtx").string());
  CHECK_THROWS_WITH(cimpute::read_10x_mtx(dir.string()), Catch::Contains("matrix.mtx"));
}

TEST_CASE("mtx: malformed Matrix Market files", "[io][mtx]") {
  const std::string banner = "%%MatrixMarket matrix coordinate integer general\n";
  CHECK(
      cimpute::read_mtx(write_temp("ok.mtx", banner + "% c\n\n2 3 2\n1 1 4\n2 3 5")).data().sum() ==
      9.0);
  SECTION("index out of range") {
    auto e = mtx_error_of("row0.mtx", banner + "2 3 1\n0 1 4\n");
    CHECK(e.line() == 3);
    CHECK(e.column() == 1);
    e = mtx_error_of("col4.mtx", banner + "2 3 2\n1 1 4\n2 4 1\n");
    CHECK(e.line() == 4);
    CHECK(e.column() == 2);
    CHECK_THAT(e.message(), Catch::Contains("[1, 3]"));
  }
  SECTION("entry count differs from nnz") {
    auto e = mtx_error_of("few.mtx", banner + "%\n2 3 3\n1 1 4000\n2 2 1000\n");
    CHECK(e.line() == 3);
    CHECK_THAT(e.message(), Catch::Contains("nnz = 3") && Catch::Contains("only 2"));
    e = mtx_error_of("many.mtx", banner + "2 3 1\n1 1 4\n2 2 1\n");
    CHECK(e.line() == 4);
  }
  SECTION("bad values, fields and banners") {
    CHECK(mtx_error_of("real.mtx", banner + "2 2 1\n1 1 1.5\n").column() == 3);
    CHECK(mtx_error_of("extra.mtx", banner + "2 2 1\n1 1 1 7\n").line() == 3);
    CHECK(mtx_error_of("missing.mtx", banner + "10 10 1\n10 10\n").line() == 3);
    CHECK_THAT(
        mtx_error_of("sym.mtx", "%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 1 1\n")
            .message(),
        Catch::Contains("symmetric"));
    CHECK(mtx_error_of("array.mtx", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n")
              .line() == 1);
    CHECK(mtx_error_of("nobanner.mtx", "2 2 1\n1 1 1\n").line() == 1);
    CHECK(mtx_error_of("empty.mtx", "").line() == 1);
    CHECK(mtx_error_of("nosize.mtx", banner + "%only comments\n").line() == 3);
  }
  SECTION("absurd declared sizes are rejected before allocation") {
    // 3 entries need at least 3 x 6 bytes ("1 1 1\n"); 12 bytes are left.
    CHECK_THAT(mtx_error_of("short.mtx", banner + "2 3 3\n1 1 4\n2 2 1\n").message(),
               Catch::Contains("cannot fit"));
    auto e = mtx_error_of("hugennz.mtx", banner + "10 10 99999999999\n1 1 1\n");
    CHECK(e.line() == 2);
    CHECK(e.column() == 3);
    e = mtx_error_of("hugedim.mtx", banner + "99999999999 1 0\n");
    CHECK(e.line() == 2);
    e = mtx_error_of("negdim.mtx", banner + "-2 1 0\n");
    CHECK(e.line() == 2);
  }
  SECTION("real and pattern fields; duplicates are summed") {
    const auto r = cimpute::read_mtx(write_temp(
        "realok.mtx",
        "%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1.5\n1 1 2e-1\n2 1 -3\n"));
    CHECK(r.data().coeff(0, 0) == Approx(1.7));
    CHECK(r.data().coeff(1, 0) == -3.0);
    const auto p = cimpute::read_mtx(write_temp(
        "pattern.mtx", "%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 2\n2 1\n"));
    CHECK(p.data().coeff(0, 1) == 1.0);
    CHECK(p.data().sum() == 2.0);
  }
}

TEMPLATE_TEST_CASE("mtx: write_10x_mtx / write_mtx round trips", "[io][mtx]", float, double) {
  const char* rel = "formats/10x_v2_hg19_chr21";
  CIMPUTE_REQUIRE_DATA(rel);
  const auto m = cimpute::read_10x_mtx<TestType>(cimpute_test::data_path(rel));
  const auto dir =
      (cimpute_test::temp_dir() / ("tenx_roundtrip" + std::to_string(sizeof(TestType)))).string();
  cimpute::write_10x_mtx(dir, m);
  const auto back = cimpute::read_10x_mtx<TestType>(dir);
  CHECK(back.row_ids() == m.row_ids());
  CHECK(back.col_ids() == m.col_ids());
  CHECK(back.row_meta() == m.row_meta());
  CHECK((back.data().toDense() - m.data().toDense()).cwiseAbs().maxCoeff() == 0);

  // Real values written with round-trip precision.
  typename cimpute::SparseLabeledMatrix<TestType>::SparseMatrix s(3, 2);
  s.insert(0, 0) = TestType(1) / TestType(3);
  s.insert(2, 1) = TestType(-2.5e-7);
  cimpute::SparseLabeledMatrix<TestType> r(s, {"a", "b", "c"}, {"x", "y"},
                                           cimpute::MetadataTable(3), cimpute::MetadataTable(2));
  const auto path =
      (cimpute_test::temp_dir() / ("real_roundtrip" + std::to_string(sizeof(TestType)))).string();
  cimpute::write_mtx(path, r);
  const auto rb = cimpute::read_mtx<TestType>(path);
  CHECK(rb.data().coeff(0, 0) == TestType(1) / TestType(3));
  CHECK(rb.data().coeff(2, 1) == TestType(-2.5e-7));
  CHECK(rb.nonzeros() == 2);
}
