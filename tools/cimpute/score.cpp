// `cimpute score`: predicted perturbation responses against measured ones, with the field's
// metrics (cimpute/stats/response_metrics.hpp): per perturbation and context, on pseudobulk means
// or on single cells, optionally normalised against a baseline's prediction.
#include "cli.hpp"
#include "signatures.hpp"

#include <cimpute/core/parallel.hpp>
#include <cimpute/io.hpp>
#include <cimpute/stats/response_metrics.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <set>

namespace cimpute_cli {

namespace {

struct ScoreOptions {
  std::string truth, predicted, baseline, metrics, per_perturbation_out;
  std::string level = "auto", energy = "sqeuclidean-distinct", target_genes = "auto";
  std::string summary_metrics, format = "table";
  int top_genes = 20, des_cap = 20, etest_permutations = 0;
  double fdr = 0.05;
  std::uint64_t seed = 0;
  bool allow_subset = false, quiet = false, linear_values = false;
  SelectionFlags selection;
};

using Groups = cimpute::ProfileGroups<double>;

// A file's profiles, grouped by pair (notes on stderr as for --data elsewhere).
Groups load_groups(const std::string& path, const SelectionFlags& flags, bool quiet) {
  SelectionFlags f = flags;
  f.control.clear(); // score subtracts each side's control itself
  cimpute::SignatureReadReport r;
  Groups g = cimpute::read_profile_groups<double>(path, signature_read_options(f), &r);
  for (const auto& n : r.notes) note(quiet, path + ": " + n);
  return g;
}

bool has_replicates(const Groups& g) {
  return (g.counts().array() > 1).any();
}

// "a, b, c" and "... (N in all)" for a list of names.
std::string some(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size() && i < 5; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > 5) s += ", ... (" + std::to_string(v.size()) + " in all)";
  return s;
}

// One side's profiles restricted to the truth's genes (in the truth's order).
struct Side {
  const Groups* g = nullptr;
  std::vector<Eigen::Index> rows; // row of each scored gene in g->profiles
  std::string name;
  // The columns of each pair, by perturbation and context label.
  std::map<std::pair<std::string, std::string>, std::vector<Eigen::Index>> columns;
  Side(const Groups& groups, std::string label) : g(&groups), name(std::move(label)) {
    for (std::size_t j = 0; j < groups.pair.size(); ++j) {
      const auto& p = groups.pair[j];
      columns[{groups.perturbations[p.perturbation], groups.contexts[p.context]}].push_back(
          Eigen::Index(j));
    }
  }
  const std::vector<Eigen::Index>* find(const std::string& p, const std::string& c) const {
    const auto it = columns.find({p, c});
    return it == columns.end() ? nullptr : &it->second;
  }
  // The cells (profiles) of `cols` as rows, genes as columns: gathered 64 columns at a time and
  // transposed from that cache-sized block (an indexed transposed view is several times slower).
  Eigen::MatrixXd cells(const std::vector<Eigen::Index>& cols) const {
    const auto& M = g->profiles.data();
    const Eigen::Index G = Eigen::Index(rows.size()), n = Eigen::Index(cols.size());
    bool all_rows = G == M.rows();
    for (Eigen::Index r = 0; r < G && all_rows; ++r) all_rows = rows[std::size_t(r)] == r;
    Eigen::MatrixXd out(n, G);
    cimpute::detail::parallel_for(long((n + 63) / 64), [&](long blk) {
      const Eigen::Index k0 = Eigen::Index(blk) * 64, b = std::min<Eigen::Index>(64, n - k0);
      Eigen::MatrixXd block(G, b);
      for (Eigen::Index k = 0; k < b; ++k) {
        const Eigen::Index j = cols[std::size_t(k0 + k)];
        if (all_rows)
          block.col(k) = M.col(j);
        else
          block.col(k) = M(rows, j);
      }
      out.middleRows(k0, b) = block.transpose();
    });
    return out;
  }
  Eigen::RowVectorXd mean(const std::vector<Eigen::Index>& cols) const {
    return g->profiles.data()(rows, cols).rowwise().mean().transpose();
  }
};

// Each scored perturbation with its context.
struct Scored {
  std::string perturbation, context;
  Eigen::Index truth_profiles = 0, predicted_profiles = 0;
  cimpute::ResponseScores scores;
};

// Every (perturbation, context) of the truth with a control in its context, scored against
// `predicted`; notes name what the prediction lacks when `allow_subset`.
std::vector<Scored> score_file(const Side& truth, const Side& predicted, const std::string& control,
                               bool cells, const cimpute::ResponseScoreOptions& base,
                               const ScoreOptions& o, const std::vector<std::string>& genes) {
  std::vector<Scored> out;
  std::vector<std::string> missing;
  const Groups& t = *truth.g;
  const Eigen::Index G = Eigen::Index(truth.rows.size());
  for (Eigen::Index c = 0; c < t.contexts.size(); ++c) {
    const std::string& ctx = t.contexts[c];
    const bool relative = control == "none";
    const std::vector<Eigen::Index>* tc = relative ? nullptr : truth.find(control, ctx);
    if (!relative && !tc) {
      note(o.quiet, truth.name + ": context '" + ctx + "' has no '" + control +
                        "' profile: its perturbations are not scored");
      continue;
    }
    const std::vector<Eigen::Index>* pc = relative ? nullptr : predicted.find(control, ctx);
    if (!relative && !pc) {
      if (cells)
        throw cimpute::invalid_argument(predicted.name + ": context '" + ctx + "' has no '" +
                                        control + "' cells (each side needs its own control)");
      note(o.quiet, predicted.name + ": no '" + control + "' profile in context '" + ctx +
                        "': the measured control is used for its deltas");
    }
    std::vector<std::string> perts;
    std::vector<const std::vector<Eigen::Index>*> tcols, pcols;
    for (Eigen::Index p = 0; p < t.perturbations.size(); ++p) {
      const std::string& pert = t.perturbations[p];
      if (pert == control) continue;
      const auto* tcol = truth.find(pert, ctx);
      if (!tcol) continue;
      const auto* pcol = predicted.find(pert, ctx);
      if (!pcol) {
        missing.push_back(pert + " in " + ctx);
        continue;
      }
      perts.push_back(pert);
      tcols.push_back(tcol);
      pcols.push_back(pcol);
    }
    if (perts.empty()) continue;
    cimpute::ResponseScoreOptions opt = base;
    if (o.target_genes == "auto") // a perturbation named after a measured gene targets it
      for (const auto& p : perts) {
        Eigen::Index col = -1;
        for (Eigen::Index k = 0; k < G && col < 0; ++k)
          if (genes[std::size_t(k)] == p) col = k;
        opt.target_genes.push_back(col);
      }
    std::vector<cimpute::ResponseScores> s;
    const Eigen::Index P = Eigen::Index(perts.size());
    if (cells) {
      cimpute::CellGroups tg, pg;
      auto gather = [&](const Side& side, const std::vector<Eigen::Index>& ctrl,
                        const std::vector<const std::vector<Eigen::Index>*>& cols,
                        cimpute::CellGroups& out_groups) {
        std::vector<Eigen::Index> all(ctrl);
        out_groups.group.assign(ctrl.size(), -1);
        for (std::size_t k = 0; k < cols.size(); ++k)
          for (Eigen::Index j : *cols[k]) {
            all.push_back(j);
            out_groups.group.push_back(Eigen::Index(k));
          }
        out_groups.cells = side.cells(all);
      };
      gather(truth, *tc, tcols, tg);
      gather(predicted, *pc, pcols, pg);
      try {
        s = cimpute::score_cell_responses(pg, tg, P, opt);
      } catch (const cimpute::invalid_argument& e) {
        // The library numbers perturbations; name them.
        std::string what = e.what();
        for (Eigen::Index p = P; p-- > 0;) {
          const std::string key = "perturbation " + std::to_string(p) + " ";
          const auto at = what.find(key);
          if (at != std::string::npos)
            what.replace(at, key.size(),
                         "perturbation '" + perts[std::size_t(p)] + "' in '" + ctx + "' ");
        }
        throw cimpute::invalid_argument("score: " + what);
      }
    } else {
      Eigen::MatrixXd tm(P, G), pm(P, G);
      for (Eigen::Index p = 0; p < P; ++p) {
        tm.row(p) = truth.mean(*tcols[std::size_t(p)]);
        pm.row(p) = predicted.mean(*pcols[std::size_t(p)]);
      }
      const Eigen::RowVectorXd tctrl = relative ? Eigen::RowVectorXd::Zero(G) : truth.mean(*tc);
      const Eigen::RowVectorXd pctrl = relative ? Eigen::RowVectorXd::Zero(G)
                                       : pc     ? predicted.mean(*pc)
                                                : tctrl;
      s = cimpute::score_responses(pm, tm, pctrl, tctrl, opt);
    }
    for (Eigen::Index p = 0; p < P; ++p)
      out.push_back({perts[std::size_t(p)], ctx, Eigen::Index(tcols[std::size_t(p)]->size()),
                     Eigen::Index(pcols[std::size_t(p)]->size()), s[std::size_t(p)]});
  }
  if (!missing.empty()) {
    if (!o.allow_subset)
      throw cimpute::invalid_argument(predicted.name + ": no prediction for " +
                                      std::to_string(missing.size()) + " measured pair" +
                                      (missing.size() == 1 ? "" : "s") + ": " + some(missing) +
                                      " (--allow-subset scores the overlap)");
    note(o.quiet, predicted.name + ": " + std::to_string(missing.size()) +
                      " measured pairs have no prediction and are not scored: " + some(missing));
  }
  if (out.empty())
    throw cimpute::invalid_argument(truth.name + ": no perturbation to score (every context " +
                                    "needs a '" + control + "' profile and a perturbation)");
  return out;
}

// The rows of `side` for the truth's genes, by id; what is missing throws (or is dropped with
// `allow_subset`, restricting `genes` and the truth's rows too).
void match_genes(Side& truth, std::vector<Side*> others, bool allow_subset, bool quiet,
                 std::vector<std::string>& gene_ids, std::vector<std::string>& gene_names) {
  const Groups& t = *truth.g;
  std::vector<Eigen::Index> keep;
  std::vector<std::vector<Eigen::Index>> rows(others.size());
  std::vector<std::string> missing;
  for (Eigen::Index r = 0; r < t.profiles.rows(); ++r) {
    const std::string& id = t.profiles.row_ids()[std::size_t(r)];
    bool everywhere = true;
    std::vector<Eigen::Index> at(others.size(), -1);
    for (std::size_t k = 0; k < others.size(); ++k) {
      at[k] = others[k]->g->profiles.row_labels().find(id);
      if (at[k] < 0) {
        everywhere = false;
        missing.push_back(id + " (in " + others[k]->name + ")");
      }
    }
    if (!everywhere) continue;
    keep.push_back(r);
    for (std::size_t k = 0; k < others.size(); ++k) rows[k].push_back(at[k]);
  }
  if (!missing.empty()) {
    if (!allow_subset)
      throw cimpute::invalid_argument("score: " + std::to_string(missing.size()) +
                                      " measured gene" + (missing.size() == 1 ? " is" : "s are") +
                                      " missing from a prediction: " + some(missing) +
                                      " (--allow-subset scores the shared genes)");
    note(quiet, std::to_string(keep.size()) + " of " + std::to_string(t.profiles.rows()) +
                    " measured genes are scored (the rest are missing from a prediction)");
  }
  if (keep.size() < 2) throw cimpute::invalid_argument("score: fewer than 2 genes in common");
  truth.rows = keep;
  for (std::size_t k = 0; k < others.size(); ++k) others[k]->rows = rows[k];
  const auto& meta = t.profiles.row_meta();
  const bool symbols = !t.symbol_field.empty() && meta.has_field(t.symbol_field);
  for (Eigen::Index r : keep) {
    gene_ids.push_back(t.profiles.row_ids()[std::size_t(r)]);
    gene_names.push_back(symbols ? meta.field(t.symbol_field)[std::size_t(r)] : gene_ids.back());
  }
}

// The metric columns printed: --metrics, or every metric computed at this level (etest-p with
// --etest-permutations).
std::vector<const cimpute::ResponseMetric*> chosen_metrics(const std::string& list, bool cells,
                                                           bool etest) {
  std::vector<const cimpute::ResponseMetric*> out;
  if (list.empty() || list == "all") {
    for (const auto& m : cimpute::response_metrics()) {
      const std::string n = m.name;
      const bool cell_only =
          n == "des" || n == "des@K" || n.rfind("edistance", 0) == 0 || n == "etest-p";
      if ((cells || !cell_only) && (etest || n != "etest-p")) out.push_back(&m);
    }
    return out;
  }
  for (const auto& name : split(list, ',')) {
    const auto& m = cimpute::response_metric(name);
    for (const auto* have : out)
      if (have == &m) throw UsageError("--metrics names " + name + " twice");
    out.push_back(&m);
  }
  return out;
}

// K of des@K: --des-cap, or the K of a des@K named in --metrics or --summary-metrics.
int des_cap(const ScoreOptions& o) {
  int cap = 0;
  std::vector<std::string> names = split(o.metrics, ',');
  for (const auto& n : split(o.summary_metrics, ',')) names.push_back(n);
  for (const auto& name : names)
    if (name.rfind("des@", 0) == 0 && name != "des@K") {
      const std::string k = name.substr(4);
      if (k.empty() || k.find_first_not_of("0123456789") != std::string::npos || k.size() > 6 ||
          std::stoi(k) < 1)
        throw UsageError("--metrics " + name + ": K of des@K must be a whole number >= 1");
      if (cap != 0 && cap != std::stoi(k))
        throw UsageError("--metrics and --summary-metrics name two different des@K");
      cap = std::stoi(k);
    }
  return cap != 0 ? cap : o.des_cap;
}

std::string column_name(const cimpute::ResponseMetric& m, int des_cap) {
  return std::string(m.name) == "des@K" ? "des@" + std::to_string(des_cap) : m.name;
}

int run_score(const ScoreOptions& o) {
  if (o.truth.empty() || o.predicted.empty())
    throw UsageError("--truth and --predicted are required");
  if (o.selection.control.empty())
    throw UsageError("--control is required (the control perturbation, e.g. non-targeting or "
                     "DMSO; none when the profiles are already relative to it)");
  for (const auto& name : split(o.metrics, ','))
    if (name == "etest-p" && o.etest_permutations == 0)
      throw UsageError("--metrics etest-p needs --etest-permutations N (N > 0)");
  const std::string control = o.selection.control;
  const Groups truth_g = load_groups(o.truth, o.selection, o.quiet);
  const Groups pred_g = load_groups(o.predicted, o.selection, o.quiet);
  std::unique_ptr<Groups> base_g;
  if (!o.baseline.empty())
    base_g = std::make_unique<Groups>(load_groups(o.baseline, o.selection, o.quiet));
  if (control != "none" && truth_g.perturbations.find(control) < 0)
    throw cimpute::invalid_argument(
        o.truth + ": the control '" + control +
        "' is not a perturbation (values: " + some(truth_g.perturbations.ids()) + ")");
  bool cells = o.level == "cells";
  if (o.level == "auto") {
    cells =
        has_replicates(truth_g) && has_replicates(pred_g) && (!base_g || has_replicates(*base_g));
    note(o.quiet, std::string("scoring ") +
                      (cells ? "single cells (each pair has several profiles)"
                             : "pseudobulk profiles (the mean of each pair's profiles)"));
  }
  if (cells && (!has_replicates(truth_g) || !has_replicates(pred_g)))
    throw UsageError("--level cells needs several profiles (cells) per pair in both files");
  if (cells && control == "none")
    throw UsageError("--control none applies to pseudobulk profiles; single cells need control "
                     "cells");
  const std::vector<const cimpute::ResponseMetric*> metrics =
      chosen_metrics(o.metrics, cells, o.etest_permutations > 0);
  if (!cells)
    for (const auto* m : metrics)
      if (std::string(m->name) == "des" || std::string(m->name) == "des@K" ||
          std::string(m->name).rfind("edistance", 0) == 0 || std::string(m->name) == "etest-p")
        throw UsageError(std::string("--metrics ") + m->name +
                         " needs single cells (--level cells, several profiles per pair)");

  Side truth(truth_g, o.truth), pred(pred_g, o.predicted);
  std::unique_ptr<Side> base;
  if (base_g) base = std::make_unique<Side>(*base_g, o.baseline);
  std::vector<Side*> others{&pred};
  if (base) others.push_back(base.get());
  std::vector<std::string> gene_ids, gene_names;
  match_genes(truth, others, o.allow_subset, o.quiet, gene_ids, gene_names);

  cimpute::ResponseScoreOptions opt;
  opt.top_genes = o.top_genes;
  opt.des_cap = des_cap(o);
  opt.fdr = o.fdr;
  opt.energy = cimpute::EnergyDistanceOptions::parse(o.energy);
  opt.etest_permutations = o.etest_permutations;
  opt.seed = o.seed;
  opt.de.log1p_input = !o.linear_values;
  std::vector<std::string> target_names = gene_names;
  if (o.target_genes == "auto") { // ids or symbols, whichever the perturbation labels use
    std::set<std::string> perts(truth_g.perturbations.ids().begin(),
                                truth_g.perturbations.ids().end());
    std::size_t by_id = 0, by_name = 0;
    for (std::size_t k = 0; k < gene_ids.size(); ++k)
      by_id += perts.count(gene_ids[k]), by_name += perts.count(gene_names[k]);
    if (by_id > by_name) target_names = gene_ids;
  }
  const std::vector<Scored> scored = score_file(truth, pred, control, cells, opt, o, target_names);
  std::vector<Scored> baseline_scored;
  if (base) baseline_scored = score_file(truth, *base, control, cells, opt, o, target_names);

  std::vector<cimpute::ResponseScores> per;
  for (const auto& s : scored) per.push_back(s.scores);
  const cimpute::ResponseScores mean = cimpute::mean_scores(per);
  cimpute::ResponseScores base_mean;
  if (base) {
    std::vector<cimpute::ResponseScores> bp;
    for (const auto& s : baseline_scored) bp.push_back(s.scores);
    // The summary compares means over the same pairs (with --allow-subset each file may lack
    // others).
    bool same = bp.size() == per.size();
    for (std::size_t i = 0; same && i < scored.size(); ++i)
      same = scored[i].perturbation == baseline_scored[i].perturbation &&
             scored[i].context == baseline_scored[i].context;
    if (!same)
      throw cimpute::invalid_argument(o.baseline + ": scores " + std::to_string(bp.size()) +
                                      " pairs, the prediction " + std::to_string(per.size()) +
                                      ", not the same ones (give both for the same pairs)");
    base_mean = cimpute::mean_scores(bp);
  }

  if (!o.per_perturbation_out.empty()) {
    const bool csv = o.per_perturbation_out.size() >= 4 &&
                     o.per_perturbation_out.substr(o.per_perturbation_out.size() - 4) == ".csv";
    const char sep = csv ? ',' : '\t';
    cimpute::detail::write_file_atomic(o.per_perturbation_out, "score", [&](std::ostream& os) {
      os << "perturbation" << sep << "context" << sep << "truth_profiles" << sep
         << "predicted_profiles";
      for (const auto* m : metrics) os << sep << column_name(*m, opt.des_cap);
      os << '\n';
      for (const auto& s : scored) {
        std::string line;
        cimpute::detail::append_table_field(line, s.perturbation, sep);
        line += sep;
        cimpute::detail::append_table_field(line, s.context, sep);
        os << line << sep << s.truth_profiles << sep << s.predicted_profiles;
        for (const auto* m : metrics) os << sep << format("%.10g", s.scores.*(m->value));
        os << '\n';
      }
    });
  }

  // The summary: one row per metric.
  const bool tsv = o.format == "tsv";
  auto stderr_of = [&](const cimpute::ResponseMetric& m) {
    double sum = 0, sum2 = 0;
    for (const auto& s : per) sum += s.*m.value, sum2 += (s.*m.value) * (s.*m.value);
    const double n = double(per.size()), mu = sum / n;
    return n > 1 ? std::sqrt(std::max(0.0, (sum2 - n * mu * mu) / (n - 1)) / n) : 0.0;
  };
  if (tsv)
    std::cout << "metric\tmean\tstandard_error" << (base ? "\tbaseline\tnormalised" : "") << '\n';
  else
    std::printf("%-28s %12s %12s%s\n", "metric", "mean", "s.e.",
                base ? "     baseline   normalised" : "");
  for (const auto* m : metrics) {
    const double u = mean.*(m->value);
    const std::string name = column_name(*m, opt.des_cap);
    std::string extra;
    if (base) {
      const double b = base_mean.*(m->value);
      const std::string norm =
          m->direction == 0 ? "-" : format("%.4f", cimpute::normalised_score(*m, u, b));
      extra = tsv ? format("\t%.6g\t%s", b, norm.c_str()) : format(" %12.4f %12s", b, norm.c_str());
    }
    if (tsv)
      std::printf("%s\t%.6g\t%.6g%s\n", name.c_str(), u, stderr_of(*m), extra.c_str());
    else
      std::printf("%-28s %12.4f %12.4f%s\n", name.c_str(), u, stderr_of(*m), extra.c_str());
  }
  if (base) {
    std::vector<std::string> names =
        o.summary_metrics.empty()
            ? (cells ? std::vector<std::string>{"des", "pds", "mae"}
                     : std::vector<std::string>{"pds", "mae", "pearson-delta"})
            : split(o.summary_metrics, ',');
    const double summary = cimpute::normalised_summary(mean, base_mean, names);
    if (tsv)
      std::printf("summary(%s)\t%.6g\t\t\t\n", join(names, ",").c_str(), summary);
    else
      std::printf("normalised summary over %s against the baseline: %.4f\n",
                  join(names, ", ").c_str(), summary);
  }
  note(o.quiet, format("%zu perturbation-context pairs scored, %zu genes, energy distance %s%s",
                       scored.size(), gene_ids.size(), opt.energy.name().c_str(),
                       cells ? "" : " (not used: pseudobulk)"));
  return 0;
}

} // namespace

