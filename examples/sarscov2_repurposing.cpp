// Drug repurposing against SARS-CoV-2: the A549 infection signature (Blanco-Melo et al. 2020)
// against the 20 drugs of the real L1000 subset, ranked by how strongly their A549 signature
// reverses it, once with A549 measured and once with A549 hidden (every drug imputed from the
// other 23 cell lines by NTK completion). How much does the ranking change when A549 must be
// imputed?
//
//   sarscov2_repurposing [DATA_DIR] [--impute ntk|ntk-reference|...] [--set-size N]
//                        [--no-baseline]
//
// DATA_DIR is the shared data folder (default ../shared/data): it reads l1000/ (the tables and
// the A375 plate, whose row metadata maps Entrez ids to symbols) and
// covid/sarscov2_a549_log2fc.csv. For each score it prints the Spearman correlation of the two
// rankings' scores and the overlap of their top 5; then the cosine ranking side by side, and how
// close the imputed A549 signatures are to the measured ones. The NTK imputation may use the cell
// lines' DMSO baseline expression as context features (the default; --no-baseline leaves it
// out), and with A549 hidden it chooses its prior by leave-one-context-out on the other cells.
#include <cimpute/cimpute.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
  std::string data = CIMPUTE_DATA_DIR;
  std::string impute = "ntk";
  Eigen::Index set_size = 100;
  bool baseline = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-baseline") {
      baseline = false;
    } else if ((a == "--impute" || a == "--set-size") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (a == "--impute")
        impute = v;
      else
        set_size = std::stol(v);
    } else if (!a.empty() && a[0] == '-') {
      throw cimpute::invalid_argument("sarscov2_repurposing: unknown option '" + a + "'");
    } else {
      data = a;
    }
  }
  const std::string l1000 = data + "/l1000", disease = data + "/covid/sarscov2_a549_log2fc.csv",
                    plate = l1000 + "/a375_level3_plate_n978x377.gct";
  for (const auto& f : {l1000, disease, plate})
    if (!std::filesystem::exists(f)) {
      std::printf("SKIPPED: %s is absent (pass the shared data folder)\n", f.c_str());
      return 0;
    }
  const auto dz = cimpute::read_gene_signature(disease);
  const auto t = cimpute::rename_features(cimpute::read_l1000_directory<double>(l1000),
                                          cimpute::read_id_mapping(plate));

  cimpute::RepurposingOptions o;
  o.context = "A549";
  o.reference_context = cimpute::cmap::reference_context;
  o.impute = impute;
  o.set_size = set_size;
  if (baseline)
    o.context_features = cimpute::context_features_from_baselines(
        cimpute::read_l1000_baselines(l1000, t.contexts().ids()));
  std::printf("SARS-CoV-2 A549 signature: %zu genes; L1000 subset: %lld drugs x %lld cells, "
              "%lld landmark genes; imputation: %s (reference context MCF7%s)\n\n",
              dz.ids.size(), static_cast<long long>(t.num_perturbations() - 1),
              static_cast<long long>(t.num_contexts()), static_cast<long long>(t.num_features()),
              impute.c_str(), baseline ? "; DMSO baselines as context features" : "");
  std::printf("%-9s %9s %12s %8s  %s\n", "score", "spearman", "top5-overlap", "tied-at-0",
              "top 5 measured | top 5 imputed");
  std::map<std::string, std::pair<cimpute::RepurposingResult, cimpute::RepurposingResult>> runs;
  for (auto score : {cimpute::ConnectivityScore::Cosine, cimpute::ConnectivityScore::Pearson,
                     cimpute::ConnectivityScore::Spearman, cimpute::ConnectivityScore::Wtcs,
                     cimpute::ConnectivityScore::Ks}) {
    o.score = score;
    o.hide_context = false;
    auto measured = cimpute::repurpose(t, dz, o);
    o.hide_context = true;
    auto hidden = cimpute::repurpose(t, dz, o);
    // Scores per drug in one order, for the rank correlation.
    std::map<std::string, double> hs;
    for (const auto& r : hidden.ranking) hs[r.drug] = r.score;
    Eigen::MatrixXd a(1, Eigen::Index(measured.ranking.size()));
    Eigen::VectorXd b(a.cols());
    int zeros = 0;
    for (std::size_t k = 0; k < measured.ranking.size(); ++k) {
      a(0, Eigen::Index(k)) = measured.ranking[k].score;
      b[Eigen::Index(k)] = hs.at(measured.ranking[k].drug);
      zeros += measured.ranking[k].score == 0 ? 1 : 0;
    }
    const double rho = cimpute::spearman_scores(a, b)[0];
    int overlap = 0;
    std::string tops;
    for (std::size_t k = 0; k < 5; ++k) {
      for (std::size_t j = 0; j < 5; ++j)
        overlap += measured.ranking[k].drug == hidden.ranking[j].drug ? 1 : 0;
      tops += (k ? "," : "") + measured.ranking[k].drug.substr(4);
    }
    tops += " | ";
    for (std::size_t k = 0; k < 5; ++k) tops += (k ? "," : "") + hidden.ranking[k].drug.substr(4);
    std::printf("%-9s %9.3f %10d/5 %8d  %s\n", cimpute::to_string(score).c_str(), rho, overlap,
                zeros, tops.c_str());
    runs.emplace(cimpute::to_string(score), std::make_pair(std::move(measured), std::move(hidden)));
  }

  // The cosine ranking side by side, and the imputed signatures against the measured ones.
  const auto& [measured, hidden] = runs.at("cosine");
  std::map<std::string, std::size_t> at;
  for (std::size_t k = 0; k < hidden.ranking.size(); ++k) at[hidden.ranking[k].drug] = k;
  if (hidden.ntk_selected)
    std::printf("\nNTK chosen with A549 hidden: prior %s, depth %d, identity weight %.2f, scale "
                "%.2f, ridge %.2f\n",
                cimpute::to_string(hidden.ntk_selected->prior).c_str(), hidden.ntk_selected->depth,
                hidden.ntk_selected->identity_weight, hidden.ntk_selected->scale,
                hidden.ntk_selected->ridge);
  std::printf("\ncosine with the reversed disease signature (%zu shared genes)\n",
              measured.disease.columns.size());
  std::printf("%-4s %-14s %9s | %-4s %9s %11s %14s\n", "rank", "drug", "measured", "rank",
              "imputed", "uncertainty", "pearson(sig)");
  double mean_r = 0;
  for (std::size_t k = 0; k < measured.ranking.size(); ++k) {
    const auto& m = measured.ranking[k];
    const std::size_t j = at.at(m.drug);
    const auto& h = hidden.ranking[j];
    const double r = cimpute::pooled_pearson(measured.signatures.row(Eigen::Index(k)),
                                             hidden.signatures.row(Eigen::Index(j)));
    mean_r += r / double(measured.ranking.size());
    std::printf("%-4lld %-14s %9.4f | %-4lld %9.4f %11.4f %14.4f\n", static_cast<long long>(m.rank),
                m.drug.c_str(), m.score, static_cast<long long>(h.rank), h.score, h.uncertainty, r);
  }
  std::printf("\nmean Pearson of imputed vs measured A549 signatures: %.4f\n", mean_r);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sarscov2_repurposing: %s\n", e.what());
  return 2;
}
