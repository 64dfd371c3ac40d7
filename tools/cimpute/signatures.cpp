// Loading perturbation signatures for `cimpute complete` and `cimpute repurpose` (see
// signatures.hpp).
#include "signatures.hpp"
#include "processes.hpp"

#include "cli.hpp"

#include <cimpute/completion/ntk_completion.hpp> // context_features_from_baselines
#include <cimpute/completion/workflow.hpp>       // missing_pairs, all_pairs, reference contexts
#include <cimpute/io.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <set>
#include <unordered_map>

namespace cimpute_cli {

namespace {

// A whole field as a finite number (a leading '+' allowed).
bool finite_number(const std::string& s, double& out) {
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (first != last && *first == '+') ++first;
  const auto r = std::from_chars(first, last, out);
  return first != last && r.ec == std::errc() && r.ptr == last && std::isfinite(out);
}

// Features from a table with one row per label (`what`: context or perturbation): the id, then
// numbers; rows of other ids are ignored. Every label flagged in `needed` (empty: every label)
// must have a row; the others get zeros.
Eigen::MatrixXd read_row_features(const std::string& path, const cimpute::Labels& labels,
                                  const std::string& what, const std::vector<char>& needed = {}) {
  const auto t = cimpute::read_delimited(path);
  if (t.header.size() < 2)
    throw cimpute::invalid_argument(path + ": " + what + " features need an id column and a value");
  Eigen::MatrixXd f = Eigen::MatrixXd::Constant(labels.size(), Eigen::Index(t.header.size() - 1),
                                                std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const Eigen::Index c = labels.find(t.rows[i][0]);
    if (c < 0) continue; // a label the data does not have
    if (!f.row(c).hasNaN())
      throw cimpute::parse_error(path, i + 2, 1, what + " '" + t.rows[i][0] + "' is listed twice");
    for (std::size_t j = 1; j < t.header.size(); ++j) {
      double v = 0;
      if (!finite_number(t.rows[i][j], v))
        throw cimpute::parse_error(path, i + 2, j + 1,
                                   what + " feature '" + t.rows[i][j] + "' is not a number");
      f(c, Eigen::Index(j - 1)) = v;
    }
  }
  long missing = 0;
  std::string first;
  for (Eigen::Index c = 0; c < labels.size(); ++c) {
    if (!f.row(c).hasNaN()) continue;
    if (needed.empty() || needed[std::size_t(c)]) {
      if (missing++ == 0) first = labels[c];
    } else {
      f.row(c).setZero();
    }
  }
  if (missing > 0)
    throw cimpute::invalid_argument(
        path + ": no features for " + what + " '" + first + "'" +
        (missing > 1 ? " and " + std::to_string(missing - 1) + " more of the data's " + what + "s"
                     : std::string()));
  return f;
}

} // namespace

void add_selection_options(CLI::App* sub, SelectionFlags& f) {
  sub->add_option("--perturbation-field", f.perturbation_field,
                  "column (obs) field naming each signature's perturbation (default pert_id; "
                  "e.g. pert_iname)")
      ->type_name("FIELD");
  sub->add_option("--context-field", f.context_field,
                  "column (obs) field naming each signature's context (default cell_id, or the "
                  "2020 release's cell_iname when cell_id is absent)")
      ->type_name("FIELD");
  sub->add_option(
         "--filter", f.filters,
         "keep only signatures whose FIELD has one of the values, e.g. --filter "
         "'pert_itime=24 h' --filter pert_type=trt_cp; FIELD!=V1[,V2...] drops the values; "
         "FIELD>X (>=, <, <=) compares numbers, e.g. grna_max_frac>0.8 (repeatable; all "
         "must hold)")
      ->type_name("FIELD=V1[,V2...]")
      ->check(parsed_by(cimpute::ColumnFilter::parse, "filter",
                        "FIELD=V1[,V2...], FIELD!=V1[,V2...] or FIELD>X (>=, <, <=)"))
      ->take_all()
      ->allow_extra_args(false);
  sub->add_option("--aggregate", f.aggregate,
                  "merge the several signatures of a pair (doses, times, replicates): mean, "
                  "median, first, best:FIELD (the largest value of a numeric field, e.g. "
                  "best:distil_cc_q75), or none (several signatures of a pair are an error)")
      ->type_name("HOW")
      ->check(parsed_by(cimpute::Aggregation::parse, "aggregation",
                        "none, mean, median, first or best:FIELD"))
      ->capture_default_str();
  sub->add_option("--genes", f.genes,
                  "keep only these genes (rows): landmark (pr_is_lm or is_lm = 1, or "
                  "feature_space = landmark) or a file listing gene ids or symbols (one per line, "
                  "or the first column of a CSV / TSV)")
      ->type_name("landmark|FILE");
  sub->add_option("--col-meta", f.col_meta,
                  "a table of column (signature or cell) metadata joined to the file's column ids, "
                  "e.g. CMap's sig_info.txt / siginfo_beta.txt or a cell table (key: sig_id, "
                  "distil_id, inst_id, cid, id, or the first column)")
      ->type_name("FILE");
  sub->add_option("--row-meta", f.row_meta,
                  "a table of row (gene) metadata joined to the file's row ids, e.g. CMap's "
                  "gene_info.txt / geneinfo_beta.txt (key: pr_gene_id, gene_id, rid, id, or the "
                  "first column)")
      ->type_name("FILE");
  sub->add_option("--normalize", f.normalize,
                  "normalise counts (h5ad, 10x) cell by cell before pooling: none or log1p-cp10k "
                  "(log(1 + 10^4 x / cell total))")
      ->type_name("HOW")
      ->check(parsed_by(cimpute::parse_count_normalization, "normalization", "none or log1p-cp10k"))
      ->capture_default_str();
  sub->add_option("--control", f.control,
                  "the control perturbation (e.g. non-targeting, DMSO): signatures become each "
                  "pair's profile minus its context's control profile; control pairs are dropped")
      ->type_name("PERTURBATION");
}

cimpute::SignatureReadOptions signature_read_options(const SelectionFlags& flags) {
  cimpute::SignatureReadOptions o;
  o.perturbation_field = flags.perturbation_field;
  o.context_field = flags.context_field;
  for (const auto& f : flags.filters) o.filters.push_back(cimpute::ColumnFilter::parse(f));
  o.aggregate = cimpute::Aggregation::parse(flags.aggregate);
  o.col_meta = flags.col_meta;
  o.row_meta = flags.row_meta;
  o.genes = flags.genes;
  o.normalize = cimpute::parse_count_normalization(flags.normalize);
  o.control = flags.control;
  return o;
}

cimpute::PerturbationTensor<double> load_signatures(const std::string& data,
                                                    const SelectionFlags& flags, bool quiet,
                                                    int shard_index, int shard_count) {
  if (cimpute::is_l1000_directory(data)) {
    if (flags.any())
      throw UsageError("--perturbation-field, --context-field, --filter, --aggregate, --genes, "
                       "--col-meta, --row-meta, --normalize and --control apply to signature or "
                       "count files, not to an L1000 directory");
    auto t = cimpute::read_l1000_directory<double>(data);
    if (shard_count == 1) return t;
    // The tables are small: read whole, keep this shard's contiguous block of pairs.
    const auto counts = cimpute::even_split(t.num_observed(), shard_count);
    Eigen::Index first = 0;
    for (int q = 0; q < shard_index; ++q) first += counts[std::size_t(q)];
    const Eigen::Index n = counts[std::size_t(shard_index)];
    if (n == 0)
      throw cimpute::invalid_argument(data + ": shard " + std::to_string(shard_index) + " of " +
                                      std::to_string(shard_count) +
                                      " has no pair (use fewer "
                                      "processes)");
    const std::vector<cimpute::PairIndex> pairs(t.observed_pairs().begin() + first,
                                                t.observed_pairs().begin() + first + n);
    return t.with_data({}, t.observed().middleRows(first, n), pairs);
  }
  cimpute::SignatureReadOptions o = signature_read_options(flags);
  o.shard_index = shard_index;
  o.shard_count = shard_count;
  cimpute::SignatureReadReport r;
  try {
    auto t = cimpute::read_signatures<double>(data, o, &r);
    for (const auto& n : r.notes) note(quiet, data + ": " + n);
    if (r.features_kept != r.features_read)
      note(quiet, format("%s: %lld of %lld genes kept", data.c_str(),
                         static_cast<long long>(r.features_kept),
                         static_cast<long long>(r.features_read)));
    const auto& s = r.selection;
    if (s.filtered_out > 0 || s.merged > 0)
      note(quiet, format("%s: %lld signatures read, %lld filtered out, %lld merged: %lld pairs",
                         data.c_str(), static_cast<long long>(s.read),
                         static_cast<long long>(s.filtered_out), static_cast<long long>(s.merged),
                         static_cast<long long>(s.pairs)));
    return t;
  } catch (const cimpute::parse_error&) {
    throw; // names its file and line already
  } catch (const cimpute::invalid_argument& e) {
    // The library names its options; on the command line they are flags.
    std::string what = e.what();
    const std::string from = "an aggregation: mean, median, first or best:FIELD";
    const auto at = what.find(from);
    if (at != std::string::npos)
      what.replace(at, from.size(), "--aggregate mean|median|first|best:FIELD");
    if (what.find(data) == std::string::npos) what = data + ": " + what;
    throw cimpute::invalid_argument(what);
  }
}

std::string output_format(const std::string& path, const std::string& format, const char* option) {
  if (!format.empty()) return format;
  try {
    return cimpute::to_string(cimpute::written_format(path));
  } catch (const std::invalid_argument&) {
    throw UsageError(
        std::string(option) + ": '" + path +
        "' does not end in .gct, .gctx or .h5ad (the formats written; or give --format)");
  }
}

void write_signatures(const std::string& path, const cimpute::LabeledMatrix<double>& m,
                      const std::string& format) {
  if (format == "gct") return cimpute::write_gct(path, m);
#if CIMPUTE_HAS_HDF5
  if (format == "gctx") return cimpute::write_gctx(path, m);
  if (format == "h5ad") return cimpute::write_h5ad(path, m); // pairs as obs, genes as var
#endif
  throw cimpute::invalid_argument(path + ": this build of cimpute cannot write " + format +
                                  " (HDF5 support is off)");
}

Eigen::MatrixXd baseline_profiles(const std::string& data, const cimpute::Labels& contexts) {
  return cimpute::read_l1000_baselines(data, contexts.ids());
}

Eigen::MatrixXd context_features_option(const std::string& value, const std::string& data,
                                        const cimpute::Labels& contexts) {
  if (value == "none") return {};
  if (value == "baseline") {
    if (!cimpute::is_l1000_directory(data))
      throw UsageError("--context-features baseline needs an L1000 directory as --data");
    return cimpute::context_features_from_baselines(baseline_profiles(data, contexts));
  }
  return read_row_features(value, contexts, "context");
}

void add_ntk_priors_option(CLI::App* sub, std::string& value) {
  sub->add_option("--ntk-priors", value,
                  "the feature priors ntk searches over, comma-separated: one-hot, "
                  "train-context-average, user-features, train-averages, cross-context (default: "
                  "every one that applies but train-averages)")
      ->type_name("LIST")
      ->check(parsed_by(
          [](const std::string& v) {
            const auto items = split(v, ',');
            if (items.empty()) throw std::invalid_argument("no prior");
            for (const auto& p : items) cimpute::parse_ntk_prior(p);
          },
          "prior list",
          "a comma-separated list of one-hot, train-context-average, user-features, "
          "train-averages, cross-context"));
}

std::vector<cimpute::NtkPrior> ntk_priors_option(const std::string& value) {
  std::vector<cimpute::NtkPrior> out;
  if (!value.empty())
    for (const auto& p : split(value, ',')) out.push_back(cimpute::parse_ntk_prior(p));
  return out;
}

void add_perturbation_features_option(CLI::App* sub, std::string& value) {
  sub->add_option("--perturbation-features", value,
                  "the perturbations' prior when they have no measurement: none, pca:K (the "
                  "perturbed gene's coordinates on the top K principal components of the "
                  "training responses, for perturbations named after a measured gene), "
                  "signatures (each single perturbation's training signature) or a CSV/TSV with "
                  "one row per perturbation (id, then numbers, e.g. a gene embedding); a "
                  "combination A+B gets the sum of its parts' rows: ntk tries the user-features "
                  "prior on it, linear uses pca:K or a table as its perturbation embedding")
      ->type_name("none|pca:K|signatures|FILE")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            if (v == "none" || v.rfind("pca:", 0) != 0) return {};
            try {
              cimpute::parse_pca_components(v);
            } catch (const std::exception&) {
              return "pca:K needs a whole number K >= 1, got '" + v + "'";
            }
            return {};
          },
          ""))
      ->capture_default_str();
}

