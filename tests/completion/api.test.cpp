// The public surface of the completion module: the NTK grid shared by the two searches validates in
// one place, and every options struct validates the same way (cimpute::invalid_argument from
// "<Struct>::validate" naming the value, called by the method's constructor).
#include "test_data.hpp"

#include <cimpute/completion/autoencoder_transfer.hpp>
#include <cimpute/completion/dnpp.hpp>
#include <cimpute/completion/falrtc.hpp>
#include <cimpute/completion/means.hpp>
#include <cimpute/completion/ntk_completion.hpp>
#include <cimpute/completion/ntk_cv.hpp>
#include <cimpute/completion/ntk_grid.hpp>
#include <cimpute/completion/ntk_mixed.hpp>
#include <cimpute/completion/registry.hpp>
#include <cimpute/completion/soft_impute.hpp>
#include <cimpute/completion/synthetic_interventions.hpp>
#include <cimpute/completion/workflow.hpp>

#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

using Tensor = cimpute::PerturbationTensor<double>;

namespace {
// 3 perturbations x 3 contexts x 4 genes, all observed but (p2, c2).
Tensor small_tensor() {
  std::vector<std::string> p, c;
  Eigen::MatrixXd X(8, 4);
  Eigen::Index r = 0;
  for (int ci = 0; ci < 3; ++ci)
    for (int pi = 0; pi < 3; ++pi) {
      if (pi == 2 && ci == 2) continue;
      for (Eigen::Index g = 0; g < 4; ++g) X(r, g) = 0.3 * ci - 0.2 * pi + 0.1 * double(g * g);
      p.push_back("p" + std::to_string(pi));
      c.push_back("c" + std::to_string(ci));
      ++r;
    }
  return Tensor::from_signatures(X, p, c, {"g1", "g2", "g3", "g4"});
}

// `f()` throws cimpute::invalid_argument whose message holds every string of `parts`.
void check_rejects(const std::function<void()>& f, const std::vector<std::string>& parts) {
  std::string what;
  try {
    f();
  } catch (const cimpute::invalid_argument& e) {
    what = e.what();
  }
  INFO("message: " << what);
  REQUIRE_FALSE(what.empty());
  for (const auto& p : parts) {
    INFO("expected: " << p);
    CHECK(what.find(p) != std::string::npos);
  }
}
} // namespace

TEST_CASE("workflow: the run-time rules every front end shares", "[completion][api]") {
  // small_tensor: p0..p2 x c0..c2, all observed but (p2, c2); rows in context-major order.
  const Tensor t = small_tensor();
  // The reference context: auto is the conventional name when present and not the target.
  CHECK(cimpute::resolve_reference_context(t, "auto", "c1") == "c1");
  CHECK(cimpute::resolve_reference_context(t, "auto", "c1", "c1").empty());
  CHECK(cimpute::resolve_reference_context(t, "auto", "MCF7").empty());
  CHECK(cimpute::resolve_reference_context(t, "auto", "").empty());
  CHECK(cimpute::resolve_reference_context(t, "none", "c1").empty());
  CHECK(cimpute::resolve_reference_context(t, "", "c1").empty());
  CHECK(cimpute::resolve_reference_context(t, "c2", "c1") == "c2");
  check_rejects([&] { cimpute::resolve_reference_context(t, "XYZ", "c1"); },
                {"resolve_reference_context", "no context named 'XYZ'", "auto, none"});
  CHECK(cimpute::reference_index(t, "", "f") == -1);
  CHECK(cimpute::reference_index(t, "c1", "f") == 1);
  check_rejects([&] { cimpute::reference_index(t, "XYZ", "my_function"); }, {"my_function", "XYZ"});
  // Training rows: every observed row outside the reference, in row order.
  CHECK(cimpute::rows_outside_context(t, -1).size() == 8);
  CHECK(cimpute::rows_outside_context(t, 1) == std::vector<Eigen::Index>{0, 1, 2, 6, 7});
  // Requests: all pairs of observed labels, the missing ones among them.
  const auto all = cimpute::all_pairs(t);
  REQUIRE(all.size() == 9);
  CHECK(all[8] == cimpute::PairIndex{2, 2});
  CHECK(cimpute::missing_pairs(t) == std::vector<cimpute::PairIndex>{{2, 2}});
  // New contexts: the reference, or a context without any observed pair.
  CHECK_FALSE(cimpute::reaches_new_contexts(t, {{2, 2}}, -1));
  CHECK(cimpute::reaches_new_contexts(t, {{0, 0}, {2, 2}}, 2));
  const Tensor partial = Tensor::from_signatures(t.observed().topRows(3), {"p0", "p1", "p2"},
                                                 {"c0", "c0", "c0"}, t.features().ids())
                             .with_labels(t.perturbations().ids(), t.contexts().ids());
  CHECK(cimpute::reaches_new_contexts(partial, {{0, 1}}, -1));
}

