// Choosing (perturbation, context) pairs to measure: on the L1000 subset (24 cells x 20 drugs,
// MCF7 as the training-only reference context) and on the simulated default screen (200 drugs
// x 20 contexts, half the pairs observed), half of the observed pairs are hidden; B of them are
// revealed, chosen by the design (`design_pairs`: greedy reduction of the NTK posterior variance
// summed over the hidden pairs), at random, or by the highest posterior variance of each pair on
// its own; the NTK is refitted and the remaining hidden pairs are scored (RMSE over all their
// genes). Means over 10 seeds of the hidden half; the last line says whether the design has the
// lowest error of the three at every budget on both data sets.
//
//   ./pair_design [../shared/data/l1000] [--seeds N]     (exit status 1 if the design loses)
#include <cimpute/completion/ntk_completion.hpp>
#include <cimpute/completion/pair_design.hpp>
#include <cimpute/io/cmap.hpp>
#include <cimpute/io/l1000_directory.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>

namespace {
using Tensor = cimpute::PerturbationTensor<double>;
using cimpute::PairIndex;
const int kBudgets[] = {5, 10, 20, 40};
const char* const kStrategies[] = {"design", "random", "max-variance"};

cimpute::NtkCompletion<double> ntk(bool reference) {
  cimpute::NtkCompletionOptions o;
  if (!reference) o.prior = cimpute::NtkPrior::TrainAverages;
  return cimpute::NtkCompletion<double>(o);
}

// RMSE[strategy][budget], summed over seeds.
struct Curve {
  double rmse[3][4] = {};
  double base = 0; // before any measurement
};

Curve run(const Tensor& t, Eigen::Index ref, int seeds) {
  Curve curve;
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r)
    if (t.observed_pairs()[std::size_t(r)].context != ref) rows.push_back(r);
  for (int s = 1; s <= seeds; ++s) {
    std::vector<Eigen::Index> shuffled = rows;
    std::mt19937_64 rng(static_cast<std::uint64_t>(s));
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    const std::size_t half = shuffled.size() / 2;
    const std::vector<Eigen::Index> train(shuffled.begin(), shuffled.begin() + long(half));
    const std::vector<Eigen::Index> hidden(shuffled.begin() + long(half), shuffled.end());
    std::vector<PairIndex> candidates;
    for (Eigen::Index r : hidden) candidates.push_back(t.observed_pairs()[std::size_t(r)]);
    auto model = ntk(ref >= 0);
    model.fit(cimpute::TrainingSet<double>(t, train, ref));

    // Each strategy's order of the hidden rows (positions into `hidden`).
    const int max_budget = kBudgets[3];
    std::vector<std::vector<std::size_t>> order(3);
    cimpute::PairDesignOptions o;
    o.budget = max_budget;
    for (const auto& c : cimpute::design_pairs(model, candidates, o).chosen)
      for (std::size_t k = 0; k < candidates.size(); ++k)
        if (candidates[k].perturbation == c.pair.perturbation &&
            candidates[k].context == c.pair.context)
          order[0].push_back(k);
    order[1].resize(candidates.size());
    std::iota(order[1].begin(), order[1].end(), 0);
    std::shuffle(order[1].begin(), order[1].end(), rng);
    const Eigen::VectorXd var = model.posterior_variance(candidates);
    order[2].resize(candidates.size());
    std::iota(order[2].begin(), order[2].end(), 0);
    std::stable_sort(order[2].begin(), order[2].end(), [&](std::size_t a, std::size_t b) {
      return var(Eigen::Index(a)) > var(Eigen::Index(b));
    });

    auto score = [&](const std::vector<std::size_t>& revealed) {
      std::vector<char> is_revealed(candidates.size(), 0);
      std::vector<Eigen::Index> fit_rows = train;
      for (std::size_t k : revealed) is_revealed[k] = 1, fit_rows.push_back(hidden[k]);
      std::vector<PairIndex> rest;
      std::vector<Eigen::Index> rest_rows;
      for (std::size_t k = 0; k < candidates.size(); ++k)
        if (!is_revealed[k]) rest.push_back(candidates[k]), rest_rows.push_back(hidden[k]);
      auto m = ntk(ref >= 0);
      m.fit(cimpute::TrainingSet<double>(t, fit_rows, ref));
      const Eigen::MatrixXd err = m.predict(rest) - t.observed()(rest_rows, Eigen::all);
      return std::sqrt(err.squaredNorm() / double(err.size()));
    };
    curve.base += score({}) / seeds;
    for (int st = 0; st < 3; ++st)
      for (int b = 0; b < 4; ++b)
        curve.rmse[st][b] +=
            score(std::vector<std::size_t>(order[std::size_t(st)].begin(),
                                           order[std::size_t(st)].begin() + kBudgets[b])) /
            seeds;
  }
  return curve;
}

bool report(const char* title, const Curve& c) {
  std::printf("%s\n  RMSE of the remaining hidden pairs before any measurement: %.5f\n", title,
              c.base);
  std::printf("  %6s %14s %14s %14s\n", "budget", kStrategies[0], kStrategies[1], kStrategies[2]);
  bool wins = true;
  for (int b = 0; b < 4; ++b) {
    std::printf("  %6d %14.5f %14.5f %14.5f\n", kBudgets[b], c.rmse[0][b], c.rmse[1][b],
                c.rmse[2][b]);
    wins = wins && c.rmse[0][b] < c.rmse[1][b] && c.rmse[0][b] < c.rmse[2][b];
  }
  return wins;
}
} // namespace

int main(int argc, char** argv) {
  std::string dir = CIMPUTE_DATA_DIR "/l1000";
  int seeds = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seeds" && i + 1 < argc)
      seeds = std::atoi(argv[++i]);
    else
      dir = a;
  }
  if (seeds < 1) {
    std::fprintf(stderr, "pair_design: --seeds must be >= 1\n");
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  bool wins = true;
  if (std::filesystem::exists(dir)) {
    const Tensor t = cimpute::read_l1000_directory<double>(dir);
    const Eigen::Index ref = t.contexts().find(cimpute::cmap::reference_context);
    char title[200];
    std::snprintf(title, sizeof title,
                  "L1000 subset: %ld observed pairs, MCF7 as reference, half of the others "
                  "hidden, %d seeds",
                  long(t.num_observed()), seeds);
    wins = report(title, run(t, ref, seeds)) && wins;
  } else {
    std::printf("SKIPPED the L1000 subset: %s is absent\n", dir.c_str());
  }
  cimpute::PerturbationSimulatorParams params;
  const auto sim = cimpute::simulate_perturbations<double>(params);
  char title[200];
  std::snprintf(title, sizeof title,
                "simulated default screen: %ld observed pairs of %d drugs x %d contexts, half "
                "hidden, %d seeds",
                long(sim.signatures.num_observed()), params.drugs, params.contexts, seeds);
  wins = report(title, run(sim.signatures, -1, seeds)) && wins;
  std::printf("%.1f s; the design has the lowest error at every budget: %s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
              wins ? "yes" : "no");
  return wins ? 0 : 1;
}
