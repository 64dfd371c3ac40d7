// The `cimpute` command-line tool.
//
//   cimpute inspect FILE|DIR [--label-columns a,b] [--format F]
//   cimpute complete [--data DIR|FILE] [--protocol P] [--methods LIST] ...
//   cimpute discover --data FILE.csv [--method igsp|utigsp|gsp|pc] ...
//   cimpute repurpose --disease FILE --context C --data DIR|FILE [--impute M] [--score S] ...
//   cimpute --version | --help
//
// Exit status: 0 on success, 2 on bad input or usage (one line on stderr), 3 on internal errors.
#include <cimpute/cimpute.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <unistd.h>

namespace {

constexpr const char* kUsage =
    "usage: cimpute <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect FILE|DIR   shape, ids, metadata fields and missing values of a data file\n"
    "      --format F            force the format: gct, gctx, table, mtx, 10x-mtx, 10x-h5, h5ad\n"
    "      --label-columns A,B   table columns that are labels, not features (default: the\n"
    "                            columns whose first value is not a number)\n"
    "\n"
    "  complete           evaluate completion methods on perturbation x context signatures\n"
    "      --data DIR|FILE       an L1000 directory (drug and DMSO tables), or a GCT / GCTX /\n"
    "                            h5ad of signatures with cell_id / pert_id column (obs)\n"
    "                            metadata; without\n"
    "                            --data (or with --data simulated) a simulated CMap-like\n"
    "                            screen (simulate_perturbations; its defaults: 200 drugs x\n"
    "                            20 cells x 978 genes, half the pairs observed)\n"
    "      --sim-drugs N, --sim-cells N, --sim-genes N, --sim-density X, --sim-seed S\n"
    "                            sizes, observed fraction and seed of the simulated screen\n"
    "      --protocol P          loo (leave-one-pair-out; the default for --data),\n"
    "                            loco (leave-one-context-out),\n"
    "                            kfold:K (K folds within each\n"
    "                            context; kfold:5 is the default for simulated data),\n"
    "                            sparse:B (B training perturbations per context)\n"
    "      --seeds N             random splits for kfold / sparse (default 3); the tsv\n"
    "                            columns hold the means over seeds\n"
    "      --methods LIST        comma-separated: context-mean, perturbation-mean, two-way-mean,\n"
    "                            dnpp, falrtc, synthetic-interventions, soft-impute, ntk\n"
    "                            (hyper-parameters by inner CV), ntk-reference (published\n"
    "                            settings), ntk-ensemble, autoencoder (latent transfer),\n"
    "                            ntk-mixed (DNPP predictions as NTK features); or all (default)\n"
    "      --reference-context C training-only context, never evaluated (default MCF7 for\n"
    "                            --data, none for simulated data; none)\n"
    "      --format table|tsv    tsv prints: protocol method pearson r2 cosine seconds\n"
    "      --context-features F  none (default), baseline (the cells' log2 DMSO profiles of an\n"
    "                            L1000 directory) or a CSV/TSV with one row per context (id,\n"
    "                            then numbers): ntk also tries the NTK prior on them; under\n"
    "                            loco, ntk chooses its settings by leave-one-context-out\n"
    "      --autoencoder-hidden A,B  hidden sizes of the autoencoder method (1024)\n"
    "      --autoencoder-epochs N    its training epochs (200), --autoencoder-seed S (0)\n"
    "      --mixed-min-perturbations N  training perturbations that make a context use the\n"
    "                            mixed prior's signature features (150); --mixed-folds K (5)\n"
    "      --predict-out F.gct   also fit every method on all observed pairs and write its\n"
    "                            predictions of every missing pair (column metadata pert_id,\n"
    "                            cell_id, method)\n"
    "\n"
    "  discover           learn a causal graph from observational + interventional samples\n"
    "      --data FILE.csv       samples x variables with label columns (e.g. Sachs)\n"
    "      --setting-column C    the column naming each sample's setting (default condition)\n"
    "      --target-column C     its intervention target(s), ';'-separated (default target)\n"
    "      --control V           the target value of observational samples (default none)\n"
    "      --exclude-settings A,B  settings to leave out\n"
    "      --ignore-columns A,B  other label columns to skip\n"
    "      --log                 natural log of the values\n"
    "      --method M            igsp (default), utigsp, gsp or pc; utigsp uses the target\n"
    "                            column as partial knowledge\n"
    "      --unknown-targets     ignore the target column (runs utigsp when --method igsp)\n"
    "      --tests T             gaussian (default) or kernel (HSIC; nonlinear data)\n"
    "      --max-samples N       kernel tests: samples used per test (default 1000)\n"
    "      --depth D, --runs R   search depth (4) and starting orders searched (5)\n"
    "      --graph G             dag (default) or essential: print the I-CPDAG (undirected\n"
    "                            edges both ways); pc always prints its CPDAG\n"
    "      --bootstrap B         also rerun on B bootstrap resamples (stability selection)\n"
    "      --stability-out FILE  with --bootstrap: CSV cause,effect,directed,adjacent\n"
    "                            (fractions of resamples; one row per ordered adjacent pair)\n"
    "      --alpha A             CI test level (default 1e-3)\n"
    "      --alpha-inv A         invariance test level (default 1e-3)\n"
    "      --seed S              starting orders (default 1)\n"
    "      --out FILE            also write the arcs there (CSV cause,effect)\n"
    "      --targets-out FILE    (utigsp) the learned targets as CSV setting,target\n"
    "                            prints the arcs as cause,effect lines (PC: an undirected\n"
    "                            edge of the CPDAG prints both ways)\n"
    "\n"
    "  repurpose          rank drugs by how strongly their signature in the disease's context\n"
    "                     reverses a disease signature; prints rank drug score source\n"
    "                     uncertainty (most reversing first)\n"
    "      --disease FILE        gene,log fold change table (CSV/TSV; header optional)\n"
    "      --disease-id-type T   symbol (default; the data's Entrez ids are mapped) or entrez\n"
    "      --context C           the disease's context (cell line), e.g. A549\n"
    "      --data DIR|FILE       as for complete\n"
    "      --gene-map FILE       Entrez id -> symbol: a GCT with pr_gene_id / pr_gene_symbol\n"
    "                            row metadata, or a two-column table (default: the first\n"
    "                            such GCT in the --data folder)\n"
    "      --impute M            ntk (default; uncertainty = NTK posterior variance / prior\n"
    "                            variance), ntk-reference, autoencoder, any complete\n"
    "                            method, or none\n"
    "      --reference-context C training-only context of the imputation (default MCF7 when\n"
    "                            present and not the disease's context; none)\n"
    "      --hide-context        treat the context's measured signatures as missing\n"
    "      --context-features F  baseline (the cells' log2 DMSO profiles; default for an\n"
    "                            L1000 directory), none, or a CSV/TSV with one row per\n"
    "                            context (id, then numbers) for the ntk imputation\n"
    "      --score S             cosine (default; with the reversed disease signature),\n"
    "                            pearson, spearman, wtcs, ks\n"
    "      --set-size N          genes per up / down set of the disease for wtcs, ks (100)\n"
    "      --top N               print the N most reversing drugs only\n"
    "      --format table|tsv    tsv prints: rank drug score source uncertainty\n"
    "\n"
    "  --version          print the version\n"
    "  --help             print this help\n"
    "\n"
    "Rows are features (genes), columns are samples (cells, wells), whatever the file layout.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<std::string> split(const std::string& s, char d) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, d))
    if (!item.empty()) out.push_back(item);
  return out;
}

