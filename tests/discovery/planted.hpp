// Interventional samples of a planted linear Gaussian SEM, shared by the discovery tests.
#pragma once

#include <cimpute/discovery/interventional_data.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

#include <cstdint>
#include <string>

namespace cimpute_test {

// n observational samples of a random linear Gaussian SEM on `g` (weights from `seed`) and n
// under each of `settings` single-node interventions on nodes 1, 3, 5, ... (mod p): a mean shift
// of 2, or with `perfect` do(x ~ N(2, 0.25)). Settings are named s0, s1, ...; variables x0, ...
inline cimpute::InterventionalData planted_data(const cimpute::Dag& g, Eigen::Index n,
                                                std::uint64_t seed, int settings, bool perfect) {
  const auto sem = cimpute::LinearGaussianSem<double>::random(g, seed);
  cimpute::InterventionalData d;
  for (int v = 0; v < g.num_nodes(); ++v) d.variables.push_back("x" + std::to_string(v));
  d.observational = sem.sample(n, seed + 1);
  for (int k = 0; k < settings; ++k) {
    const int t = (2 * k + 1) % g.num_nodes();
    const auto iv = perfect ? cimpute::Intervention::perfect({t}, 2.0, 0.25)
                            : cimpute::Intervention::shift({t}, 2.0);
    d.settings.push_back(sem.sample(n, seed + 10 + std::uint64_t(k), iv));
    d.setting_names.push_back("s" + std::to_string(k));
    d.targets.push_back({t});
  }
  return d;
}

} // namespace cimpute_test
