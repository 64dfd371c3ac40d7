// Structure-learning simulations with the UT-IGSP paper's protocol: Erdős–Rényi DAGs with p = 20
// and expected degree 1.5, weights +-U[0.25, 1], N(0, 1) noise; 5 interventional settings, each
// with 1 known target and 0..3 hidden off-targets; shift (+2) or perfect N(1, 0.01)
// interventions; n samples per setting (and observational). Prints, per (intervention, n, alpha,
// method): mean SHD of the DAG (PC: of its CPDAG), the fraction of exact I-CPDAG recoveries
// (under the actual targets), and for UT-IGSP the mean numbers of missed and extra targets.
// Then the IGSP paper's protocol: p = 20, degree 1.5, weights +-U[0.1, 1], single-node perfect
// interventions N(0, 0.2) on 2 or 5 nodes, n in {1e3, 1e4, 1e5}: the fraction of DAGs whose
// I-essential graph is recovered exactly (GSP: its CPDAG against the true CPDAG).
// Then the scale of IGSP and UT-IGSP: wall time for p = 50 .. max_p, expected degree 2,
// 20 single-node settings, n = 5,000 per setting.
//
//   ./discovery_sim [dags=100] [max_p=1000]      (dags = 0: the scale part only)
#include <cimpute/discovery.hpp>
#include <cimpute/graph.hpp>
#include <cimpute/sem.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace {
struct Problem {
  cimpute::Dag g;
  Eigen::MatrixXd obs;
  std::vector<Eigen::MatrixXd> settings;
  std::vector<std::vector<int>> known, actual;
};

Problem make(int p, double degree, int n_settings, int max_off, bool perfect, Eigen::Index n,
             std::uint64_t seed) {
  Problem pr{cimpute::random_dag(p, degree, seed), {}, {}, {}, {}};
  const auto sem = cimpute::LinearGaussianSem<double>::random(pr.g, seed + 1);
  pr.obs = sem.sample(n, seed + 2);
  std::mt19937_64 rng(seed + 3);
  std::vector<int> nodes(static_cast<std::size_t>(p));
  std::iota(nodes.begin(), nodes.end(), 0);
  std::shuffle(nodes.begin(), nodes.end(), rng);
  for (int k = 0; k < n_settings; ++k) {
    const int t = nodes[std::size_t(k % p)];
    std::vector<int> act{t};
    const int n_off = max_off > 0 ? int(rng() % std::uint64_t(max_off + 1)) : 0;
    while (int(act.size()) < 1 + n_off) {
      const int v = int(rng() % std::uint64_t(p));
      if (std::find(act.begin(), act.end(), v) == act.end()) act.push_back(v);
    }
    std::sort(act.begin(), act.end());
    cimpute::Intervention iv;
    for (int v : act) {
      cimpute::NodeIntervention ni;
      ni.node = v;
      if (perfect) {
        ni.kind = cimpute::InterventionKind::Perfect;
        ni.mean = 1.0;
        ni.variance = 0.01;
      } else {
        ni.kind = cimpute::InterventionKind::Shift;
        ni.shift = 2.0;
      }
      (v == t ? iv.targets : iv.off_targets).push_back(ni);
    }
    pr.settings.push_back(sem.sample(n, seed + 10 + std::uint64_t(k), iv));
    pr.known.push_back({t});
    pr.actual.push_back(act);
  }
  return pr;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
} // namespace

