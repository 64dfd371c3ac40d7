// The reference autoencoder (978 -> 1024 -> 978, no bias, leaky ReLU, MSE, Adam lr 1e-4, batch
// 128, float32) trained by cimpute and by PyTorch (benchmarks/reference/autoencoder_torch.py) on
// the same 5,000 random samples in one run: median seconds per epoch and the ratio (goal <= 0.6
// against PyTorch's best setting). --depth L trains L hidden layers of --hidden units (the deep
// network: --hidden 512 --depth 3), --dtype float64 both sides in double. With
// --jacobian-points P, also the spectral radii of the Jacobians at P points: batched Krylov
// (`spectral_radii`) against the dense route on a few.
//
//   ./autoencoder_vs_torch [--n 5000] [--d 978] [--hidden 1024] [--depth 1] [--batch 128]
//                          [--epochs 5] [--dtype float32|float64] [--threads 2]
//                          [--python /usr/bin/python3] [--jacobian-points 0]
#include <cimpute/core/blas_threads.hpp>
#include <cimpute/nn.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#ifndef CIMPUTE_SOURCE_DIR
#define CIMPUTE_SOURCE_DIR "."
#endif

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}
// The epoch seconds of a PyTorch run (the "seconds" list of its JSON line), first epoch dropped.
std::vector<double> torch_epochs(const std::string& cmd) {
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  if (pclose(p) != 0) throw std::runtime_error("PyTorch run failed: " + cmd + "\n" + out);
  const auto a = out.find('['), b = out.find(']');
  std::vector<double> s;
  std::string list = out.substr(a + 1, b - a - 1);
  for (std::size_t at = 0; at < list.size();) {
    const std::size_t next = list.find(',', at);
    s.push_back(std::stod(list.substr(at, next - at)));
    if (next == std::string::npos) break;
    at = next + 1;
  }
  if (s.size() > 1) s.erase(s.begin());
  return s;
}
} // namespace

int main(int argc, char** argv) try {
  long n = 5000, d = 978, hidden = 1024, batch = 128, epochs = 5, jac = 0;
  int threads = 2;
  std::string python = "/usr/bin/python3", dtype = "float32";
  long depth = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--n")
      n = std::stol(v);
    else if (a == "--d")
      d = std::stol(v);
    else if (a == "--hidden")
      hidden = std::stol(v);
    else if (a == "--batch")
      batch = std::stol(v);
    else if (a == "--epochs")
      epochs = std::stol(v);
    else if (a == "--threads")
      threads = std::stoi(v);
    else if (a == "--python")
      python = v;
    else if (a == "--jacobian-points")
      jac = std::stol(v);
    else if (a == "--depth")
      depth = std::stol(v);
    else if (a == "--dtype" && (v == "float32" || v == "float64"))
      dtype = v;
    else
      throw std::runtime_error("unknown option " + a);
  }
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<float> u01(0, 1);
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> X(n, d);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = u01(rng);
  const std::string data =
      (std::filesystem::temp_directory_path() / "cimpute_autoencoder_bench.f32").string();
  std::ofstream(data, std::ios::binary)
      .write(reinterpret_cast<const char*>(X.data()), std::streamsize(X.size() * sizeof(float)));

  Eigen::setNbThreads(threads);
#if defined(CIMPUTE_USE_BLAS) && CIMPUTE_USE_BLAS
  openblas_set_num_threads(threads);