// The value after option args[i] (advancing i); a usage error when it is missing.
std::string option_value(const std::vector<std::string>& args, std::size_t& i) {
  if (i + 1 >= args.size()) throw UsageError("option " + args[i] + " needs a value");
  return args[++i];
}

// A number in (0, 1) (or (0, 1] with `one_allowed`).
double fraction(const std::string& option, const std::string& v, bool one_allowed) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(x > 0 && (x < 1 || (one_allowed && x == 1))))
    throw UsageError(option + " needs a number in (0, 1" + (one_allowed ? "]" : ")") + ", got '" +
                     v + "'");
  return x;
}

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
    const auto& d = m.data();
    const Eigen::ArrayXXd a = d.array();
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
  throw UsageError("unknown --format '" + s + "'");
}

// Label columns of a table: the non-empty-named columns whose first value is not a number.
std::vector<std::string> guess_label_columns(const std::string& path) {
  const auto t = cimpute::read_delimited(path);
  std::vector<std::string> labels;
  if (t.rows.empty()) return labels;
  for (std::size_t j = 0; j < t.header.size(); ++j) {
    double v = 0;
    if (j == 0 && t.header[j].empty()) continue; // the unnamed index column holds sample ids
    const std::string& s = t.rows.front()[j];
    if (!cimpute::detail::parse_double(s, v) && !cimpute::detail::is_missing_token(s))
      labels.push_back(t.header[j]);
  }
  return labels;
}

