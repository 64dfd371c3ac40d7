// Binders of the response metrics (cimpute/stats/response_metrics.hpp and the tests under it):
// the per-perturbation scores on pseudobulk means or single cells, the DE tests, energy
// distances, Benjamini-Hochberg. cimpute.metrics builds its AnnData / DataFrame API on them.
#include "common.hpp"

#include <cimpute/stats/response_metrics.hpp>

namespace cimpute_py {

namespace {

cimpute::ResponseScoreOptions score_options(Eigen::Index top_genes, Eigen::Index des_cap,
                                            double fdr, const std::string& energy,
                                            int etest_permutations, std::uint64_t seed,
                                            std::vector<Eigen::Index> target_genes,
                                            bool log1p_input) {
  cimpute::ResponseScoreOptions o;
  o.top_genes = top_genes;
  o.des_cap = des_cap;
  o.fdr = fdr;
  o.energy = cimpute::EnergyDistanceOptions::parse(energy);
  o.etest_permutations = etest_permutations;
  o.seed = seed;
  o.target_genes = std::move(target_genes);
  o.de.log1p_input = log1p_input;
  return o;
}

// Per metric (the table names), one value per perturbation.
py::dict to_columns(const std::vector<cimpute::ResponseScores>& s) {
  py::dict d;
  for (const auto& m : cimpute::response_metrics()) {
    Eigen::VectorXd v(Eigen::Index(s.size()));
    for (std::size_t i = 0; i < s.size(); ++i) v[Eigen::Index(i)] = s[i].*m.value;
    d[py::str(m.name)] = v;
  }
  return d;
}

} // namespace

void bind_metrics(py::module_& m) {
  m.def(
      "response_metrics",
      [] {
        std::vector<std::tuple<std::string, int, std::string>> out;
        for (const auto& r : cimpute::response_metrics())
          out.emplace_back(r.name, r.direction, r.description);
        return out;
      },
      "(name, direction, description) of every metric: +1 higher is better, -1 lower, 0 "
      "descriptive");
  m.def(
      "score_responses",
      [](Eigen::Ref<const Eigen::MatrixXd> predicted, Eigen::Ref<const Eigen::MatrixXd> measured,
         Eigen::Ref<const Eigen::RowVectorXd> predicted_control,
         Eigen::Ref<const Eigen::RowVectorXd> measured_control, Eigen::Index top_genes,
         std::vector<Eigen::Index> target_genes) {
        auto o = score_options(top_genes, 20, 0.05, "sqeuclidean-distinct", 0, 0,
                               std::move(target_genes), true);
        std::vector<cimpute::ResponseScores> s;
        {
          py::gil_scoped_release release;
          s = cimpute::score_responses(predicted, measured, predicted_control, measured_control, o);
        }
        return to_columns(s);
      },
      py::arg("predicted"), py::arg("measured"), py::arg("predicted_control"),
      py::arg("measured_control"), py::arg("top_genes") = 20,
      py::arg("target_genes") = std::vector<Eigen::Index>{});
  m.def(
      "score_cell_responses",
      [](Eigen::MatrixXd predicted, std::vector<Eigen::Index> predicted_groups,
         Eigen::MatrixXd measured, std::vector<Eigen::Index> measured_groups,
         Eigen::Index perturbations, Eigen::Index top_genes, Eigen::Index des_cap, double fdr,
         const std::string& energy, int etest_permutations, std::uint64_t seed,
         std::vector<Eigen::Index> target_genes, bool log1p_input) {
        auto o = score_options(top_genes, des_cap, fdr, energy, etest_permutations, seed,
                               std::move(target_genes), log1p_input);
        cimpute::CellGroups p{std::move(predicted), std::move(predicted_groups)};
        cimpute::CellGroups t{std::move(measured), std::move(measured_groups)};
        std::vector<cimpute::ResponseScores> s;
        {
          py::gil_scoped_release release;
          s = cimpute::score_cell_responses(p, t, perturbations, o);
        }
        return to_columns(s);
      },
      py::arg("predicted"), py::arg("predicted_groups"), py::arg("measured"),
      py::arg("measured_groups"), py::arg("perturbations"), py::arg("top_genes") = 20,
      py::arg("des_cap") = 20, py::arg("fdr") = 0.05, py::arg("energy") = "sqeuclidean-distinct",
      py::arg("etest_permutations") = 0, py::arg("seed") = 0,
      py::arg("target_genes") = std::vector<Eigen::Index>{}, py::arg("log1p_input") = true);
  m.def(
      "differential_expression",
      [](Eigen::Ref<const Eigen::MatrixXd> perturbed, Eigen::Ref<const Eigen::MatrixXd> control,
         bool log1p_input, double pseudocount) {
        cimpute::DifferentialExpressionOptions o;
        o.log1p_input = log1p_input;
        o.pseudocount = pseudocount;
        const auto d = cimpute::ControlCells(control, o).test(perturbed);
        py::dict out;
        out["log2_fold_change"] = d.log2_fold_change;
        out["z"] = d.z;
        out["p_value"] = d.p_value;
        out["q_value"] = d.q_value;
        return out;
      },
      py::arg("perturbed"), py::arg("control"), py::arg("log1p_input") = true,
      py::arg("pseudocount") = 1e-9);
  m.def(
      "normalised_score",
      [](const std::string& metric, double u, double b) {
        return cimpute::normalised_score(cimpute::response_metric(metric), u, b);
      },
      py::arg("metric"), py::arg("model"), py::arg("baseline"));
  m.def("benjamini_hochberg",
        [](Eigen::Ref<const Eigen::VectorXd> p) { return cimpute::benjamini_hochberg(p); });
  m.def(
      "energy_distance",
      [](Eigen::Ref<const Eigen::MatrixXd> x, Eigen::Ref<const Eigen::MatrixXd> y,
         const std::string& variant) {
        return cimpute::energy_distance(x, y, cimpute::EnergyDistanceOptions::parse(variant));
      },
      py::arg("x"), py::arg("y"), py::arg("variant") = "sqeuclidean-distinct");
  m.def(
      "energy_test",
      [](Eigen::Ref<const Eigen::MatrixXd> x, Eigen::Ref<const Eigen::MatrixXd> y, int permutations,
         std::uint64_t seed, const std::string& variant) {
        const auto r = cimpute::energy_test(x, y, permutations, seed,
                                            cimpute::EnergyDistanceOptions::parse(variant));
        return std::make_pair(r.distance, r.p_value);
      },
      py::arg("x"), py::arg("y"), py::arg("permutations") = 1000, py::arg("seed") = 0,
      py::arg("variant") = "sqeuclidean-distinct");
}

} // namespace cimpute_py
