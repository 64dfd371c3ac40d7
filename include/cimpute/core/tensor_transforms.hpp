/// @file tensor_transforms.hpp
/// @brief Transforms of a `PerturbationTensor` that keep its labels: signatures relative to each
/// context's control, robust z-scores by plate, feature renaming (`id_mapping`) and the
/// alignment of two tensors' feature axes.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/labels.hpp"
#include "cimpute/core/perturbation_tensor.hpp"
#include "cimpute/core/robust_zscore.hpp"

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cimpute {

/// How a signature is formed from a profile and its context's control profile.
enum class SignatureKind {
  Difference,    ///< \f$ s = x - x_{\mathrm{ctrl}} \f$ (for data already on a log scale).
  Log2FoldChange ///< \f$ s = \log_2(x + c) - \log_2(x_{\mathrm{ctrl}} + c) \f$, c = pseudocount.
};

/// Options of `relative_to_control`.
struct SignatureOptions {
  SignatureKind kind = SignatureKind::Difference; ///< difference or log2 fold change
  double pseudocount = 1.0;                       ///< c in the log2 fold change (>= 0)
  bool keep_controls = false; ///< keep the (all-zero) control signatures in the result

  /// Throws `invalid_argument` for a negative or non-finite pseudocount.
  void validate() const {
    if (!(pseudocount >= 0.0) || !std::isfinite(pseudocount))
      detail::throw_invalid("SignatureOptions::validate",
                            "pseudocount must be finite and >= 0, got ", pseudocount);
  }
};

/// Signatures relative to each context's control: for every observed pair (p, c) with p not the
/// control of c, \f$ s_{p,c} = f(x_{p,c}) - f(x_{\mathrm{ctrl}(c),c}) \f$ with f the identity or
/// \f$ \log_2(\cdot + \mathrm{pseudocount}) \f$. Requires signatures (call `aggregated()` first
/// for sample data), a control for every context that has a non-control pair, and that control
/// observed in that context. Per-sample data is not carried over.
template <class Scalar>
PerturbationTensor<Scalar> relative_to_control(const PerturbationTensor<Scalar>& t,
                                               const SignatureOptions& options = {}) {
  using Index = Eigen::Index;
  using Vector = typename PerturbationTensor<Scalar>::Vector;
  const char* fn = "relative_to_control";
  options.validate();
  if (!t.has_signatures())
    detail::throw_logic(fn, "the tensor holds no signatures (call aggregated() first)");
  const Scalar pc = static_cast<Scalar>(options.pseudocount);
  const auto& pairs = t.observed_pairs();
  auto transform = [&](Index r) -> Vector {
    Vector x = t.observed().row(r).transpose();
    if (options.kind == SignatureKind::Difference) return x;
    for (Index g = 0; g < x.size(); ++g)
      if (x[g] + pc <= Scalar(0))
        detail::throw_invalid(
            fn, "log2 of a non-positive value ", x[g], " + pseudocount ", pc, " for perturbation '",
            t.perturbations()[pairs[std::size_t(r)].perturbation], "', context '",
            t.contexts()[pairs[std::size_t(r)].context], "', feature '", t.features()[g], "'");
    return ((x.array() + pc).log() / std::log(Scalar(2))).matrix();
  };
  std::vector<Index> rows;
  for (Index r = 0; r < t.num_observed(); ++r) {
    const PairIndex& pr = pairs[std::size_t(r)];
    if (pr.perturbation != t.control(pr.context) || options.keep_controls) rows.push_back(r);
  }
  std::vector<Vector> ctrl(static_cast<std::size_t>(t.num_contexts()));
  typename PerturbationTensor<Scalar>::Matrix sig(static_cast<Index>(rows.size()),
                                                  t.num_features());
  std::vector<PairIndex> out_pairs;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const PairIndex& pr = pairs[std::size_t(rows[k])];
    Vector& cv = ctrl[std::size_t(pr.context)];
    if (cv.size() == 0) {
      const Index cp = t.control(pr.context);
      if (cp < 0)
        detail::throw_logic(fn, "context '", t.contexts()[pr.context], "' has no control set");
      const Index cr = t.pair_index(cp, pr.context);
      if (cr < 0)
        detail::throw_invalid(fn, "the control '", t.perturbations()[cp],
                              "' is not observed in context '", t.contexts()[pr.context], "'");
      cv = transform(cr);
    }
    sig.row(static_cast<Index>(k)) = (transform(rows[k]) - cv).transpose();
    out_pairs.push_back(pr);
  }
  return t.with_data({}, std::move(sig), out_pairs);
}