int inspect(const std::vector<std::string>& args) {
  std::string path;
  std::string format;
  std::string labels;
  bool labels_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&] { return option_value(args, i); };
    if (a == "--format")
      format = value();
    else if (a == "--label-columns") {
      labels = value();
      labels_given = true;
    } else if (!a.empty() && a[0] == '-')
      throw UsageError("unknown option '" + a + "' for inspect");
    else if (path.empty())
      path = a;
    else
      throw UsageError("inspect takes one FILE, got also '" + a + "'");
  }
  if (path.empty()) throw UsageError("inspect needs a FILE or DIR");
  const cimpute::FileFormat fmt =
      format.empty() ? cimpute::detect_format(path) : parse_format(format);
  using F = cimpute::FileFormat;
  switch (fmt) {
  case F::Gct:
    print(cimpute::read_gct<double>(path), fmt);
    break;
  case F::Table: {
    cimpute::TableReadOptions opt;
    opt.label_columns = labels_given ? split(labels, ',') : guess_label_columns(path);
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

cimpute::PerturbationTensor<double> load_signatures(const std::string& data) {
  using F = cimpute::FileFormat;
  if (std::filesystem::is_directory(data)) return cimpute::read_l1000_directory<double>(data);
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
  return cimpute::PerturbationTensor<double>::from_labeled(m, "pert_id", "cell_id", false);
}

// A positive integer option value.
int positive_int(const std::string& option, const std::string& v) {
  int out = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || out < 1)
    throw UsageError(option + " needs a positive integer, got '" + v + "'");
  return out;
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
      if (!cimpute::detail::parse_double(t.rows[i][j], v) || !std::isfinite(v))
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

// The --context-features option: none, baseline (an L1000 directory's DMSO profiles) or FILE.
Eigen::MatrixXd context_features_option(const std::string& value, const std::string& data,
                                        const cimpute::PerturbationTensor<double>& t) {
  if (value == "none") return {};
  if (value == "baseline") {
    if (data.empty() || !std::filesystem::is_directory(data))
      throw UsageError("--context-features baseline needs an L1000 directory as --data");
    return cimpute::context_features_from_baselines(
        cimpute::read_l1000_baselines(data, t.contexts().ids()));
  }
  return read_context_features(value, t.contexts());
}

int complete(const std::vector<std::string>& args) {
  std::string data, protocol, methods = "all", reference, format = "table", predict_out;
  std::string context_features = "none";
  cimpute::AutoencoderTransferOptions ae;
  cimpute::MixedPriorOptions mixed;
  int seeds = 3;
  cimpute::PerturbationSimulatorParams sim;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&] { return option_value(args, i); };
    if (a == "--data")
      data = value();
    else if (a == "--protocol")
      protocol = value();
    else if (a == "--methods")
      methods = value();
    else if (a == "--reference-context")
      reference = value();
    else if (a == "--format")
      format = value();
    else if (a == "--predict-out")
      predict_out = value();
    else if (a == "--seeds")
      seeds = positive_int(a, value());
    else if (a == "--sim-drugs")
      sim.drugs = positive_int(a, value());
    else if (a == "--sim-cells")
      sim.contexts = positive_int(a, value());
    else if (a == "--sim-genes")
      sim.genes = positive_int(a, value());
    else if (a == "--sim-seed")
      sim.seed = std::uint64_t(positive_int(a, value()));
    else if (a == "--sim-density")
      sim.density = fraction(a, value(), true);
    else if (a == "--context-features")
      context_features = value();
    else if (a == "--autoencoder-hidden") {
      ae.hidden.clear();
      for (const auto& h : split(value(), ',')) ae.hidden.push_back(positive_int(a, h));
    } else if (a == "--autoencoder-epochs")
      ae.epochs = positive_int(a, value());
    else if (a == "--autoencoder-seed")
      ae.seed = std::uint64_t(positive_int(a, value()));
    else if (a == "--mixed-min-perturbations")
      mixed.min_training_perturbations = positive_int(a, value());
    else if (a == "--mixed-folds")
      mixed.inner_folds = positive_int(a, value());
    else
      throw UsageError("unknown option '" + a + "' for complete");
  }
  const bool simulated = data.empty() || data == "simulated";
  if (protocol.empty()) protocol = simulated ? "kfold:5" : "loo";
  if (reference.empty()) reference = simulated ? "none" : "MCF7";
  if (format != "table" && format != "tsv") throw UsageError("--format must be table or tsv");
  cimpute::CompletionProtocol proto;
  try { // reject a bad protocol before reading the data
    proto = cimpute::CompletionProtocol::parse(protocol);
  } catch (const cimpute::invalid_argument&) {
    throw UsageError("protocol '" + protocol + "' is not loo, loco, kfold:K or sparse:B");
  }
  if (reference == "none") reference.clear();
  std::vector<std::string> list =
      methods == "all" ? cimpute::completion_method_names() : split(methods, ',');
  for (const auto& m : list)
    if (!cimpute::is_completion_method(m)) {
      std::string known;
      for (const auto& n : cimpute::completion_method_names())
        known += (known.empty() ? "" : ", ") + n;
      throw UsageError("unknown method '" + m + "' (available: " + known + ")");
    }
  cimpute::PerturbationTensor<double> t;
  if (simulated) {
    std::fprintf(stderr,
                 "cimpute: no --data: simulated screen of %d drugs x %d cells x %d genes, "
                 "density %.2f, seed %llu (protocol %s)\n",
                 sim.drugs, sim.contexts, sim.genes, sim.density,
                 static_cast<unsigned long long>(sim.seed), protocol.c_str());
    t = cimpute::simulate_perturbations<double>(sim).signatures;
    data = "simulated data";
  } else {
    t = load_signatures(data);
  }
  if (!reference.empty() && !t.contexts().contains(reference))
    throw cimpute::invalid_argument(data + ": no context named '" + reference +
                                    "' (use --reference-context none)");
  cimpute::CompletionSetup setup;
  setup.reference_context = reference;
  setup.new_contexts = proto.kind == cimpute::CompletionProtocol::Kind::LeaveOneContextOut;
  setup.context_features = context_features_option(context_features, simulated ? "" : data, t);
  setup.autoencoder = ae;
  setup.mixed = mixed;
  if (!simulated && std::filesystem::is_directory(data)) // control profiles for the transfer
    setup.autoencoder.baselines = cimpute::read_l1000_baselines(data, t.contexts().ids());
  if (format == "tsv")
    std::cout << "protocol\tmethod\tpearson\tr2\tcosine\tseconds\n";
  else
    std::printf("%-10s %-18s %8s %8s %8s %9s\n", "protocol", "method", "pearson", "r2", "cosine",
                "seconds");
  for (const auto& name : list) {
    const cimpute::ScoreSummary ev = cimpute::evaluate_protocol(
        cimpute::make_completion_method<double>(name, setup), t, proto, reference, seeds);
    if (format == "tsv")
      std::printf("%s\t%s\t%.6f\t%.6f\t%.6f\t%.3f\n", protocol.c_str(), name.c_str(),
                  ev.mean.pearson, ev.mean.r2, ev.mean.cosine, ev.seconds);
    else
      std::printf("%-10s %-18s %8.4f %8.4f %8.4f %9.3f  (%d run%s, s.e. %.4f %.4f %.4f)\n",
                  protocol.c_str(), name.c_str(), ev.mean.pearson, ev.mean.r2, ev.mean.cosine,
                  ev.seconds, ev.runs, ev.runs == 1 ? "" : "s", ev.standard_error.pearson,
                  ev.standard_error.r2, ev.standard_error.cosine);
    std::fflush(stdout);
  }
  if (!predict_out.empty()) {
    setup.new_contexts = false; // every missing pair lies in a context with training pairs
    const auto pred = cimpute::complete_missing_by_name(list, t, setup);
    cimpute::write_gct(predict_out, pred);
    std::fprintf(stderr, "cimpute: wrote %lld predicted signatures (%zu method%s) to %s\n",
                 static_cast<long long>(pred.cols()), list.size(), list.size() == 1 ? "" : "s",
                 predict_out.c_str());
  }
  return 0;
}

