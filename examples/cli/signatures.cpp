// Loading perturbation signatures for `cimpute complete` and `cimpute repurpose` (see
// signatures.hpp).
#include "signatures.hpp"

#include "cli.hpp"

#include <cimpute/completion/ntk_completion.hpp> // context_features_from_baselines
#include <cimpute/io.hpp>

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>

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

// Context features from a table with one row per context: the context id, then numbers.
Eigen::MatrixXd read_context_features(const std::string& path, const cimpute::Labels& contexts) {
  const auto t = cimpute::read_delimited(path);
  if (t.header.size() < 2)
    throw cimpute::invalid_argument(path + ": context features need an id column and a value");
  Eigen::MatrixXd f = Eigen::MatrixXd::Constant(contexts.size(), Eigen::Index(t.header.size() - 1),
                                                std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const Eigen::Index c = contexts.find(t.rows[i][0]);
    if (c < 0) continue; // a context the data does not have
    for (std::size_t j = 1; j < t.header.size(); ++j) {
      double v = 0;
      if (!finite_number(t.rows[i][j], v))
        throw cimpute::parse_error(path, i + 2, j + 1,
                                   "context feature '" + t.rows[i][j] + "' is not a number");
      f(c, Eigen::Index(j - 1)) = v;
    }
  }
  for (Eigen::Index c = 0; c < contexts.size(); ++c)
    if (f.row(c).hasNaN())
      throw cimpute::invalid_argument(path + ": no features for context '" + contexts[c] + "'");
  return f;
}

} // namespace

bool is_l1000_directory(const std::string& data) {
  return !data.empty() && std::filesystem::is_directory(data);
}

void add_selection_options(CLI::App* sub, SelectionFlags& f) {
  sub->add_option("--perturbation-field", f.perturbation_field,
                  "column (obs) field naming each signature's perturbation (default pert_id; "
                  "e.g. pert_iname)")
      ->type_name("FIELD");
  sub->add_option("--context-field", f.context_field,
                  "column (obs) field naming each signature's context (default cell_id, or the "
                  "2020 release's cell_iname when cell_id is absent)")
      ->type_name("FIELD");
  sub->add_option("--filter", f.filters,
                  "keep only signatures whose FIELD has one of the values, e.g. --filter "
                  "'pert_itime=24 h' --filter pert_type=trt_cp (repeatable; all must hold)")
      ->type_name("FIELD=V1[,V2...]")
      ->check(parsed_by(cimpute::ColumnFilter::parse, "filter", "FIELD=VALUE[,VALUE...]"))
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
}

namespace {
// The rows of --genes FILE: every line's first field (a header that matches nothing is fine),
// matched against the row ids and the pr_gene_symbol field. Reports what matched nothing.
std::vector<Eigen::Index> listed_rows(const std::string& path,
                                      const cimpute::LabeledMatrix<double>& m, bool quiet) {
  const auto table = cimpute::read_delimited(path);
  std::vector<std::string> wanted{table.header.empty() ? std::string() : table.header[0]};
  for (const auto& row : table.rows)
    if (!row.empty()) wanted.push_back(row[0]);
  const bool symbols = m.row_meta().has_field(cimpute::cmap::symbol_field);
  std::vector<char> keep(std::size_t(m.rows()), 0);
  long unmatched = 0;
  for (std::size_t k = 0; k < wanted.size(); ++k) {
    const std::string& g = wanted[k];
    bool found = false;
    const Eigen::Index r = m.row_labels().find(g);
    if (r >= 0) keep[std::size_t(r)] = found = true;
    if (symbols) {
      const auto& sym = m.row_meta().field(cimpute::cmap::symbol_field);
      for (std::size_t i = 0; i < sym.size(); ++i)
        if (sym[i] == g) keep[i] = found = true;
    }
    if (!found && k > 0) ++unmatched; // the first line may be a header
  }
  std::vector<Eigen::Index> rows;
  for (std::size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) rows.push_back(Eigen::Index(i));
  if (rows.empty())
    throw cimpute::invalid_argument(path + ": --genes lists no gene of the data (by id" +
                                    std::string(symbols ? " or symbol)" : ")"));
  if (unmatched > 0)
    note(quiet, format("%s: %ld listed genes are not in the data", path.c_str(), unmatched));
  return rows;
}
} // namespace

