/// @file ntk_completion.hpp
/// @brief NTK matrix completion with feature priors on perturbations and contexts
/// (Radhakrishnan, Stefanakis, Belkin, Uhler, PNAS 2022).
#pragma once

#include "cimpute/completion/perturbation_features.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/config.hpp"
#include "cimpute/kernels/ntk.hpp"
#include "cimpute/solvers/exact_kernel_solver.hpp"

#include <Eigen/Core>

#include <cmath>
#include <string>
#include <vector>

namespace cimpute {

/// The feature prior of the pairs.
enum class NtkPrior {
  /// f = [onehot(c), s onehot(d)]: an additive two-way model in kernel form.
  OneHot,
  /// f = [s |e_d| m_c, e_d]: e_d is perturbation d's signature in a training-only reference
  /// context (the mean reference signature when d is missing there), m_c the unit-normalised
  /// mean of context c's training signatures (the reference code's experiment setting).
  TrainContextAverage,
  /// f = [s r_c, e_d] with user-supplied context features r (rows in context order, e.g. cell-line
  /// baseline expression) and perturbation features e (rows in perturbation order, e.g. drug
  /// fingerprints); a part whose matrix is empty is one-hot.
  UserFeatures,
  /// f = [s |e_d| m_c, e_d] as TrainContextAverage, with e_d the mean of perturbation d's
  /// training signatures (and its reference-context ones) instead of its reference signature;
  /// needs no reference context.
  TrainAverages,
  /// Cross-context signatures: the pair (d, c) has the feature
  /// \f$ f_{(d,c)} = [e_d^{(-c)}, \beta_{id} 1_{(d,c)}] \f$, where \f$ e_d^{(-c)} \f$ is the unit
  /// direction of the mean of d's standardised training signatures in the contexts other than c
  /// (each context's signatures centred by its training mean and divided by their root mean
  /// square), and the kernel is zero between contexts and, within a context,
  /// \f$ k((d,c),(d',c)) = k_{NTK}(f_{(d,c)}, f_{(d',c)}) + k_{NTK}(1) \f$ (the constant is a
  /// per-context intercept of the prior variance's size). A pair is predicted by kernel
  /// regression within its context on how the perturbations behaved elsewhere: DNPP's idea
  /// (neighbours by their signatures in the other contexts) as a kernel. No feature of a
  /// context's pairs depends on a signature of that context, so training pairs' features are
  /// built exactly as a test pair's are, and closed-form leave-one-pair-out is the refit's.
  /// Needs no reference context; a context without training pairs is predicted as zero (no
  /// change).
  CrossContext
};

/// The name of a prior: one-hot, train-context-average, user-features, train-averages,
/// cross-context.
inline std::string to_string(NtkPrior p) {
  switch (p) {
  case NtkPrior::OneHot:
    return "one-hot";
  case NtkPrior::TrainContextAverage:
    return "train-context-average";
  case NtkPrior::UserFeatures:
    return "user-features";
  case NtkPrior::CrossContext:
    return "cross-context";
  default:
    return "train-averages";
  }
}

/// The prior called `name` (as `to_string` spells it). Throws `invalid_argument` listing the
/// names for an unknown one.
inline NtkPrior parse_ntk_prior(const std::string& name) {
  for (NtkPrior p : {NtkPrior::OneHot, NtkPrior::TrainContextAverage, NtkPrior::UserFeatures,
                     NtkPrior::TrainAverages, NtkPrior::CrossContext})
    if (to_string(p) == name) return p;
  detail::throw_invalid("parse_ntk_prior", "unknown NTK prior '", name,
                        "' (known: one-hot, train-context-average, user-features, train-averages, "
                        "cross-context)");
}

/// Hyper-parameters of `NtkCompletion`. The defaults are the published settings.
struct NtkCompletionOptions {
  int depth = 1;                ///< hidden layers of the ReLU network
  double bias = 0.0;            ///< bias standard deviation
  double identity_weight = 1.5; ///< beta_id, the private one-hot coordinate of every pair
  double ridge = 0.0;           ///< added to the training Gram's diagonal
  double scale = 0.75;          ///< s in the prior (context part for TrainContextAverage)
  NtkPrior prior = NtkPrior::TrainContextAverage;
  /// For TrainContextAverage: the context whose signatures are the perturbation features; empty
  /// (the default) takes the training set's reference context (the protocol's training-only
  /// context, e.g. MCF7 for the CMap tables).
  std::string reference_context;
  /// For UserFeatures: one row per perturbation of the tensor (empty: one-hot, unless
  /// `perturbation_pca` is set).
  Eigen::MatrixXd perturbation_features;
  /// For UserFeatures: K > 0 takes the perturbation features from the training set at every fit,
  /// `pca_perturbation_features(train, K)` (the target gene's coordinates on the top K principal
  /// components of the training responses), for perturbations never measured; 0: not used.
  /// Needs an empty `perturbation_features`.
  Eigen::Index perturbation_pca = 0;
  /// For UserFeatures: true takes the perturbation features from the training set at every fit,
  /// `signature_perturbation_features(train)` (combinations as the sums of their single
  /// perturbations' signatures); needs an empty `perturbation_features` and no
  /// `perturbation_pca`.
  bool perturbation_signatures = false;
  /// For UserFeatures: one row per context of the tensor (empty: one-hot).
  Eigen::MatrixXd context_features;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "NtkCompletionOptions::validate";
    if (depth < 1) detail::throw_invalid(fn, "depth must be >= 1, got ", depth);
    for (double v : {bias, identity_weight, ridge, scale})
      if (!(v >= 0) || !std::isfinite(v))
        detail::throw_invalid(fn, "negative or non-finite value ", v);
    for (const Eigen::MatrixXd* f : {&perturbation_features, &context_features})
      if (!f->allFinite()) detail::throw_invalid(fn, "user features have a non-finite entry");
    if (perturbation_pca < 0)
      detail::throw_invalid(fn, "perturbation_pca must be >= 0, got ", perturbation_pca);
    if (int(perturbation_pca > 0) + int(perturbation_signatures) +
            int(perturbation_features.size() > 0) >
        1)
      detail::throw_invalid(fn, "more than one of perturbation_pca, perturbation_signatures and "
                                "perturbation_features is set");
  }
};