cimpute::PerturbationFeatureSource
perturbation_features_option(const std::string& value, const cimpute::PerturbationTensor<double>& t,
                             bool quiet, const std::vector<std::string>& required) {
  cimpute::PerturbationFeatureSource out;
  if (value.empty() || value == "none") return out;
  if (value == "signatures") {
    out.signatures = true;
    return out;
  }
  out.pca_components = cimpute::parse_pca_components(value);
  if (out.pca_components > 0) {
    const auto target = cimpute::target_gene_columns(t);
    const std::vector<char> observed = cimpute::observed_perturbations(t);
    long with = 0, total = 0;
    for (std::size_t p = 0; p < target.size(); ++p)
      if (observed[p]) ++total, with += target[p] >= 0 ? 1 : 0;
    note(quiet, format("--perturbation-features %s: %ld of %ld perturbations are named after a "
                       "measured gene; the others have no prior (zero features)",
                       value.c_str(), with, total));
    return out;
  }
  // Every perturbation with a signature needs a row, but a combination (its parts' rows add up).
  const auto parts = cimpute::combination_parts(t);
  std::vector<char> observed = cimpute::observed_perturbations(t);
  for (std::size_t p = 0; p < parts.size(); ++p)
    if (!parts[p].empty()) observed[p] = 0;
  for (const auto& name : required) { // a combination's parts' rows describe it
    const auto p = std::size_t(t.perturbations().index(name));
    if (parts[p].empty()) observed[p] = 1;
  }
  out.table = read_row_features(value, t.perturbations(), "perturbation", observed);
  return out;
}