cimpute::PerturbationTensor<double> load_signatures(const std::string& data,
                                                    const SelectionFlags& flags, bool quiet) {
  using F = cimpute::FileFormat;
  if (is_l1000_directory(data)) {
    if (flags.any())
      throw UsageError(
          "--perturbation-field, --context-field, --filter, --aggregate and --genes apply to "
          "GCT / GCTX / h5ad signatures, not to an L1000 directory");
    return cimpute::read_l1000_directory<double>(data);
  }
  const F fmt = cimpute::detect_format(data);
  cimpute::LabeledMatrix<double> m;
  if (fmt == F::Gct) m = cimpute::read_gct<double>(data);
#if CIMPUTE_HAS_HDF5
  else if (fmt == F::Gctx)
    m = cimpute::read_gctx<double>(data);
  else if (fmt == F::H5ad)
    m = cimpute::read_h5ad<double>(data).to_dense(); // signatures as obs, genes as var
#endif
  else
    throw cimpute::invalid_argument(
        data + ": --data needs an L1000 directory, a GCT / GCTX file or an h5ad of signatures");
  if (!flags.genes.empty()) {
    const std::vector<Eigen::Index> rows = flags.genes == "landmark"
                                               ? cimpute::cmap_landmark_rows(m.row_meta())
                                               : listed_rows(flags.genes, m, quiet);
    std::vector<Eigen::Index> cols(std::size_t(m.cols()));
    for (std::size_t j = 0; j < cols.size(); ++j) cols[j] = Eigen::Index(j);
    note(quiet, format("%s: --genes %s keeps %zu of %lld genes", data.c_str(), flags.genes.c_str(),
                       rows.size(), static_cast<long long>(m.rows())));
    m = m.select(rows, cols);
  }
  cimpute::SignatureSelection s =
      cimpute::cmap_selection(flags.perturbation_field, flags.context_field);
  const std::string adapted = cimpute::adapt_cmap_release(s, m.col_meta());
  if (!adapted.empty()) note(quiet, data + ": " + adapted);
  for (const auto& f : flags.filters) s.filters.push_back(cimpute::ColumnFilter::parse(f));
  s.aggregate = cimpute::Aggregation::parse(flags.aggregate);
  cimpute::SelectionReport r;
  try {
    auto t = cimpute::select_signatures(m, s, &r);
    if (r.filtered_out > 0 || r.merged > 0)
      note(quiet, format("%s: %lld signatures read, %lld filtered out, %lld merged: %lld pairs",
                         data.c_str(), static_cast<long long>(r.read),
                         static_cast<long long>(r.filtered_out), static_cast<long long>(r.merged),
                         static_cast<long long>(r.pairs)));
    return t;
  } catch (const cimpute::invalid_argument& e) {
    // The library names its options; on the command line they are flags.
    std::string what = e.what();
    const std::string from = "an aggregation: mean, median, first or best:FIELD";
    const auto at = what.find(from);
    if (at != std::string::npos)
      what.replace(at, from.size(), "--aggregate mean|median|first|best:FIELD");
    throw cimpute::invalid_argument(data + ": " + what);
  }
}

std::string output_format(const std::string& path, const std::string& format, const char* option) {
  if (!format.empty()) return format;
  const auto ends = [&](const char* ext) {
    const std::string e(ext);
    return path.size() > e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".gct")) return "gct";
  if (ends(".gctx")) return "gctx";
  throw UsageError(std::string(option) + ": '" + path +
                   "' does not end in .gct or .gctx (the formats written; or give --format)");
}

void write_signatures(const std::string& path, const cimpute::LabeledMatrix<double>& m,
                      const std::string& format) {
  if (format == "gct") return cimpute::write_gct(path, m);
#if CIMPUTE_HAS_HDF5
  if (format == "gctx") return cimpute::write_gctx(path, m);
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
    if (!is_l1000_directory(data))
      throw UsageError("--context-features baseline needs an L1000 directory as --data");
    return cimpute::context_features_from_baselines(baseline_profiles(data, contexts));
  }
  return read_context_features(value, contexts);
}

} // namespace cimpute_cli
