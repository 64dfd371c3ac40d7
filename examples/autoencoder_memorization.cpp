// Memorization in over-parameterized autoencoders (Radhakrishnan, Belkin, Uhler, PNAS 2020) on
// real L1000 profiles: train autoencoders on 100 profiles of the A375 plate to interpolation,
// then report how many training examples are attractors (fixed points whose Jacobian has
// spectral radius < 1) and how many noisy starts iterate back to their source, for several
// networks.
//
//   autoencoder_memorization [A375_PLATE.gct] [--samples 100] [--epochs 3000] [--quick]
//
// Profiles are min-max scaled to [0, 1] over the matrix (as Belyaeva et al.), then centred per
// gene and scaled to unit mean square; noise levels are relative to each profile's norm. --quick
// trains two small networks on 20 profiles (for the test suite).
#include <cimpute/io/gct.hpp>
#include <cimpute/nn.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {
struct Config {
  const char* name;
  std::vector<Eigen::Index> hidden;
  bool bias;
  double rate;
};

template <class Act>
void run(const Config& cfg, const Eigen::MatrixXf& X, int epochs, Act act = {}) {
  const auto t0 = std::chrono::steady_clock::now();
  cimpute::Autoencoder<float, Act> ae(X.cols(), cfg.hidden, cfg.bias, act,
                                      cimpute::Initialization::Uniform, 1);
  cimpute::AutoencoderTraining t;
  t.max_epochs = epochs;
  t.batch_size = 0; // full batch
  t.validation_fraction = 0;
  t.loss_threshold = 1e-8;
  t.schedule.rate = cfg.rate;
  const auto h = ae.train(X, t);
  const double train_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto rep = cimpute::attractor_report(ae.network(), X, 1e-3);
  std::printf("%-34s %6d %10.2e %7.1f s | attractors %5.1f%%  radius %.3f-%.3f |", cfg.name,
              int(h.epochs.size()), h.epochs.back().train_loss, train_s, 100 * rep.fraction(),
              rep.spectral_radius.minCoeff(), rep.spectral_radius.maxCoeff());
  std::mt19937_64 rng(7);
  std::normal_distribution<float> n01(0, 1);
  for (double level : {0.01, 0.05, 0.2}) {
    Eigen::MatrixXf noisy = X; // noise of norm ~ level x the profile's norm
    for (Eigen::Index i = 0; i < noisy.rows(); ++i) {
      const float sd = float(level) * X.row(i).norm() / std::sqrt(float(X.cols()));
      for (Eigen::Index g = 0; g < noisy.cols(); ++g) noisy(i, g) += sd * n01(rng);
    }
    const auto it = cimpute::iterate_map(ae.network(), noisy, X, 1000, 1e-7);
    int back = 0;
    for (Eigen::Index i = 0; i < X.rows(); ++i)
      back += it.nearest[std::size_t(i)] == i && it.distance[i] < 1e-2 ? 1 : 0;
    std::printf("  %.2f: %5.1f%%", level, 100.0 * back / double(X.rows()));
  }
  std::printf("\n");
  std::fflush(stdout);
}
} // namespace

int main(int argc, char** argv) try {
  std::string path = std::string(CIMPUTE_DATA_DIR) + "/l1000/a375_level3_plate_n978x377.gct";
  int samples = 100, epochs = 3000;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--samples" && i + 1 < argc)
      samples = std::stoi(argv[++i]);
    else if (a == "--epochs" && i + 1 < argc)
      epochs = std::stoi(argv[++i]);
    else if (a == "--quick")
      quick = true;
    else
      path = a;
  }
  if (!std::filesystem::exists(path)) {
    std::printf("SKIPPED: %s is absent\n", path.c_str());
    return 0;
  }
  if (quick) {
    samples = 20;
    epochs = std::min(epochs, 1500);
  }
  const auto plate = cimpute::read_gct<float>(path);
  if (samples > plate.cols()) samples = int(plate.cols());
  Eigen::MatrixXf X = plate.data().leftCols(samples).transpose(); // profiles as rows
  const float lo = X.minCoeff(), hi = X.maxCoeff();
  X = ((X.array() - lo) / (hi - lo)).matrix();
  // Centred per gene and scaled to unit mean square: with min-max scaling alone the profiles
  // share one dominant direction and Adam at 1e-4 is still at MSE 7e-4 after 2,000 epochs.
  const Eigen::RowVectorXf mean = X.colwise().mean();
  X = X.rowwise() - mean;
  X /= std::sqrt(X.squaredNorm() / float(X.size()));
  std::printf("%d profiles of %s, %lld genes, min-max scaled, centred per gene, unit mean "
              "square\n\n",
              samples, std::filesystem::path(path).filename().c_str(),
              static_cast<long long>(X.cols()));
  std::printf("%-34s %6s %10s %9s | %s\n", "network (full-batch Adam)", "epochs", "train MSE",
              "time", "fraction of attractors; noisy starts back at their source, by noise level");
  if (quick) {
    run<cimpute::LeakyRelu>({"978-256-978, no bias, lr 1e-3", {256}, false, 1e-3}, X, epochs);
    run<cimpute::LeakyRelu>({"978-256-978, bias, lr 1e-3", {256}, true, 1e-3}, X, epochs);
    return 0;
  }
  run<cimpute::LeakyRelu>({"978-1024-978, no bias (ref.), lr 1e-4", {1024}, false, 1e-4}, X,
                          epochs);
  run<cimpute::LeakyRelu>({"978-1024-978, no bias (ref.), lr 1e-3", {1024}, false, 1e-3}, X,
                          epochs);
  run<cimpute::LeakyRelu>({"978-1024-978, bias, lr 1e-3", {1024}, true, 1e-3}, X, epochs);
  run<cimpute::LeakyRelu>({"978-256-978, bias, lr 1e-3 (narrow)", {256}, true, 1e-3}, X, epochs);
  run<cimpute::LeakyRelu>({"978-4096-978, bias, lr 1e-3 (wide)", {4096}, true, 1e-3}, X, epochs);
  run<cimpute::LeakyRelu>({"978-512x3-978, bias, lr 1e-4 (deep)", {512, 512, 512}, true, 1e-4}, X,
                          epochs);
  run<cimpute::Tanh>({"978-512x3-978, bias, tanh, lr 1e-4", {512, 512, 512}, true, 1e-4}, X,
                     epochs);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "autoencoder_memorization: %s\n", e.what());
  return 2;
}
