/// @file perturbation_tensor.hpp
/// @brief `PerturbationTensor`: profiles over a feature axis labelled by perturbation and context,
/// the one data type every cimpute module consumes.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/labels.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/core/tensor3.hpp"

#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// How NaN entries in input values are treated. Infinite values are always rejected.
enum class MissingValues {
  Reject, ///< NaN anywhere in the input throws `invalid_argument` (the default).
  Allow   ///< NaN marks a missing measurement; aggregation averages the non-missing values.
};

struct SignatureOptions; // cimpute/core/tensor_transforms.hpp

/// A (perturbation, context) pair of indices into the tensor's label lists.
struct PairIndex {
  Eigen::Index perturbation; ///< index into `perturbations()`
  Eigen::Index context;      ///< index into `contexts()`
  friend bool operator==(const PairIndex& a, const PairIndex& b) {
    return a.perturbation == b.perturbation && a.context == b.context;
  }
};

/// Measured profiles over a feature axis (genes, proteins), labelled by perturbation and context.
///
/// A tensor holds per-sample profiles (samples x features; each sample labelled by its
/// perturbation and context), aggregated signatures (at most one per observed (perturbation,
/// context) pair), or both. Conceptually the signatures are a partially observed
/// perturbations x features x contexts tensor \f$ T_{p,g,c} \f$; `mask()` says which fibres
/// \f$ T_{p,:,c} \f$ are observed. Every context may designate one control perturbation
/// (e.g. `DMSO`, `non-targeting`) relative to which signatures are formed.
///
/// All constructors validate shapes, labels and duplicates and throw `invalid_argument` naming
/// the function and the offending value. Views are returned by value or as const references.
template <class Scalar_ = double>
class PerturbationTensor {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  using Index = Eigen::Index;

  /// The rows of one context (or one perturbation): which labels, and their signatures.
  struct Slice {
    std::vector<Index> labels; ///< perturbation (or context) index of each row of `values`
    Matrix values;             ///< one signature per row
  };
  PerturbationTensor() = default;

  // ------------------------------------------------------------------------------ construction
  /// Tensor of per-sample profiles (`samples` is n x G), labelled by perturbation and context
  /// names. Labels are indexed in order of first appearance.
  static PerturbationTensor from_samples(Matrix samples,
                                         const std::vector<std::string>& perturbation_of_sample,
                                         const std::vector<std::string>& context_of_sample,
                                         std::vector<std::string> feature_ids,
                                         MissingValues missing = MissingValues::Reject) {
    const char* fn = "PerturbationTensor::from_samples";
    PerturbationTensor t;
    t.m_features = Labels(std::move(feature_ids), "feature id");
    check_rows(fn, samples, perturbation_of_sample, context_of_sample, t.m_features.size());
    check_values(fn, samples, missing);
    t.m_missing = missing;
    t.intern(perturbation_of_sample, context_of_sample, t.m_sample_pert, t.m_sample_ctx);
    t.m_samples = std::move(samples);
    t.m_control.assign(static_cast<std::size_t>(t.m_contexts.size()), -1);
    t.set_signatures(Matrix(0, t.num_features()), {}, {}, fn);
    return t;
  }

  /// Tensor of signatures (`signatures` is n_obs x G), one per (perturbation, context) pair;
  /// a repeated pair throws.
  static PerturbationTensor from_signatures(Matrix signatures,
                                            const std::vector<std::string>& perturbation,
                                            const std::vector<std::string>& context,
                                            std::vector<std::string> feature_ids,
                                            MissingValues missing = MissingValues::Reject) {
    const char* fn = "PerturbationTensor::from_signatures";
    PerturbationTensor t;
    t.m_features = Labels(std::move(feature_ids), "feature id");
    check_rows(fn, signatures, perturbation, context, t.m_features.size());
    check_values(fn, signatures, missing);
    t.m_missing = missing;
    std::vector<Index> p, c;
    t.intern(perturbation, context, p, c);
    t.m_control.assign(static_cast<std::size_t>(t.m_contexts.size()), -1);
    t.m_samples.resize(0, t.num_features());
    t.set_signatures(std::move(signatures), p, c, fn);
    return t;
  }

