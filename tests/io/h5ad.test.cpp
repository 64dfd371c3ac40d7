// AnnData reading: dense and CSR matrices, categoricals, and agreement with the Matrix Market
// copy of the same Papalexi counts.
#include "test_data.hpp"

#include <cimpute/core/config.hpp>

#if CIMPUTE_HAS_HDF5
#include <cimpute/io/h5ad.hpp>
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

TEST_CASE("h5ad: non-HDF5 input is rejected", "[io][h5ad]") {
  const std::string rel = "gct_fixtures/test_n5x10.gct";
  CIMPUTE_REQUIRE_DATA(rel);
  CHECK_THROWS_WITH(cimpute::read_h5ad<double>(data_path(rel)),
                    Catch::Contains("not an HDF5 file"));
}
#endif
