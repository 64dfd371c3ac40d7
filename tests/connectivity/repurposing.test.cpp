// Drug repurposing: a planted reversing drug found measured and imputed, gene-id mapping with
// missing genes, disease-signature files, and the pipeline on the real L1000 + SARS-CoV-2 files.
#include "test_data.hpp"

#include <cimpute/connectivity.hpp>
#include <cimpute/io.hpp>
#include <cimpute/workflow.hpp>

#include <algorithm>
#include <fstream>
#include <random>

using Tensor = cimpute::PerturbationTensor<double>;

namespace {
// 6 drugs x 4 contexts x 50 genes: signature = b_d + 0.3 a_c + noise; drug d5 is not measured
// in context X.
Tensor planted() {
  std::mt19937 rng(5);
  std::normal_distribution<double> n01(0, 1);
  const int D = 6, C = 4, G = 50;
  Eigen::MatrixXd a(C, G), b(D, G);
  for (Eigen::Index i = 0; i < a.size(); ++i) a(i) = n01(rng);
  for (Eigen::Index i = 0; i < b.size(); ++i) b(i) = n01(rng);
  std::vector<std::string> p, c, genes;
  for (int g = 0; g < G; ++g) genes.push_back("g" + std::to_string(g));
  std::vector<Eigen::RowVectorXd> rows;
  const char* names[] = {"A", "B", "C", "X"};
  for (int ci = 0; ci < C; ++ci)
    for (int d = 0; d < D; ++d) {
      if (ci == 3 && d == 5) continue;
      Eigen::RowVectorXd x = b.row(d) + 0.3 * a.row(ci);
      for (Eigen::Index g = 0; g < G; ++g) x[g] += 0.05 * n01(rng);
      rows.push_back(x);
      p.push_back("d" + std::to_string(d));
      c.push_back(names[ci]);
    }
  Eigen::MatrixXd X(Eigen::Index(rows.size()), G);
  for (std::size_t i = 0; i < rows.size(); ++i) X.row(Eigen::Index(i)) = rows[i];
  return Tensor::from_signatures(X, p, c, genes);
}

// The disease: minus drug d2's measured signature in X, without gene g49, plus an unknown gene.
cimpute::GeneSignature disease_of(const Tensor& t) {
  const Eigen::VectorXd s = t.signature("d2", "X");
  cimpute::GeneSignature dz;
  for (Eigen::Index g = 0; g < 49; ++g) dz.ids.push_back(t.features()[g]);
  dz.ids.push_back("not_a_gene");
  dz.values.resize(50);
  dz.values.head(49) = -s.head(49);
  dz.values[49] = 3.0;
  return dz;
}
} // namespace