#endif
  cimpute::AutoencoderTraining t;
  t.max_epochs = int(epochs) + 1;
  t.batch_size = batch;
  t.validation_fraction = 0;
  t.loss_threshold = 0;
  t.keep_best = false;
  t.schedule.rate = 1e-4;
  std::vector<double> ours;
  auto progress = [&](const cimpute::EpochReport& r) {
    if (r.epoch > 1) ours.push_back(r.seconds); // the first epoch warms caches and threads
    std::printf("cimpute epoch %d: %.3f s, loss %.6f\n", r.epoch, r.seconds, r.train_loss);
  };
  const std::vector<Eigen::Index> layers(static_cast<std::size_t>(depth), hidden);
  const Eigen::MatrixXf Xc = X;
  cimpute::Autoencoder<float> ae(d, layers, false, {}, cimpute::Initialization::Uniform, 0);
  if (dtype == "float64") {
    cimpute::Autoencoder<double> ae64(d, layers, false, {}, cimpute::Initialization::Uniform, 0);
    ae64.train(Xc.cast<double>(), t, progress);
    ae.network().parameters() = ae64.network().parameters().cast<float>(); // for --jacobian-points
  } else {
    ae.train(Xc, t, progress);
  }
  const double mine = median(ours);

  const std::string script =
      std::string(CIMPUTE_SOURCE_DIR) + "/benchmarks/reference/autoencoder_torch.py";
  auto run = [&](int torch_threads, int blas_threads, bool foreach) {
    const std::string cmd =
        "OMP_NUM_THREADS=" + std::to_string(blas_threads) +
        " OPENBLAS_NUM_THREADS=" + std::to_string(blas_threads) + " " + python + " " + script +
        " --data " + data + " --n " + std::to_string(n) + " --d " + std::to_string(d) +
        " --hidden " + std::to_string(hidden) + " --depth " + std::to_string(depth) + " --dtype " +
        dtype + " --batch " + std::to_string(batch) + " --epochs " + std::to_string(epochs + 1) +
        " --threads " + std::to_string(torch_threads) + (foreach ? " --foreach" : "");
    return median(torch_epochs(cmd));
  };
  const double plain = run(threads, threads, false);
  const double best = run(1, threads, true);
  std::printf(
      "\nseconds per epoch (median of %ld, %ld x %ld, %ld hidden layer(s) of %ld, batch %ld, "
      "%s, %d threads)\n",
      epochs, n, d, depth, hidden, batch, dtype.c_str(), threads);
  std::printf("cimpute                                   %.3f\n", mine);
  std::printf("PyTorch, %d intra-op threads               %.3f   ratio %.2f\n", threads, plain,
              mine / plain);
  std::printf("PyTorch, 1 intra-op thread, foreach Adam  %.3f   ratio %.2f\n", best, mine / best);

  if (jac > 0) {
    const Eigen::MatrixXf P = Xc.topRows(jac);
    auto t0 = std::chrono::steady_clock::now();
    const auto fast = cimpute::spectral_radii(ae.network(), P);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    long converged = 0, products = 0;
    for (long i = 0; i < jac; ++i) {
      converged += fast.converged[std::size_t(i)] ? 1 : 0;
      products += fast.products[std::size_t(i)];
    }
    // The dense route (full Jacobian + eigenvalues) on the first few points, for the ratio and
    // the agreement.
    const long nd = std::min<long>(jac, 10);
    double worst = 0;
    t0 = std::chrono::steady_clock::now();
    const auto net = ae.network().cast<double>(); // both routes in double precision
    for (long i = 0; i < nd; ++i) {
      const double r = cimpute::spectral_radius(net.jacobian(P.row(i).transpose().cast<double>()));
      worst = std::max(worst, std::abs(r - fast.radius[i]) / r);
    }
    const double sd =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / double(nd);
    std::printf(
        "\nspectral radii of the Jacobians at %ld points: batched Krylov %.2f s (%.4f s per "
        "point, %ld converged, %.0f Jacobian-vector products per point; median radius "
        "%.4f)\n",
        jac, s, s / double(jac), converged, double(products) / double(jac),
        median(std::vector<double>(fast.radius.data(), fast.radius.data() + jac)));
    std::printf("dense Jacobian + eigenvalues: %.3f s per point (%ld points): ratio %.1fx; largest "
                "relative difference %.1e\n",
                sd, nd, sd * double(jac) / s, worst);
  }
  std::filesystem::remove(data);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "autoencoder_vs_torch: %s\n", e.what());
  return 1;
}
