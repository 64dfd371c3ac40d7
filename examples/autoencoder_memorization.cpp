// Memorization in over-parameterized autoencoders (Radhakrishnan, Belkin, Uhler, PNAS 2020) on
// real L1000 profiles: train networks to interpolation, then report how many training examples
// are attractors (fixed points whose Jacobian has spectral radius < 1) and how many noisy starts
// iterate back to their source; a sequence encoder's cycle; a linear autoencoder for contrast.
//
//   autoencoder_memorization [DATA] [--best | --sweep | --quick] [--recipe SPEC]...
//                            [--samples N] [--epochs N] [--seeds N] [--no-sequence]
//
// DATA is a GCT / GCTX plate (default: the A375 plate of the data folder; profiles are its
// columns) or an L1000 directory (the 302 signatures of the 24 x 20 grid).
//   (none)     the recommended recipe on the first 100 profiles, the cycle of 10 profiles and the
//              linear contrast (what the main job shows)
//   --best     the recommended recipe only; the output ends with the line
//              `attractors F recall5 R seconds S` (F, R fractions in [0, 1])
//   --sweep    the full table: depth, width, activation, optimizer and schedule (tens of minutes;
//              --seeds N repeats each network with N initial weights, as --recipe does)
//   --quick    a small sweep on 20 profiles (the test suite)
//   --recipe   one network, e.g. `tanh:512x3`, `leaky:1024:nobias:lr=1e-3`, `cosine:256x4:sgd`:
//              activation (leaky, tanh, selu, sine, cosine, linear) : hidden widths (512x3 = three
//              layers of 512, or 512-256) [: nobias] [: adam | sgd] [: lr=R] [: cosine-lr]
//              [: init=S (scale the initial weights)] [: epochs=N] [: seed=N]
//
// Profiles are min-max scaled to [0, 1] over the matrix (as Belyaeva et al.), then centred per
// gene and scaled to unit mean square. Training is full batch to MSE 1e-8 (or the epoch cap).
// Attractor: relative fixed-point residual < 1e-3 and Jacobian spectral radius < 1 (batched
// Krylov, double precision). Recall at noise level s: starts x + e with |e| = s |x| that iterate
// (up to 1,000 steps) to within s / 10 of x, relative, and nearer x than any other example.
#include <cimpute/io/gct.hpp>
#include <cimpute/io/gctx.hpp>
#include <cimpute/io/l1000_directory.hpp>
#include <cimpute/nn.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {
using Index = Eigen::Index;
using Clock = std::chrono::steady_clock;
constexpr double kLevels[3] = {0.01, 0.05, 0.2};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// One network and how to train it.
struct Recipe {
  std::string activation = "tanh";
  std::vector<Index> hidden{512, 512, 512};
  bool bias = true;
  bool sgd = false;
  double rate = 1e-4;
  bool cosine_rate = false;
  double init_scale = 1.0;
  int epochs = 0; // 0: the program's cap
  std::uint64_t seed = 1;

  std::string label() const {
    std::ostringstream s;
    s << activation << ' ';
    bool same = std::all_of(hidden.begin(), hidden.end(), [&](Index h) { return h == hidden[0]; });
    if (same && hidden.size() > 1)
      s << hidden[0] << 'x' << hidden.size();
    else
      for (std::size_t k = 0; k < hidden.size(); ++k) s << (k ? "-" : "") << hidden[k];
    s << (bias ? "" : " nobias") << (sgd ? " sgd" : " adam") << ' ' << rate
      << (cosine_rate ? " cos" : "");
    if (init_scale != 1.0) s << " init " << init_scale;
    if (seed != 1) s << " seed " << seed;
    return s.str();
  }

  static Recipe parse(const std::string& spec) {
    Recipe r;
    std::vector<std::string> parts;
    std::stringstream ss(spec);
    for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
    if (parts.size() < 2) throw std::invalid_argument("--recipe '" + spec + "': need ACT:WIDTHS");
    r.activation = parts[0];
    r.hidden.clear();
    const std::string& w = parts[1];
    if (const auto x = w.find('x'); x != std::string::npos) {
      r.hidden.assign(std::size_t(std::stoi(w.substr(x + 1))), Index(std::stol(w.substr(0, x))));
    } else {
      std::stringstream ws(w);
      for (std::string h; std::getline(ws, h, '-');) r.hidden.push_back(Index(std::stol(h)));
    }
    for (std::size_t k = 2; k < parts.size(); ++k) {
      const std::string& p = parts[k];
      if (p == "nobias")
        r.bias = false;
      else if (p == "sgd")
        r.sgd = true;
      else if (p == "adam")
        r.sgd = false;
      else if (p == "cosine-lr")
        r.cosine_rate = true;
      else if (p.rfind("lr=", 0) == 0)
        r.rate = std::stod(p.substr(3));
      else if (p.rfind("init=", 0) == 0)
        r.init_scale = std::stod(p.substr(5));
      else if (p.rfind("epochs=", 0) == 0)
        r.epochs = std::stoi(p.substr(7));
      else if (p.rfind("seed=", 0) == 0)
        r.seed = std::stoull(p.substr(5));
      else
        throw std::invalid_argument("--recipe '" + spec + "': unknown part '" + p + "'");
    }
    return r;
  }
};