  /// Build from a reader's result (features x samples, e.g. `read_table` or `read_gct`), taking
  /// each column's perturbation and context from the named column-metadata fields. With
  /// `as_samples` the columns are samples (repeats allowed); otherwise they are signatures (one
  /// per pair). A non-empty `symbol_field` names the row-metadata field holding the features'
  /// symbols (`feature_symbols()`; CMap files call it `pr_gene_symbol`), used when present.
  static PerturbationTensor from_labeled(const LabeledMatrix<Scalar>& m,
                                         const std::string& perturbation_field,
                                         const std::string& context_field, bool as_samples,
                                         MissingValues missing = MissingValues::Reject,
                                         const std::string& symbol_field = "") {
    const auto& p = m.col_meta().field(perturbation_field);
    const auto& c = m.col_meta().field(context_field);
    Matrix values = m.data().transpose();
    PerturbationTensor t = as_samples
                               ? from_samples(std::move(values), p, c, m.row_ids(), missing)
                               : from_signatures(std::move(values), p, c, m.row_ids(), missing);
    if (!symbol_field.empty() && m.row_meta().has_field(symbol_field))
      t.set_feature_symbols(m.row_meta().field(symbol_field));
    return t;
  }

  /// Concatenation of two tensors over the same feature axis (same ids, same order), e.g. a
  /// file of drug profiles and a file of control profiles. Labels are unioned (a's first),
  /// samples and signatures appended; a pair observed in both throws. Controls set in `a` win
  /// over those set in `b`.
  static PerturbationTensor concatenate(const PerturbationTensor& a, const PerturbationTensor& b) {
    const char* fn = "PerturbationTensor::concatenate";
    if (a.m_features != b.m_features)
      detail::throw_invalid(fn, "the feature axes differ (", a.num_features(), " vs ",
                            b.num_features(), " features); align them with select_features first");
    PerturbationTensor t;
    t.m_features = a.m_features;
    t.m_symbols = a.m_symbols.empty() ? b.m_symbols : a.m_symbols;
    t.m_perturbations = a.m_perturbations;
    t.m_contexts = a.m_contexts;
    t.m_missing = (a.m_missing == MissingValues::Allow || b.m_missing == MissingValues::Allow)
                      ? MissingValues::Allow
                      : MissingValues::Reject;
    auto remap = [&](const std::vector<Index>& pi, const std::vector<Index>& ci,
                     std::vector<Index>& po, std::vector<Index>& co) {
      for (std::size_t i = 0; i < pi.size(); ++i) {
        po.push_back(t.m_perturbations.intern(b.m_perturbations[pi[i]]));
        co.push_back(t.m_contexts.intern(b.m_contexts[ci[i]]));
      }
    };
    t.m_sample_pert = a.m_sample_pert;
    t.m_sample_ctx = a.m_sample_ctx;
    remap(b.m_sample_pert, b.m_sample_ctx, t.m_sample_pert, t.m_sample_ctx);
    t.m_samples.resize(a.num_samples() + b.num_samples(), a.num_features());
    t.m_samples.topRows(a.num_samples()) = a.m_samples;
    t.m_samples.bottomRows(b.num_samples()) = b.m_samples;
    std::vector<Index> p, c, bp, bc;
    for (const auto& pr : a.m_pairs) {
      p.push_back(pr.perturbation);
      c.push_back(pr.context);
    }
    for (const auto& pr : b.m_pairs) {
      bp.push_back(pr.perturbation);
      bc.push_back(pr.context);
    }
    remap(bp, bc, p, c);
    Matrix sig(a.num_observed() + b.num_observed(), a.num_features());
    sig.topRows(a.num_observed()) = a.m_signatures;
    sig.bottomRows(b.num_observed()) = b.m_signatures;
    t.m_control.assign(static_cast<std::size_t>(t.num_contexts()), -1);
    for (Index k = 0; k < t.num_contexts(); ++k) {
      const Index ka = a.m_contexts.find(t.m_contexts[k]), kb = b.m_contexts.find(t.m_contexts[k]);
      Index ctrl = -1;
      if (ka >= 0 && a.m_control[std::size_t(ka)] >= 0)
        ctrl = t.m_perturbations.index(a.m_perturbations[a.m_control[std::size_t(ka)]]);
      else if (kb >= 0 && b.m_control[std::size_t(kb)] >= 0)
        ctrl = t.m_perturbations.index(b.m_perturbations[b.m_control[std::size_t(kb)]]);
      t.m_control[std::size_t(k)] = ctrl;
    }
    t.set_signatures(std::move(sig), p, c, fn);
    return t;
  }

