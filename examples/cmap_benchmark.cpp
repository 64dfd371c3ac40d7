// The published-style completion table: every completion method under leave-one-pair-out,
// 5-fold within each context and the sparse regime (B = 2), on the real 24 x 20 L1000 subset
// (MCF7 as the training-only reference context) when ../shared/data/l1000 exists, and otherwise
// on a simulated CMap-like screen from the library's perturbation simulator.
//
//   cmap_benchmark [L1000_DIR] [--protocols loo,kfold:5,sparse:2] [--methods LIST|all]
//                  [--seeds N] [--predict-out FILE.gct]
//
// Prints one row per (protocol, method): pooled Pearson r, mean R^2, mean cosine (mean over
// seeds, standard error in brackets) and the wall time of all fits. With --predict-out, every
// method fitted on all observed pairs predicts every missing (drug, cell) pair into one GCT.
#include <cimpute/cimpute.hpp>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace {
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}
} // namespace

int main(int argc, char** argv) try {
  std::string dir = std::string(CIMPUTE_DATA_DIR) + "/l1000", predict_out;
  std::vector<std::string> protocols{"loo", "kfold:5", "sparse:2"};
  std::vector<std::string> methods = cimpute::completion_method_names();
  int seeds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw cimpute::invalid_argument("cmap_benchmark: " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--protocols")
      protocols = split(value());
    else if (a == "--methods") {
      const std::string v = value();
      methods = v == "all" ? cimpute::completion_method_names() : split(v);
    } else if (a == "--seeds")
      seeds = std::stoi(value());
    else if (a == "--predict-out")
      predict_out = value();
    else if (!a.empty() && a[0] == '-')
      throw cimpute::invalid_argument("cmap_benchmark: unknown option '" + a + "'");
    else
      dir = a;
  }
  for (const auto& m : methods)
    if (!cimpute::is_completion_method(m))
      throw cimpute::invalid_argument("cmap_benchmark: unknown method '" + m + "'");
  std::vector<cimpute::CompletionProtocol> parsed;
  for (const auto& p : protocols) parsed.push_back(cimpute::CompletionProtocol::parse(p));

  cimpute::PerturbationTensor<double> t;
  std::string reference;
  if (std::filesystem::exists(dir + "/lincs_level2_24cells_20drugs.tsv")) {
    t = cimpute::read_l1000_directory<double>(dir);
    reference = cimpute::cmap::reference_context;
    std::printf("data: the real L1000 subset in %s: %lld observed (drug, cell) pairs of %lld "
                "drugs x %lld cells x %lld genes; MCF7 is the training-only reference context\n",
                dir.c_str(), static_cast<long long>(t.num_observed()),
                static_cast<long long>(t.num_perturbations()),
                static_cast<long long>(t.num_contexts()), static_cast<long long>(t.num_features()));
  } else {
    const cimpute::PerturbationSimulatorParams sim; // the library's defaults
    t = cimpute::simulate_perturbations<double>(sim).signatures;
    std::printf("data: %s has no L1000 subset; using the simulated screen (%d drugs x %d cells x "
                "%d genes, density %.2f, seed %llu), no reference context\n",
                dir.c_str(), sim.drugs, sim.contexts, sim.genes, sim.density,
                static_cast<unsigned long long>(sim.seed));
  }
  std::printf("%-9s %-24s %16s %16s %16s %9s\n", "protocol", "method", "pearson", "r2", "cosine",
              "seconds");
  for (const auto& protocol : parsed)
    for (const auto& name : methods) {
      const auto s = cimpute::evaluate_protocol(
          cimpute::make_completion_method<double>(name, reference), t, protocol, reference, seeds);
      std::printf("%-9s %-24s %7.4f (%.4f) %7.4f (%.4f) %7.4f (%.4f) %9.2f\n",
                  protocol.name.c_str(), name.c_str(), s.mean.pearson, s.standard_error.pearson,
                  s.mean.r2, s.standard_error.r2, s.mean.cosine, s.standard_error.cosine,
                  s.seconds);
      std::fflush(stdout);
    }
  if (!predict_out.empty()) {
    const auto pred = cimpute::complete_missing_by_name(methods, t, reference);
    cimpute::write_gct(predict_out, cimpute::with_cmap_fields(pred));
    std::printf("wrote %lld predicted signatures to %s\n", static_cast<long long>(pred.cols()),
                predict_out.c_str());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "cmap_benchmark: %s\n", e.what());
  return 2;
}
