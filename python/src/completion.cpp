// completion and connectivity: evaluate (as `cimpute complete`), impute (as `cimpute impute`),
// repurpose (as `cimpute repurpose`), the simulator.
#include "common.hpp"

#include <cimpute/completion.hpp>
#include <cimpute/connectivity/alignment.hpp>
#include <cimpute/io/cmap.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>
#include <cimpute/workflow/repurposing.hpp>

#include <cmath>
#include <map>

namespace cimpute_py {
namespace {

// The first seed of the random protocols' splits, as in `cimpute complete`.
constexpr unsigned kFirstSeed = 1000;

py::dict summary_dict(const std::string& protocol, const std::string& method,
                      const cimpute::ScoreSummary& s) {
  py::dict d;
  d["protocol"] = protocol;
  d["method"] = method;
  d["pearson"] = s.mean.pearson;
  d["r2"] = s.mean.r2;
  d["cosine"] = s.mean.cosine;
  d["seconds"] = s.seconds;
  d["pearson_se"] = s.standard_error.pearson;
  d["r2_se"] = s.standard_error.r2;
  d["cosine_se"] = s.standard_error.cosine;
  d["runs"] = s.runs;
  return d;
}

} // namespace

void bind_completion(py::module_& m) {
  m.def("completion_method_names", &cimpute::completion_method_names);
  m.def("is_completion_method", &cimpute::is_completion_method, py::arg("name"),
        "True for a method name of the table or an alias (training-mean)");
  m.def(
      "protocol_is_random",
      [](const std::string& p) { return cimpute::CompletionProtocol::parse(p).is_random(); },
      py::arg("protocol"), "Whether a protocol draws random splits (one run per seed)");
  m.def(
      "pseudobulk_response_metrics",
      [] {
        std::vector<std::string> out;
        for (const auto& r : cimpute::response_metrics())
          if (!cimpute::needs_cells(r)) out.push_back(r.name);
        return out;
      },
      "The response metrics computed without cells (evaluate(metrics=...))");
  m.def(
      "combine_response_runs",
      [](const std::vector<std::map<std::string, double>>& per_seed) {
        std::vector<cimpute::ResponseScores> runs(per_seed.size());
        for (std::size_t k = 0; k < per_seed.size(); ++k)
          for (const auto& [name, value] : per_seed[k])
            runs[k].*(cimpute::response_metric(name).value) = value;
        const auto s = cimpute::summarize_response_runs(runs);
        std::map<std::string, std::pair<double, double>> out;
        if (per_seed.empty()) return out;
        for (const auto& [name, value] : per_seed[0]) {
          const auto& metric = cimpute::response_metric(name);
          out[name] = {s.mean.*(metric.value), s.standard_error.*(metric.value)};
        }
        return out;
      },
      py::arg("per_seed"),
      "Mean and standard error of each metric over runs (cimpute::summarize_response_runs)");
  m.def(
      "completion_method_table",
      [] {
        py::list rows;
        for (const auto& x : cimpute::completion_methods()) {
          py::dict d;
          d["name"] = x.name;
          d["summary"] = x.summary;
          d["posterior"] = x.posterior;
          d["sharded_fit"] = x.sharded_fit;
          d["perturbation_prior"] = x.perturbation_prior;
          rows.append(d);
        }
        return rows;
      },
      "The library's completion method table (cimpute::completion_methods)");
  m.def(
      "resolve_reference_context",
      [](const Tensor& t, const std::string& value, const std::string& target) {
        return cimpute::resolve_reference_context(t, value, cimpute::cmap::reference_context,
                                                  target);
      },
      py::arg("tensor"), py::arg("value"), py::arg("target") = "",
      "What a reference_context value means (auto, none or a context), as in the tool");
  m.def(
      "evaluate_one",
      [](const Tensor& t, const std::string& method, const std::string& protocol,
         cimpute::CompletionSetup setup, int seed_index, py::object progress,
         const std::vector<std::string>& metrics) {
        const auto proto = cimpute::CompletionProtocol::parse(protocol);
        const std::string reference = setup.reference_context;
        setup.new_contexts = proto.kind == cimpute::CompletionProtocol::Kind::LeaveOneContextOut;
        setup.new_perturbations = proto.new_perturbations();
        std::vector<const cimpute::ResponseMetric*> chosen;
        for (const auto& name : metrics) chosen.push_back(&cimpute::response_metric(name));
        // Folds report to `progress`; ntk's inner search reports every kernel setting, which is
        // where Ctrl-C is also noticed within a fold.
        setup.progress = interruptible(py::none());
        const auto callback = interruptible(std::move(progress));
        cimpute::CompletionEvaluation ev;
        std::vector<double> values;
        {
          py::gil_scoped_release nogil;
          const auto any = cimpute::make_completion_method<double>(method, setup);
          ev = cimpute::run_protocol(any, t, proto, reference, kFirstSeed + unsigned(seed_index),
                                     callback);
          if (!chosen.empty()) {
            const auto mean = cimpute::mean_scores(cimpute::completion_response_scores(ev, t));
            for (const auto* metric : chosen) values.push_back(mean.*(metric->value));
          }
        }
        py::dict extra;
        for (std::size_t k = 0; k < chosen.size(); ++k) extra[chosen[k]->name] = values[k];
        return py::make_tuple(cimpute::summarize({ev}), extra);
      },
      py::arg("tensor"), py::arg("method"), py::arg("protocol"), py::arg("setup"),
      py::arg("seed_index"), py::arg("progress"), py::arg("metrics"),
      "One run of one method under a protocol (seed index s: the random splits' seed 1000 + s, "
      "as `cimpute complete`'s run s): its ScoreSummary and the means of the named response "
      "metrics (completion_response_scores)");
  py::class_<cimpute::CompletionScores>(m, "CompletionScores")
      .def_readonly("pearson", &cimpute::CompletionScores::pearson)
      .def_readonly("r2", &cimpute::CompletionScores::r2)
      .def_readonly("cosine", &cimpute::CompletionScores::cosine);
  py::class_<cimpute::ScoreSummary>(m, "ScoreSummary")
      .def_readonly("mean", &cimpute::ScoreSummary::mean)
      .def_readonly("standard_error", &cimpute::ScoreSummary::standard_error)
      .def_readonly("seconds", &cimpute::ScoreSummary::seconds)
      .def_readonly("runs", &cimpute::ScoreSummary::runs);
  m.def(
      "combine_runs",
      [](const std::string& protocol, const std::string& method,
         const std::vector<cimpute::ScoreSummary>& per_seed) {
        return summary_dict(protocol, method, cimpute::summarize(per_seed));
      },
      py::arg("protocol"), py::arg("method"), py::arg("per_seed"));
  m.def(
      "impute",
      [](const Tensor& t, const std::string& method, const std::string& pairs,
         const std::vector<std::pair<std::string, std::string>>& listed,
         cimpute::CompletionSetup setup, py::object progress) {
        const char* fn = "cimpute.impute";
        const std::string reference = setup.reference_context;
        std::vector<cimpute::PairIndex> q;
        if (pairs == "missing") {
          q = cimpute::missing_pairs(t);
        } else if (pairs == "all") {
          q = cimpute::all_pairs(t);
        } else if (pairs == "list") {
          for (const auto& [p, c] : listed)
            q.push_back({t.perturbations().index(p, fn), t.contexts().index(c, fn)});
        } else {
          cimpute::detail::throw_invalid(fn,
                                         "pairs must be 'missing', 'all' or a list of "
                                         "(perturbation, context), got '",
                                         pairs, "'");
        }
        if (q.empty()) cimpute::detail::throw_invalid(fn, "no pair to impute");
        setup.new_contexts =
            cimpute::reaches_new_contexts(t, q, cimpute::reference_index(t, reference, fn));
        setup.new_perturbations = cimpute::reaches_new_perturbations(t, q);
        setup.progress = interruptible(std::move(progress));
        cimpute::LabeledMatrix<double> out;
        {
          py::gil_scoped_release nogil;
          out = cimpute::impute_pairs(cimpute::make_completion_method<double>(method, setup), t, q,
                                      reference);
        }
        return py::make_tuple(Eigen::MatrixXd(out.data()), out.col_ids(), to_dict(out.col_meta()));
      },
      py::arg("tensor"), py::arg("method"), py::arg("pairs"), py::arg("listed"), py::arg("setup"),
      py::arg("progress"));
  m.def(
      "repurpose",
      [](const Tensor& t, const std::vector<std::string>& ids, const Eigen::VectorXd& values,
         const cimpute::RepurposingOptions& o) {
        cimpute::GeneSignature dz{ids, values};
        cimpute::RepurposingResult r;
        {
          py::gil_scoped_release nogil;
          r = cimpute::repurpose(t, dz, o);
        }
        py::list rows;
        for (const auto& d : r.ranking)
          rows.append(py::make_tuple(d.rank, d.drug, d.score, d.imputed ? "imputed" : "measured",
                                     d.uncertainty));
        return py::make_tuple(rows, r.unscored, r.disease.columns.size());
      },
      py::arg("tensor"), py::arg("ids"), py::arg("values"), py::arg("options"));
  m.def(
      "design_pairs",
      [](const Tensor& t, const std::string& method, int budget,
         const std::vector<std::pair<std::string, std::string>>& listed,
         cimpute::CompletionSetup setup, py::object progress) {
        const char* fn = "cimpute.design_pairs";
        const std::string reference = setup.reference_context;
        std::vector<cimpute::PairIndex> q;
        if (listed.empty())
          q = cimpute::missing_pairs(t);
        else
          for (const auto& [p, c] : listed)
            q.push_back({t.perturbations().index(p, fn), t.contexts().index(c, fn)});
        if (q.empty()) cimpute::detail::throw_invalid(fn, "no candidate pair");
        const Eigen::Index ref = cimpute::reference_index(t, reference, fn);
        const std::vector<Eigen::Index> rows = cimpute::rows_outside_context(t, ref);
        if (rows.empty()) cimpute::detail::throw_invalid(fn, "no observed pair to fit on");
        setup.progress = interruptible(std::move(progress));
        cimpute::PairDesignOptions o;
        o.budget = budget;
        cimpute::PairDesign d;
        {
          py::gil_scoped_release nogil;
          auto method_ = cimpute::make_completion_method<double>(method, setup);
          method_.fit(cimpute::TrainingSet<double>(t, rows, ref));
          d = cimpute::design_pairs(method_, q, o);
        }
        py::dict out;
        std::vector<std::string> pert, cell;
        std::vector<double> before, after;
        for (const auto& c : d.chosen) {
          pert.push_back(t.perturbations()[c.pair.perturbation]);
          cell.push_back(t.contexts()[c.pair.context]);
          before.push_back(c.variance_before);
          after.push_back(c.total_variance_after);
        }
        out["perturbation"] = pert;
        out["context"] = cell;
        out["variance_before"] = before;
        out["total_variance_after"] = after;
        out["total_variance_before"] = d.total_variance_before;
        return out;
      },
      py::arg("tensor"), py::arg("method"), py::arg("budget"), py::arg("listed"), py::arg("setup"),
      py::arg("progress"));
  m.def(
      "design_target",
      [](const Tensor& t, const std::vector<std::string>& contexts,
         const std::vector<std::string>& genes, const Eigen::VectorXd& values, int budget,
         bool replay, const std::string& method, const std::string& acquisition,
         const std::string& metric, double confidence, bool reverse, std::uint64_t seed,
         int replay_targets, int repeats, const std::vector<cimpute::CompletionSetup>& setups) {
        const char* fn = "cimpute.design_target";
        cimpute::TargetDesignOptions d;
        d.acquisition = cimpute::parse_target_acquisition(acquisition);
        d.metric = cimpute::parse_target_metric(metric, t.num_features());
        d.confidence = confidence;
        d.reverse = reverse;
        d.seed = seed;
        std::vector<Eigen::Index> columns;
        Eigen::VectorXd target;
        if (!genes.empty()) {
          const cimpute::AlignedSignature a =
              cimpute::align_signature(cimpute::GeneSignature{genes, values}, t.features());
          columns = a.columns;
          target = a.values;
        }
        py::dict out;
        if (!replay) {
          const Eigen::Index c = t.contexts().index(contexts.at(0), fn);
          const std::vector<cimpute::PairIndex> candidates =
              cimpute::context_candidates(t, c, false);
          if (candidates.empty())
            cimpute::detail::throw_invalid(fn,
                                           "every perturbation (but the controls) is measured "
                                           "in '",
                                           contexts[0], "': no candidate left to choose");
          std::vector<cimpute::TargetChoice> chosen;
          {
            py::gil_scoped_release nogil;
            const cimpute::CandidatePosterior post =
                cimpute::fit_candidate_posterior(t, c, false, method, setups.at(0), candidates);
            chosen = cimpute::design_target(post, columns, target, budget, d);
          }
          std::vector<std::string> pert;
          std::vector<double> match, sd, var;
          for (const auto& ch : chosen) {
            pert.push_back(t.perturbations()[ch.pair.perturbation]);
            match.push_back(ch.predicted_match);
            sd.push_back(ch.match_sd);
            var.push_back(ch.relative_variance);
          }
          out["perturbation"] = pert;
          out["predicted_match"] = match;
          out["match_sd"] = sd;
          out["relative_variance"] = var;
          return out;
        }
        cimpute::ContextReplayOptions ro;
        ro.design = d;
        ro.targets = replay_targets;
        ro.repeats = repeats;
        std::vector<std::string> ctx, tgt, best;
        std::vector<double> design, greedy, random, heuristic;
        for (std::size_t i = 0; i < contexts.size(); ++i) {
          const Eigen::Index c = t.contexts().index(contexts[i], fn);
          std::vector<cimpute::ContextReplayRecord> records;
          {
            py::gil_scoped_release nogil;
            records =
                cimpute::replay_context(t, c, method, setups.at(i), columns, target, "target", ro);
          }
          for (const auto& r : records) {
            ctx.push_back(contexts[i]);
            tgt.push_back(r.target);
            best.push_back(r.best);
            design.push_back(r.design);
            greedy.push_back(double(r.greedy));
            random.push_back(r.random);
            heuristic.push_back(r.heuristic);
          }
        }
        out["context"] = ctx;
        out["target"] = tgt;
        out["best"] = best;
        out["design"] = design;
        out["greedy"] = greedy;
        out["random"] = random;
        out["heuristic"] = heuristic;
        return out;
      },
      py::arg("tensor"), py::arg("contexts"), py::arg("genes"), py::arg("values"),
      py::arg("budget"), py::arg("replay"), py::arg("method"), py::arg("acquisition"),
      py::arg("metric"), py::arg("confidence"), py::arg("reverse"), py::arg("seed"),
      py::arg("replay_targets"), py::arg("repeats"), py::arg("setups"));
  m.def(
      "simulate_perturbations",
      [](const cimpute::PerturbationSimulatorParams& p) {
        cimpute::SimulatedPerturbations<double> s;
        {
          py::gil_scoped_release nogil;
          s = cimpute::simulate_perturbations<double>(p);
        }
        const int G = s.graph.num_nodes();
        Eigen::MatrixXi adj = Eigen::MatrixXi::Zero(G, G);
        for (int j = 0; j < G; ++j)
          for (int i : s.graph.parents(j)) adj(i, j) = 1;
        py::dict d;
        d["signatures"] = s.signatures;
        d["samples"] = s.samples;
        d["truth"] = s.truth;
        d["adjacency"] = adj;
        return d;
      },
      py::arg("params"));
}

} // namespace cimpute_py
