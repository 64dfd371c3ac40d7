// Perturbation simulator: shapes and observed density, measured signatures equal the library's
// aggregate-then-subtract-control path, measured signatures converge to the closed-form truth,
// unaffected genes (not downstream of any hit) have zero true effect, determinism, bad params.
#include "test_data.hpp"

#include <cimpute/core/tensor_transforms.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>

#include <algorithm>

namespace {
cimpute::PerturbationSimulatorParams small_params() {
  cimpute::PerturbationSimulatorParams p;
  p.genes = 60;
  p.drugs = 8;
  p.contexts = 3;
  p.seed = 5;
  return p;
}
} // namespace

TEST_CASE("simulate_perturbations: the default CMap-like tensor", "[sem][simulator]") {
  const auto sim = cimpute::simulate_perturbations<double>();
  const auto& t = sim.signatures;
  CHECK(t.num_perturbations() == 200);
  CHECK(t.num_contexts() == 20);
  CHECK(t.num_features() == 978);
  CHECK(t.perturbations()[0] == "drug001");
  CHECK(t.contexts()[19] == "cell20");
  CHECK(t.features()[977] == "G0978");
  CHECK(sim.observed.count() == t.num_observed());
  CHECK(std::abs(double(t.num_observed()) / 4000.0 - 0.5) < 0.03);
  for (Eigen::Index d = 0; d < 200; ++d) CHECK(sim.observed.row(d).any());
  CHECK(sim.truth.num_observed() == 4000);
  CHECK(sim.graph.num_nodes() == 978);
  CHECK(sim.graph.num_arcs() == 1 + 2 * 976);
  CHECK(sim.samples.num_samples() == 20 * 12 + 3 * t.num_observed());
  // Drugs share their effect across contexts (same targets) but respond context-specifically:
  // the truth of a drug in two contexts is correlated, not identical.
  double mean_corr = 0;
  int pairs = 0;
  for (Eigen::Index d = 0; d < 200; ++d) {
    const Eigen::VectorXd a = sim.truth.signature(d, 0), b = sim.truth.signature(d, 1);
    const double ca = (a.array() - a.mean()).matrix().norm(),
                 cb = (b.array() - b.mean()).matrix().norm();
    mean_corr += (a.array() - a.mean()).matrix().dot((b.array() - b.mean()).matrix()) / (ca * cb);
    ++pairs;
    CHECK((a - b).norm() > 1e-6);
  }
  mean_corr /= pairs;
  CHECK(mean_corr > 0.5);
  CHECK(mean_corr < 0.999);
}

TEST_CASE("simulate_perturbations: signatures, truth and ground-truth structure",
          "[sem][simulator]") {
  auto params = small_params();
  params.replicates = 3;
  const auto sim = cimpute::simulate_perturbations<double>(params);
  // Measured signatures = the library's aggregate and subtract-control path.
  const auto via_library = cimpute::relative_to_control(sim.samples.aggregated());
  REQUIRE(via_library.num_observed() == sim.signatures.num_observed());
  for (Eigen::Index r = 0; r < via_library.num_observed(); ++r) {
    const auto pc = via_library.observed_pairs()[std::size_t(r)];
    const std::string& d = via_library.perturbations()[pc.perturbation];
    const std::string& c = via_library.contexts()[pc.context];
    CHECK((via_library.observed().row(r).transpose() - sim.signatures.signature(d, c))
              .cwiseAbs()
              .maxCoeff() < 1e-12);
  }
  // Genes downstream of no target and no off-target have exactly zero true effect; soft
  // targets move by their shift at least.
  for (int d = 0; d < params.drugs; ++d) {
    const auto& iv = sim.interventions[std::size_t(d)];
    REQUIRE(int(iv.targets.size()) == params.targets_per_drug);
    REQUIRE(int(iv.off_targets.size()) == params.off_targets_per_drug);
    const auto hits = iv.all();
    std::vector<char> affected(std::size_t(params.genes), 0);
    for (const auto& t : hits) {
      affected[std::size_t(t.node)] = 1;
      for (int v : sim.graph.descendants(t.node)) affected[std::size_t(v)] = 1;
    }
    for (int c = 0; c < params.contexts; ++c) {
      const Eigen::VectorXd s = sim.truth.signature(d, c);
      for (int g = 0; g < params.genes; ++g)
        if (!affected[std::size_t(g)]) CHECK(s[g] == 0.0);
      for (const auto& t : iv.targets) {
        const auto anc = sim.graph.ancestors(t.node);
        const bool upstream_hit = std::any_of(hits.begin(), hits.end(), [&](const auto& o) {
          return std::binary_search(anc.begin(), anc.end(), o.node);
        });
        if (t.kind == cimpute::InterventionKind::Shift && !upstream_hit)
          CHECK(std::abs(s[t.node] - t.shift) < 1e-12);
      }
    }
  }
  // With many replicates and controls the measured signatures converge to the truth (CLT).
  params.replicates = 4000;
  params.control_samples = 4000;
  params.density = 1.0;
  const auto big = cimpute::simulate_perturbations<double>(params);
  for (int c = 0; c < params.contexts; ++c) {
    const Eigen::MatrixXd base_cov = big.context_sems[std::size_t(c)].covariance();
    for (int d = 0; d < params.drugs; ++d) {
      const Eigen::MatrixXd cov =
          big.context_sems[std::size_t(c)].covariance(big.interventions[std::size_t(d)]);
      const Eigen::VectorXd diff = big.signatures.signature(d, c) - big.truth.signature(d, c);
      for (int g = 0; g < params.genes; ++g)
        CHECK(std::abs(diff[g]) < 5 * std::sqrt((cov(g, g) + base_cov(g, g)) / 4000.0) + 1e-12);
    }
  }
}

TEST_CASE("simulate_perturbations: determinism and bad parameters", "[sem][simulator]") {
  const auto a = cimpute::simulate_perturbations<double>(small_params());
  const auto b = cimpute::simulate_perturbations<double>(small_params());
  CHECK(a.samples.samples() == b.samples.samples());
  CHECK(a.graph.arcs() == b.graph.arcs());
  auto other = small_params();
  other.seed = 6;
  const Eigen::MatrixXd x6 = cimpute::simulate_perturbations<double>(other).samples.samples();
  CHECK_FALSE((x6.rows() == a.samples.samples().rows() && x6 == a.samples.samples()));
  // Float works as well.
  CHECK(cimpute::simulate_perturbations<float>(small_params()).signatures.observed().allFinite());
  auto bad = small_params();
  bad.density = 1.5;
  CHECK_THROWS_WITH(cimpute::simulate_perturbations<double>(bad), Catch::Contains("density"));
  bad = small_params();
  bad.targets_per_drug = 0;
  CHECK_THROWS_WITH(cimpute::simulate_perturbations<double>(bad),
                    Catch::Contains("targets_per_drug"));
  bad = small_params();
  bad.noise_sd = 0;
  CHECK_THROWS_WITH(cimpute::simulate_perturbations<double>(bad), Catch::Contains("noise_sd"));
}