std::vector<cimpute::PairIndex> requested_pairs(const std::string& spec,
                                                const cimpute::PerturbationTensor<double>& t,
                                                bool sharded, std::vector<std::string>* unseen,
                                                const std::string& unknown_hint) {
  if (spec == "missing")
    return sharded ? cimpute::missing_pairs(t, processes()) : cimpute::missing_pairs(t);
  std::vector<cimpute::PairIndex> out;
  if (spec == "all") return sharded ? cimpute::all_pairs(t, processes()) : cimpute::all_pairs(t);
  const auto table = cimpute::read_delimited(spec);
  if (table.header.size() < 2)
    throw cimpute::invalid_argument(spec + ": --pairs needs two columns (perturbation, context)");
  std::set<std::pair<Eigen::Index, Eigen::Index>> seen;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto& row = table.rows[i];
    Eigen::Index p = t.perturbations().find(row[0]);
    const Eigen::Index c = t.contexts().find(row[1]);
    if (p < 0 && c >= 0 && unseen) { // a perturbation never measured: numbered after t's
      const auto at = std::find(unseen->begin(), unseen->end(), row[0]);
      p = t.num_perturbations() + Eigen::Index(at - unseen->begin());
      if (at == unseen->end()) unseen->push_back(row[0]);
    }
    if (c < 0)
      throw cimpute::parse_error(spec, i + 2, 2,
                                 "unknown context '" + row[1] + "' (not in --data)");
    if (p < 0)
      throw cimpute::parse_error(spec, i + 2, 1,
                                 "unknown perturbation '" + row[0] + "' (not in --data" +
                                     unknown_hint + ")");
    if (!seen.insert({p, c}).second)
      throw cimpute::parse_error(spec, i + 2, 1,
                                 "pair (" + row[0] + ", " + row[1] + ") is listed twice");
    out.push_back({p, c});
  }
  return out;
}