  /// The same data on the perturbation and context labels `perturbations` and `contexts`, in
  /// that order (each label of this tensor must be among them; the others get no data): pieces
  /// of one tensor, such as the shards of `read_signatures`, then share their indices. Controls
  /// follow their names. Throws for a label of this tensor missing from the new ones.
  PerturbationTensor with_labels(std::vector<std::string> perturbations,
                                 std::vector<std::string> contexts) const {
    const char* fn = "PerturbationTensor::with_labels";
    PerturbationTensor t;
    t.m_features = m_features;
    t.m_symbols = m_symbols;
    t.m_missing = m_missing;
    t.m_perturbations = Labels(std::move(perturbations), "perturbation");
    t.m_contexts = Labels(std::move(contexts), "context");
    std::vector<Index> pmap(static_cast<std::size_t>(num_perturbations()));
    std::vector<Index> cmap(static_cast<std::size_t>(num_contexts()));
    for (Index p = 0; p < num_perturbations(); ++p)
      if ((pmap[std::size_t(p)] = t.m_perturbations.find(m_perturbations[p])) < 0)
        detail::throw_invalid(fn, "perturbation '", m_perturbations[p],
                              "' is not among the new labels");
    for (Index c = 0; c < num_contexts(); ++c)
      if ((cmap[std::size_t(c)] = t.m_contexts.find(m_contexts[c])) < 0)
        detail::throw_invalid(fn, "context '", m_contexts[c], "' is not among the new labels");
    t.m_control.assign(std::size_t(t.num_contexts()), -1);
    for (Index c = 0; c < num_contexts(); ++c)
      if (m_control[std::size_t(c)] >= 0)
        t.m_control[std::size_t(cmap[std::size_t(c)])] =
            pmap[std::size_t(m_control[std::size_t(c)])];
    for (Index s : m_sample_pert) t.m_sample_pert.push_back(pmap[std::size_t(s)]);
    for (Index s : m_sample_ctx) t.m_sample_ctx.push_back(cmap[std::size_t(s)]);
    t.m_samples = m_samples;
    std::vector<Index> p, c;
    for (const PairIndex& pr : m_pairs) {
      p.push_back(pmap[std::size_t(pr.perturbation)]);
      c.push_back(cmap[std::size_t(pr.context)]);
    }
    t.set_signatures(m_signatures, p, c, fn);
    return t;
  }