namespace detail {
/// Perturbation features from a reference context `ref` (P x G): row d is d's signature there
/// (its training rows, and the protocol's reference rows when `ref` is the training set's
/// reference context), the mean reference signature for perturbations missing there. Empty
/// when the context has no signature.
template <class Scalar>
Eigen::MatrixXd reference_signatures(const TrainingSet<Scalar>& train, Eigen::Index ref) {
  const auto& t = train.tensor();
  std::vector<Eigen::Index> ref_rows = train.context_rows(ref);
  if (ref == train.reference_context())
    for (Eigen::Index r : train.reference_rows()) ref_rows.push_back(r);
  if (ref_rows.empty()) return {};
  const Eigen::RowVectorXd ref_mean = train.mean_of(ref_rows).template cast<double>();
  Eigen::MatrixXd e = ref_mean.replicate(t.num_perturbations(), 1);
  for (Eigen::Index r : ref_rows)
    e.row(t.observed_pairs()[std::size_t(r)].perturbation) =
        t.observed().row(r).template cast<double>();
  return e;
}

/// The unit-normalised mean training signature of every context (C x G; the global training
/// mean's direction for contexts without training rows).
template <class Scalar>
Eigen::MatrixXd unit_context_means(const TrainingSet<Scalar>& train) {
  const auto& t = train.tensor();
  const Eigen::RowVectorXd global = train.global_mean().template cast<double>();
  Eigen::MatrixXd m(t.num_contexts(), t.num_features());
  for (Eigen::Index c = 0; c < m.rows(); ++c) {
    const auto& rows = train.context_rows(c);
    Eigen::RowVectorXd v =
        rows.empty() ? global : Eigen::RowVectorXd(train.mean_of(rows).template cast<double>());
    const double n = v.norm();
    m.row(c) = n > 0 ? Eigen::RowVectorXd(v / n) : v;
  }
  return m;
}

/// The features of the cross-context prior (`NtkPrior::CrossContext`) from a training set: per
/// context its training mean m_c and root mean square s_c of the centred
/// signatures; per perturbation d the sum T_d and count n_d of its standardised training
/// signatures z_(d,c) = (y_(d,c) - m_c) / s_c over every training context (reference rows
/// included). The feature of (d, c) is the unit direction of (T_d - z_(d,c)) / (n_d - 1) when
/// (d, c) is a training pair and of T_d / n_d otherwise: d's mean over the contexts other than c.
class CrossContextFeatures {
public:
  CrossContextFeatures() = default;
  template <class Scalar>
  explicit CrossContextFeatures(const TrainingSet<Scalar>& train_only) {
    const TrainingSet<Scalar> train = train_only.with_reference();
    const auto& t = train.tensor();
    const Eigen::Index P = t.num_perturbations(), C = t.num_contexts(), G = t.num_features();
    const Eigen::RowVectorXd global = train.global_mean().template cast<double>();
    Eigen::MatrixXd mean(C, G);
    Eigen::VectorXd scale = Eigen::VectorXd::Ones(C);
    for (Eigen::Index c = 0; c < C; ++c) {
      const auto& rows = train.context_rows(c);
      mean.row(c) =
          rows.empty() ? global : Eigen::RowVectorXd(train.mean_of(rows).template cast<double>());
      double ss = 0;
      for (Eigen::Index r : rows)
        ss += (t.observed().row(r).template cast<double>() - mean.row(c)).squaredNorm();
      if (ss > 0) scale[c] = std::sqrt(ss / double(rows.size() * std::size_t(G)));
    }
    m_sum = Eigen::MatrixXd::Zero(P, G);
    m_count = Eigen::VectorXd::Zero(P);
    m_own = Eigen::MatrixXd(train.size(), G);
    m_row = Eigen::MatrixXi::Constant(P, C, -1);
    for (Eigen::Index i = 0; i < train.size(); ++i) {
      const Eigen::Index r = train.rows()[std::size_t(i)];
      const PairIndex& p = t.observed_pairs()[std::size_t(r)];
      m_own.row(i) =
          (t.observed().row(r).template cast<double>() - mean.row(p.context)) / scale[p.context];
      m_sum.row(p.perturbation) += m_own.row(i);
      m_count[p.perturbation] += 1;
      m_row(p.perturbation, p.context) = int(i);
    }
  }
  /// The pairs' features, one row each: unit length, or zero when the perturbation has no
  /// training signature in another context.
  Eigen::MatrixXd features(const std::vector<PairIndex>& pairs) const {
    Eigen::MatrixXd f(Eigen::Index(pairs.size()), m_sum.cols());
    for (std::size_t i = 0; i < pairs.size(); ++i) f.row(Eigen::Index(i)) = feature(pairs[i], -1);
    return f;
  }
  /// The feature of `p` with the training signature of `also` left out of it as well: `p`'s
  /// feature in the training set without `also`, had the contexts' means and scales stayed.
  Eigen::RowVectorXd feature_without(const PairIndex& p, const PairIndex& also) const {
    const bool other = also.perturbation == p.perturbation && also.context != p.context;
    return feature(p, other ? m_row(also.perturbation, also.context) : -1);
  }

private:
  // The unit direction of d's standardised signatures without (d, c)'s own (which never informs
  // its own feature) and without training position `also` (none when negative).
  Eigen::RowVectorXd feature(const PairIndex& p, int also) const {
    Eigen::RowVectorXd row = m_sum.row(p.perturbation);
    double count = m_count[p.perturbation];
    for (int r : {m_row(p.perturbation, p.context), also})
      if (r >= 0) {
        row -= m_own.row(r);
        count -= 1;
      }
    const double n = row.norm();
    if (n > 0 && count > 0)
      row /= n;
    else
      row.setZero();
    return row;
  }

