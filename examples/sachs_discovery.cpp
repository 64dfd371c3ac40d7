// Causal discovery on the Sachs et al. (2005) flow-cytometry data: observational samples (the two
// unperturbed conditions) plus the five inhibitor settings, log intensities; PC, GSP, IGSP and
// UT-IGSP across an alpha sweep (5 seeds each), scored against the 18-arc consensus network:
// directed true / false positives and skeleton true / false positives, and UT-IGSP's learned
// targets at alpha = 1e-3.
//
//   ./sachs_discovery [../shared/data/sachs]
#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

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
  cimpute::InterventionalCsvOptions o;
  o.ignore_columns = {"iv_type"};
  o.exclude_settings = {"pma", "b2camp"}; // the two activations
  o.log = true;
  const auto d = cimpute::read_interventional_csv(csv, o);
  const cimpute::Dag truth = cimpute::read_edge_list(dir + "/consensus_graph.csv", d.variables);
  std::printf("%ld observational samples, %zu inhibitor settings, %d variables, %d true arcs\n",
              long(d.observational.rows()), d.settings.size(), int(d.variables.size()),
              truth.num_arcs());
  const auto ci = cimpute::GaussianCiTest::from_data(d.observational);
  const cimpute::GaussianInvarianceTests inv(d.observational, d.settings, d.targets);
  std::printf("%-8s %8s %10s %10s %11s %11s\n", "method", "alpha", "dir TP", "dir FP", "skel TP",
              "skel FP");
  const int seeds = 5;
  for (const char* method : {"pc", "gsp", "igsp", "utigsp"})
    for (double alpha : {1e-4, 1e-3, 1e-2}) {
      Counts mean;
      const int runs = std::string(method) == "pc" ? 1 : seeds; // PC is deterministic
      for (int s = 1; s <= runs; ++s) {
        cimpute::IgspOptions opt;
        opt.alpha = alpha;
        opt.alpha_invariance = alpha;
        opt.seed = std::uint64_t(s);
        cimpute::Pdag est;
        const std::string m = method;
        if (m == "pc")
          est = cimpute::pc(ci, {alpha, -1}).cpdag;
        else if (m == "gsp")
          est = cimpute::Pdag(cimpute::gsp(ci, opt));
        else if (m == "igsp")
          est = cimpute::Pdag(cimpute::igsp(ci, inv, opt));
        else
          est = cimpute::Pdag(cimpute::utigsp(ci, inv, opt).dag);
        const Counts c = score(est, truth);
        mean.dir_tp += c.dir_tp / runs;
        mean.dir_fp += c.dir_fp / runs;
        mean.skel_tp += c.skel_tp / runs;
        mean.skel_fp += c.skel_fp / runs;
      }
      std::printf("%-8s %8.0e %10.1f %10.1f %11.1f %11.1f\n", method, alpha, mean.dir_tp,
                  mean.dir_fp, mean.skel_tp, mean.skel_fp);
    }
  cimpute::IgspOptions opt;
  const auto ut = cimpute::utigsp(ci, inv, opt);
  std::printf("UT-IGSP learned targets (alpha 1e-3, seed 1):\n");
  for (std::size_t k = 0; k < d.settings.size(); ++k) {
    std::printf("  %-28s known %-9s learned", d.setting_names[k].c_str(),
                d.variables[std::size_t(d.targets[k][0])].c_str());
    for (int v : ut.targets[k]) std::printf(" %s", d.variables[std::size_t(v)].c_str());
    std::printf("\n");
  }
  return 0;
}