TEST_CASE("NtkGrid: the grid of both NTK searches, with their own defaults", "[completion][api]") {
  STATIC_REQUIRE(std::is_base_of_v<cimpute::NtkGrid, cimpute::NtkSearchOptions>);
  STATIC_REQUIRE(std::is_base_of_v<cimpute::NtkGrid, cimpute::MixedPriorOptions>);
  const cimpute::NtkSearchOptions search;
  CHECK(search.depths == std::vector<int>{1, 2, 5});
  CHECK(search.identity_weights == std::vector<double>{0.5, 1.5});
  CHECK(search.scales == std::vector<double>{0.75, 1.5, 3.0});
  CHECK(search.ridges == std::vector<double>{0.0, 0.1});
  CHECK(search.size() == 36);
  const cimpute::MixedPriorOptions mixed;
  CHECK(mixed.depths == std::vector<int>{1, 2});
  CHECK(mixed.identity_weights == std::vector<double>{0.5, 1.5});
  CHECK(mixed.scales == std::vector<double>{0.75, 1.5});
  CHECK(mixed.ridges == std::vector<double>{0.0, 0.1});
  CHECK(mixed.size() == 16);

  const cimpute::NtkGrid one{{2}, {1.0}, {0.75}, {1e-3}};
  CHECK(one.size() == 1);
  CHECK_NOTHROW(one.validate("test"));
  check_rejects([] { cimpute::NtkGrid().validate("test"); }, {"test: ", "depths is empty"});
  // A grid assigned into the options replaces the whole search space.
  cimpute::MixedPriorOptions m;
  static_cast<cimpute::NtkGrid&>(m) = one;
  CHECK(m.depths == std::vector<int>{2});
  CHECK_NOTHROW(m.validate());
}