  Eigen::MatrixXd m_sum, m_own;
  Eigen::VectorXd m_count;
  Eigen::MatrixXi m_row;
};

/// One context's block of the cross-context prior's Gram from the raw inner products `U` of the
/// features of its pairs (rows: `na`, columns: `nb` hold |f|^2 = |e|^2 + beta_id^2): the kernel
/// of u = U / sqrt(na nb), u = 1 on the diagonal of a symmetric block (each pair's private
/// identity coordinate), plus the context's intercept k(1); the lower triangle of a symmetric
/// block is mirrored so that it is exactly symmetric.
template <class Kernel>
Eigen::MatrixXd cross_context_block(const Kernel& k, const Eigen::MatrixXd& U,
                                    const Eigen::VectorXd& na, const Eigen::VectorXd& nb,
                                    bool symmetric) {
  const double intercept = k.from_inner(1.0, 1.0, 1.0);
  Eigen::MatrixXd K(U.rows(), U.cols());
  for (Eigen::Index j = 0; j < U.cols(); ++j)
    for (Eigen::Index i = symmetric ? j : 0; i < U.rows(); ++i) {
      const double den = std::sqrt(na[i] * nb[j]);
      const double u = symmetric && i == j ? 1.0 : (den > 0 ? U(i, j) / den : 0.0);
      K(i, j) = k.from_inner(u, 1.0, 1.0) + intercept;
      if (symmetric) K(j, i) = K(i, j);
    }
  return K;
}

/// The positions of `pairs` grouped by context: one list per context (empty where it has none).
inline std::vector<std::vector<Eigen::Index>>
positions_by_context(const std::vector<PairIndex>& pairs, Eigen::Index contexts) {
  std::vector<std::vector<Eigen::Index>> by(static_cast<std::size_t>(contexts));
  for (std::size_t i = 0; i < pairs.size(); ++i)
    by[static_cast<std::size_t>(pairs[i].context)].push_back(Eigen::Index(i));
  return by;
}
} // namespace detail