TEST_CASE("repurpose: the planted reversing drug ranks first, measured and imputed",
          "[connectivity][repurposing]") {
  const Tensor t = planted();
  const cimpute::GeneSignature dz = disease_of(t);
  cimpute::RepurposingOptions o;
  o.context = "X";
  o.impute = "none";
  const auto measured = cimpute::repurpose(t, dz, o);
  CHECK(measured.disease.columns.size() == 49);
  CHECK(measured.disease.unmatched_query == std::vector<std::string>{"not_a_gene"});
  CHECK(measured.disease.unmatched_reference == std::vector<std::string>{"g49"});
  CHECK(measured.unscored == std::vector<std::string>{"d5"});
  REQUIRE(measured.ranking.size() == 5);
  CHECK(measured.ranking[0].drug == "d2");
  CHECK(measured.ranking[0].rank == 1);
  CHECK(measured.ranking[0].score == Approx(1.0).epsilon(1e-12)); // cosine with -disease
  CHECK_FALSE(measured.ranking[0].imputed);
  CHECK(measured.ranking[0].uncertainty == 0.0);
  for (std::size_t k = 1; k < measured.ranking.size(); ++k)
    CHECK(measured.ranking[k].score <= measured.ranking[k - 1].score);

  // With imputation, d5 is imputed and the others measured.
  o.impute = "ntk";
  o.reference_context = "A";
  const auto filled = cimpute::repurpose(t, dz, o);
  REQUIRE(filled.ranking.size() == 6);
  CHECK(filled.unscored.empty());
  for (const auto& r : filled.ranking) {
    CHECK(r.imputed == (r.drug == "d5"));
    if (r.imputed) CHECK((r.uncertainty > 0 && r.uncertainty < 1));
  }

  // Every drug imputed with X hidden: d2 still first under every score.
  o.hide_context = true;
  for (auto score : {cimpute::ConnectivityScore::Cosine, cimpute::ConnectivityScore::Pearson,
                     cimpute::ConnectivityScore::Spearman, cimpute::ConnectivityScore::Wtcs,
                     cimpute::ConnectivityScore::Ks}) {
    INFO("score " << cimpute::to_string(score));
    o.score = score;
    o.set_size = 10;
    const auto hidden = cimpute::repurpose(t, dz, o);
    REQUIRE(hidden.ranking.size() == 6);
    CHECK(hidden.ranking[0].drug == "d2");
    CHECK(hidden.ranking[0].score > 0);
    for (const auto& r : hidden.ranking) {
      CHECK(r.imputed);
      CHECK((r.uncertainty > 0 && r.uncertainty < 1));
    }
    if (score == cimpute::ConnectivityScore::Wtcs) {
      CHECK(hidden.gene_sets.up.size() == 10);
      CHECK(hidden.gene_sets.down.size() == 10);
    }
  }
  // A method without a posterior reports NaN uncertainty.
  o.impute = "two-way-mean";
  o.score = cimpute::ConnectivityScore::Cosine;
  const auto by_name = cimpute::repurpose(t, dz, o);
  CHECK(std::isnan(by_name.ranking[0].uncertainty));
  // A method object gives what its name gives (the name is resolved by the registry only).
  cimpute::CompletionSetup setup;
  setup.reference_context = "A";
  setup.new_contexts = true;
  const auto by_object =
      cimpute::repurpose(t, dz, o, cimpute::make_completion_method<double>("two-way-mean", setup));
  REQUIRE(by_object.ranking.size() == by_name.ranking.size());
  for (std::size_t k = 0; k < by_name.ranking.size(); ++k) {
    CHECK(by_object.ranking[k].drug == by_name.ranking[k].drug);
    CHECK(by_object.ranking[k].score == by_name.ranking[k].score);
  }
  CHECK_THROWS_WITH(cimpute::repurpose(t, dz, o, std::nullopt),
                    Catch::Contains("needs an imputation"));
  o.hide_context = false;
  const auto none = cimpute::repurpose(t, dz, o, std::nullopt);
  CHECK(none.unscored == std::vector<std::string>{"d5"});
  CHECK(none.ranking.size() == measured.ranking.size());
  o.hide_context = true;

  o.context = "Y";
  CHECK_THROWS_WITH(cimpute::repurpose(t, dz, o), Catch::Contains("unknown label 'Y'"));
  o.context = "X";
  o.impute = "none";
  CHECK_THROWS_WITH(cimpute::repurpose(t, dz, o), Catch::Contains("needs an imputation"));
  cimpute::GeneSignature other{{"h1", "h2", "h3"}, Eigen::Vector3d(1, 2, 3)};
  o.hide_context = false;
  CHECK_THROWS_WITH(cimpute::repurpose(t, other, o), Catch::Contains("shares 0 gene"));
}

TEST_CASE("read_gene_signature: header, no header, bad values", "[connectivity][io]") {
  const auto dir = cimpute_test::temp_dir();
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (dir / name).string();
    std::ofstream(path) << text;
    return path;
  };
  const auto with = cimpute::read_gene_signature(write("dz1.csv", ",0\nTP53,1.5\nMYC,-2\n"));
  CHECK(with.ids == std::vector<std::string>{"TP53", "MYC"});
  CHECK(with.values.isApprox(Eigen::Vector2d(1.5, -2)));
  const auto without = cimpute::read_gene_signature(write("dz2.tsv", "TP53\t1.5\nMYC\t-2\n"));
  CHECK(without.ids == with.ids);
  CHECK_THROWS_WITH(cimpute::read_gene_signature(write("dz3.csv", "gene,lfc\nTP53,1\nMYC,abc\n")),
                    Catch::Contains("dz3.csv:3") && Catch::Contains("'abc'"));
  CHECK_THROWS_WITH(cimpute::read_gene_signature(write("dz4.csv", "gene,lfc\nTP53,1\nTP53,2\n")),
                    Catch::Contains("dz4.csv:3") && Catch::Contains("twice"));
  CHECK_THROWS_WITH(cimpute::read_gene_signature(write("dz5.csv", "gene,lfc\nTP53,nan\n")),
                    Catch::Contains("not a finite number"));
  CHECK_THROWS_WITH(cimpute::read_gene_signature(write("dz6.csv", "a,b,c\nTP53,1,2\n")),
                    Catch::Contains("two columns"));
}