/// What a trained network stores.
struct Outcome {
  int epochs = 0;
  double mse = 0, seconds = 0, attractors = 0, radius_min = 0, radius_max = 0;
  double recall[3] = {0, 0, 0};
};

/// Starts x + e with |e| = level |x|, from a seeded generator.
Eigen::MatrixXf noisy_copy(const Eigen::MatrixXf& X, double level, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n01(0, 1);
  Eigen::MatrixXf E(X.rows(), X.cols());
  for (Index i = 0; i < E.size(); ++i) E.data()[i] = n01(rng);
  E.array().colwise() *= (float(level) * X.rowwise().norm().array() / E.rowwise().norm().array());
  return X + E;
}

cimpute::AutoencoderTraining training_of(const Recipe& r, int epochs) {
  cimpute::AutoencoderTraining t;
  t.max_epochs = r.epochs > 0 ? r.epochs : epochs;
  t.batch_size = 0; // full batch
  t.validation_fraction = 0;
  t.loss_threshold = 1e-8;
  t.optimizer = r.sgd ? cimpute::OptimizerKind::Sgd : cimpute::OptimizerKind::Adam;
  t.momentum = r.sgd ? 0.9 : 0.0;
  t.schedule.rate = r.rate;
  if (r.cosine_rate) {
    t.schedule.kind = cimpute::LearningRateSchedule::Kind::Cosine;
    t.schedule.total_steps = t.max_epochs;
    t.schedule.floor = r.rate / 100;
  }
  return t;
}

template <class Act>
cimpute::Mlp<float, Act> make_network(const Recipe& r, Index d, std::vector<Index> hidden) {
  std::vector<Index> sizes{d};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(d);
  cimpute::Mlp<float, Act> net(sizes, r.bias, Act{}, cimpute::Initialization::Uniform, r.seed);
  net.parameters() *= float(r.init_scale);
  return net;
}

template <class Act>
Outcome memorize(const Recipe& r, const Eigen::MatrixXf& X, int epochs) {
  const auto t0 = Clock::now();
  auto net = make_network<Act>(r, X.cols(), r.hidden);
  const auto h = cimpute::train_network(net, X, X, training_of(r, epochs));
  Outcome o;
  o.seconds = seconds_since(t0);
  o.epochs = int(h.epochs.size());
  o.mse = double((net.forward(X) - X).squaredNorm()) / double(X.size());
  const auto rep = cimpute::attractor_report(net, X, 1e-3);
  o.attractors = rep.fraction();
  o.radius_min = rep.spectral_radius.minCoeff();
  o.radius_max = rep.spectral_radius.maxCoeff();
  for (int l = 0; l < 3; ++l) {
    const auto it =
        cimpute::iterate_map(net, noisy_copy(X, kLevels[l], 7 + std::uint64_t(l)), X, 1000, 1e-7);
    int back = 0;
    for (Index i = 0; i < X.rows(); ++i)
      back += it.nearest[std::size_t(i)] == i && it.distance[i] < kLevels[l] / 10 ? 1 : 0;
    o.recall[l] = back / double(X.rows());
  }
  return o;
}

/// Calls f(Act{}) with the activation policy named `name`.
template <class F>
auto with_activation(const std::string& name, F&& f) {
  if (name == "leaky") return f(cimpute::LeakyRelu{});
  if (name == "tanh") return f(cimpute::Tanh{});
  if (name == "selu") return f(cimpute::Selu{});
  if (name == "sine") return f(cimpute::Sine{});
  if (name == "cosine") return f(cimpute::Cosine{});
  if (name == "linear") return f(cimpute::Identity{});
  throw std::invalid_argument("unknown activation '" + name +
                              "' (leaky, tanh, selu, sine, cosine, linear)");
}

