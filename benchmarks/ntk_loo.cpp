// Where the time of `ntk` under leave-one-pair-out goes, before and after the closed form:
// NtkCvCompletion refitted per held-out pair (its whole search each time: the old path) against
// `NtkCvCompletion::leave_one_pair_out_predictions` (one inverse per kernel setting and ridge
// serves every fold), side by side in one run, with the largest difference of their predictions.
// Then the same for leave-one-context-out (`cimpute complete --protocol loco`, the cells' DMSO
// baselines as context features): the inner leave-one-context-out search by refits (every point
// of the grid refitted without each training context: the old path) against the blocks of one
// inverse per kernel setting and ridge, and the whole outer protocol.
//
//   ntk_loo [L1000_DIR] [--contexts K] [--skip-loo]
//
// On the real 24 x 20 L1000 subset (MCF7 the training-only reference) when the folder exists,
// else on a simulated screen. The refits run on the first K contexts (default 8; MCF7 always
// kept) because all 24 take ~10 minutes; the closed form runs on those and on the whole subset.
#include <cimpute/completion.hpp>
#include <cimpute/io/cmap.hpp>
#include <cimpute/io/l1000_directory.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {
using Tensor = cimpute::PerturbationTensor<double>;

// NtkCvCompletion without the closed form: leave_one_pair_out refits it per held-out pair.
struct Refits {
  cimpute::NtkCvCompletion<double> cv;
  std::string name() const { return "ntk (refits)"; }
  Refits& fit(const cimpute::TrainingSet<double>& t) {
    cv.fit(t);
    return *this;
  }
  Eigen::MatrixXd predict(const std::vector<cimpute::PairIndex>& p) const { return cv.predict(p); }
};

// The observed pairs of the contexts kept (the reference and the first `k` others).
Tensor first_contexts(const Tensor& t, Eigen::Index k, const std::string& reference) {
  std::vector<Eigen::Index> keep;
  Eigen::Index others = 0;
  for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
    if (t.contexts()[c] == reference || others++ < k) keep.push_back(c);
  std::vector<Eigen::Index> rows;
  std::vector<std::string> p, c;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r) {
    const auto& pr = t.observed_pairs()[std::size_t(r)];
    if (std::find(keep.begin(), keep.end(), pr.context) == keep.end()) continue;
    rows.push_back(r);
    p.push_back(t.perturbations()[pr.perturbation]);
    c.push_back(t.contexts()[pr.context]);
  }
  return Tensor::from_signatures(Eigen::MatrixXd(t.observed()(rows, Eigen::all)), p, c,
                                 t.features().ids());
}

double seconds_since(std::chrono::steady_clock::time_point s) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count();
}

void report(const char* what, const cimpute::CompletionEvaluation& ev) {
  std::printf("  %-34s %8.2f s   pearson %.4f  r2 %.4f  cosine %.4f\n", what, ev.seconds,
              ev.scores.pearson, ev.scores.r2, ev.scores.cosine);
}

void leave_one_pair_out_part(const Tensor& t, const std::string& reference, Eigen::Index k) {
  std::printf("== leave-one-pair-out\n");
  const cimpute::NtkCvCompletion<double> cv;
  const Tensor small = first_contexts(t, k, reference);
  std::printf("%lld contexts, %lld observed pairs (subset: %lld contexts, %lld pairs)\n",
              static_cast<long long>(t.num_contexts()), static_cast<long long>(t.num_observed()),
              static_cast<long long>(small.num_contexts()),
              static_cast<long long>(small.num_observed()));

  // Before: one whole search per held-out pair. One search on all pairs shows its cost.
  const Eigen::Index ref = cimpute::reference_index(t, reference, "ntk_loo");
  const std::vector<Eigen::Index> rows = cimpute::rows_outside_context(t, ref);
  const cimpute::TrainingSet<double> all(t, rows, ref);
  cimpute::NtkCvCompletion<double> searched(cv);
  const auto s = std::chrono::steady_clock::now();
  searched.fit(all);
  const double one_search = seconds_since(s);
  const std::size_t points = searched.search_points().size();
  std::printf("one search (%zu points, %lld pairs): %.3f s; the refit path runs one per held-out "
              "pair: ~%.0f s of one thread for all %lld\n",
              points, static_cast<long long>(all.size()), one_search,
              one_search * double(all.size()), static_cast<long long>(all.size()));

  std::printf("subset, side by side:\n");
  const auto fast_small = cimpute::leave_one_pair_out(cv, small, reference);
  report("closed form", fast_small);
  const auto refit_small = cimpute::leave_one_pair_out(Refits{cv}, small, reference);
  report("refits (before)", refit_small);
  std::printf("  ratio refits / closed form: %.1fx; max |difference| of the predictions: %.2e\n",
              refit_small.seconds / fast_small.seconds,
              (fast_small.predictions - refit_small.predictions).cwiseAbs().maxCoeff());

  // After: where the closed form's time goes. The final refits (one NtkCompletion fit per held-out
  // pair at the chosen setting) cost about what a fixed-setting leave-one-pair-out costs.
  std::printf("whole data:\n");
  const auto fast = cimpute::leave_one_pair_out(cv, t, reference);
  report("closed form", fast);
  const auto fixed = cimpute::leave_one_pair_out(cimpute::NtkCompletion<double>(), t, reference);
  report("of which ~ final refits (one setting)", fixed);
  std::printf("  the rest, %.2f s, scores the %zu search points for every fold\n",
              fast.seconds - fixed.seconds, points);
}

