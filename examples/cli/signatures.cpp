// Loading perturbation signatures for `cimpute complete` and `cimpute repurpose` (see
// signatures.hpp).
#include "signatures.hpp"

#include "cli.hpp"

#include <cimpute/completion/ntk_completion.hpp> // context_features_from_baselines
#include <cimpute/io.hpp>

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

cimpute::PerturbationTensor<double> load_signatures(const std::string& data) {
  using F = cimpute::FileFormat;
  if (is_l1000_directory(data)) return cimpute::read_l1000_directory<double>(data);
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
  for (const char* field : {"pert_id", "cell_id"})
    if (!m.col_meta().has_field(field))
      throw cimpute::invalid_argument(data + ": the signatures need '" + field +
                                      "' column metadata (obs column for h5ad)");
  return cimpute::PerturbationTensor<double>::from_labeled(
      m, "pert_id", "cell_id", false, cimpute::MissingValues::Reject, "pr_gene_symbol");
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