// The Entrez id -> symbol mapping for `repurpose`: --gene-map, else the data file's own row
// metadata (GCT / GCTX: row id -> pr_gene_symbol), else the first GCT of the data folder with
// pr_gene_id / pr_gene_symbol row metadata (the A375 plate beside the L1000 tables).
std::unordered_map<std::string, std::string> gene_symbols(const std::string& data,
                                                          const std::string& gene_map) {
  if (!gene_map.empty()) {
    std::fprintf(stderr, "cimpute: gene symbols from %s\n", gene_map.c_str());
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
      std::fprintf(stderr, "cimpute: gene symbols from the row metadata of %s\n", f.c_str());
      return map;
    } catch (const std::invalid_argument&) { // not a plate with gene symbols: try the next
    }
  }
  throw cimpute::invalid_argument(data +
                                  ": no GCT with pr_gene_id / pr_gene_symbol row metadata in the "
                                  "folder; give --gene-map FILE or --disease-id-type entrez");
}

int repurpose(const std::vector<std::string>& args) {
  std::string disease, id_type = "symbol", data, gene_map, score = "cosine", format = "table";
  std::string reference = "auto", context_features = "auto";
  cimpute::RepurposingOptions opt;
  int top = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&] { return option_value(args, i); };
    if (a == "--disease")
      disease = value();
    else if (a == "--disease-id-type")
      id_type = value();
    else if (a == "--context")
      opt.context = value();
    else if (a == "--data")
      data = value();
    else if (a == "--gene-map")
      gene_map = value();
    else if (a == "--impute")
      opt.impute = value();
    else if (a == "--reference-context")
      reference = value();
    else if (a == "--hide-context")
      opt.hide_context = true;
    else if (a == "--score")
      score = value();
    else if (a == "--set-size")
      opt.set_size = positive_int(a, value());
    else if (a == "--context-features")
      context_features = value();
    else if (a == "--top")
      top = positive_int(a, value());
    else if (a == "--format")
      format = value();
    else
      throw UsageError("unknown option '" + a + "' for repurpose");
  }
  if (disease.empty()) throw UsageError("repurpose needs --disease FILE");
  if (opt.context.empty()) throw UsageError("repurpose needs --context (e.g. A549)");
  if (data.empty()) throw UsageError("repurpose needs --data DIR|FILE");
  if (id_type != "symbol" && id_type != "entrez")
    throw UsageError("--disease-id-type must be symbol or entrez, got '" + id_type + "'");
  if (format != "table" && format != "tsv") throw UsageError("--format must be table or tsv");
  if (opt.impute != "none" && !cimpute::is_completion_method(opt.impute))
    throw UsageError("unknown --impute method '" + opt.impute + "'");
  if (opt.hide_context && opt.impute == "none")
    throw UsageError("--hide-context needs an imputation method (--impute ntk)");
  try {
    opt.score = cimpute::parse_connectivity_score(score);
  } catch (const cimpute::invalid_argument&) {
    throw UsageError("--score must be cosine, pearson, spearman, wtcs or ks, got '" + score + "'");
  }
  const cimpute::GeneSignature dz = cimpute::read_gene_signature(disease);
  cimpute::PerturbationTensor<double> t = load_signatures(data);
  if (!t.contexts().contains(opt.context))
    throw cimpute::invalid_argument(data + ": no context named '" + opt.context + "'");
  if (reference == "auto")
    reference = t.contexts().contains("MCF7") && opt.context != "MCF7" ? "MCF7" : "none";
  opt.reference_context = reference == "none" ? "" : reference;
  if (!opt.reference_context.empty() && !t.contexts().contains(opt.reference_context))
    throw cimpute::invalid_argument(data + ": no context named '" + opt.reference_context +
                                    "' (use --reference-context none)");
  if (id_type == "symbol") {
    const Eigen::Index before = t.num_features();
    t = t.rename_features(gene_symbols(data, gene_map), true);
    if (t.num_features() < before)
      std::fprintf(stderr, "cimpute: %lld of %lld features have no gene symbol and are left out\n",
                   static_cast<long long>(before - t.num_features()),
                   static_cast<long long>(before));
  }
  if (context_features == "auto")
    context_features = std::filesystem::is_directory(data) ? "baseline" : "none";
  opt.context_features = context_features_option(context_features, data, t);
  if (std::filesystem::is_directory(data)) // control profiles for --impute autoencoder
    opt.autoencoder.baselines = cimpute::read_l1000_baselines(data, t.contexts().ids());
  const cimpute::RepurposingResult res = cimpute::repurpose(t, dz, opt);
  bool context_seen = false;
  const Eigen::Index ci = t.contexts().index(opt.context);
  for (Eigen::Index d = 0; d < t.num_perturbations(); ++d)
    context_seen = context_seen || t.is_observed(d, ci);
  if (res.ntk_selected)
    std::fprintf(stderr,
                 "cimpute: ntk chose prior %s, depth %d, identity weight %g, scale %g, ridge %g "
                 "(by leave-one-%s-out on the training signatures)\n",
                 cimpute::to_string(res.ntk_selected->prior).c_str(), res.ntk_selected->depth,
                 res.ntk_selected->identity_weight, res.ntk_selected->scale,
                 res.ntk_selected->ridge, opt.hide_context || !context_seen ? "context" : "pair");
  long long imputed = 0;
  for (const auto& r : res.ranking) imputed += r.imputed ? 1 : 0;
  std::fprintf(stderr,
               "cimpute: disease signature of %zu genes, %zu shared with the %lld features of the "
               "data; %s: %lld drugs measured, %lld imputed (%s), %zu without a signature\n",
               dz.ids.size(), res.disease.columns.size(), static_cast<long long>(t.num_features()),
               opt.context.c_str(), static_cast<long long>(res.ranking.size()) - imputed, imputed,
               opt.impute.c_str(), res.unscored.size());
  if (format == "tsv")
    std::cout << "rank\tdrug\tscore\tsource\tuncertainty\n";
  else
    std::printf("%-5s %-24s %9s %-9s %11s\n", "rank", "drug", "score", "source", "uncertainty");
  std::size_t shown = 0;
  for (const auto& r : res.ranking) {
    if (top > 0 && shown == std::size_t(top)) break;
    ++shown;
    char unc[32];
    if (std::isnan(r.uncertainty))
      std::snprintf(unc, sizeof unc, "na");
    else
      std::snprintf(unc, sizeof unc, "%.6f", r.uncertainty);
    const char* source = r.imputed ? "imputed" : "measured";
    if (format == "tsv")
      std::printf("%lld\t%s\t%.6f\t%s\t%s\n", static_cast<long long>(r.rank), r.drug.c_str(),
                  r.score, source, unc);
    else
      std::printf("%-5lld %-24s %9.4f %-9s %11s\n", static_cast<long long>(r.rank), r.drug.c_str(),
                  r.score, source, unc);
  }
  return 0;
}

