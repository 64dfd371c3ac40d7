// Real-data checks that combine the readers with core transforms: the L1000 pipeline's robust
// z-score level and the 24 x 20 signature tensor.
#include "test_data.hpp"

#include <cimpute/core/perturbation_tensor.hpp>
#include <cimpute/core/robust_zscore.hpp>
#include <cimpute/io/gct.hpp>
#include <cimpute/io/l1000_directory.hpp>
#include <cimpute/io/table.hpp>

#include <cmath>

TEST_CASE("robust z-score reproduces the L1000 ZSPCQNORM level from QNORM", "[io][l1000]") {
  const std::string q = "l1000/pipeline/TEST_A375_24H_X1_B20_QNORM_n23x978.gct";
  const std::string z = "l1000/pipeline/TEST_A375_24H_X1_B20_ZSPCQNORM_n23x978.gct";
  CIMPUTE_REQUIRE_DATA(q);
  CIMPUTE_REQUIRE_DATA(z);
  const auto qnorm = cimpute::read_gct<double>(cimpute_test::data_path(q));
  const auto expected = cimpute::read_gct<double>(cimpute_test::data_path(z));
  REQUIRE(qnorm.rows() == 978);
  REQUIRE(qnorm.cols() == 23);
  // Same genes and wells, possibly in another order: align by id.
  const auto aligned = qnorm.select_rows(expected.row_ids()).select_cols(expected.col_ids());
  const Eigen::MatrixXd ours = cimpute::robust_zscore(aligned.data(), 0.1);
  const Eigen::ArrayXXd diff = (ours - expected.data()).array().abs();
  const double within = double((diff <= 1e-3).count()) / double(diff.size());
  INFO("fraction within 1e-3: " << within << ", max diff " << diff.maxCoeff());
  CHECK(within >= 0.95);
  // Rows that differ are the 4-decimal rounding of the file, never a gross error.
  CHECK(diff.maxCoeff() < 0.05);
}

TEST_CASE("the 24 x 20 L1000 signature tensor", "[io][l1000]") {
  const std::string drugs = "l1000/lincs_level2_24cells_20drugs.tsv";
  const std::string dmso = "l1000/lincs_level2_dmso_24cells.tsv";
  CIMPUTE_REQUIRE_DATA(drugs);
  CIMPUTE_REQUIRE_DATA(dmso);
  const auto s = cimpute::read_l1000_directory<double>(cimpute_test::data_path("l1000"));
  CHECK(s.num_contexts() == 24);
  CHECK(s.num_perturbations() == 21); // 20 drugs + DMSO (no DMSO signatures kept)
  CHECK(s.num_observed() == 302);
  const auto mcf7 = s.contexts().index("MCF7");
  CHECK(s.context_slice(mcf7).labels.size() == 20); // MCF7 has all 20 drugs
  // The data README: same cell, different drugs correlate far more (0.54) than same drug,
  // different cells (0.04).
  auto corr = [](const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
    const Eigen::ArrayXd xc = x.array() - x.mean(), yc = y.array() - y.mean();
    return (xc * yc).sum() / std::sqrt((xc * xc).sum() * (yc * yc).sum());
  };
  double same_cell = 0, same_drug = 0;
  int n_cell = 0, n_drug = 0;
  const auto& pairs = s.observed_pairs();
  for (std::size_t i = 0; i < pairs.size(); ++i)
    for (std::size_t j = i + 1; j < pairs.size(); ++j) {
      const bool cell = pairs[i].context == pairs[j].context;
      const bool drug = pairs[i].perturbation == pairs[j].perturbation;
      if (cell == drug) continue;
      const double r = corr(s.observed().row(Eigen::Index(i)).transpose(),
                            s.observed().row(Eigen::Index(j)).transpose());
      if (cell) {
        same_cell += r;
        ++n_cell;
      } else {
        same_drug += r;
        ++n_drug;
      }
    }
  same_cell /= n_cell;
  same_drug /= n_drug;
  INFO("same cell " << same_cell << ", same drug " << same_drug);
  CHECK(same_cell == Approx(0.54).margin(0.02));
  CHECK(same_drug == Approx(0.04).margin(0.02));
}

TEST_CASE(
    "Entrez ids map to symbols through the A375 plate and align with the SARS-CoV-2 signature",
    "[io][l1000]") {
  const std::string plate = "l1000/a375_level3_plate_n978x377.gct";
  const std::string dmso = "l1000/lincs_level2_dmso_24cells.tsv";
  const std::string covid = "covid/sarscov2_a549_log2fc.csv";
  CIMPUTE_REQUIRE_DATA(plate);
  CIMPUTE_REQUIRE_DATA(dmso);
  CIMPUTE_REQUIRE_DATA(covid);
  const auto p = cimpute::read_gct<double>(cimpute_test::data_path(plate));
  const auto map =
      cimpute::id_mapping(p.row_meta().field("pr_gene_id"), p.row_meta().field("pr_gene_symbol"));
  CHECK(map.size() == 978);
  CHECK(map.at("7849") == "PAX8"); // row 121_at of the plate
  cimpute::TableReadOptions opt;
  opt.label_columns = {"unit", "intervention"};
  using T = cimpute::PerturbationTensor<double>;
  const auto d = cimpute::read_table<double>(cimpute_test::data_path(dmso), opt);
  const T ctrl = cimpute::rename_features(T::from_labeled(d, "intervention", "unit", false), map);
  CHECK(ctrl.num_features() == 978);
  // The disease signature: one row per gene (symbol, log2 fold change), i.e. the transpose of a
  // samples-by-features table.
  const auto c = cimpute::read_table<double>(cimpute_test::data_path(covid)).transposed();
  REQUIRE(c.cols() == 1);
  const Eigen::MatrixXd sig = c.data().transpose();
  const T disease = T::from_signatures(sig, {"SARS-CoV-2"}, {"A549"}, c.row_ids());
  const auto [x, y] = cimpute::align_features(ctrl, disease);
  CHECK(x.features().ids() == y.features().ids());
  // 913 of the 978 landmark symbols occur in the disease signature (counted with Python's csv
  // module over the two files).
  CHECK(x.num_features() == 913);
  CHECK_THROWS_WITH(cimpute::align_features(ctrl, disease, cimpute::AlignBy::Symbol),
                    Catch::Contains("no feature symbols"));
}