void header() {
  std::printf("%-34s %6s %9s %8s | %10s %13s | %s\n", "network (full batch)", "epochs", "train MSE",
              "seconds", "attractors", "radius range", "recall from 1% / 5% / 20% noise");
}

Outcome run(const Recipe& r, const Eigen::MatrixXf& X, int epochs) {
  const Outcome o = with_activation(
      r.activation, [&](auto act) { return memorize<decltype(act)>(r, X, epochs); });
  std::printf("%-34s %6d %9.1e %8.1f | %9.0f%% %6.3f-%6.3f | %3.0f%% / %3.0f%% / %3.0f%%\n",
              r.label().c_str(), o.epochs, o.mse, o.seconds, 100 * o.attractors, o.radius_min,
              o.radius_max, 100 * o.recall[0], 100 * o.recall[1], 100 * o.recall[2]);
  std::fflush(stdout);
  return o;
}

/// The sequence encoder: f(x_k) = x_(k+1) around a cycle; cycle stability and recall of the
/// whole cycle from corrupted starts.
template <class Act>
void sequence(const Recipe& r, const Eigen::MatrixXf& C, int epochs) {
  const Index n = C.rows();
  Eigen::MatrixXf next(n, C.cols());
  for (Index k = 0; k < n; ++k) next.row(k) = C.row((k + 1) % n);
  const auto t0 = Clock::now();
  auto net = make_network<Act>(r, C.cols(), r.hidden);
  const auto h = cimpute::train_network(net, C, next, training_of(r, epochs));
  const double secs = seconds_since(t0);
  const auto [residual, radius] = cimpute::cycle_stability(net, C);
  std::printf("sequence encoder %s on a cycle of %lld profiles: %d epochs, %.1f s, largest "
              "residual %.1e, spectral radius of the Jacobian product around the cycle %.3g (%s)\n",
              r.label().c_str(), static_cast<long long>(n), int(h.epochs.size()), secs, residual,
              radius, radius < 1 ? "stable" : "not stable");
  // From each element plus noise: 100 rounds of the cycle, then one more round must visit every
  // element in order, each within level / 10.
  for (double level : kLevels) {
    Eigen::MatrixXf x = noisy_copy(C, level, 11);
    for (int s = 0; s < 100 * int(n); ++s) x = net.forward(x);
    int whole = 0;
    std::vector<bool> ok(std::size_t(n), true);
    for (Index j = 0; j < n; ++j) {
      for (Index k = 0; k < n; ++k) {
        const auto target = C.row((k + j) % n);
        if ((x.row(k) - target).norm() > level / 10 * target.norm()) ok[std::size_t(k)] = false;
      }
      x = net.forward(x);
    }
    for (bool b : ok) whole += b ? 1 : 0;
    std::printf("  from %2.0f%% noise: %d of %lld starts follow the whole cycle\n", 100 * level,
                whole, static_cast<long long>(n));
  }
}

/// Profiles as rows: min-max scaled over the matrix, centred per gene, unit mean square.
Eigen::MatrixXf prepare(Eigen::MatrixXf X) {
  const float lo = X.minCoeff(), hi = X.maxCoeff();
  X = ((X.array() - lo) / (hi - lo)).matrix();
  // Centred per gene and scaled to unit mean square: with min-max scaling alone the profiles
  // share one dominant direction and Adam at 1e-4 is still at MSE 7e-4 after 2,000 epochs.
  const Eigen::RowVectorXf mean = X.colwise().mean();
  X = X.rowwise() - mean;
  X /= std::sqrt(X.squaredNorm() / float(X.size()));
  return X;
}

/// The recommended recipe (see docs/results.md, "Memorization").
Recipe best_recipe() {
  return Recipe::parse("cosine:256x3:init=0.5");
}
} // namespace

