// Loading perturbation signatures for `cimpute complete` and `cimpute repurpose`: the --data
// argument, and the --context-features option.
#pragma once

#include <cimpute/completion/method_table.hpp>
#include <cimpute/completion/perturbation_features.hpp>
#include <cimpute/core/labeled_matrix.hpp>
#include <cimpute/core/labels.hpp>
#include <cimpute/core/perturbation_tensor.hpp>

#include <Eigen/Core>

#include <string>
#include <unordered_map>
#include <vector>

namespace CLI {
class App;
}
namespace cimpute {
struct SignatureReadOptions;
enum class NtkPrior; // completion/ntk_completion.hpp
} // namespace cimpute

namespace cimpute_cli {

/// The options that turn the columns of a signature file into one signature per pair:
/// --perturbation-field, --context-field, --filter (repeatable), --aggregate.
struct SelectionFlags {
  std::string perturbation_field, context_field; ///< empty: CMap's pert_id / cell_id
  std::vector<std::string> filters;              ///< FIELD=V1[,V2...]
  std::string aggregate = "none";                ///< none, mean, median, first, best:FIELD
  std::string genes;                             ///< empty (all), landmark, or a file
  std::string col_meta, row_meta;                ///< sidecar tables
  std::string normalize = "none";                ///< none or log1p-cp10k
  std::string control;                           ///< control perturbation
  /// True when any option was given (they apply to signature and count files only).
  bool any() const {
    return !perturbation_field.empty() || !context_field.empty() || !filters.empty() ||
           aggregate != "none" || !genes.empty() || !col_meta.empty() || !row_meta.empty() ||
           normalize != "none" || !control.empty();
  }
};

/// Declares the `SelectionFlags` options on a subcommand, with their help and checks.
void add_selection_options(CLI::App* sub, SelectionFlags& flags);

/// The library's read options for `flags` (filters, aggregation and normalisation parsed).
cimpute::SignatureReadOptions signature_read_options(const SelectionFlags& flags);

/// The signatures of --data: an L1000 directory (drug and DMSO tables: log2 fold changes), or a
/// GCT / GCTX / h5ad / 10x file of profiles with perturbation and context column (obs)
/// metadata, read by `cimpute::read_signatures` with `flags` (notes on stderr say what was
/// joined, read, filtered out and merged). With `shard_count` > 1, only shard `shard_index` of
/// the pairs (`SignatureReadOptions::shard_index`; of an L1000 directory, read whole, the same
/// contiguous block of its pairs), with the labels of all.
cimpute::PerturbationTensor<double> load_signatures(const std::string& data,
                                                    const SelectionFlags& flags = {},
                                                    bool quiet = true, int shard_index = 0,
                                                    int shard_count = 1);

/// The output format of `path`: `format` when not empty (gct, gctx or h5ad), else its extension
/// (.gct, .gctx or .h5ad). Throws a `UsageError` for another extension.
std::string output_format(const std::string& path, const std::string& format, const char* option);

/// Writes signatures (features x pairs) as GCT, GCTX or h5ad (`output_format`; h5ad transposed:
/// pairs as obs), atomically.
void write_signatures(const std::string& path, const cimpute::LabeledMatrix<double>& m,
                      const std::string& format);

/// The log2 DMSO profiles of an L1000 directory, one row per context id.
Eigen::MatrixXd baseline_profiles(const std::string& data, const cimpute::Labels& contexts);

/// The --context-features option: `none` (no features), `baseline` (context features from the
/// DMSO profiles of an L1000 directory given as --data) or a CSV/TSV file with one row per
/// context (its id, then numbers). One row per context of `contexts`.
Eigen::MatrixXd context_features_option(const std::string& value, const std::string& data,
                                        const cimpute::Labels& contexts);

/// The --perturbation-features option: `none`, `pca:K` (`cimpute::pca_perturbation_features`,
/// computed at every fit), `signatures` (`cimpute::signature_perturbation_features`) or a CSV/TSV
/// with one row per perturbation (its id, then numbers; every perturbation with a signature but
/// a combination `A+B` needs a row, a repeated id is an error naming its line).
/// With `pca:K`, a note (unless `quiet`) says how many perturbations are named after a measured
/// gene; a table also needs a row for each perturbation of `required` (e.g. requested but never
/// measured).
cimpute::PerturbationFeatureSource
perturbation_features_option(const std::string& value, const cimpute::PerturbationTensor<double>& t,
                             bool quiet = true, const std::vector<std::string>& required = {});

/// Declares --ntk-priors (a comma-separated list of `cimpute::parse_ntk_prior` names, checked).
void add_ntk_priors_option(CLI::App* sub, std::string& value);

/// The priors of an --ntk-priors value (empty: the search's default).
std::vector<cimpute::NtkPrior> ntk_priors_option(const std::string& value);

/// Declares --perturbation-features (none, pca:K, signatures or a file; pca:K checked).
void add_perturbation_features_option(CLI::App* sub, std::string& value);

/// The pairs of a --pairs option: missing (every unobserved pair), all (every pair of an observed
/// perturbation and an observed context, the observed ones included), or a CSV / TSV whose first
/// two columns are perturbation and context (with a header row; unknown or repeated pairs throw
/// `parse_error` naming the line). With `sharded`, `t` is this process's shard and the observed
/// pairs are those of every process (collective). With `unseen`, a file's perturbation absent
/// from `t` (never measured) is appended there and numbered after `t`'s perturbations; without,
/// it is an error whose message ends with `unknown_hint`.
std::vector<cimpute::PairIndex> requested_pairs(const std::string& spec,
                                                const cimpute::PerturbationTensor<double>& t,
                                                bool sharded = false,
                                                std::vector<std::string>* unseen = nullptr,
                                                const std::string& unknown_hint = "");

/// The completion methods of `cimpute::completion_methods()` for a help text: "name (summary)",
/// one per line after `intro`.
std::string completion_methods_help(const std::string& intro);

/// The names of the completion methods with a capability (a flag of `CompletionMethodInfo`).
std::vector<std::string> completion_methods_with(bool cimpute::CompletionMethodInfo::*capability);

/// Declares --reference-context (auto, none or a context) and --context-features (auto, none,
/// baseline or a file) with the help of `impute` and `design pairs`.
void add_reference_options(CLI::App* sub, std::string& reference, std::string& context_features);

/// The --reference-context value resolved for `t` by `cimpute::resolve_reference_context` with the
/// CMap convention (auto: MCF7 when present and not `target_context`, else none; none: ""); a
/// context absent from `t` throws naming `data`.
std::string resolve_reference(const std::string& value,
                              const cimpute::PerturbationTensor<double>& t, const std::string& data,
                              const std::string& target_context = "");

/// The Entrez id -> symbol mapping: `gene_map` when given, else the data file's own row metadata
/// (GCT / GCTX: row id -> pr_gene_symbol), else the first GCT of the data folder with
/// pr_gene_id / pr_gene_symbol row metadata (the A375 plate beside the L1000 tables).
std::unordered_map<std::string, std::string> gene_symbols(const std::string& data,
                                                          const std::string& gene_map, bool quiet);

/// `t` with its features renamed to gene symbols (`gene_symbols`), those without one left out
/// with a note.
void rename_to_symbols(cimpute::PerturbationTensor<double>& t, const std::string& data,
                       const std::string& gene_map, bool quiet);

/// Declares --data (signatures, as for complete) and the selection options.
void add_signature_data_options(CLI::App* sub, std::string& data, SelectionFlags& selection);

/// Prints `table` on stdout and, when `out` is not empty, also writes it there (atomically).
void print_table(const std::string& table, const std::string& out, const char* command);

} // namespace cimpute_cli