int main(int argc, char** argv) {
  const int dags = argc > 1 ? std::atoi(argv[1]) : 100;
  const int max_p = argc > 2 ? std::atoi(argv[2]) : 1000;
  std::printf("p = 20, degree 1.5, 5 settings (1 known target + 0..3 hidden), %d DAGs\n", dags);
  std::printf("%-8s %6s %7s %-7s %8s %10s %9s %9s %8s\n", "interv.", "n", "alpha", "method", "SHD",
              "exact I-CP", "missed", "extra", "sec/DAG");
  for (bool perfect : {false, true}) {
    if (dags < 1) break; // scale only
    for (Eigen::Index n : {1000, 2000, 5000})
      for (double alpha : {1e-5, 1e-3}) {
        struct Acc {
          double shd = 0, exact = 0, missed = 0, extra = 0, sec = 0;
        };
        Acc acc[4];
        for (int d = 0; d < dags; ++d) {
          const Problem pr = make(20, 1.5, 5, 3, perfect, n, 1000 * std::uint64_t(d) + 7);
          const auto ci = cimpute::GaussianCiTest::from_data(pr.obs);
          const cimpute::GaussianInvarianceTests inv(pr.obs, pr.settings, pr.known);
          cimpute::IgspOptions o;
          o.alpha = alpha;
          o.alpha_invariance = alpha;
          const cimpute::Pdag truth = cimpute::interventional_cpdag(pr.g, pr.actual);
          for (int m = 0; m < 4; ++m) {
            const auto t0 = std::chrono::steady_clock::now();
            cimpute::Dag h;
            if (m == 0) {
              const cimpute::Pdag e = cimpute::pc(ci, {alpha, -1}).cpdag;
              acc[m].sec += seconds_since(t0);
              acc[m].shd += cimpute::shd(e, cimpute::cpdag(pr.g));
              continue;
            }
            if (m == 1) h = cimpute::gsp(ci, o);
            if (m == 2) h = cimpute::igsp(ci, inv, o);
            if (m == 3) {
              const auto ut = cimpute::utigsp(ci, inv, o);
              h = ut.dag;
              for (std::size_t k = 0; k < ut.targets.size(); ++k) {
                for (int v : pr.actual[k])
                  acc[m].missed +=
                      !std::binary_search(ut.targets[k].begin(), ut.targets[k].end(), v);
                for (int v : ut.targets[k])
                  acc[m].extra += !std::binary_search(pr.actual[k].begin(), pr.actual[k].end(), v);
              }
            }
            acc[m].sec += seconds_since(t0);
            acc[m].shd += cimpute::shd(h, pr.g);
            acc[m].exact += cimpute::interventional_cpdag(h, pr.actual) == truth;
          }
        }
        const char* names[4] = {"pc", "gsp", "igsp", "utigsp"};
        for (int m = 0; m < 4; ++m)
          std::printf("%-8s %6ld %7.0e %-7s %8.2f %10.2f %9s %9s %8.3f\n",
                      perfect ? "perfect" : "shift", long(n), alpha, names[m], acc[m].shd / dags,
                      m == 0 ? 0.0 : acc[m].exact / dags,
                      m == 3 ? std::to_string(acc[m].missed / dags).substr(0, 5).c_str() : "-",
                      m == 3 ? std::to_string(acc[m].extra / dags).substr(0, 5).c_str() : "-",
                      acc[m].sec / dags);
        std::fflush(stdout);
      }
  }

  if (dags > 0) {
    std::printf("\nIGSP protocol: p = 20, degree 1.5, weights +-U[0.1, 1], perfect N(0, 0.2) "
                "single-node interventions, alpha = 1e-3, %d DAGs: fraction of exact "
                "I-essential graphs\n%9s %7s %8s %8s %8s %8s\n",
                dags, "settings", "n", "GSP", "IGSP", "UT-IGSP", "sec/DAG");
    for (int n_settings : {2, 5})
      for (Eigen::Index n : {1000, 10000, 100000}) {
        double exact[3] = {0, 0, 0}, sec = 0;
        for (int d = 0; d < dags; ++d) {
          const std::uint64_t seed = 7000 + 100 * std::uint64_t(d);
          const cimpute::Dag g = cimpute::random_dag(20, 1.5, seed);
          const auto sem = cimpute::LinearGaussianSem<double>::random(g, seed + 1, 0.1, 1.0);
          const Eigen::MatrixXd obs = sem.sample(n, seed + 2);
          std::vector<Eigen::MatrixXd> settings;
          std::vector<std::vector<int>> targets;
          for (int k = 0; k < n_settings; ++k) {
            targets.push_back({(3 * k + int(d)) % 20});
            settings.push_back(
                sem.sample(n, seed + 10 + std::uint64_t(k),
                           cimpute::Intervention::perfect(targets.back(), 0.0, 0.2)));
          }
          const auto t0 = std::chrono::steady_clock::now();
          const auto ci = cimpute::GaussianCiTest::from_data(obs);
          const cimpute::GaussianInvarianceTests inv(obs, settings, targets);
          cimpute::IgspOptions o;
          const cimpute::Pdag truth = cimpute::interventional_cpdag(g, targets);
          exact[0] += cimpute::cpdag(cimpute::gsp(ci, o)) == cimpute::cpdag(g);
          exact[1] += cimpute::interventional_cpdag(cimpute::igsp(ci, inv, o), targets) == truth;
          const auto ut = cimpute::utigsp(ci, inv, o);
          exact[2] += cimpute::interventional_cpdag(ut.dag, ut.targets) == truth;
          sec += seconds_since(t0);
        }
        std::printf("%9d %7ld %8.2f %8.2f %8.2f %8.3f\n", n_settings, long(n), exact[0] / dags,
                    exact[1] / dags, exact[2] / dags, sec / dags);
        std::fflush(stdout);
      }
  }

  // With p^2 / 2 tests per minimal I-map, a fixed alpha adds about alpha p^2 / 2 false arcs (125
  // at p = 500, alpha = 1e-3): alpha is scaled as 1e-3 (50 / p)^2 to keep that number constant.
  std::printf("\nscale: expected degree 2, 20 single-node shift settings, n = 5,000 per setting,"
              " alpha = 1e-3 (50 / p)^2\n");
  std::printf("%6s %-7s %9s %9s %8s %7s %10s\n", "p", "method", "alpha", "seconds", "SHD", "arcs",
              "est. arcs");
  for (int p : {50, 100, 200, 500, 1000, 2000}) {
    if (p > max_p) break;
    const Problem pr = make(p, 2.0, 20, 0, false, 5000, 99);
    const auto ci = cimpute::GaussianCiTest::from_data(pr.obs);
    const cimpute::GaussianInvarianceTests inv(pr.obs, pr.settings, pr.known);
    cimpute::IgspOptions o;
    o.alpha = o.alpha_invariance = 1e-3 * (50.0 / p) * (50.0 / p);
    for (int m = 0; m < 2; ++m) {
      const auto t0 = std::chrono::steady_clock::now();
      const cimpute::Dag h = m == 0 ? cimpute::igsp(ci, inv, o) : cimpute::utigsp(ci, inv, o).dag;
      std::printf("%6d %-7s %9.1e %9.1f %8d %7d %10d\n", p, m == 0 ? "igsp" : "utigsp", o.alpha,
                  seconds_since(t0), cimpute::shd(h, pr.g), pr.g.num_arcs(), h.num_arcs());
      std::fflush(stdout);
    }
  }
  return 0;
}
