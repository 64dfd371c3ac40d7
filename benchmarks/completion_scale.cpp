// Completion at CMap scale: a simulated screen of 2,000 drugs x 70 cells x 978 genes with 15% of
// the pairs observed (about 21,000 signatures), 10-fold cross-validation within each cell, for
// the named methods (NTK with inner hyper-parameter selection by default). Prints, per method,
// the scores, the wall time of all folds and the peak resident memory of the process so far.
//
//   completion_scale [METHOD,...] [--drugs D] [--cells C] [--genes G] [--density F] [--folds K]
//                    [--one-fit]
//
// --one-fit times a single fit on every observed pair and the prediction of every missing pair
// instead of the cross-validation (for methods too slow for ten folds).
// Run by hand (minutes to tens of minutes per method; several GB for the NTK).
#include <cimpute/cimpute.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace {
double peak_gb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1e6; // kB -> GB
}
} // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> methods{"ntk"};
  cimpute::PerturbationSimulatorParams sim;
  sim.drugs = 2000;
  sim.contexts = 70;
  sim.genes = 978;
  sim.density = 0.15;
  int folds = 10;
  bool one_fit = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return std::string(argv[++i]); };
    if (a == "--drugs" && i + 1 < argc)
      sim.drugs = std::stoi(next());
    else if (a == "--cells" && i + 1 < argc)
      sim.contexts = std::stoi(next());
    else if (a == "--genes" && i + 1 < argc)
      sim.genes = std::stoi(next());
    else if (a == "--density" && i + 1 < argc)
      sim.density = std::stod(next());
    else if (a == "--folds" && i + 1 < argc)
      folds = std::stoi(next());
    else if (a == "--one-fit")
      one_fit = true;
    else {
      methods.clear();
      std::stringstream ss(a);
      for (std::string m; std::getline(ss, m, ',');) methods.push_back(m);
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto t = cimpute::simulate_perturbations<double>(sim).signatures;
  std::printf(
      "simulated %d drugs x %d cells x %d genes, density %.2f: %lld signatures in %.1f s "
      "(peak %.2f GB)\n",
      sim.drugs, sim.contexts, sim.genes, sim.density, static_cast<long long>(t.num_observed()),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), peak_gb());
  std::printf("%-24s %8s %8s %8s %10s %8s\n", "method", "pearson", "r2", "cosine", "seconds",
              "peak GB");
  std::fflush(stdout);
  for (const auto& name : methods) {
    if (one_fit) {
      const auto start = std::chrono::steady_clock::now();
      const auto pred = cimpute::complete_missing_by_name<double>({name}, t);
      std::printf("%-24s one fit + %lld predictions: %.1f s, peak %.2f GB\n", name.c_str(),
                  static_cast<long long>(pred.cols()),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                  peak_gb());
      std::fflush(stdout);
      continue;
    }
    const auto ev =
        cimpute::kfold_per_context(cimpute::make_completion_method<double>(name), t, folds, 1000u);
    std::printf("%-24s %8.4f %8.4f %8.4f %10.1f %8.2f\n", name.c_str(), ev.scores.pearson,
                ev.scores.r2, ev.scores.cosine, ev.seconds, peak_gb());
    std::fflush(stdout);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "completion_scale: %s\n", e.what());
  return 2;
}
