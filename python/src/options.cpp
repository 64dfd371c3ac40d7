// The library's option types as Python classes, constructed by keyword (as the C++ structs are by
// designated fields): DiscoveryOptions with its IgspOptions / HsicOptions / GiesOptions,
// InterventionDesignOptions, CompletionSetup with its AutoencoderTransferOptions and
// MixedPriorOptions, RepurposingOptions and PerturbationSimulatorParams. Each field is an
// attribute of the C++ name (`lambda_` for GIES's `lambda`, a Python keyword); enumerations read
// and write as the names the tool uses ("igsp", "gaussian", "worst", "cosine", "one-hot").
#include "common.hpp"

#include <cimpute/completion/registry.hpp>
#include <cimpute/connectivity/drug_ranking.hpp>
#include <cimpute/discovery/discover.hpp>
#include <cimpute/discovery/intervention_design.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>
#include <cimpute/workflow/repurposing.hpp>

namespace cimpute_py {
namespace {

// `Class(**fields)`: the default value with each keyword set through the class's own attribute
// (its conversion and its errors); an unknown name is a TypeError naming the class.
template <class T>
void keyword_init(py::class_<T>& c) {
  const std::string name = py::str(c.attr("__name__"));
  c.def(py::init([name](const py::kwargs& kw) {
    T value;
    py::object self = py::cast(&value, py::return_value_policy::reference);
    for (const auto& [k, v] : kw) {
      const auto key = py::cast<std::string>(k);
      if (key.empty() || key[0] == '_' || !py::hasattr(self, key.c_str()))
        throw py::type_error(name + "() got an unexpected keyword argument '" + key + "'");
      self.attr(key.c_str()) = v;
    }
    return value;
  }));
  c.def("__repr__", [name](py::object self) {
    std::string out = name + "(";
    bool first = true;
    for (const auto& f : py::cast<std::vector<std::string>>(self.attr("_fields"))) {
      out += (first ? "" : ", ") + f + "=" + py::cast<std::string>(py::repr(self.attr(f.c_str())));
      first = false;
    }
    return out + ")";
  });
}

// Binds `T` with keyword construction, the attributes `bind(class)` defines, and `_fields` (their
// names, in definition order, for __repr__).
template <class T, class Bind>
void option_class(py::module_& m, const char* name, const char* doc, Bind bind) {
  py::class_<T> c(m, name, doc);
  std::vector<std::string> fields;
  bind(c, fields);
  c.attr("_fields") = fields;
  keyword_init(c);
}

// def_readwrite, recording the field's name.
template <class Class, class Member, class Owner>
void field(Class& c, std::vector<std::string>& fields, const char* name, Member Owner::*member) {
  c.def_readwrite(name, member);
  fields.push_back(name);
}

} // namespace

void bind_options(py::module_& m) {
  using cimpute::DiscoveryOptions;
  option_class<cimpute::IgspOptions>(m, "IgspOptions",
                                     "The search of GSP / IGSP / UT-IGSP (and PC's level alpha)",
                                     [](auto& c, auto& f) {
                                       using T = cimpute::IgspOptions;
                                       field(c, f, "alpha", &T::alpha);
                                       field(c, f, "alpha_invariance", &T::alpha_invariance);
                                       field(c, f, "depth", &T::depth);
                                       field(c, f, "runs", &T::runs);
                                       field(c, f, "candidates", &T::candidates);
                                       field(c, f, "seed", &T::seed);
                                     });
  option_class<cimpute::HsicOptions>(m, "HsicOptions", "The kernel (HSIC) tests",
                                     [](auto& c, auto& f) {
                                       using T = cimpute::HsicOptions;
                                       field(c, f, "permutations", &T::permutations);
                                       field(c, f, "max_samples", &T::max_samples);
                                       field(c, f, "ridge", &T::ridge);
                                       field(c, f, "seed", &T::seed);
                                     });
  option_class<cimpute::GiesOptions>(m, "GiesOptions", "GIES's penalty and phases",
                                     [](auto& c, auto& f) {
                                       using T = cimpute::GiesOptions;
                                       field(c, f, "lambda_", &T::lambda);
                                       field(c, f, "turning", &T::turning);
                                     });
  option_class<DiscoveryOptions>(
      m, "DiscoveryOptions", "Options of discover (cimpute::DiscoveryOptions)",
      [](auto& c, auto& f) {
        c.def_property(
            "method",
            [](const DiscoveryOptions& o) { return cimpute::discovery_method(o.method).name; },
            [](DiscoveryOptions& o, const std::string& name) {
              o.method = cimpute::discovery_method(name).method;
            });
        c.def_property(
            "tests",
            [](const DiscoveryOptions& o) {
              return std::string(o.tests == cimpute::DiscoveryTests::Kernel ? "kernel"
                                                                            : "gaussian");
            },
            [](DiscoveryOptions& o, const std::string& name) {
              o.tests = cimpute::parse_discovery_tests(name);
            });
        f.insert(f.end(), {"method", "tests"});
        using T = DiscoveryOptions;
        field(c, f, "search", &T::search);
        field(c, f, "hsic", &T::hsic);
        field(c, f, "gies", &T::gies);
        field(c, f, "unknown_targets", &T::unknown_targets);
        field(c, f, "bootstrap", &T::bootstrap);
        field(c, f, "alphas", &T::alphas);
        field(c, f, "shrinkage", &T::shrinkage);
      });
  option_class<cimpute::InterventionDesignOptions>(
      m, "InterventionDesignOptions", "Options of design_interventions", [](auto& c, auto& f) {
        using T = cimpute::InterventionDesignOptions;
        field(c, f, "budget", &T::budget);
        field(c, f, "batch", &T::batch);
        c.def_property(
            "objective",
            [](const T& o) {
              return std::string(o.objective == cimpute::DesignObjective::WorstCase ? "worst"
                                                                                    : "expected");
            },
            [](T& o, const std::string& name) {
              if (name != "expected" && name != "worst")
                cimpute::detail::throw_invalid("InterventionDesignOptions.objective",
                                               "must be 'expected' or 'worst', got '", name, "'");
              o.objective = name == "worst" ? cimpute::DesignObjective::WorstCase
                                            : cimpute::DesignObjective::Expected;
            });
        f.push_back("objective");
        field(c, f, "candidates", &T::candidates);
        field(c, f, "enumerate_up_to", &T::enumerate_up_to);
        field(c, f, "class_samples", &T::class_samples);
        field(c, f, "seed", &T::seed);
      });
  option_class<cimpute::AutoencoderTransferOptions>(
      m, "AutoencoderTransferOptions", "Settings of the autoencoder completion method",
      [](auto& c, auto& f) {
        using T = cimpute::AutoencoderTransferOptions;
        field(c, f, "hidden", &T::hidden);
        field(c, f, "bias", &T::bias);
        field(c, f, "epochs", &T::epochs);
        field(c, f, "batch_size", &T::batch_size);
        field(c, f, "learning_rate", &T::learning_rate);
        field(c, f, "seed", &T::seed);
        field(c, f, "baselines", &T::baselines);
      });
  option_class<cimpute::MixedPriorOptions>(
      m, "MixedPriorOptions", "Settings of ntk-mixed (its threshold and inner search)",
      [](auto& c, auto& f) {
        using T = cimpute::MixedPriorOptions;
        field(c, f, "min_training_perturbations", &T::min_training_perturbations);
        field(c, f, "inner_folds", &T::inner_folds);
        field(c, f, "max_pairs", &T::max_pairs);
        field(c, f, "seed", &T::seed);
      });
  option_class<cimpute::CompletionSetup>(
      m, "CompletionSetup", "What a completion method is built with (cimpute::CompletionSetup)",
      [](auto& c, auto& f) {
        using T = cimpute::CompletionSetup;
        field(c, f, "reference_context", &T::reference_context);
        field(c, f, "context_features", &T::context_features);
        field(c, f, "new_contexts", &T::new_contexts);
        field(c, f, "new_perturbations", &T::new_perturbations);
        c.def_property(
            "perturbation_pca", [](const T& s) { return s.perturbation_features.pca_components; },
            [](T& s, Eigen::Index k) { s.perturbation_features.pca_components = k; });
        f.push_back("perturbation_pca");
        c.def_property(
            "perturbation_signatures",
            [](const T& s) { return s.perturbation_features.signatures; },
            [](T& s, bool on) { s.perturbation_features.signatures = on; });
        f.push_back("perturbation_signatures");
        c.def_property(
            "perturbation_table", [](const T& s) { return s.perturbation_features.table; },
            [](T& s, const Eigen::MatrixXd& table) { s.perturbation_features.table = table; });
        f.push_back("perturbation_table");
        c.def_property(
            "ntk_priors",
            [](const T& s) {
              std::vector<std::string> out;
              for (auto p : s.ntk_priors) out.push_back(cimpute::to_string(p));
              return out;
            },
            [](T& s, const std::vector<std::string>& names) {
              s.ntk_priors.clear();
              for (const auto& n : names) s.ntk_priors.push_back(cimpute::parse_ntk_prior(n));
            });
        f.push_back("ntk_priors");
        field(c, f, "ntk_max_pairs", &T::ntk_max_pairs);
        field(c, f, "autoencoder", &T::autoencoder);
        field(c, f, "mixed", &T::mixed);
      });
  option_class<cimpute::RepurposingOptions>(
      m, "RepurposingOptions", "Options of repurpose (cimpute::RepurposingOptions)",
      [](auto& c, auto& f) {
        using T = cimpute::RepurposingOptions;
        field(c, f, "context", &T::context);
        c.def_property(
            "score", [](const T& o) { return cimpute::to_string(o.score); },
            [](T& o, const std::string& name) {
              o.score = cimpute::parse_connectivity_score(name);
            });
        f.push_back("score");
        field(c, f, "impute", &T::impute);
        field(c, f, "reference_context", &T::reference_context);
        field(c, f, "hide_context", &T::hide_context);
        field(c, f, "set_size", &T::set_size);
        field(c, f, "context_features", &T::context_features);
        field(c, f, "autoencoder", &T::autoencoder);
      });
  option_class<cimpute::PerturbationSimulatorParams>(
      m, "PerturbationSimulatorParams", "The perturbation simulator's parameters",
      [](auto& c, auto& f) {
        using T = cimpute::PerturbationSimulatorParams;
        field(c, f, "genes", &T::genes);
        field(c, f, "drugs", &T::drugs);
        field(c, f, "contexts", &T::contexts);
        field(c, f, "regulators", &T::regulators);
        field(c, f, "targets_per_drug", &T::targets_per_drug);
        field(c, f, "off_targets_per_drug", &T::off_targets_per_drug);
        field(c, f, "hard_fraction", &T::hard_fraction);
        field(c, f, "effect_low", &T::effect_low);
        field(c, f, "effect_high", &T::effect_high);
        field(c, f, "off_target_scale", &T::off_target_scale);
        field(c, f, "context_weight_sd", &T::context_weight_sd);
        field(c, f, "baseline_sd", &T::baseline_sd);
        field(c, f, "noise_sd", &T::noise_sd);
        field(c, f, "density", &T::density);
        field(c, f, "replicates", &T::replicates);
        field(c, f, "control_samples", &T::control_samples);
        field(c, f, "seed", &T::seed);
      });
}

} // namespace cimpute_py
