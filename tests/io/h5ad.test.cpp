// AnnData reading: dense and CSR matrices, categoricals, and agreement with the Matrix Market
// copy of the same Papalexi counts.
#include "test_data.hpp"

#include <cimpute/core/config.hpp>

#if CIMPUTE_HAS_HDF5
#include <cimpute/io/h5ad.hpp>
#include <cimpute/io/hdf5.hpp>
#include <cimpute/io/mtx.hpp>
#include <cimpute/io/table.hpp>

using cimpute_test::data_path;

TEST_CASE("h5ad: Papalexi counts equal the Matrix Market copy, obs columns equal the CSV",
          "[io][h5ad]") {
  const std::string h5ad = "perturbseq/papalexi/papalexi_lowmoi.h5ad";
  const std::string dir = "perturbseq/papalexi/";
  CIMPUTE_REQUIRE_DATA(h5ad);
  CIMPUTE_REQUIRE_DATA(dir + "papalexi_lowmoi_response_counts.mtx.gz");
  const auto a = cimpute::read_h5ad<double>(data_path(h5ad));
  REQUIRE(a.rows() == 299);
  REQUIRE(a.cols() == 20729);
  CHECK(a.nonzeros() == 1390126);
  const auto m =
      cimpute::read_10x_mtx<double>(data_path(dir + "papalexi_lowmoi_response_counts.mtx.gz"),
                                    data_path(dir + "papalexi_lowmoi_genes.tsv"),
                                    data_path(dir + "papalexi_lowmoi_barcodes.tsv"));
  CHECK(a.row_ids() == m.row_ids());
  CHECK(a.col_ids() == m.col_ids());
  CHECK((a.data() - m.data()).norm() == 0.0);
  // obs columns against the independent CSV export of the same cell metadata.
  const auto meta = cimpute::read_delimited(data_path(dir + "papalexi_lowmoi_cell_meta.csv"));
  REQUIRE(meta.rows.size() == 20729);
  for (const char* f : {"bio_rep", "grna_target", "n_umi_response"}) {
    INFO(f);
    const auto& got = a.col_meta().field(f);
    const std::size_t k = meta.column(f);
    for (std::size_t i = 0; i < meta.rows.size(); i += 997) CHECK(got[i] == meta.rows[i][k]);
  }
}

TEST_CASE("h5ad: dense X and CSR raw/X of pbmc68k_reduced", "[io][h5ad]") {
  const std::string rel = "formats/10x_pbmc68k_reduced.h5ad";
  CIMPUTE_REQUIRE_DATA(rel);
  const auto x = cimpute::read_h5ad<float>(data_path(rel));
  CHECK(x.rows() == 765); // var x obs: X is 700 cells x 765 genes
  CHECK(x.cols() == 700);
  cimpute::H5adOptions o;
  o.matrix = "raw/X";
  const auto raw = cimpute::read_h5ad<double>(data_path(rel), o);
  CHECK(raw.rows() == 765);
  CHECK(raw.cols() == 700);
  CHECK(raw.nonzeros() == 174400); // h5ls: raw/X/data {174400}
  // Categorical obs columns are decoded to their category names.
  const auto& bulk = x.col_meta().field("bulk_labels");
  CHECK(std::find(bulk.begin(), bulk.end(), "CD14+ Monocyte") != bulk.end());
  CHECK(x.col_meta().field_names().size() == 8);
  o.matrix = "obsm/X_pca";
  CHECK_THROWS_AS(cimpute::read_h5ad<double>(data_path(rel), o), cimpute::invalid_argument);
  o.matrix = "layers/none";
  CHECK_THROWS_WITH(cimpute::read_h5ad<double>(data_path(rel), o), Catch::Contains("layers/none"));
}