std::string completion_methods_help(const std::string& intro) {
  std::string out = intro;
  for (const auto& m : cimpute::completion_methods()) out += "\n  " + m.name + ": " + m.summary;
  return out;
}

std::vector<std::string> completion_methods_with(bool cimpute::CompletionMethodInfo::*capability) {
  std::vector<std::string> out;
  for (const auto& m : cimpute::completion_methods())
    if (m.*capability) out.push_back(m.name);
  return out;
}

void add_reference_options(CLI::App* sub, std::string& reference, std::string& context_features) {
  sub->add_option("--reference-context", reference,
                  "training-only context (auto: " + cimpute::cmap::reference_context +
                      " when present; none: no reference context)")
      ->type_name("CONTEXT")
      ->capture_default_str();
  sub->add_option("--context-features", context_features,
                  "none, baseline (the cells' log2 DMSO profiles of an L1000 directory), a "
                  "CSV/TSV with one row per context, or auto (baseline for an L1000 directory)")
      ->type_name("auto|none|baseline|FILE")
      ->capture_default_str();
}

std::string resolve_reference(const std::string& value,
                              const cimpute::PerturbationTensor<double>& t, const std::string& data,
                              const std::string& target_context) {
  try {
    return cimpute::resolve_reference_context(t, value, cimpute::cmap::reference_context,
                                              target_context);
  } catch (const cimpute::invalid_argument& e) {
    throw cimpute::invalid_argument(data + ": " + e.what());
  }
}

