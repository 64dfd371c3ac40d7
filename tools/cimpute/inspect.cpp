// `cimpute inspect FILE|DIR`: shape, ids, metadata fields and missing values of a data file.
#include "cli.hpp"

#include <cimpute/io.hpp>

#include <cmath>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

namespace cimpute_cli {

namespace {

struct InspectOptions {
  std::string path;
  std::string format;
  std::string labels;
  bool quiet = false;
};

std::string id_range(const std::vector<std::string>& ids) {
  if (ids.empty()) return "(none)";
  if (ids.size() == 1) return ids.front();
  return ids.front() + " .. " + ids.back();
}

void print_meta(const char* axis, const cimpute::MetadataTable& m) {
  std::cout << axis << "_meta_fields\t" << m.num_fields();
  for (const auto& f : m.field_names()) std::cout << '\t' << f;
  std::cout << '\n';
  bool any = false;
  std::ostringstream os;
  for (const auto& f : m.field_names()) {
    const auto n = m.missing_count(f);
    if (n > 0) {
      os << '\t' << f << '=' << n;
      any = true;
    }
  }
  std::cout << axis << "_meta_missing" << (any ? os.str() : "\t0") << '\n';
}

template <class M>
void print_common(const M& m, cimpute::FileFormat fmt) {
  std::cout << "shape\t" << m.rows() << '\t' << m.cols() << '\n';
  std::cout << "format\t" << cimpute::to_string(fmt) << '\n';
  std::cout << "row_ids\t" << id_range(m.row_ids()) << '\n';
  std::cout << "col_ids\t" << id_range(m.col_ids()) << '\n';
  print_meta("row", m.row_meta());
  print_meta("col", m.col_meta());
}

void print(const cimpute::LabeledMatrix<double>& m, cimpute::FileFormat fmt) {
  print_common(m, fmt);
  std::cout << "missing_values\t" << m.missing_count() << '\n';
  if (m.rows() > 0 && m.cols() > 0) {
    const Eigen::ArrayXXd a = m.data().array();
    const auto finite = a.isFinite();
    const double lo = finite.select(a, std::numeric_limits<double>::infinity()).minCoeff();
    const double hi = finite.select(a, -std::numeric_limits<double>::infinity()).maxCoeff();
    std::cout << "value_range\t" << lo << '\t' << hi << '\n';
  }
}

void print(const cimpute::SparseLabeledMatrix<double>& m, cimpute::FileFormat fmt) {
  print_common(m, fmt);
  const auto& d = m.data();
  Eigen::Index nan = 0;
  for (Eigen::Index k = 0; k < d.nonZeros(); ++k) nan += std::isnan(d.valuePtr()[k]) ? 1 : 0;
  std::cout << "missing_values\t" << nan << '\n';
  std::cout << "nonzeros\t" << m.nonzeros() << '\n';
  const double density =
      m.rows() * m.cols() > 0 ? double(m.nonzeros()) / (double(m.rows()) * double(m.cols())) : 0.0;
  std::cout << "density\t" << density << '\n';
}

cimpute::FileFormat parse_format(const std::string& s) {
  using F = cimpute::FileFormat;
  for (F f : {F::Gct, F::Gctx, F::Table, F::Mtx, F::TenxMtxDir, F::TenxH5, F::H5ad})
    if (s == cimpute::to_string(f)) return f;
  throw UsageError("unknown --format '" + s + "'"); // not reached: the option checks its choices
}

int run_inspect(const InspectOptions& o, bool labels_given) {
  const std::string& path = o.path;
  const cimpute::FileFormat fmt =
      o.format.empty() ? cimpute::detect_format(path) : parse_format(o.format);
  using F = cimpute::FileFormat;
  switch (fmt) {
  case F::Gct:
    print(cimpute::read_gct<double>(path), fmt);
    break;
  case F::Table: {
    cimpute::TableReadOptions opt;
    opt.label_columns = labels_given ? split(o.labels, ',')
                                     : cimpute::guess_label_columns(cimpute::read_delimited(path));
    print(cimpute::read_table<double>(path, opt), fmt);
    break;
  }
  case F::Mtx:
    print(cimpute::read_mtx<double>(path), fmt);
    break;
  case F::TenxMtxDir:
    print(cimpute::read_10x_mtx<double>(path), fmt);
    break;
#if CIMPUTE_HAS_HDF5
  case F::Gctx:
    print(cimpute::read_gctx<double>(path), fmt);
    break;
  case F::TenxH5:
    print(cimpute::read_10x_h5<double>(path), fmt);
    break;
  case F::H5ad:
    print(cimpute::read_h5ad<double>(path), fmt);
    break;
#else
  case F::Gctx:
  case F::TenxH5:
  case F::H5ad:
    throw cimpute::invalid_argument(path + ": " + cimpute::to_string(fmt) +
                                    " needs HDF5 support (rebuild with CIMPUTE_WITH_HDF5=ON)");
#endif
  }
  return 0;
}

} // namespace

Command add_inspect(CLI::App& cimpute) {
  auto o = std::make_shared<InspectOptions>();
  CLI::App* sub = cimpute.add_subcommand(
      "inspect", "shape, ids, metadata fields and missing values of a data file");
  sub->add_option("FILE", o->path,
                  "a GCT / GCTX, CSV / TSV table, Matrix Market file (.mtx, .mtx.gz), 10x "
                  "folder or .h5, or h5ad file")
      ->type_name("")
      ->required();
  std::vector<std::string> formats;
  using F = cimpute::FileFormat;
  for (F f : {F::Gct, F::Gctx, F::Table, F::Mtx, F::TenxMtxDir, F::TenxH5, F::H5ad})
    formats.push_back(cimpute::to_string(f));
  sub->add_option("--format", o->format, "force the format (default: detected from the file)")
      ->check(CLI::IsMember(formats));
  CLI::Option* labels = sub->add_option("--label-columns", o->labels,
                                        "table columns that are labels, not features (default: "
                                        "the columns whose first value is not a number)")
                            ->type_name("A,B");
  add_quiet_flag(*sub, o->quiet);
  sub->footer("Prints tab-separated lines: shape (features, samples), format, row_ids, col_ids, "
              "row_meta_fields, row_meta_missing, col_meta_fields, col_meta_missing, "
              "missing_values, then value_range (dense data) or nonzeros and density (sparse "
              "data). Rows are features (genes), columns are samples (cells, wells), whatever "
              "the file layout.");
  return {sub, [o, labels] { return run_inspect(*o, labels->count() > 0); }};
}

} // namespace cimpute_cli
