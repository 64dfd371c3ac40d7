// Cross-modal alignment on two views of the same cells: the 299 measured genes of the Papalexi
// Perturb-seq screen are split at random into two disjoint panels, which play the two
// modalities. Two autoencoders (one per panel, 16-dimensional codes) are trained jointly with
// reconstruction, latent MMD and an anchor loss on the 10% of training cells whose pairing is
// known; then each held-out cell's partner is looked up by nearest neighbour among 500 held-out
// cells of the other panel (chance: 1 / 500). Compared with: the same autoencoders trained
// without MMD and anchors, and a supervised ridge regression from panel 1 to panel 2 fitted on
// the known pairs.
//
//   cross_modal_panels [PAPALEXI_DIR] [--epochs 150] [--cells 3000] [--latent 16]
//                      [--anchor-weight 1] [--mmd-weight 1]
#include <cimpute/io/mtx.hpp>
#include <cimpute/nn.hpp>

#include <Eigen/Cholesky>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
  std::string dir = std::string(CIMPUTE_DATA_DIR) + "/perturbseq/papalexi";
  int epochs = 150;
  Eigen::Index cells = 3000, latent = 16;
  double anchor_weight = 1.0, mmd_weight = 1.0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--epochs" && i + 1 < argc)
      epochs = std::stoi(argv[++i]);
    else if (a == "--cells" && i + 1 < argc)
      cells = std::stol(argv[++i]);
    else if (a == "--latent" && i + 1 < argc)
      latent = std::stol(argv[++i]);
    else if (a == "--anchor-weight" && i + 1 < argc)
      anchor_weight = std::stod(argv[++i]);
    else if (a == "--mmd-weight" && i + 1 < argc)
      mmd_weight = std::stod(argv[++i]);
    else
      dir = a;
  }
  const std::string prefix = dir + "/papalexi_lowmoi_";
  if (!std::filesystem::exists(prefix + "response_counts.mtx.gz")) {
    std::printf("SKIPPED: %s is absent\n", (prefix + "response_counts.mtx.gz").c_str());
    return 0;
  }
  const auto counts = cimpute::read_10x_mtx<double>(prefix + "response_counts.mtx.gz",
                                                    prefix + "genes.tsv", prefix + "barcodes.tsv");
  const Eigen::MatrixXd C = Eigen::MatrixXd(counts.data()).transpose(); // cells x genes
  const Eigen::Index G = C.cols();
  // Cells: a seeded random subset; the last 500 are held out, 10% of the others are anchors.
  std::mt19937_64 rng(2024);
  std::vector<Eigen::Index> pick(static_cast<std::size_t>(C.rows()));
  std::iota(pick.begin(), pick.end(), Eigen::Index(0));
  std::shuffle(pick.begin(), pick.end(), rng);
  cells = std::min(cells, C.rows());
  const Eigen::Index held = 500, train = cells - held;
  if (train < 100) {
    std::fprintf(stderr, "cross_modal_panels: --cells must be >= 600\n");
    return 2;
  }
  Eigen::MatrixXd X(cells, G);
  for (Eigen::Index i = 0; i < cells; ++i) {
    const auto row = C.row(pick[std::size_t(i)]);
    const double total = row.sum();
    X.row(i) = (row * (total > 0 ? 1e4 / total : 0.0)).array().log1p().matrix();
  }
  // Genes: z-scores with the training cells' statistics; constant genes dropped; random halves.
  const Eigen::RowVectorXd mean = X.topRows(train).colwise().mean();
  std::vector<Eigen::Index> genes;
  Eigen::RowVectorXd sd(G);
  for (Eigen::Index g = 0; g < G; ++g) {
    sd[g] = std::sqrt((X.topRows(train).col(g).array() - mean[g]).square().mean());
    if (sd[g] > 0) genes.push_back(g);
  }
  std::shuffle(genes.begin(), genes.end(), rng);
  const std::size_t half = genes.size() / 2;
  std::vector<Eigen::Index> panel1(genes.begin(), genes.begin() + std::ptrdiff_t(half)),
      panel2(genes.begin() + std::ptrdiff_t(half), genes.end());
  auto view = [&](const std::vector<Eigen::Index>& panel) {
    Eigen::MatrixXd V(cells, Eigen::Index(panel.size()));
    for (std::size_t k = 0; k < panel.size(); ++k)
      V.col(Eigen::Index(k)) = (X.col(panel[k]).array() - mean[panel[k]]) / sd[panel[k]];
    return V;
  };
  const Eigen::MatrixXd V1 = view(panel1), V2 = view(panel2);
  const Eigen::MatrixXf T1 = V1.topRows(train).cast<float>(), T2 = V2.topRows(train).cast<float>();
  const Eigen::MatrixXd H1 = V1.bottomRows(held), H2 = V2.bottomRows(held);
  std::vector<std::pair<Eigen::Index, Eigen::Index>> anchors;
  for (Eigen::Index i = 0; i < train / 10; ++i) anchors.push_back({i, i});
  std::printf("%lld cells (%lld training, %zu known pairs, %lld held out), panels of %zu and %zu "
              "genes\n\n",
              static_cast<long long>(cells), static_cast<long long>(train), anchors.size(),
              static_cast<long long>(held), panel1.size(), panel2.size());
  std::printf("%-52s %8s %8s %12s\n", "held-out partner recovery (500 candidates)", "top-1",
              "top-10", "R2 1->2");
  auto r2 = [&](const Eigen::MatrixXd& pred) {
    return 1 - (pred - H2).squaredNorm() / H2.rowwise().squaredNorm().sum();
  };
  auto row = [&](const char* name, std::pair<double, double> rec, double r2v) {
    std::printf("%-52s %8.3f %8.3f %12.3f\n", name, rec.first, rec.second, r2v);
  };
  // Supervised baseline: ridge from panel 1 to panel 2 on the known pairs only.
  {
    const Eigen::Index P = Eigen::Index(anchors.size());
    const Eigen::MatrixXd A = V1.topRows(P), B = V2.topRows(P);
    Eigen::MatrixXd AtA = A.transpose() * A;
    AtA.diagonal().array() += 1.0 * double(P) / 10;
    const Eigen::MatrixXd W = AtA.ldlt().solve(A.transpose() * B);
    const Eigen::MatrixXd pred = H1 * W;
    row("ridge 1 -> 2 on the known pairs (translation)", cimpute::partner_recovery(pred, H2, 10),
        r2(pred));
  }
  for (bool align : {false, true}) {
    cimpute::CrossModalTraining t;
    t.epochs = epochs;
    t.batch_size = 128;
    t.anchor_weight = align ? anchor_weight : 0.0;
    t.mmd_weight = align ? mmd_weight : 0.0;
    cimpute::CrossModalAutoencoders<float> model(T1.cols(), T2.cols(), latent, {128}, true,
                                                 cimpute::Initialization::He, 7);
    const auto start = std::chrono::steady_clock::now();
    const auto hist = model.train(T1, T2, anchors, t);
    const double sec =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const Eigen::MatrixXd c1 = model.encode(0, H1.cast<float>()).cast<double>();
    const Eigen::MatrixXd c2 = model.encode(1, H2.cast<float>()).cast<double>();
    const Eigen::MatrixXd pred = model.translate(0, 1, H1.cast<float>()).cast<double>();
    char name[128];
    std::snprintf(name, sizeof name, "%s: codes (%.0f s, MSE %.3f / %.3f)",
                  align ? "aligned autoencoders" : "separate autoencoders", sec,
                  hist.back().reconstruction1, hist.back().reconstruction2);
    row(name, cimpute::partner_recovery(c1, c2, 10), r2(pred));
    if (align)
      row("aligned autoencoders: translation 1 -> 2", cimpute::partner_recovery(pred, H2, 10),
          r2(pred));
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "cross_modal_panels: %s\n", e.what());
  return 2;
}