void leave_one_context_out_part(const Tensor& t, const std::string& reference,
                                const Eigen::MatrixXd& context_features) {
  std::printf("== leave-one-context-out (%s)\n", context_features.size()
                                                     ? "the cells' baselines as context features"
                                                     : "no context features: simulated data");
  cimpute::NtkSearchOptions search;
  search.inner = cimpute::InnerProtocol::LeaveOneContextOut;
  cimpute::NtkCompletionOptions base;
  base.context_features = context_features;
  const cimpute::NtkCvCompletion<double> cv(search, base);
  // One inner search on the training set of the first outer fold (the first non-reference
  // context held out), by the closed form and by refitting every point without each context.
  const Eigen::Index ref = cimpute::reference_index(t, reference, "ntk_loo");
  Eigen::Index first = ref == 0 ? 1 : 0;
  std::vector<Eigen::Index> rows;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r) {
    const Eigen::Index c = t.observed_pairs()[std::size_t(r)].context;
    if (c != ref && c != first) rows.push_back(r);
  }
  const cimpute::TrainingSet<double> train(t, rows, ref);
  cimpute::NtkCvCompletion<double> searched(cv);
  auto s = std::chrono::steady_clock::now();
  searched.fit(train);
  const double closed = seconds_since(s);
  s = std::chrono::steady_clock::now();
  double worst = 0;
  for (const auto& pt : searched.search_points()) {
    // Refit the point without each training context and predict that context whole.
    std::vector<Eigen::RowVectorXd> pred, truth;
    for (Eigen::Index c = 0; c < t.num_contexts(); ++c) {
      if (train.context_rows(c).empty()) continue;
      std::vector<Eigen::Index> kept;
      std::vector<cimpute::PairIndex> test;
      for (Eigen::Index r : rows)
        if (t.observed_pairs()[std::size_t(r)].context == c)
          test.push_back(t.observed_pairs()[std::size_t(r)]), truth.push_back(t.observed().row(r));
        else
          kept.push_back(r);
      cimpute::NtkCompletion<double> m(pt.options);
      m.fit(cimpute::TrainingSet<double>(t, kept, ref));
      const Eigen::MatrixXd P = m.predict(test);
      for (Eigen::Index i = 0; i < P.rows(); ++i) pred.push_back(P.row(i));
    }
    Eigen::MatrixXd Pm(Eigen::Index(pred.size()), t.num_features()), Tm(Pm.rows(), Pm.cols());
    for (std::size_t i = 0; i < pred.size(); ++i)
      Pm.row(Eigen::Index(i)) = pred[i], Tm.row(Eigen::Index(i)) = truth[i];
    worst =
        std::max(worst, std::abs(cimpute::completion_scores(Pm, Tm).pearson - pt.scores.pearson));
  }
  const double refits = seconds_since(s);
  std::printf("one inner search (%zu points, %lld pairs, %lld held-out contexts):\n",
              searched.search_points().size(), static_cast<long long>(train.size()),
              static_cast<long long>(t.num_contexts() - (ref >= 0 ? 2 : 1)));
  std::printf("  %-34s %8.2f s\n  %-34s %8.2f s\n", "blocks of one inverse", closed,
              "refits (before)", refits);
  std::printf("  ratio refits / closed form: %.1fx; max |difference| of the inner Pearson: %.2e\n",
              refits / closed, worst);
  std::printf("whole protocol:\n");
  report("ntk under leave-one-context-out", cimpute::leave_one_context_out(cv, t, reference));
}
} // namespace

int main(int argc, char** argv) try {
  std::string dir = std::string(CIMPUTE_DATA_DIR) + "/l1000";
  Eigen::Index k = 8;
  bool skip_loo = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--contexts" && i + 1 < argc)
      k = std::atol(argv[++i]);
    else if (a == "--skip-loo")
      skip_loo = true;
    else
      dir = a;
  }
  Tensor t;
  std::string reference;
  Eigen::MatrixXd context_features;
  if (std::filesystem::is_directory(dir)) {
    t = cimpute::read_l1000_directory<double>(dir);
    reference = cimpute::cmap::reference_context;
    context_features = cimpute::context_features_from_baselines(
        cimpute::read_l1000_baselines(dir, t.contexts().ids()));
    std::printf("data: the L1000 subset in %s (MCF7 the training-only reference)\n", dir.c_str());
  } else {
    cimpute::PerturbationSimulatorParams sim;
    sim.drugs = 20;
    sim.contexts = 24;
    sim.density = 0.6;
    t = cimpute::simulate_perturbations<double>(sim).signatures;
    std::printf("data: %s is absent; a simulated screen of 20 drugs x 24 cells x 978 genes\n",
                dir.c_str());
  }
  if (!skip_loo) leave_one_pair_out_part(t, reference, k);
  leave_one_context_out_part(t, reference, context_features);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ntk_loo: %s\n", e.what());
  return 2;
}