  // ------------------------------------------------------------------------------ axes
  Index num_features() const noexcept { return m_features.size(); }
  Index num_perturbations() const noexcept { return m_perturbations.size(); }
  Index num_contexts() const noexcept { return m_contexts.size(); }
  Index num_samples() const noexcept { return m_samples.rows(); }
  /// Number of observed (perturbation, context) pairs with a signature.
  Index num_observed() const noexcept { return m_signatures.rows(); }
  const Labels& features() const noexcept { return m_features; }
  const Labels& perturbations() const noexcept { return m_perturbations; }
  const Labels& contexts() const noexcept { return m_contexts; }
  /// Optional feature symbols (empty when unknown), parallel to `features()`.
  const std::vector<std::string>& feature_symbols() const noexcept { return m_symbols; }
  /// Set the feature symbols (one per feature).
  void set_feature_symbols(std::vector<std::string> symbols) {
    if (static_cast<Index>(symbols.size()) != num_features())
      detail::throw_invalid("PerturbationTensor::set_feature_symbols", symbols.size(),
                            " symbols for ", num_features(), " features");
    m_symbols = std::move(symbols);
  }
  /// Replace the feature ids (one per feature, unique), e.g. Entrez ids by gene symbols.
  void set_feature_ids(std::vector<std::string> ids) {
    if (static_cast<Index>(ids.size()) != num_features())
      detail::throw_invalid("PerturbationTensor::set_feature_ids", ids.size(), " ids for ",
                            num_features(), " features");
    m_features = Labels(std::move(ids), "feature id");
  }
  /// How NaN inputs were treated at construction.
  MissingValues missing_values() const noexcept { return m_missing; }

  // ------------------------------------------------------------------------------ controls
  /// Designate `perturbation` as the control of every context.
  void set_control(const std::string& perturbation) {
    const Index p = m_perturbations.index(perturbation, "PerturbationTensor::set_control");
    m_control.assign(static_cast<std::size_t>(num_contexts()), p);
  }
  /// Designate `perturbation` as the control of one context.
  void set_control(const std::string& context, const std::string& perturbation) {
    const Index c = m_contexts.index(context, "PerturbationTensor::set_control");
    m_control[static_cast<std::size_t>(c)] =
        m_perturbations.index(perturbation, "PerturbationTensor::set_control");
  }
  /// The control perturbation of context c, or -1 when none is set.
  Index control(Index c) const {
    check_context(c, "PerturbationTensor::control");
    return m_control[static_cast<std::size_t>(c)];
  }

  // ------------------------------------------------------------------------------ samples
  bool has_samples() const noexcept { return m_samples.rows() > 0; }
  /// Per-sample profiles, samples x features.
  const Matrix& samples() const noexcept { return m_samples; }
  /// Perturbation index of each sample.
  const std::vector<Index>& sample_perturbations() const noexcept { return m_sample_pert; }
  /// Context index of each sample.
  const std::vector<Index>& sample_contexts() const noexcept { return m_sample_ctx; }