/// Context features from the contexts' baseline profiles (one row per context, e.g. the log2
/// control expression of each cell line, `read_l1000_baselines`): each feature centred across
/// contexts, then each row scaled to unit length, so that the context part of the NTK prior
/// compares the cell lines' deviations from the average cell. This prior can predict contexts
/// without any training signature.
inline Eigen::MatrixXd context_features_from_baselines(const Eigen::MatrixXd& baselines) {
  const char* fn = "context_features_from_baselines";
  if (baselines.rows() < 2) detail::throw_invalid(fn, "need at least 2 contexts");
  if (!baselines.allFinite()) detail::throw_invalid(fn, "non-finite baseline value");
  Eigen::MatrixXd f = baselines.rowwise() - baselines.colwise().mean();
  for (Eigen::Index c = 0; c < f.rows(); ++c) {
    const double n = f.row(c).norm();
    if (n > 0) f.row(c) /= n;
  }
  return f;
}

/// NTK matrix completion: kernel regression over (perturbation, context) pairs,
/// \f$ \hat Y_{test} = K(test, train) (K(train, train) + \lambda I)^{-1} Y_{train} \f$, with the
/// NTK of the pairs' unit-normalised features (plus a private identity coordinate), all genes
/// sharing one factorisation. Pair inner products are assembled from small perturbation and
/// context Gram matrices; no pairs x features matrix is formed.
template <class Scalar_ = double>
class NtkCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  explicit NtkCompletion(NtkCompletionOptions opt = {}) : m_opt(std::move(opt)), m_kernel(1) {
    m_opt.validate();
    m_kernel = NtkKernel<double>(m_opt.depth, m_opt.bias);
  }
  /// The name in tables: the fixed-settings NTK (`NtkCompletionCV` is "ntk").
  std::string name() const { return "ntk-reference"; }
  const NtkCompletionOptions& options() const noexcept { return m_opt; }

  /// Compute the pair features of the prior from `train` (no solve): afterwards
  /// `kernel_matrix` is available.
  NtkCompletion& prepare(const TrainingSet<Scalar>& train) {
    const char* fn = "NtkCompletion::prepare";
    const auto& t = train.tensor();
    const Eigen::Index P = t.num_perturbations(), C = t.num_contexts();
    m_cross = {};
    if (m_opt.prior == NtkPrior::CrossContext) {
      m_cross = detail::CrossContextFeatures(train);
    } else if (m_opt.prior == NtkPrior::OneHot) {
      m_R = Eigen::MatrixXd::Identity(C, C);
      m_E = m_opt.scale * m_opt.scale * Eigen::MatrixXd::Identity(P, P);
      m_N = Eigen::MatrixXd::Ones(P, P);
    } else if (m_opt.prior == NtkPrior::UserFeatures) {
      Eigen::MatrixXd e = m_opt.perturbation_pca > 0
                              ? pca_perturbation_features(train, m_opt.perturbation_pca)
                          : m_opt.perturbation_signatures ? signature_perturbation_features(train)
                                                          : m_opt.perturbation_features;
      if (e.size() > 0 && e.rows() == P) sum_combination_rows(e, combination_parts(t));
      const auto& r = m_opt.context_features;
      if (e.size() > 0 && e.rows() != P)
        detail::throw_invalid(fn, "perturbation features have ", e.rows(), " rows, the tensor ", P,
                              " perturbations");
      if (r.size() > 0 && r.rows() != C)
        detail::throw_invalid(fn, "context features have ", r.rows(), " rows, the tensor ", C,
                              " contexts");
      m_E = e.size() > 0 ? Eigen::MatrixXd(e * e.transpose()) : Eigen::MatrixXd::Identity(P, P);
      m_R = r.size() > 0 ? Eigen::MatrixXd(r * r.transpose()) : Eigen::MatrixXd::Identity(C, C);
      m_N = m_opt.scale * m_opt.scale * Eigen::MatrixXd::Ones(P, P);
    } else {
      Eigen::MatrixXd e(P, t.num_features());
      if (m_opt.prior == NtkPrior::TrainContextAverage) {
        const Eigen::Index ref = m_opt.reference_context.empty()
                                     ? train.reference_context()
                                     : t.contexts().index(m_opt.reference_context, fn);
        if (ref < 0)
          detail::throw_invalid(fn,
                                "the train-context-average prior needs a reference context: none "
                                "in the options and none in the training set");
        e = detail::reference_signatures(train, ref);
        if (e.size() == 0)
          detail::throw_invalid(fn, "the reference context '", t.contexts()[ref],
                                "' has no signatures");
      } else { // TrainAverages: the perturbation's mean over training and reference rows
        const TrainingSet<Scalar> all = train.with_reference();
        const Eigen::RowVectorXd global = all.global_mean().template cast<double>();
        for (Eigen::Index d = 0; d < P; ++d) {
          const auto& rows = all.perturbation_rows(d);
          e.row(d) =
              rows.empty() ? global : Eigen::RowVectorXd(all.mean_of(rows).template cast<double>());
        }
      }
      const Eigen::MatrixXd m = detail::unit_context_means(train);
      m_E.noalias() = e * e.transpose();
      const Eigen::VectorXd en = e.rowwise().norm();
      m_N = m_opt.scale * m_opt.scale * en * en.transpose();
      m_R.noalias() = m * m.transpose();
    }
    m_tensor = &t;
    return *this;
  }

  /// Fit: `prepare(train)`, then solve the kernel regression on the training pairs.
  NtkCompletion& fit(const TrainingSet<Scalar>& train) {
    const char* fn = "NtkCompletion::fit";
    prepare(train);
    m_train = train.pairs();
    m_blocks.clear();
    m_block_solvers.clear();
    bool ok = true;
    if (m_opt.prior == NtkPrior::CrossContext) {
      // Block-diagonal Gram: one factorisation per context.
      for (auto& b : detail::positions_by_context(m_train, train.tensor().num_contexts())) {
        if (b.empty()) continue;
        std::vector<PairIndex> pb;
        for (Eigen::Index i : b) pb.push_back(m_train[std::size_t(i)]);
        Eigen::MatrixXd K = kernel_matrix(pb, pb, true);
        m_block_solvers.emplace_back();
        m_block_solvers.back().compute_in_place(K, m_opt.ridge);
        ok = ok && m_block_solvers.back().info() == ComputationInfo::Success;
        m_blocks.push_back(std::move(b));
      }
    } else {
      Eigen::MatrixXd K = kernel_matrix(m_train, m_train, true);
      m_solver.compute_in_place(K, m_opt.ridge); // K's storage is reused: two n x n at peak
      ok = m_solver.info() == ComputationInfo::Success;
    }
    if (!ok)
      detail::throw_invalid(fn,
                            "the training kernel matrix is not positive definite even with jitter "
                            "(raise the ridge or the identity weight)");
    m_Y = train.signatures().template cast<double>();
    return *this;
  }

  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_tensor || m_train.empty())
      detail::throw_logic("NtkCompletion::predict", "call fit() first");
    detail::check_pairs("NtkCompletion::predict", *m_tensor, pairs);
    const Eigen::MatrixXd Kt = kernel_matrix(pairs, m_train, false);
    // K_t K^{-1} Y in the cheaper order: (K^{-1} K_t^T)^T Y costs n^2 m + n m G for m test
    // pairs, K_t (K^{-1} Y) costs n^2 G + n m G.
    if (Kt.rows() < m_Y.cols())
      return (solve_train(Kt.transpose()).transpose() * m_Y).template cast<Scalar>();
    return (Kt * solve_train(m_Y)).template cast<Scalar>();
  }

  /// The prior variance \f$ k(x, x) \f$ of a pair: the same for every pair, whose features are
  /// unit-normalised (twice the NTK's for the cross-context prior, with its intercept).
  double prior_variance() const {
    const double k1 = m_kernel.from_inner(1.0, 1.0, 1.0);
    return m_opt.prior == NtkPrior::CrossContext ? 2 * k1 : k1;
  }

  /// The kernel posterior variance of each pair,
  /// \f$ k(x, x) - k_x^\top (K + \lambda I)^{-1} k_x \f$ (Rasmussen & Williams 2006, eq. 2.26),
  /// in kernel units: between 0 and `prior_variance()`, smaller the more the pair resembles the
  /// training pairs. A test pair is a new point (its private identity coordinate is its own),
  /// so even a training pair's variance is positive. Multiply by a per-gene noise scale for
  /// expression units; divide by `prior_variance()` for the fraction of variance left.
  Eigen::VectorXd posterior_variance(const std::vector<PairIndex>& pairs) const {
    const char* fn = "NtkCompletion::posterior_variance";
    if (!m_tensor || m_train.empty()) detail::throw_logic(fn, "call fit() first");
    detail::check_pairs(fn, *m_tensor, pairs);
    const Eigen::MatrixXd Kt = kernel_matrix(pairs, m_train, false);
    const Eigen::MatrixXd V = solve_train(Kt.transpose()); // n x m
    const Eigen::VectorXd explained = (Kt.array() * V.transpose().array()).rowwise().sum();
    return (prior_variance() - explained.array()).max(0.0);
  }

  /// The kernel posterior covariance of the given pairs (each a new point, as for
  /// `posterior_variance`, whose values are its diagonal):
  /// \f$ K_{UU} - K_{UT} (K_{TT} + \lambda I)^{-1} K_{TU} \f$, in kernel units.
  Eigen::MatrixXd posterior_covariance(const std::vector<PairIndex>& pairs) const {
    const char* fn = "NtkCompletion::posterior_covariance";
    if (!m_tensor || m_train.empty()) detail::throw_logic(fn, "call fit() first");
    detail::check_pairs(fn, *m_tensor, pairs);
    const Eigen::MatrixXd Kt = kernel_matrix(pairs, m_train, false);
    Eigen::MatrixXd S = kernel_matrix(pairs, pairs, true);
    S.noalias() -= Kt * solve_train(Kt.transpose());
    return 0.5 * (S + S.transpose()); // exactly symmetric
  }
  /// The ridge added to the training Gram's diagonal (what a newly measured pair adds too).
  double ridge() const noexcept { return m_opt.ridge; }

  /// The NTK between pairs `a` and `b` under the prepared prior; `symmetric` (a = b, the training
  /// Gram) adds the private identity coordinate on the diagonal.
  Eigen::MatrixXd kernel_matrix(const std::vector<PairIndex>& a, const std::vector<PairIndex>& b,
                                bool symmetric) const {
    if (!m_tensor) detail::throw_logic("NtkCompletion::kernel_matrix", "call prepare() first");
    return gram(a, b, symmetric);
  }