std::unordered_map<std::string, std::string> gene_symbols(const std::string& data,
                                                          const std::string& gene_map, bool quiet) {
  if (!gene_map.empty()) {
    note(quiet, "gene symbols from " + gene_map);
    return cimpute::read_id_mapping(gene_map);
  }
  if (!std::filesystem::is_directory(data))
    return cimpute::read_id_mapping(data, "id", "pr_gene_symbol");
  std::vector<std::string> gcts;
  for (const auto& e : std::filesystem::directory_iterator(data))
    if (e.path().extension() == ".gct") gcts.push_back(e.path().string());
  std::sort(gcts.begin(), gcts.end());
  for (const auto& f : gcts) {
    try {
      auto map = cimpute::read_id_mapping(f);
      note(quiet, "gene symbols from the row metadata of " + f);
      return map;
    } catch (const std::invalid_argument&) { // not a plate with gene symbols: try the next
    }
  }
  throw cimpute::invalid_argument(data +
                                  ": no GCT with pr_gene_id / pr_gene_symbol row metadata in the "
                                  "folder; give --gene-map FILE, or entrez as the id type "
                                  "(--disease-id-type / --target-id-type)");
}

void rename_to_symbols(cimpute::PerturbationTensor<double>& t, const std::string& data,
                       const std::string& gene_map, bool quiet) {
  const Eigen::Index before = t.num_features();
  t = cimpute::rename_features(t, gene_symbols(data, gene_map, quiet), true);
  if (t.num_features() < before)
    note(quiet,
         format("%lld of %lld features have no gene symbol and are left out",
                static_cast<long long>(before - t.num_features()), static_cast<long long>(before)));
}

void add_signature_data_options(CLI::App* sub, std::string& data, SelectionFlags& selection) {
  sub->add_option("--data", data,
                  "an L1000 directory, a GCT / GCTX / h5ad of signatures, or single-cell counts, "
                  "as for complete")
      ->type_name("PATH")
      ->required();
  add_selection_options(sub, selection);
}

void print_table(const std::string& table, const std::string& out, const char* command) {
  std::cout << table;
  std::cout.flush();
  if (!out.empty())
    cimpute::detail::write_file_atomic(out, command, [&](std::ostream& os) { os << table; });
}

} // namespace cimpute_cli
