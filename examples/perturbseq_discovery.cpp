// Causal discovery on a real CRISPR screen (Papalexi et al. 2021, low-MOI, THP-1 cells):
// variables are the knocked-down genes that are also measured plus the most variable other
// genes (log1p of counts per 10k); the observational data are the non-targeting cells and each
// measured target is one interventional setting. Leave one intervention out: learn from the
// other settings, and score the learned descendants of the held-out target against the genes
// whose distribution actually changes in its cells (Wilcoxon rank-sum against non-targeting
// cells, p < 0.05).
//
//   ./perturbseq_discovery [../shared/data/perturbseq/papalexi] [extra genes = 20]
#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/io/mtx.hpp>
#include <cimpute/io/table.hpp>
#include <cimpute/stats/rank_tests.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <numeric>
#include <string>

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : CIMPUTE_DATA_DIR "/perturbseq/papalexi";
  const int extra = argc > 2 ? std::atoi(argv[2]) : 20;
  const std::string prefix = dir + "/papalexi_lowmoi_";
  if (!std::filesystem::exists(prefix + "response_counts.mtx.gz")) {
    std::printf("SKIPPED: %s is absent\n", (prefix + "response_counts.mtx.gz").c_str());
    return 0;
  }
  const auto counts = cimpute::read_10x_mtx<double>(prefix + "response_counts.mtx.gz",
                                                    prefix + "genes.tsv", prefix + "barcodes.tsv");
  const auto meta = cimpute::read_delimited(prefix + "cell_meta.csv");
  const std::size_t cell_col = meta.column("cell"), target_col = meta.column("grna_target");
  std::map<std::string, std::string> target_of;
  for (const auto& row : meta.rows) target_of[row[cell_col]] = row[target_col];
  // Cells x genes, log1p(counts per 10k of the cell's measured total).
  const Eigen::MatrixXd C = Eigen::MatrixXd(counts.data()).transpose();
  const Eigen::VectorXd total = C.rowwise().sum();
  Eigen::MatrixXd X = C;
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    X.row(i) = (X.row(i) * (total[i] > 0 ? 1e4 / total[i] : 0.0)).array().log1p().matrix();
  const auto& genes = counts.row_ids();
  std::vector<std::string> cell_target(static_cast<std::size_t>(X.rows()));
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const auto it = target_of.find(counts.col_ids()[std::size_t(i)]);
    if (it == target_of.end()) {
      std::fprintf(stderr, "cell %s has no metadata\n", counts.col_ids()[std::size_t(i)].c_str());
      return 2;
    }
    cell_target[std::size_t(i)] = it->second;
  }
  auto rows_of = [&](const std::string& t) {
    std::vector<Eigen::Index> r;
    for (Eigen::Index i = 0; i < X.rows(); ++i)
      if (cell_target[std::size_t(i)] == t) r.push_back(i);
    return r;
  };
  const std::vector<Eigen::Index> nt = rows_of("non-targeting");
  // Variables: measured targets, then the most variable other genes among non-targeting cells.
  std::vector<int> vars;
  std::vector<std::string> measured_targets;
  for (std::size_t g = 0; g < genes.size(); ++g)
    if (std::any_of(cell_target.begin(), cell_target.end(),
                    [&](const std::string& t) { return t == genes[g]; })) {
      vars.push_back(int(g));
      measured_targets.push_back(genes[g]);
    }
  std::vector<std::pair<double, int>> var_rank;
  for (std::size_t g = 0; g < genes.size(); ++g) {
    if (std::find(vars.begin(), vars.end(), int(g)) != vars.end()) continue;
    const Eigen::VectorXd v = X(nt, Eigen::Index(g));
    var_rank.push_back({-(v.array() - v.mean()).square().mean(), int(g)});
  }
  std::sort(var_rank.begin(), var_rank.end());
  for (int k = 0; k < extra && k < int(var_rank.size()); ++k)
    vars.push_back(var_rank[std::size_t(k)].second);
  const int p = int(vars.size());
  Eigen::VectorXi cols(p);
  for (int k = 0; k < p; ++k) cols[k] = vars[std::size_t(k)];
  const Eigen::MatrixXd obs = X(nt, cols);
  std::printf("%ld cells (%zu non-targeting), %d variables: %zu measured targets + %d most "
              "variable genes\n",
              long(X.rows()), nt.size(), p, measured_targets.size(), extra);
  const auto ci = cimpute::GaussianCiTest::from_data(obs);
  std::printf("%-9s %7s %-7s %9s %6s %6s\n", "held out", "changed", "method", "predicted", "TP",
              "FP");
  int totals[3][2] = {{0, 0}, {0, 0}, {0, 0}};
  for (std::size_t h = 0; h < measured_targets.size(); ++h) {
    // Truth: variables whose distribution changes in the held-out target's cells.
    const std::vector<Eigen::Index> th = rows_of(measured_targets[h]);
    std::vector<int> changed;
    for (int k = 0; k < p; ++k) {
      if (std::size_t(k) == h) continue;
      const Eigen::VectorXd a = X(th, cols[k]), b = X(nt, cols[k]);
      if (cimpute::wilcoxon_rank_sum(a, b).p_value < 0.05) changed.push_back(k);
    }
    std::vector<Eigen::MatrixXd> settings;
    std::vector<std::vector<int>> targets;
    for (std::size_t s = 0; s < measured_targets.size(); ++s) {
      if (s == h) continue;
      settings.push_back(X(rows_of(measured_targets[s]), cols));
      targets.push_back({int(s)});
    }
    const cimpute::GaussianInvarianceTests inv(obs, settings, targets);
    cimpute::IgspOptions o;
    const cimpute::Dag learned[3] = {cimpute::gsp(ci, o), cimpute::igsp(ci, inv, o),
                                     cimpute::utigsp(ci, inv, o).dag};
    const char* names[3] = {"gsp", "igsp", "utigsp"};
    for (int m = 0; m < 3; ++m) {
      const auto desc = learned[m].descendants(int(h));
      int tp = 0;
      for (int v : desc) tp += std::binary_search(changed.begin(), changed.end(), v);
      const int fp = int(desc.size()) - tp;
      totals[m][0] += tp;
      totals[m][1] += fp;
      std::printf("%-9s %7zu %-7s %9zu %6d %6d\n", measured_targets[h].c_str(), changed.size(),
                  names[m], desc.size(), tp, fp);
    }
  }
  for (int m = 0; m < 3; ++m)
    std::printf("total %-7s TP %d FP %d\n",
                m == 0   ? "gsp"
                : m == 1 ? "igsp"
                         : "utigsp",
                totals[m][0], totals[m][1]);
  return 0;
}