int main(int argc, char** argv) try {
  std::string path = std::string(CIMPUTE_DATA_DIR) + "/l1000/a375_level3_plate_n978x377.gct";
  int samples = 100, epochs = 5000, seeds = 1;
  std::string mode = "default";
  bool cycle = true;
  std::vector<Recipe> recipes;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--samples")
      samples = std::stoi(value());
    else if (a == "--epochs")
      epochs = std::stoi(value());
    else if (a == "--seeds")
      seeds = std::stoi(value());
    else if (a == "--best" || a == "--sweep" || a == "--quick")
      mode = a.substr(2);
    else if (a == "--recipe")
      recipes.push_back(Recipe::parse(value()));
    else if (a == "--no-sequence")
      cycle = false;
    else if (a.rfind("--", 0) == 0)
      throw std::invalid_argument("unknown option " + a);
    else
      path = a;
  }
  if (!std::filesystem::exists(path)) {
    std::printf("SKIPPED: %s is absent\n", path.c_str());
    return 0;
  }
  if (mode == "quick") {
    samples = 20;
    epochs = std::min(epochs, 1500);
  }
  // Profiles as rows, and the cycle of the sequence encoder (plates only).
  Eigen::MatrixXf all;
  std::vector<Index> series;
  if (std::filesystem::is_directory(path)) {
    all = cimpute::read_l1000_directory<float>(path).observed();
  } else {
    const auto plate = path.size() > 5 && path.substr(path.size() - 5) == ".gctx"
                           ? cimpute::read_gctx<float>(path)
                           : cimpute::read_gct<float>(path);
    all = plate.data().transpose();
    // The dose series of the plate's first compound (high to low dose) and then vehicle wells.
    const auto& meta = plate.col_meta();
    if (meta.has_field("pert_iname") && meta.has_field("pert_type")) {
      const auto& name = meta.field("pert_iname");
      const auto& type = meta.field("pert_type");
      std::string first;
      for (Index j = 0; j < plate.cols(); ++j)
        if (type[std::size_t(j)] == "trt_cp" && first.empty()) first = name[std::size_t(j)];
      for (Index j = 0; j < plate.cols(); ++j)
        if (name[std::size_t(j)] == first) series.push_back(j);
      for (Index j = 0; j < plate.cols() && series.size() < 10; ++j)
        if (type[std::size_t(j)] == "ctl_vehicle") series.push_back(j);
    }
  }
  samples = int(std::min<Index>(samples, all.rows()));
  const Eigen::MatrixXf X = prepare(all.topRows(samples));
  std::printf("%d profiles of %s, %lld genes, min-max scaled, centred per gene, unit mean "
              "square\n\n",
              samples, std::filesystem::path(path).filename().c_str(),
              static_cast<long long>(X.cols()));
  header();
  // Each recipe with `seeds` consecutive seeds of the initial weights from its own.
  auto runs = [&](Recipe r) {
    for (int k = 0; k < seeds; ++k, ++r.seed) run(r, X, epochs);
  };
  if (!recipes.empty()) {
    for (const auto& r : recipes) runs(r);
    return 0;
  }
  if (mode == "quick") {
    for (const char* s : {"cosine:256x2:init=0.5", "leaky:256:nobias:lr=1e-3", "linear:256"})
      run(Recipe::parse(s), X, epochs);
    return 0;
  }
  if (mode == "sweep") {
    // Each block varies one thing from cosine 512 x 3, initial weights scaled by 0.5, full-batch
    // Adam at 1e-4 (the recommended recipe is its narrower 256 x 3 version).
    const char* grid[] = {
        // depth
        "cosine:512:init=0.5", "cosine:512x2:init=0.5", "cosine:512x3:init=0.5",
        "cosine:512x4:init=0.5", "cosine:512x6:init=0.5",
        // width
        "cosine:128x3:init=0.5", "cosine:256x3:init=0.5", "cosine:1024x3:init=0.5",
        "cosine:2048x3:init=0.5",
        // activation
        "leaky:512x3:init=0.5", "tanh:512x3:init=0.5", "selu:512x3:init=0.5", "sine:512x3:init=0.5",
        // initial scale
        "cosine:512x3:init=0.25", "cosine:512x3:init=0.7", "cosine:512x3", "cosine:512x3:init=2",
        // optimizer and schedule
        "cosine:512x3:init=0.5:lr=3e-5", "cosine:512x3:init=0.5:lr=3e-4",
        "cosine:512x3:init=0.5:lr=3e-4:cosine-lr", "cosine:512x3:init=0.5:sgd:lr=1e-2",
        // the reference network and its biased version, the linear contrast
        "leaky:1024:nobias:lr=1e-3", "leaky:1024:lr=1e-3", "linear:1024"};
    for (const char* s : grid) runs(Recipe::parse(s));
    return 0;
  }
  const Recipe best = best_recipe();
  const Outcome o = run(best, X, epochs);
  if (mode == "default") {
    run(Recipe::parse("linear:1024"), X, epochs);
    if (cycle && series.size() >= 3) {
      Eigen::MatrixXf C = prepare(all(series, Eigen::all));
      std::printf("\n");
      with_activation(best.activation, [&](auto act) { sequence<decltype(act)>(best, C, epochs); });
    }
  }
  std::printf("attractors %.4f recall5 %.4f seconds %.1f\n", o.attractors, o.recall[1], o.seconds);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "autoencoder_memorization: %s\n", e.what());
  return 2;
}
