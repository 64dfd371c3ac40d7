// Active matching of a desired mean by shift interventions (issue 34): random SEMs (Erdős–Rényi
// DAG, expected degree 2, weights +-U[0.25, 1], unit noise), a planted shift on 1 or 2 random
// nodes (alternately; each +-U[1, 2]) defines mu*; the learner knows the DAG, starts from the
// prior N(0, I) on every node's weights and noise mean, and runs R rounds of S samples each.
// Per acquisition (active: the shift whose outcome most reduces the posterior spread of the
// recommended shift; random: a random single node; point-estimate: always the recommended
// shift), the rounds until the recommended shift takes the true mean within 5% of mu* (relative
// distance) and until its credible targets are the planted ones ("never" counts as R + 1), the
// share of SEMs that got there, and the median final relative distance.
//
// With the learner `class:K` the DAG is not known: the learner holds the true DAG and up to K - 1
// other members of its Markov equivalence class (`dag_and_class_members`, in shuffled order),
// weighted by the marginal likelihood of the samples (`ShiftMatchingEnsemble`), and starts from
// `observational` observational samples; the last columns: the SEMs whose most probable DAG at
// the end is the true one, the rounds until the true DAG first holds 95% of the weight (mean;
// never = R + 1), and the candidates held.
//
// With `population` (the setting of Zhang, Squires & Uhler 2021), every round adds the expected
// sufficient statistics of its samples instead of draws (an oracle; `ShiftMatchingOptions::
// population`): the weights are learned without noise, so what is left to learn is the DAG.
//
//   ./shift_design [sems=50] [rounds=50] [samples_per_round=1] [nodes=20,50] [learner=dag]
//                  [observational=0] [mode=sampled|population]
#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}
} // namespace

int main(int argc, char** argv) {
  const int sems = argc > 1 ? std::atoi(argv[1]) : 50;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 50;
  const long samples = argc > 3 ? std::atol(argv[3]) : 1;
  std::vector<int> sizes;
  {
    std::stringstream ss(argc > 4 ? argv[4] : "20,50");
    for (std::string x; std::getline(ss, x, ',');) sizes.push_back(std::atoi(x.c_str()));
  }
  const std::string learner = argc > 5 ? argv[5] : "dag";
  const long observational = argc > 6 ? std::atol(argv[6]) : 0;
  const std::string mode = argc > 7 ? argv[7] : "sampled";
  const int members =
      learner.rfind("class:", 0) == 0 ? std::atoi(learner.c_str() + 6) : (learner == "dag" ? 1 : 0);
  if (sems < 1 || rounds < 1 || samples < 1 || sizes.empty() || members < 1 || observational < 0 ||
      (mode != "sampled" && mode != "population")) {
    std::fprintf(stderr, "usage: shift_design [sems>=1] [rounds>=1] [samples_per_round>=1] "
                         "[nodes=20,50] [learner=dag|class:K] [observational>=0] "
                         "[mode=sampled|population]\n");
    return 2;
  }
  std::printf("%d SEMs per size, %d rounds of %ld sample(s) after %ld observational (%s), "
              "tolerance 5%%, learner %s\n\n",
              sems, rounds, samples, observational,
              mode == "population" ? "expected statistics" : "drawn", learner.c_str());
  std::printf("| p | acquisition | rounds to 5%% (mean) | median | reached | rounds to the targets "
              "(mean) | reached | final relative distance (median) | seconds | true DAG most "
              "probable at the end | rounds to the true DAG at 95%% (mean) | class members held "
              "(mean) | within 5%% before the first round |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  const std::pair<const char*, cimpute::ShiftAcquisition> acqs[] = {
      {"active", cimpute::ShiftAcquisition::Active},
      {"random", cimpute::ShiftAcquisition::Random},
      {"point-estimate", cimpute::ShiftAcquisition::PointEstimate}};
  for (int p : sizes) {
    for (const auto& [name, acq] : acqs) {
      std::vector<double> to_tol, to_targets, final_distance, to_graph;
      int reached = 0, found = 0, true_map = 0, initially = 0;
      double held = 0;
      const auto t0 = std::chrono::steady_clock::now();
      for (int k = 0; k < sems; ++k) {
        const std::uint64_t seed = 1000 * std::uint64_t(p) + std::uint64_t(k);
        const cimpute::Dag g = cimpute::random_dag(p, 2.0, seed);
        const auto truth = cimpute::LinearGaussianSem<double>::random(g, seed + 1);
        std::mt19937_64 rng(seed + 2);
        std::vector<int> nodes(static_cast<std::size_t>(p));
        std::iota(nodes.begin(), nodes.end(), 0);
        std::shuffle(nodes.begin(), nodes.end(), rng);
        nodes.resize(k % 2 ? 2 : 1);
        std::sort(nodes.begin(), nodes.end());
        std::uniform_real_distribution<double> size(1.0, 2.0);
        std::bernoulli_distribution sign(0.5);
        Eigen::VectorXd planted = Eigen::VectorXd::Zero(p);
        for (int v : nodes) planted(v) = sign(rng) ? size(rng) : -size(rng);
        const Eigen::VectorXd desired =
            truth.mean(cimpute::ShiftMatchingPosterior::as_intervention(planted));
        cimpute::ShiftMatchingOptions o;
        o.acquisition = acq;
        o.rounds = rounds;
        o.samples_per_round = samples;
        o.seed = seed + 3;
        o.observational = observational;
        o.population = mode == "population";
        cimpute::ShiftMatchingRun run;
        if (learner == "dag") {
          run = cimpute::simulate_shift_matching(truth, g, desired, o, nodes);
          ++true_map;
          held += 1;
          to_graph.push_back(0);
        } else {
          std::vector<cimpute::Dag> cands = cimpute::dag_and_class_members(g, members, seed + 4);
          const auto is_true = [&](const cimpute::Dag& h) { return h.arcs() == g.arcs(); };
          std::shuffle(cands.begin(), cands.end(), rng);
          run = cimpute::simulate_shift_matching(truth, cands, desired, o, nodes);
          true_map += is_true(cands[std::size_t(run.rounds.back().graph)]);
          held += double(cands.size());
          double first = rounds + 1;
          for (std::size_t r = 0; r < run.rounds.size(); ++r)
            if (run.rounds[r].graph_weight >= 0.95 &&
                is_true(cands[std::size_t(run.rounds[r].graph)])) {
              first = double(r + 1);
              break;
            }
          to_graph.push_back(first);
        }
        to_tol.push_back(run.rounds_to_tolerance < 0 ? rounds + 1 : run.rounds_to_tolerance);
        to_targets.push_back(run.rounds_to_targets < 0 ? rounds + 1 : run.rounds_to_targets);
        reached += run.rounds_to_tolerance > 0;
        initially += run.initial_relative_distance <= o.tolerance;
        found += run.rounds_to_targets > 0;
        final_distance.push_back(run.rounds.back().relative_distance);
      }
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("| %d | %s | %.2f | %.0f | %d/%d | %.2f | %d/%d | %.4f | %.1f | %d/%d | %.2f | "
                  "%.1f | %d/%d |\n",
                  p, name, mean(to_tol), median(to_tol), reached, sems, mean(to_targets), found,
                  sems, median(final_distance), secs, true_map, sems, mean(to_graph), held / sems,
                  initially, sems);
      std::fflush(stdout);
    }
  }
  return 0;
}
