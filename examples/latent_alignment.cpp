// Are drug effects aligned across cell lines in the latent space of an over-parameterized
// autoencoder (Belyaeva et al. 2021)? On the 24 x 20 L1000 tensor: train autoencoders on the
// drug and DMSO profiles (log2 expression), then compare the cross-cell cosines of each drug's
// effect (its profile minus its cell's DMSO profile) in latent, original and PCA space, and in
// the code space of the closed-form aligned linear encoder.
//
//   latent_alignment [L1000_DIR] [--epochs 3000]
#include <cimpute/cimpute.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {
void print_row(const char* space, const cimpute::EffectAlignment& a) {
  double pos = 0, strong = 0;
  for (Eigen::Index i = 0; i < a.cosines.size(); ++i) {
    pos += a.cosines[i] > 0 ? 1 : 0;
    strong += std::abs(a.cosines[i]) > 0.5 ? 1 : 0;
  }
  const double n = double(a.cosines.size());
  std::printf("%-62s %7.3f %7.3f %9.3f %9.1f%% %9.1f%%\n", space, a.mean, a.median, a.mean_abs,
              100 * pos / n, 100 * strong / n);
}
} // namespace

int main(int argc, char** argv) try {
  std::string dir = std::string(CIMPUTE_DATA_DIR) + "/l1000";
  int epochs = 3000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--epochs" && i + 1 < argc)
      epochs = std::stoi(argv[++i]);
    else
      dir = a;
  }
  if (!std::filesystem::exists(dir + "/lincs_level2_dmso_24cells.tsv")) {
    std::printf("SKIPPED: %s holds no L1000 tables\n", dir.c_str());
    return 0;
  }
  const auto t = cimpute::read_l1000_directory<double>(dir);
  const Eigen::MatrixXd base = cimpute::read_l1000_baselines(dir, t.contexts().ids());
  const auto& pairs = t.observed_pairs();
  const Eigen::Index n = t.num_observed(), C = t.num_contexts(), G = t.num_features();
  // Profiles (log2): drug profile = signature + its cell's DMSO profile; then the 24 controls.
  Eigen::MatrixXd X(n + C, G);
  for (Eigen::Index i = 0; i < n; ++i)
    X.row(i) = t.observed().row(i) + base.row(pairs[std::size_t(i)].context);
  X.bottomRows(C) = base;
  const Eigen::RowVectorXd mean = X.colwise().mean();
  const double sd = std::sqrt((X.rowwise() - mean).squaredNorm() / double(X.size()));
  const Eigen::MatrixXd Z = (X.rowwise() - mean) / sd;
  auto effects_of = [&](const Eigen::MatrixXd& codes) {
    Eigen::MatrixXd e(n, codes.cols());
    for (Eigen::Index i = 0; i < n; ++i)
      e.row(i) = codes.row(i) - codes.row(n + pairs[std::size_t(i)].context);
    return e;
  };
  std::printf("%lld (drug, cell) effects of %lld drugs in %lld cells, %lld genes\n\n",
              static_cast<long long>(n), static_cast<long long>(t.num_perturbations() - 1),
              static_cast<long long>(C), static_cast<long long>(G));
  std::printf("%-62s %7s %7s %9s %10s %10s\n", "space (cosine of a drug's effects in two cells)",
              "mean", "median", "mean|cos|", "positive", "|cos|>0.5");
  print_row("original (log2 fold change, 978 genes)",
            cimpute::cross_context_alignment(effects_of(Z), pairs));
  for (Eigen::Index k : {Eigen::Index(20), Eigen::Index(100)}) {
    const cimpute::Pca pca(Z, k);
    const std::string name = "PCA, " + std::to_string(pca.components()) + " components";
    print_row(name.c_str(), cimpute::cross_context_alignment(effects_of(pca.transform(Z)), pairs));
  }
  const Eigen::MatrixXd W = cimpute::aligned_linear_encoder(Z);
  print_row("closed-form aligned linear encoder (T^11, no training)",
            cimpute::cross_context_alignment(effects_of(Z * W.transpose()), pairs));
  struct Net {
    const char* name;
    std::vector<Eigen::Index> hidden;
    bool bias;
    double rate;
  };
  for (const Net& net : {Net{"autoencoder 978-1024-978, no bias (reference)", {1024}, false, 1e-4},
                         Net{"autoencoder 978-1024-978, bias", {1024}, true, 1e-3},
                         Net{"autoencoder 978-512x3-978, bias", {512, 512, 512}, true, 1e-4}}) {
    cimpute::Autoencoder<float> ae(G, net.hidden, net.bias, {}, cimpute::Initialization::Uniform,
                                   1);
    cimpute::AutoencoderTraining tr;
    tr.max_epochs = epochs;
    tr.batch_size = 0;
    tr.validation_fraction = 0;
    tr.loss_threshold = 1e-8;
    tr.schedule.rate = net.rate;
    const auto h = ae.train(Z.cast<float>(), tr);
    const Eigen::MatrixXd codes = ae.encode(Z.cast<float>()).cast<double>();
    const std::string name = std::string(net.name) + " (MSE " +
                             std::to_string(h.epochs.back().train_loss).substr(0, 8) + ")";
    print_row(name.c_str(), cimpute::cross_context_alignment(effects_of(codes), pairs));
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "latent_alignment: %s\n", e.what());
  return 2;
}