int discover(const std::vector<std::string>& args) {
  cimpute::InterventionalCsvOptions o;
  cimpute::DiscoveryOptions d;
  std::string data, method = "igsp", out, targets_out, graph = "dag", stability_out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&] { return option_value(args, i); };
    if (a == "--data")
      data = value();
    else if (a == "--setting-column")
      o.setting_column = value();
    else if (a == "--target-column")
      o.target_column = value();
    else if (a == "--control")
      o.control = value();
    else if (a == "--exclude-settings")
      o.exclude_settings = split(value(), ',');
    else if (a == "--ignore-columns")
      o.ignore_columns = split(value(), ',');
    else if (a == "--log")
      o.log = true;
    else if (a == "--method")
      method = value();
    else if (a == "--unknown-targets")
      d.unknown_targets = true;
    else if (a == "--tests") {
      const std::string t = value();
      if (t != "gaussian" && t != "kernel")
        throw UsageError("--tests must be gaussian or kernel, got '" + t + "'");
      d.tests = cimpute::parse_discovery_tests(t);
    } else if (a == "--max-samples")
      d.hsic.max_samples = positive_int(a, value());
    else if (a == "--alpha")
      d.search.alpha = fraction(a, value(), false);
    else if (a == "--alpha-inv")
      d.search.alpha_invariance = fraction(a, value(), false);
    else if (a == "--seed")
      d.search.seed = std::uint64_t(positive_int(a, value()));
    else if (a == "--depth")
      d.search.depth = positive_int(a, value());
    else if (a == "--runs") {
      d.search.runs = positive_int(a, value());
      d.search.candidates = std::max(d.search.candidates, d.search.runs);
    } else if (a == "--graph")
      graph = value();
    else if (a == "--bootstrap")
      d.bootstrap = positive_int(a, value());
    else if (a == "--stability-out")
      stability_out = value();
    else if (a == "--out")
      out = value();
    else if (a == "--targets-out")
      targets_out = value();
    else
      throw UsageError("unknown option '" + a + "' for discover");
  }
  if (data.empty()) throw UsageError("discover needs --data FILE.csv");
  if (method != "igsp" && method != "utigsp" && method != "gsp" && method != "pc")
    throw UsageError("--method must be igsp, utigsp, gsp or pc, got '" + method + "'");
  if (graph != "dag" && graph != "essential")
    throw UsageError("--graph must be dag or essential, got '" + graph + "'");
  if (d.unknown_targets && method == "igsp") method = "utigsp";
  if (!targets_out.empty() && method != "utigsp")
    throw UsageError("--targets-out needs --method utigsp (or --unknown-targets)");
  if (!stability_out.empty() && d.bootstrap == 0)
    throw UsageError("--stability-out needs --bootstrap B");
  d.method = cimpute::parse_discovery_method(method);
  const auto samples = cimpute::read_interventional_csv(data, o);
  if (d.bootstrap > 0)
    d.bootstrap_progress = [tty = bool(isatty(fileno(stderr)))](int done, int total) {
      if (tty) std::fprintf(stderr, "\rcimpute discover: bootstrap %d / %d", done, total);
      if (done == total)
        std::fprintf(stderr, "%scimpute discover: %d bootstrap resamples done\n", tty ? "\r" : "",
                     total);
    };
  const cimpute::DiscoveryResult res = cimpute::discover(samples, d);
  const cimpute::Pdag& learned = graph == "dag" ? res.graph : res.essential;
  cimpute::write_edge_list(std::cout, learned, samples.variables);
  if (!out.empty()) cimpute::write_edge_list(out, learned, samples.variables);
  if (!targets_out.empty()) cimpute::write_targets(targets_out, samples, res.targets);
  if (!stability_out.empty()) cimpute::write_stability(stability_out, res, samples.variables);
  return 0;
}

// One line: newlines in messages are folded so that stderr holds exactly one line.
void error_line(const std::string& msg) {
  std::string m = msg;
  std::replace(m.begin(), m.end(), '\n', ' ');
  std::cerr << "cimpute: " << m << '\n';
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty()) throw UsageError("no command given");
    const std::string cmd = args.front();
    args.erase(args.begin());
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (cmd == "--version") {
      std::cout << "cimpute " << cimpute::version_string << '\n';
      return 0;
    }
    if (cmd == "inspect") return inspect(args);
    if (cmd == "complete") return complete(args);
    if (cmd == "discover") return discover(args);
    if (cmd == "repurpose") return repurpose(args);
    throw UsageError("unknown command '" + cmd + "'");
  } catch (const UsageError& e) {
    error_line(std::string(e.what()) + " (see cimpute --help)");
    return 2;
  } catch (const std::invalid_argument& e) { // parse_error and invalid_argument: bad input
    error_line(e.what());
    return 2;
  } catch (const std::exception& e) {
    error_line(std::string("internal error: ") + e.what());
    return 3;
  }
}