  // ------------------------------------------------------------------------------ signatures
  bool has_signatures() const noexcept { return m_signatures.rows() > 0; }
  /// Observed signatures, an `num_observed() x num_features()` matrix; row i belongs to
  /// `observed_pairs()[i]`.
  const Matrix& observed() const noexcept { return m_signatures; }
  /// The (perturbation, context) pair of each row of `observed()`.
  const std::vector<PairIndex>& observed_pairs() const noexcept { return m_pairs; }
  /// Row of `observed()` holding pair (p, c), or -1 when unobserved.
  Index pair_index(Index p, Index c) const {
    check_perturbation(p, "PerturbationTensor::pair_index");
    check_context(c, "PerturbationTensor::pair_index");
    return m_pair_row(p, c);
  }
  /// True when pair (p, c) has a signature.
  bool is_observed(Index p, Index c) const { return pair_index(p, c) >= 0; }
  /// The perturbations x contexts observation mask.
  Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic> mask() const {
    return (m_pair_row.array() >= 0).matrix();
  }
  /// The signature of pair (p, c); throws when unobserved.
  Vector signature(Index p, Index c) const {
    const Index r = pair_index(p, c);
    if (r < 0)
      detail::throw_invalid("PerturbationTensor::signature", "pair (", m_perturbations[p], ", ",
                            m_contexts[c], ") is not observed");
    return m_signatures.row(r).transpose();
  }
  /// The signature of a pair given by names.
  Vector signature(const std::string& perturbation, const std::string& context) const {
    return signature(m_perturbations.index(perturbation, "PerturbationTensor::signature"),
                     m_contexts.index(context, "PerturbationTensor::signature"));
  }
  /// Observed signatures of one context, in perturbation order.
  Slice context_slice(Index c) const {
    check_context(c, "PerturbationTensor::context_slice");
    std::vector<Index> rows, labels;
    for (Index p = 0; p < num_perturbations(); ++p)
      if (m_pair_row(p, c) >= 0) {
        rows.push_back(m_pair_row(p, c));
        labels.push_back(p);
      }
    return Slice{labels, gather(rows)};
  }
  /// Observed signatures of one perturbation, in context order.
  Slice perturbation_slice(Index p) const {
    check_perturbation(p, "PerturbationTensor::perturbation_slice");
    std::vector<Index> rows, labels;
    for (Index c = 0; c < num_contexts(); ++c)
      if (m_pair_row(p, c) >= 0) {
        rows.push_back(m_pair_row(p, c));
        labels.push_back(c);
      }
    return Slice{labels, gather(rows)};
  }
  /// The dense perturbations x features x contexts tensor; unobserved fibres are NaN.
  Tensor3<Scalar> dense() const {
    Tensor3<Scalar> t(num_perturbations(), num_features(), num_contexts(),
                      std::numeric_limits<Scalar>::quiet_NaN());
    for (Index r = 0; r < num_observed(); ++r) {
      const PairIndex& pc = m_pairs[static_cast<std::size_t>(r)];
      t.slice(pc.context).row(pc.perturbation) = m_signatures.row(r);
    }
    return t;
  }
  /// Inverse of `dense()`: fibres that are entirely NaN are unobserved; a fibre with some NaN is
  /// rejected unless `missing` is `Allow`.
  static PerturbationTensor from_dense(const Tensor3<Scalar>& t,
                                       std::vector<std::string> perturbations,
                                       std::vector<std::string> contexts,
                                       std::vector<std::string> feature_ids,
                                       MissingValues missing = MissingValues::Reject) {
    const char* fn = "PerturbationTensor::from_dense";
    PerturbationTensor out;
    out.m_perturbations = Labels(std::move(perturbations), "perturbation");
    out.m_contexts = Labels(std::move(contexts), "context");
    out.m_features = Labels(std::move(feature_ids), "feature id");
    if (t.dim(0) != out.num_perturbations() || t.dim(1) != out.num_features() ||
        t.dim(2) != out.num_contexts())
      detail::throw_invalid(fn, "tensor is ", t.dim(0), " x ", t.dim(1), " x ", t.dim(2),
                            " but labels give ", out.num_perturbations(), " x ", out.num_features(),
                            " x ", out.num_contexts());
    std::vector<Index> p, c;
    for (Index k = 0; k < t.dim(2); ++k)
      for (Index i = 0; i < t.dim(0); ++i) {
        const Index nan = t.slice(k).row(i).array().isNaN().count();
        if (nan == t.dim(1) && t.dim(1) > 0) continue;
        p.push_back(i);
        c.push_back(k);
      }
    Matrix sig(static_cast<Index>(p.size()), out.num_features());
    for (std::size_t r = 0; r < p.size(); ++r)
      sig.row(static_cast<Index>(r)) = t.slice(c[r]).row(p[r]);
    check_values(fn, sig, missing);
    out.m_missing = missing;
    out.m_control.assign(static_cast<std::size_t>(out.num_contexts()), -1);
    out.m_samples.resize(0, out.num_features());
    out.set_signatures(std::move(sig), p, c, fn);
    return out;
  }