TEMPLATE_TEST_CASE("NtkGrid::validate rejects an empty list, a negative value and depth 0",
                   "[completion][api]", cimpute::NtkSearchOptions, cimpute::MixedPriorOptions) {
  const std::string fn = std::is_same_v<TestType, cimpute::NtkSearchOptions>
                             ? "NtkSearchOptions::validate"
                             : "MixedPriorOptions::validate";
  // The method that owns the options validates them when constructed.
  const std::function<void(const TestType&)> construct = [](const TestType& o) {
    if constexpr (std::is_same_v<TestType, cimpute::NtkSearchOptions>) {
      const cimpute::NtkCvCompletion<double> m(o);
    } else {
      const cimpute::NtkMixedPriorCompletion<double, cimpute::DnppCompletion<double>> m(
          cimpute::DnppCompletion<double>(2), o);
    }
  };
  CHECK_NOTHROW(TestType().validate());
  CHECK_NOTHROW(construct(TestType()));

  struct Case {
    const char* what;
    std::function<void(TestType&)> edit;
    std::vector<std::string> message;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases{
      {"no depth", [](TestType& o) { o.depths.clear(); }, {"depths is empty", "search space"}},
      {"no identity weight",
       [](TestType& o) { o.identity_weights.clear(); },
       {"identity_weights is empty"}},
      {"no scale", [](TestType& o) { o.scales = {}; }, {"scales is empty"}},
      {"no ridge", [](TestType& o) { o.ridges = {}; }, {"ridges is empty"}},
      {"depth 0",
       [](TestType& o) {
         o.depths = {1, 0};
       },
       {"depths holds 0", ">= 1"}},
      {"negative depth", [](TestType& o) { o.depths = {-3}; }, {"depths holds -3"}},
      {"negative identity weight",
       [](TestType& o) {
         o.identity_weights = {0.5, -1.5};
       },
       {"identity_weights holds -1.5"}},
      {"negative scale", [](TestType& o) { o.scales = {-0.25}; }, {"scales holds -0.25"}},
      {"negative ridge",
       [](TestType& o) {
         o.ridges = {0.0, -0.1};
       },
       {"ridges holds -0.1"}},
      {"NaN scale", [nan](TestType& o) { o.scales = {nan}; }, {"scales holds nan"}},
      {"infinite ridge", [inf](TestType& o) { o.ridges = {inf}; }, {"ridges holds inf"}},
  };
  for (const auto& c : cases) {
    INFO(fn << ": " << c.what);
    TestType o;
    c.edit(o);
    std::vector<std::string> parts = c.message;
    parts.push_back(fn + ": ");
    check_rejects([&] { o.validate(); }, parts);
    check_rejects([&] { construct(o); }, parts);
  }
}

TEST_CASE("every options struct validates the same way", "[completion][api]") {
  {
    cimpute::FalrtcOptions o = cimpute::FalrtcOptions::hodos();
    o.max_iterations = 0;
    check_rejects([&] { o.validate(); }, {"FalrtcOptions::validate: ", "max_iterations", "0"});
    check_rejects([&] { cimpute::FalrtcCompletion<double>{o}; }, {"FalrtcOptions::validate"});
    o = cimpute::FalrtcOptions::hodos();
    o.initial_lipschitz = -2.5;
    check_rejects([&] { o.validate(); }, {"FalrtcOptions::validate: ", "-2.5"});
  }
  {
    cimpute::SoftImputeOptions o;
    o.tolerance = -0.5;
    check_rejects([&] { o.validate(); }, {"SoftImputeOptions::validate: ", "tolerance", "-0.5"});
    o = {};
    o.max_iterations = -7;
    check_rejects([&] { cimpute::SoftImputeCompletion<double>{o}; },
                  {"SoftImputeOptions::validate: ", "-7"});
  }
  {
    cimpute::SyntheticInterventionsOptions o;
    o.energy = 1.5;
    check_rejects([&] { cimpute::SyntheticInterventionsCompletion<double>{o}; },
                  {"SyntheticInterventionsOptions::validate: ", "energy", "1.5"});
  }
  {
    cimpute::AutoencoderTransferOptions o;
    o.batch_size = -3;
    check_rejects([&] { o.validate(); },
                  {"AutoencoderTransferOptions::validate: ", "batch_size", "-3"});
    o = {};
    o.learning_rate = -0.125;
    check_rejects([&] { cimpute::AutoencoderTransferCompletion<double>{o}; },
                  {"AutoencoderTransferOptions::validate: ", "learning_rate", "-0.125"});
  }
  {
    cimpute::NtkCompletionOptions o;
    o.depth = 0;
    check_rejects([&] { cimpute::NtkCompletion<double>{o}; },
                  {"NtkCompletionOptions::validate: ", "0"});
  }
  {
    cimpute::NtkSearchOptions o;
    o.max_pairs = 1;
    check_rejects([&] { cimpute::NtkCvCompletion<double>{o}; },
                  {"NtkSearchOptions::validate: ", "max_pairs", "1"});
    o = {};
    o.priors.clear();
    check_rejects([&] { o.validate(); }, {"NtkSearchOptions::validate: ", "priors is empty"});
  }
  {
    cimpute::MixedPriorOptions o;
    o.inner_folds = 1;
    check_rejects([&] { o.validate(); }, {"MixedPriorOptions::validate: ", "inner_folds", "1"});
    o = {};
    o.max_pairs = 7;
    check_rejects([&] { o.validate(); }, {"MixedPriorOptions::validate: ", "max_pairs", "7"});
  }
  {
    // CompletionSetup validates its own fields and its nested options, and every method built
    // from it (by name) validates it first.
    cimpute::CompletionSetup setup;
    CHECK_NOTHROW(setup.validate());
    setup.context_features = Eigen::MatrixXd::Zero(3, 2);
    setup.context_features(1, 0) = std::numeric_limits<double>::quiet_NaN();
    check_rejects([&] { setup.validate(); },
                  {"CompletionSetup::validate: ", "context_features row 1"});
    check_rejects([&] { cimpute::make_completion_method<double>("ntk", setup); },
                  {"CompletionSetup::validate: "});
    setup = {};
    setup.mixed.depths = {0};
    check_rejects([&] { setup.validate(); }, {"MixedPriorOptions::validate: ", "depths holds 0"});
    check_rejects([&] { cimpute::make_completion_method<double>("ntk-mixed", setup); },
                  {"MixedPriorOptions::validate: "});
    setup = {};
    setup.autoencoder.epochs = 0;
    check_rejects([&] { cimpute::make_completion_method<double>("autoencoder", setup); },
                  {"AutoencoderTransferOptions::validate: ", "epochs", "0"});
  }
}