Command add_score(CLI::App& cimpute) {
  auto o = std::make_shared<ScoreOptions>();
  CLI::App* sub = cimpute.add_subcommand(
      "score",
      "Score predicted perturbation responses against measured ones with the field's metrics "
      "(GEARS, the Virtual Cell Challenge, scPerturb): per perturbation and context, mae, mse, "
      "pearson, cosine, r2, pearson-delta, pearson-delta-de20, mse-de20, pds; on single cells "
      "also des, des@K, energy distances and the E-test. Each side's deltas are taken against "
      "its own control (a pseudobulk prediction without control profiles borrows the "
      "measured one, with a note); pds ranks among the perturbations of the same context. "
      "Prints the mean and standard error of each metric (and, with --baseline, the "
      "baseline's and the normalised score).");
  sub->add_option("--truth", o->truth, "the measured profiles (GCT, GCTX, h5ad, 10x)")
      ->type_name("FILE")
      ->check(CLI::ExistingPath);
  sub->add_option("--predicted", o->predicted,
                  "the predicted profiles, same format family (e.g. another tool's output)")
      ->type_name("FILE")
      ->check(CLI::ExistingPath);
  sub->add_option("--baseline", o->baseline,
                  "a baseline's predicted profiles (e.g. the training mean): adds its scores and "
                  "the normalised summary")
      ->type_name("FILE")
      ->check(CLI::ExistingPath);
  add_selection_options(sub, o->selection);
  sub->remove_option(sub->get_option("--aggregate"));
  sub->get_option("--control")
      ->description("the control perturbation of every context (e.g. non-targeting, DMSO), "
                    "required; none: the profiles are already deltas (CMap signatures)");
  sub->add_option("--metrics", o->metrics,
                  "the metric columns, comma-separated (default: every metric of the level)")
      ->type_name("LIST")
      ->check(parsed_by(
          [](const std::string& v) {
            for (const auto& m : split(v, ',')) cimpute::response_metric(m);
          },
          "metric list",
          "a comma-separated list of mae, mse, pearson, cosine, r2, pearson-delta, "
          "pearson-delta-de20, mse-de20, pds, des, des@K, edistance, edistance-truth-control, "
          "edistance-predicted-control, etest-p"));
  sub->add_option("--per-perturbation-out", o->per_perturbation_out,
                  "write one row per perturbation and context (TSV, or CSV for a .csv name)")
      ->type_name("FILE")
      ->check(output_path());
  sub->add_option("--level", o->level,
                  "auto (single cells when every file has pairs with several profiles), "
                  "pseudobulk (the mean of each pair's profiles) or cells")
      ->check(CLI::IsMember({"auto", "pseudobulk", "cells"}))
      ->capture_default_str();
  sub->add_option("--top-genes", o->top_genes,
                  "genes of pearson-delta-de20 and mse-de20: the most changed per perturbation "
                  "(single cells: by the Wilcoxon statistic against control; pseudobulk: by "
                  "|measured delta|)")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--des-cap", o->des_cap, "K of des@K (des@N in --metrics sets it too)")
      ->check(positive_integer())
      ->capture_default_str();
  sub->add_option("--fdr", o->fdr, "Benjamini-Hochberg level of the DE genes of des")
      ->check(unit_interval(false))
      ->capture_default_str();
  sub->add_option("--energy", o->energy,
                  "energy distance variant: sqeuclidean-distinct (scPerturb), sqeuclidean-all, "
                  "euclidean-distinct or euclidean-all")
      ->check(CLI::IsMember(
          {"sqeuclidean-distinct", "sqeuclidean-all", "euclidean-distinct", "euclidean-all"}))
      ->capture_default_str();
  sub->add_option("--etest-permutations", o->etest_permutations,
                  "permutations of the E-test of predicted vs measured cells (0: no test)")
      ->check(integer_at_least(0))
      ->capture_default_str();
  sub->add_option("--seed", o->seed, "seed of the E-test's permutations")
      ->check(non_negative_integer())
      ->capture_default_str();
  sub->add_option("--target-genes", o->target_genes,
                  "auto: a perturbation named after a measured gene (id or symbol) is its "
                  "knock-down, whose own gene pds leaves out; none")
      ->check(CLI::IsMember({"auto", "none"}))
      ->capture_default_str();
  sub->add_option("--summary-metrics", o->summary_metrics,
                  "metrics of the normalised summary with --baseline (default des,pds,mae on "
                  "cells, pds,mae,pearson-delta on pseudobulk)")
      ->type_name("LIST");
  sub->add_flag("--linear-values", o->linear_values,
                "the values are not log1p-transformed: des ranks genes by the fold change of "
                "their plain means (default: of expm1 of the values, as for log1p data)");
  sub->add_flag("--allow-subset", o->allow_subset,
                "score the genes and pairs the files share (default: what the prediction lacks "
                "is an error)");
  sub->add_option("--format", o->format, "table or tsv (metric, mean, standard_error, ...)")
      ->check(CLI::IsMember({"table", "tsv"}))
      ->capture_default_str();
  add_quiet_flag(*sub, o->quiet);
  sub->footer("Example: cimpute score --truth measured.h5ad --predicted predicted.h5ad "
              "--control non-targeting --perturbation-field gene --context-field cell_line "
              "--per-perturbation-out scores.tsv");
  return {sub, [o] { return run_score(*o); }};
}

} // namespace cimpute_cli