namespace {
// Write a minimal AnnData file (anndata >= 0.8 layout) with a 3 cells x 4 genes matrix stored
// dense, as CSR or as CSC, so that every encoding is checked against the same known matrix.
void write_small_h5ad(const std::string& path, const std::string& encoding) {
  namespace h5 = cimpute::detail::h5;
  h5::silence();
  h5::Handle f(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  REQUIRE(f.valid());
  // X (obs x var) = [[1 0 2 0], [0 0 3 4], [5 0 0 6]]
  const std::vector<double> dense{1, 0, 2, 0, 0, 0, 3, 4, 5, 0, 0, 6};
  if (encoding == "dense") {
    const hsize_t dims[2] = {3, 4};
    h5::Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
    h5::Handle d(H5Dcreate2(f, "X", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, dense.data());
  } else {
    h5::create_groups(f, "/X");
    h5::Handle g(H5Gopen2(f, "/X", H5P_DEFAULT), H5Gclose);
    h5::write_string_attribute(g, "encoding-type", encoding);
    h5::write_int_array_attribute(g, "shape", {3, 4});
    if (encoding == "csr_matrix") {
      h5::write_numeric<double>(f, "/X/data", {1, 2, 3, 4, 5, 6});
      h5::write_numeric<std::int32_t>(f, "/X/indices", {0, 2, 2, 3, 0, 3});
      h5::write_numeric<std::int32_t>(f, "/X/indptr", {0, 2, 4, 6});
    } else { // csc: columns are genes; column 2 stored unsorted on purpose
      h5::write_numeric<double>(f, "/X/data", {1, 5, 3, 2, 4, 6});
      h5::write_numeric<std::int64_t>(f, "/X/indices", {0, 2, 1, 0, 1, 2});
      h5::write_numeric<std::int64_t>(f, "/X/indptr", {0, 2, 2, 4, 6});
    }
  }
  for (const char* frame : {"/obs", "/var"}) {
    h5::create_groups(f, frame);
    h5::Handle g(H5Gopen2(f, frame, H5P_DEFAULT), H5Gclose);
    h5::write_string_attribute(g, "_index", "_index");
    h5::write_string_attribute(g, "encoding-type", "dataframe");
  }
  h5::write_strings(f, "/obs/_index", {"c1", "c2", "c3"});
  h5::write_strings(f, "/var/_index", {"g1", "g2", "g3", "g4"});
  // A categorical var column with a missing code (-1).
  h5::create_groups(f, "/var/kind");
  h5::write_numeric<std::int8_t>(f, "/var/kind/codes", {0, 1, -1, 0});
  h5::write_strings(f, "/var/kind/categories", {"coding", "lncRNA"});
  h5::Handle var(H5Gopen2(f, "/var", H5P_DEFAULT), H5Gclose);
  // column-order as a one-element string array attribute.
  h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, 4);
  const hsize_t one = 1;
  h5::Handle space(H5Screate_simple(1, &one, nullptr), H5Sclose);
  h5::Handle a(H5Acreate2(var, "column-order", type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  H5Awrite(a, type, "kind");
}
} // namespace

TEST_CASE("h5ad: dense, CSR and CSC encodings give the same features x cells matrix",
          "[io][h5ad]") {
  Eigen::MatrixXd expected(4, 3); // var x obs = transpose of X
  expected << 1, 0, 5, 0, 0, 0, 2, 3, 0, 0, 4, 6;
  for (const char* enc : {"dense", "csr_matrix", "csc_matrix"}) {
    INFO(enc);
    const auto path = (cimpute_test::temp_dir() / (std::string(enc) + ".h5ad")).string();
    write_small_h5ad(path, enc);
    const auto m = cimpute::read_h5ad<double>(path);
    CHECK(m.row_ids() == std::vector<std::string>{"g1", "g2", "g3", "g4"});
    CHECK(m.col_ids() == std::vector<std::string>{"c1", "c2", "c3"});
    CHECK(Eigen::MatrixXd(m.data()) == expected);
    CHECK(m.nonzeros() == 6);
    CHECK(m.row_meta().field("kind") == std::vector<std::string>{"coding", "lncRNA", "", "coding"});
  }
}

TEST_CASE("h5ad: non-HDF5 input is rejected", "[io][h5ad]") {
  const std::string rel = "gct_fixtures/test_n5x10.gct";
  CIMPUTE_REQUIRE_DATA(rel);
  CHECK_THROWS_WITH(cimpute::read_h5ad<double>(data_path(rel)),
                    Catch::Contains("not an HDF5 file"));
}
TEST_CASE("h5ad: write_h5ad round trip (pairs as obs, numeric and text fields)", "[io][h5ad]") {
  Eigen::MatrixXd v(3, 2); // genes x pairs
  v << 1.5, -2, 0, 3.25, 7, 1e-3;
  cimpute::MetadataTable rows(3), cols(2);
  rows.add_field("pr_gene_symbol", {"TP53", "MYC", "EGFR"});
  cols.add_field("pert_id", {"BRD-1", "BRD-2"});
  cols.add_field("cell_id", {"A549", "MCF7"});
  cols.add_field("variance", {"0.25", "1"});
  const cimpute::LabeledMatrix<double> m(v, {"7157", "4609", "1956"}, {"BRD-1:A549", "BRD-2:MCF7"},
                                         rows, cols);
  const auto path = (cimpute_test::temp_dir() / "written.h5ad").string();
  cimpute::write_h5ad(path, m);
  const auto back = cimpute::read_h5ad<double>(path);
  CHECK(back.row_ids() == m.row_ids());
  CHECK(back.col_ids() == m.col_ids());
  CHECK(Eigen::MatrixXd(back.data()).isApprox(v.cast<float>().cast<double>()));
  CHECK(back.col_meta().field("cell_id") == cols.field("cell_id"));
  CHECK(back.col_meta().as_double("variance") == Eigen::Vector2d(0.25, 1));
  CHECK(back.row_meta().field("pr_gene_symbol") == rows.field("pr_gene_symbol"));
  // The attributes anndata dispatches on.
  namespace h5 = cimpute::detail::h5;
  h5::Handle f = h5::open_file(path, "test");
  CHECK(h5::string_attribute(f, "encoding-type", path, "/", "test") == "anndata");
  h5::Handle obs = h5::open_group(f, "/obs", path, "test");
  CHECK(h5::string_array_attribute(obs, "column-order", path, "/obs", "test") ==
        std::vector<std::string>{"pert_id", "cell_id", "variance"});
}

#endif