  // ------------------------------------------------------------------------------ derived tensors
  /// A tensor over this tensor's labels (features, symbols, perturbations, contexts), controls
  /// and missing-value policy holding new values: `samples` with this tensor's sample labels
  /// (`num_samples()` rows, or no rows for none) and one signature per entry of `pairs` (indices
  /// into the label lists; a repeated pair throws). The building block of the transforms in
  /// `cimpute/core/tensor_transforms.hpp`, which keep the labels and replace the values.
  PerturbationTensor with_data(Matrix samples, Matrix signatures,
                               const std::vector<PairIndex>& pairs) const {
    const char* fn = "PerturbationTensor::with_data";
    if (samples.rows() == 0) samples.resize(0, num_features());
    if (signatures.rows() == 0) signatures.resize(0, num_features());
    if (samples.rows() != 0 && samples.rows() != num_samples())
      detail::throw_invalid(fn, samples.rows(), " sample rows for ", num_samples(), " samples");
    if (samples.cols() != num_features() || signatures.cols() != num_features())
      detail::throw_invalid(fn, samples.cols(), " sample and ", signatures.cols(),
                            " signature columns for ", num_features(), " features");
    if (signatures.rows() != static_cast<Index>(pairs.size()))
      detail::throw_invalid(fn, signatures.rows(), " signatures for ", pairs.size(), " pairs");
    check_values(fn, samples, m_missing);
    check_values(fn, signatures, m_missing);
    std::vector<Index> p, c;
    for (const PairIndex& pr : pairs) {
      check_perturbation(pr.perturbation, fn);
      check_context(pr.context, fn);
      p.push_back(pr.perturbation);
      c.push_back(pr.context);
    }
    PerturbationTensor out;
    out.m_features = m_features;
    out.m_symbols = m_symbols;
    out.m_perturbations = m_perturbations;
    out.m_contexts = m_contexts;
    out.m_control = m_control;
    out.m_missing = m_missing;
    if (samples.rows() > 0) {
      out.m_sample_pert = m_sample_pert;
      out.m_sample_ctx = m_sample_ctx;
    }
    out.m_samples = std::move(samples);
    out.set_signatures(std::move(signatures), p, c, fn);
    return out;
  }

  /// Signatures as the mean of each (perturbation, context) pair's samples (NaN ignored when
  /// missing values are allowed). The samples are kept.
  PerturbationTensor aggregated() const {
    const char* fn = "PerturbationTensor::aggregated";
    if (!has_samples()) detail::throw_logic(fn, "the tensor holds no per-sample data");
    PerturbationTensor out = *this;
    Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> row =
        Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic>::Constant(num_perturbations(),
                                                                       num_contexts(), -1);
    std::vector<Index> p, c;
    for (Index i = 0; i < num_samples(); ++i) {
      const Index pi = m_sample_pert[static_cast<std::size_t>(i)];
      const Index ci = m_sample_ctx[static_cast<std::size_t>(i)];
      if (row(pi, ci) < 0) {
        row(pi, ci) = static_cast<Index>(p.size());
        p.push_back(pi);
        c.push_back(ci);
      }
    }
    Matrix sum = Matrix::Zero(static_cast<Index>(p.size()), num_features());
    Matrix count = Matrix::Zero(static_cast<Index>(p.size()), num_features());
    for (Index i = 0; i < num_samples(); ++i) {
      const Index r = row(m_sample_pert[static_cast<std::size_t>(i)],
                          m_sample_ctx[static_cast<std::size_t>(i)]);
      const auto x = m_samples.row(i).array();
      sum.row(r).array() += x.isNaN().select(Scalar(0), x);
      count.row(r).array() += (!x.isNaN()).template cast<Scalar>();
    }
    // A feature with no measured value in a pair stays NaN (0 / 0).
    Matrix mean =
        (count.array() > Scalar(0))
            .select(sum.array() / count.array(), std::numeric_limits<Scalar>::quiet_NaN());
    out.set_signatures(std::move(mean), p, c, fn);
    return out;
  }