/// Robust z-scores of the per-sample profiles within groups of samples (plates), as in the
/// L1000 pipeline: per feature and plate, \f$ z = (x - \mathrm{median}) / (1.4826
/// \max(\mathrm{MAD}, \mathrm{floor})) \f$ (`robust_zscore`). Signatures are not carried over.
template <class Scalar>
PerturbationTensor<Scalar>
robust_zscore_by_plate(const PerturbationTensor<Scalar>& t,
                       const std::vector<std::string>& plate_of_sample,
                       typename PerturbationTensor<Scalar>::Scalar mad_floor = Scalar(0.1)) {
  using Index = Eigen::Index;
  const char* fn = "robust_zscore_by_plate";
  if (!t.has_samples()) detail::throw_logic(fn, "the tensor holds no per-sample data");
  if (static_cast<Index>(plate_of_sample.size()) != t.num_samples())
    detail::throw_invalid(fn, plate_of_sample.size(), " plate labels for ", t.num_samples(),
                          " samples");
  Labels plates;
  std::vector<std::vector<Index>> rows;
  for (Index i = 0; i < t.num_samples(); ++i) {
    const Index k = plates.intern(plate_of_sample[static_cast<std::size_t>(i)]);
    if (k == static_cast<Index>(rows.size())) rows.emplace_back();
    rows[static_cast<std::size_t>(k)].push_back(i);
  }
  typename PerturbationTensor<Scalar>::Matrix z(t.num_samples(), t.num_features());
  for (const auto& r : rows) {
    const Eigen::Map<const Eigen::Matrix<Index, Eigen::Dynamic, 1>> at(
        r.data(), static_cast<Index>(r.size()));
    z(at, Eigen::all) =
        robust_zscore(t.samples()(at, Eigen::all).transpose(), mad_floor).transpose();
  }
  return t.with_data(std::move(z), {}, {});
}

/// The feature ids replaced through a mapping (e.g. Entrez id -> symbol, `id_mapping` or
/// `read_id_mapping`); features whose id is not in the mapping are dropped when
/// `drop_unmapped`, otherwise they throw. Two features mapping to the same new id throw.
template <class Scalar>
PerturbationTensor<Scalar>
rename_features(const PerturbationTensor<Scalar>& t,
                const std::unordered_map<std::string, std::string>& mapping,
                bool drop_unmapped = false) {
  const char* fn = "rename_features";
  std::vector<Eigen::Index> keep;
  std::vector<std::string> ids;
  for (Eigen::Index g = 0; g < t.num_features(); ++g) {
    auto it = mapping.find(t.features()[g]);
    if (it == mapping.end()) {
      if (!drop_unmapped)
        detail::throw_invalid(fn, "feature '", t.features()[g], "' has no mapping");
      continue;
    }
    keep.push_back(g);
    ids.push_back(it->second);
  }
  PerturbationTensor<Scalar> out = t.select_feature_indices(keep);
  try {
    out.set_feature_ids(std::move(ids));
  } catch (const invalid_argument& e) {
    detail::throw_invalid(fn, "two features map to one id: ", e.what());
  }
  return out;
}

/// How `align_features` matches two feature axes.
enum class AlignBy {
  Id,    ///< by feature id
  Symbol ///< by feature symbol (both tensors need `feature_symbols()`)
};

/// A mapping table from one id space to another (e.g. Entrez id -> gene symbol), built from two
/// parallel lists such as the `pr_gene_id` and `pr_gene_symbol` row-metadata fields of a CMap
/// plate. Repeated `from` entries must agree; missing values (`-666`, `na`, empty) are skipped.
inline std::unordered_map<std::string, std::string> id_mapping(const std::vector<std::string>& from,
                                                               const std::vector<std::string>& to) {
  const char* fn = "id_mapping";
  if (from.size() != to.size())
    detail::throw_invalid(fn, from.size(), " source ids but ", to.size(), " target ids");
  std::unordered_map<std::string, std::string> map;
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (detail::is_missing_token(from[i]) || detail::is_missing_token(to[i])) continue;
    auto [it, inserted] = map.emplace(from[i], to[i]);
    if (!inserted && it->second != to[i])
      detail::throw_invalid(fn, "'", from[i], "' maps to both '", it->second, "' and '", to[i],
                            "'");
  }
  return map;
}

/// Restrict two tensors to their shared features, in the order of `a`, matched by id or by
/// symbol; the result's feature ids are those of each input. Throws when nothing is shared or,
/// for `AlignBy::Symbol`, when a tensor lacks symbols or repeats one.
template <class Scalar>
std::pair<PerturbationTensor<Scalar>, PerturbationTensor<Scalar>>
align_features(const PerturbationTensor<Scalar>& a, const PerturbationTensor<Scalar>& b,
               AlignBy by = AlignBy::Id) {
  const char* fn = "align_features";
  auto keys = [&](const PerturbationTensor<Scalar>& t, const char* which) {
    if (by == AlignBy::Id) return t.features();
    if (t.feature_symbols().empty())
      detail::throw_invalid(fn, "tensor ", which, " has no feature symbols");
    try {
      return Labels(t.feature_symbols(), "feature symbol");
    } catch (const invalid_argument& e) {
      detail::throw_invalid(fn, "tensor ", which, ": ", e.what());
    }
  };
  const Labels ka = keys(a, "a"), kb = keys(b, "b");
  std::vector<Eigen::Index> ia, ib;
  for (Eigen::Index g = 0; g < ka.size(); ++g) {
    const Eigen::Index h = kb.find(ka[g]);
    if (h >= 0) {
      ia.push_back(g);
      ib.push_back(h);
    }
  }
  if (ia.empty())
    detail::throw_invalid(fn, "the two tensors share no feature ",
                          by == AlignBy::Id ? "id" : "symbol");
  return {a.select_feature_indices(ia), b.select_feature_indices(ib)};
}

} // namespace cimpute