private:
  // <f_p, f_q> = N_dd' R_cc' + E_dd' (context part scaled per perturbation), plus beta_id^2 when
  // p = q within the training Gram.
  double inner(const PairIndex& p, const PairIndex& q) const {
    return m_N(p.perturbation, q.perturbation) * m_R(p.context, q.context) +
           m_E(p.perturbation, q.perturbation);
  }
  Eigen::MatrixXd gram(const std::vector<PairIndex>& a, const std::vector<PairIndex>& b,
                       bool symmetric) const {
    if (m_opt.prior == NtkPrior::CrossContext) return cross_context_gram(a, b, symmetric);
    const double id2 = m_opt.identity_weight * m_opt.identity_weight;
    auto sq = [&](const PairIndex& p) { return inner(p, p) + id2; };
    Eigen::VectorXd na(static_cast<Eigen::Index>(a.size())),
        nb(static_cast<Eigen::Index>(b.size()));
    for (std::size_t i = 0; i < a.size(); ++i) na[Eigen::Index(i)] = sq(a[i]);
    for (std::size_t j = 0; j < b.size(); ++j) nb[Eigen::Index(j)] = sq(b[j]);
    // The symmetric Gram is computed on its lower triangle and mirrored, so that it is exactly
    // symmetric whatever the rounding of the small Gram matrices.
    Eigen::MatrixXd K(na.size(), nb.size());
#if CIMPUTE_HAS_OPENMP
#pragma omp parallel for schedule(dynamic, 16) if (na.size() * nb.size() > 100000)
#endif
    for (Eigen::Index j = 0; j < nb.size(); ++j)
      for (Eigen::Index i = symmetric ? j : 0; i < na.size(); ++i) {
        const PairIndex& p = a[std::size_t(i)];
        const PairIndex& q = b[std::size_t(j)];
        const bool same = symmetric && i == j;
        const double den = std::sqrt(na[i] * nb[j]);
        const double u = same ? 1.0 : (den > 0 ? inner(p, q) / den : 0.0);
        K(i, j) = m_kernel.from_inner(u, 1.0, 1.0);
      }
    if (symmetric) K.triangularView<Eigen::StrictlyUpper>() = K.transpose();
    return K;
  }

  // The cross-context prior's Gram: zero between contexts, within a context the NTK of the
  // pairs' features [e, beta_id 1_pair] (|e| = 1, or 0 for a perturbation without a signature in
  // another context) computed block by block.
  Eigen::MatrixXd cross_context_gram(const std::vector<PairIndex>& a,
                                     const std::vector<PairIndex>& b, bool symmetric) const {
    const double id2 = m_opt.identity_weight * m_opt.identity_weight;
    const Eigen::MatrixXd fa = m_cross.features(a);
    const Eigen::MatrixXd fb = symmetric ? fa : m_cross.features(b);
    const Eigen::VectorXd na = fa.rowwise().squaredNorm().array() + id2;
    const Eigen::VectorXd nb = fb.rowwise().squaredNorm().array() + id2;
    const auto A = detail::positions_by_context(a, m_tensor->num_contexts());
    const auto B = symmetric ? A : detail::positions_by_context(b, m_tensor->num_contexts());
    Eigen::MatrixXd K = Eigen::MatrixXd::Zero(fa.rows(), fb.rows());
    for (std::size_t c = 0; c < A.size(); ++c) {
      const auto& ia = A[c];
      const auto& ib = B[c];
      if (ia.empty() || ib.empty()) continue;
      const Eigen::MatrixXd U = fa(ia, Eigen::all) * fb(ib, Eigen::all).transpose();
      K(ia, ib) = detail::cross_context_block(m_kernel, U, na(ia), nb(ib), symmetric);
    }
    return K;
  }

  // (K + lambda I)^-1 B for the training Gram K (by context blocks for the cross-context prior).
  Eigen::MatrixXd solve_train(const Eigen::MatrixXd& B) const {
    if (m_blocks.empty()) return m_solver.solve(B);
    Eigen::MatrixXd X(B.rows(), B.cols());
    for (std::size_t k = 0; k < m_blocks.size(); ++k)
      X(m_blocks[k], Eigen::all) = m_block_solvers[k].solve(B(m_blocks[k], Eigen::all));
    return X;
  }

  NtkCompletionOptions m_opt;
  NtkKernel<double> m_kernel;
  detail::CrossContextFeatures m_cross;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
  Eigen::MatrixXd m_E, m_N, m_R, m_Y;
  ExactKernelSolver<double> m_solver;
  std::vector<std::vector<Eigen::Index>> m_blocks; // cross-context: positions per context
  std::vector<ExactKernelSolver<double>> m_block_solvers;
  std::vector<PairIndex> m_train;
};

} // namespace cimpute
