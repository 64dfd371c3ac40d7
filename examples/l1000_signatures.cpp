// Builds the 24 cells x 20 drugs L1000 signature tensor from the two shared files (drug profiles
// and each cell's DMSO profile), as log2 fold changes against DMSO, and prints which (cell, drug)
// pairs are observed.
//
//   l1000_signatures [DIR]     DIR defaults to ../shared/data/l1000
#include <cimpute/core.hpp>
#include <cimpute/io/l1000_directory.hpp>

#include <filesystem>
#include <iomanip>
#include <iostream>

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : std::string(CIMPUTE_DATA_DIR) + "/l1000";
  if (!std::filesystem::exists(dir)) {
    std::cout << "SKIPPED: data folder " << dir << " is absent\n";
    return 0;
  }
  try {
    const auto sig = cimpute::read_l1000_directory<double>(dir);
    const auto mask = sig.mask();
    std::cout << "signatures: " << sig.num_observed() << " observed (cell, drug) pairs of "
              << sig.num_contexts() << " cells x " << (sig.num_perturbations() - 1)
              << " drugs over " << sig.num_features() << " genes\n\n";
    std::cout << std::left << std::setw(9) << "cell";
    std::vector<Eigen::Index> drug_idx;
    for (Eigen::Index p = 0; p < sig.num_perturbations(); ++p)
      if (sig.perturbations()[p] != "DMSO") drug_idx.push_back(p);
    for (std::size_t k = 0; k < drug_idx.size(); ++k) std::cout << std::setw(3) << k + 1;
    std::cout << " observed\n";
    for (Eigen::Index c = 0; c < sig.num_contexts(); ++c) {
      std::cout << std::setw(9) << sig.contexts()[c];
      int n = 0;
      for (Eigen::Index p : drug_idx) {
        std::cout << std::setw(3) << (mask(p, c) ? "x" : ".");
        n += mask(p, c);
      }
      std::cout << ' ' << n << '\n';
    }
    std::cout << "\ndrugs:";
    for (std::size_t k = 0; k < drug_idx.size(); ++k)
      std::cout << (k % 4 == 0 ? "\n  " : "  ") << std::setw(2) << k + 1 << " "
                << sig.perturbations()[drug_idx[k]];
    std::cout << "\n\nobserved fraction: " << std::setprecision(3)
              << double(mask.count()) / double(drug_idx.size() * std::size_t(sig.num_contexts()))
              << '\n';
  } catch (const std::exception& e) {
    std::cerr << "l1000_signatures: " << e.what() << '\n';
    return 2;
  }
  return 0;
}