  /// The tensor restricted to (and reordered by) the given feature ids; unknown ids throw.
  PerturbationTensor select_features(const std::vector<std::string>& ids) const {
    return select_feature_indices(m_features.indices(ids, "PerturbationTensor::select_features"));
  }
  /// The tensor restricted to (and reordered by) the given feature positions.
  PerturbationTensor select_feature_indices(const std::vector<Index>& idx) const {
    PerturbationTensor out = *this;
    out.m_features = m_features.select(idx);
    if (!m_symbols.empty()) {
      out.m_symbols.clear();
      for (Index i : idx) out.m_symbols.push_back(m_symbols[static_cast<std::size_t>(i)]);
    }
    const Eigen::Map<const Eigen::Matrix<Index, Eigen::Dynamic, 1>> cols(
        idx.data(), static_cast<Index>(idx.size()));
    out.m_samples = m_samples(Eigen::all, cols);
    out.m_signatures = m_signatures(Eigen::all, cols);
    return out;
  }

private:
  template <class Labels_>
  static void check_rows(const char* fn, const Matrix& m, const Labels_& p, const Labels_& c,
                         Index n_features) {
    if (static_cast<Index>(p.size()) != m.rows())
      detail::throw_invalid(fn, p.size(), " perturbation labels for ", m.rows(), " rows");
    if (static_cast<Index>(c.size()) != m.rows())
      detail::throw_invalid(fn, c.size(), " context labels for ", m.rows(), " rows");
    if (m.cols() != n_features)
      detail::throw_invalid(fn, m.cols(), " columns for ", n_features, " feature ids");
  }
  static void check_values(const char* fn, const Matrix& m, MissingValues missing) {
    for (Index j = 0; j < m.cols(); ++j)
      for (Index i = 0; i < m.rows(); ++i) {
        const Scalar v = m(i, j);
        if (std::isinf(v)) detail::throw_invalid(fn, "infinite value at row ", i, ", column ", j);
        if (std::isnan(v) && missing == MissingValues::Reject)
          detail::throw_invalid(fn, "NaN at row ", i, ", column ", j,
                                " (pass MissingValues::Allow to mark missing values)");
      }
  }
  void check_context(Index c, const char* fn) const {
    if (c < 0 || c >= num_contexts())
      detail::throw_invalid(fn, "context index ", c, " out of range [0, ", num_contexts(), ")");
  }
  void check_perturbation(Index p, const char* fn) const {
    if (p < 0 || p >= num_perturbations())
      detail::throw_invalid(fn, "perturbation index ", p, " out of range [0, ", num_perturbations(),
                            ")");
  }
  void intern(const std::vector<std::string>& p, const std::vector<std::string>& c,
              std::vector<Index>& pi, std::vector<Index>& ci) {
    pi.resize(p.size());
    ci.resize(c.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i].empty() || c[i].empty())
        detail::throw_invalid("PerturbationTensor", "empty perturbation or context label at row ",
                              i);
      pi[i] = m_perturbations.intern(p[i]);
      ci[i] = m_contexts.intern(c[i]);
    }
  }
  void set_signatures(Matrix sig, const std::vector<Index>& p, const std::vector<Index>& c,
                      const char* fn) {
    m_pair_row.setConstant(num_perturbations(), num_contexts(), -1);
    m_pairs.clear();
    for (std::size_t r = 0; r < p.size(); ++r) {
      Index& slot = m_pair_row(p[r], c[r]);
      if (slot >= 0)
        detail::throw_invalid(fn, "pair (", m_perturbations[p[r]], ", ", m_contexts[c[r]],
                              ") appears twice (rows ", slot, " and ", r, ")");
      slot = static_cast<Index>(r);
      m_pairs.push_back(PairIndex{p[r], c[r]});
    }
    m_signatures = std::move(sig);
  }
  Matrix gather(const std::vector<Index>& rows) const {
    Matrix out(static_cast<Index>(rows.size()), num_features());
    for (std::size_t k = 0; k < rows.size(); ++k) out.row(Index(k)) = m_signatures.row(rows[k]);
    return out;
  }

  Labels m_features, m_perturbations, m_contexts;
  std::vector<std::string> m_symbols;
  std::vector<Index> m_control;
  MissingValues m_missing = MissingValues::Reject;
  Matrix m_samples;
  std::vector<Index> m_sample_pert, m_sample_ctx;
  Matrix m_signatures;
  std::vector<PairIndex> m_pairs;
  Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic> m_pair_row;
};

} // namespace cimpute
