// Causal discovery on the Sachs et al. (2005) flow-cytometry data: observational samples (the two
// unperturbed conditions) plus the five inhibitor settings, log intensities; PC, GSP, IGSP and
// UT-IGSP (with the inhibitor targets as partial knowledge, and with unknown targets) across an
// alpha sweep (5 seeds each), GIES across its penalty, scored against the 18-arc consensus network:
// directed true / false positives and skeleton true / false positives of the learned DAG; then the
// kernel (HSIC) tests at one seed, bootstrap stability selection, and UT-IGSP's learned targets at
// alpha = 1e-3.
//
//   ./sachs_discovery [../shared/data/sachs] [--quick]   (--quick: Gaussian sweep only)
#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/io/discovery_results.hpp>
#include <cimpute/io/edge_list.hpp>
#include <cimpute/io/interventional_csv.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {
struct Counts {
  double dir_tp = 0, dir_fp = 0, skel_tp = 0, skel_fp = 0;
};
// Directed and skeleton counts of an estimate (PDAG; undirected edges count for the skeleton
// only) against the true DAG.
Counts score(const cimpute::Pdag& est, const cimpute::Dag& truth) {
  Counts c;
  for (const auto& [i, j] : est.arcs()) (truth.has_arc(i, j) ? c.dir_tp : c.dir_fp) += 1;
  for (int i = 0; i < est.num_nodes(); ++i)
    for (int j = i + 1; j < est.num_nodes(); ++j)
      if (est.adjacent(i, j)) (truth.adjacent(i, j) ? c.skel_tp : c.skel_fp) += 1;
  return c;
}
} // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : CIMPUTE_DATA_DIR "/sachs";
  const std::string csv = dir + "/sachs_9conditions_labeled.csv";
  if (!std::filesystem::exists(csv)) {
    std::printf("SKIPPED: %s is absent\n", csv.c_str());
    return 0;
  }
  cimpute::InterventionalCsvOptions csv_options;
  csv_options.ignore_columns = {"iv_type"};
  csv_options.exclude_settings = {"pma", "b2camp"}; // the two activations
  csv_options.log = true;
  const auto d = cimpute::read_interventional_csv(csv, csv_options);
  const cimpute::Dag truth = cimpute::read_edge_list(dir + "/consensus_graph.csv", d.variables);
  std::printf("%ld observational samples, %zu inhibitor settings, %d variables, %d true arcs\n",
              long(d.observational.rows()), d.settings.size(), int(d.variables.size()),
              truth.num_arcs());
  const bool quick = argc > 2 && std::string(argv[2]) == "--quick";
  struct Variant {
    const char* name;
    cimpute::DiscoveryMethod method;
    bool unknown;
  };
  const Variant variants[] = {{"pc", cimpute::DiscoveryMethod::Pc, false},
                              {"gsp", cimpute::DiscoveryMethod::Gsp, false},
                              {"igsp", cimpute::DiscoveryMethod::Igsp, false},
                              {"utigsp", cimpute::DiscoveryMethod::Utigsp, false},
                              {"ut-unknown", cimpute::DiscoveryMethod::Utigsp, true}};
  std::printf("%-7s %-11s %8s %8s %8s %9s %9s\n", "tests", "method", "alpha", "dir TP", "dir FP",
              "skel TP", "skel FP");
  auto sweep = [&](cimpute::DiscoveryTests tests, int seeds, std::vector<double> alphas) {
    for (const Variant& v : variants)
      for (double alpha : alphas) {
        Counts mean;
        const int runs = v.method == cimpute::DiscoveryMethod::Pc ? 1 : seeds; // PC: no seed
        for (int s = 1; s <= runs; ++s) {
          cimpute::DiscoveryOptions o;
          o.method = v.method;
          o.unknown_targets = v.unknown;
          o.tests = tests;
          o.search.alpha = o.search.alpha_invariance = alpha;
          o.search.seed = std::uint64_t(s);
          const Counts c = score(cimpute::discover(d, o).graph, truth);
          mean.dir_tp += c.dir_tp / runs;
          mean.dir_fp += c.dir_fp / runs;
          mean.skel_tp += c.skel_tp / runs;
          mean.skel_fp += c.skel_fp / runs;
        }
        std::printf("%-7s %-11s %8.0e %8.1f %8.1f %9.1f %9.1f\n",
                    tests == cimpute::DiscoveryTests::Gaussian ? "gauss" : "kernel", v.name, alpha,
                    mean.dir_tp, mean.dir_fp, mean.skel_tp, mean.skel_fp);
        std::fflush(stdout);
      }
  };
  sweep(cimpute::DiscoveryTests::Gaussian, 5, {1e-4, 1e-3, 1e-2});
  // GIES: no tests and no seed; its penalty lambda takes alpha's place. The reference figures
  // (pure-Python port of pcalg's GIES, reference/causal_discovery.md) count the essential graph.
  for (double lambda : {1.0, 10.0, 100.0}) {
    cimpute::DiscoveryOptions o;
    o.method = cimpute::DiscoveryMethod::Gies;
    o.gies.lambda = lambda;
    const auto r = cimpute::discover(d, o);
    const Counts c = score(r.graph, truth);
    std::printf("%-7s %-11s %8s %8.1f %8.1f %9.1f %9.1f\n", "bic",
                ("gies l=" + std::to_string(int(lambda))).c_str(), "-", c.dir_tp, c.dir_fp,
                c.skel_tp, c.skel_fp);
    if (lambda == 1.0) {
      const Counts e = score(r.essential, truth);
      std::printf("  gies essential graph: %.0f directed true, %.0f directed false, %d undirected "
                  "(reference: 3, 5, 1)\n",
                  e.dir_tp, e.dir_fp, r.essential.num_undirected());
    }
  }
  if (!quick) sweep(cimpute::DiscoveryTests::Kernel, 1, {1e-3, 1e-2});

  // Stability selection: IGSP and UT-IGSP on 50 bootstrap resamples, edges of the I-CPDAG kept
  // at frequency >= threshold (directed when the direction is as stable).
  const int resamples = quick ? 10 : 50;
  std::printf("\nstability selection (Gaussian tests, alpha 1e-2, %d resamples; essential graph "
              "counts)\n%-11s %9s %8s %8s %9s %9s\n",
              resamples, "method", "threshold", "dir TP", "dir FP", "skel TP", "skel FP");
  for (const Variant& v : {variants[2], variants[3]}) {
    cimpute::DiscoveryOptions o;
    o.method = v.method;
    o.search.alpha = o.search.alpha_invariance = 1e-2;
    o.bootstrap = resamples;
    const auto r = cimpute::discover(d, o);
    for (double threshold : {0.5, 0.7, 0.9}) {
      const Counts c = score(cimpute::stable_edges(r, threshold), truth);
      std::printf("%-11s %9.1f %8.0f %8.0f %9.0f %9.0f\n", v.name, threshold, c.dir_tp, c.dir_fp,
                  c.skel_tp, c.skel_fp);
    }
  }

  cimpute::DiscoveryOptions o;
  o.method = cimpute::DiscoveryMethod::Utigsp;
  for (bool unknown : {false, true}) {
    o.unknown_targets = unknown;
    const auto ut = cimpute::discover(d, o);
    std::printf("\nUT-IGSP learned targets (alpha 1e-3, seed 1, %s):\n",
                unknown ? "targets unknown" : "inhibitor targets known");
    for (std::size_t k = 0; k < d.settings.size(); ++k) {
      std::printf("  %-28s inhibitor target %-9s learned", d.setting_names[k].c_str(),
                  d.variables[std::size_t(d.targets[k][0])].c_str());
      for (int v : ut.targets[k]) std::printf(" %s", d.variables[std::size_t(v)].c_str());
      std::printf("\n");
    }
  }
  return 0;
}