TEST_CASE("repurpose on the real L1000 subset and the SARS-CoV-2 A549 signature",
          "[connectivity][repurposing][data]") {
  CIMPUTE_REQUIRE_DATA("l1000/lincs_level2_24cells_20drugs.tsv");
  CIMPUTE_REQUIRE_DATA("covid/sarscov2_a549_log2fc.csv");
  const auto dz =
      cimpute::read_gene_signature(cimpute_test::data_path("covid/sarscov2_a549_log2fc.csv"));
  CHECK(dz.ids.size() == 17785);
  CHECK(dz.ids.front() == "CYB5B");
  CHECK(dz.values[0] == Approx(-1.7198589944654064).epsilon(1e-15));
  const auto map =
      cimpute::read_id_mapping(cimpute_test::data_path("l1000/a375_level3_plate_n978x377.gct"));
  CHECK(map.size() == 978);
  CHECK(map.at("5720") == "PSME1");
  const Tensor t = cimpute::rename_features(
      cimpute::read_l1000_directory<double>(cimpute_test::data_path("l1000")), map);
  cimpute::RepurposingOptions o;
  o.context = "A549";
  o.reference_context = "MCF7";
  o.impute = "ntk-reference";
  const auto measured = cimpute::repurpose(t, dz, o);
  CHECK(measured.disease.columns.size() == 913); // landmark symbols in the disease signature
  REQUIRE(measured.ranking.size() == 20);
  // The top score equals the cosine computed directly from the tensor.
  const auto& top = measured.ranking[0];
  const Eigen::VectorXd s = t.signature(top.drug, "A549");
  Eigen::VectorXd x(913), y(913);
  for (Eigen::Index k = 0; k < 913; ++k) {
    x[k] = s[measured.disease.columns[std::size_t(k)]];
    y[k] = -measured.disease.values[k];
  }
  CHECK(top.score == Approx(x.dot(y) / (x.norm() * y.norm())).epsilon(1e-12));
  o.hide_context = true;
  const auto hidden = cimpute::repurpose(t, dz, o);
  REQUIRE(hidden.ranking.size() == 20);
  for (const auto& r : hidden.ranking) CHECK((r.imputed && r.uncertainty > 0 && r.uncertainty < 1));

  // The cells' baselines: log2 of the DMSO table's rows, in the tensor's context order.
  const Eigen::MatrixXd B =
      cimpute::read_l1000_baselines(cimpute_test::data_path("l1000"), t.contexts().ids());
  REQUIRE(B.rows() == 24);
  REQUIRE(B.cols() == 978);
  cimpute::TableReadOptions topt;
  topt.label_columns = {"unit", "intervention"};
  const auto dmso = cimpute::read_table<double>(
      cimpute_test::data_path("l1000/lincs_level2_dmso_24cells.tsv"), topt);
  const auto& units = dmso.col_meta().field("unit");
  const Eigen::Index j = std::find(units.begin(), units.end(), "A549") - units.begin();
  const Eigen::Index a549 = t.contexts().index("A549");
  CHECK((B.row(a549).transpose() - dmso.data().col(j).array().log2().matrix()).norm() < 1e-12);
  const Eigen::MatrixXd F = cimpute::context_features_from_baselines(B);
  const Eigen::RowVectorXd centred = B.row(a549) - B.colwise().mean();
  CHECK((F.row(a549) - centred / centred.norm()).norm() < 1e-12);
  CHECK((F.rowwise().norm().array() - 1).abs().maxCoeff() < 1e-12);
}
