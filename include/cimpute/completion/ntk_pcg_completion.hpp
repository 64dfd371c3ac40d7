/// @file ntk_pcg_completion.hpp
/// @brief `NtkPcgCompletion`: `NtkCompletion`'s kernel regression solved by PCG-Nyström on
/// explicit pair features, for training sets beyond the exact solver (hundreds of thousands of
/// pairs), on one process or with the training pairs split over processes.
#pragma once

#include "cimpute/completion/ntk_completion.hpp"
#include "cimpute/completion/training_set.hpp"
#include "cimpute/core/communicator.hpp"
#include "cimpute/kernels/ntk.hpp"
#include "cimpute/solvers/pcg_nystrom_solver.hpp"

#include <Eigen/Core>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace cimpute {

/// Options of `NtkPcgCompletion`: the prior and kernel of `NtkCompletion` and the solver's.
struct NtkPcgCompletionOptions {
  /// Prior, depth, bias, identity weight, scale and reference context as for `NtkCompletion`.
  /// Its `ridge` is the solver's \f$ \lambda \f$; 0 (the default) takes 1e-6 x the prior
  /// variance k(x, x) (the iterative solvers need \f$ \lambda \f$ > 0).
  NtkCompletionOptions ntk;
  /// Centres, system, tolerance, cache budget, seed. The defaults: the restricted (Falkon) system
  /// on 2,000 centres, exact when there are no more training pairs than centres.
  PcgNystromOptions solver = [] {
    PcgNystromOptions o;
    o.centres = 2000;
    o.system = PcgSystem::Restricted;
    return o;
  }();
  /// On one process, training sets of at most this many pairs are solved exactly by
  /// `NtkCompletion` (the same model and ridge, a dense Cholesky) instead of by PCG, which is then
  /// the slower route to the same answer. 0 (the default here): always PCG; `published` (the
  /// `ntk-pcg` method by name in `make_completion_method`) sets it to the number of centres.
  Eigen::Index exact_at_most = 0;
  void validate() const {
    ntk.validate();
    solver.validate();
    if (exact_at_most < 0)
      detail::throw_invalid("NtkPcgCompletionOptions::validate", "exact_at_most must be >= 0, got ",
                            exact_at_most);
  }
  /// The published settings of `NtkCompletion` (the `ntk-reference` method) with the default
  /// solver: the train-context-average prior on `reference_context`, one-hot without one; small
  /// training sets (no more pairs than centres) take the exact solve.
  static NtkPcgCompletionOptions published(const std::string& reference_context) {
    NtkPcgCompletionOptions o;
    o.exact_at_most = o.solver.centres;
    if (reference_context.empty())
      o.ntk.prior = NtkPrior::OneHot;
    else
      o.ntk.reference_context = reference_context;
    return o;
  }
};

namespace detail {

/// `NtkCompletion`'s kernel on pair features pre-scaled to \f$ x = f / \sqrt{|f|^2 + \beta^2} \f$:
/// the NTK of the unit vector \f$ (f, \beta e_{pair}) / \sqrt{|f|^2 + \beta^2} \f$, whose private
/// coordinate makes a point's value with itself k(1) and with any other point \f$ k(\langle x,
/// y\rangle) \f$. Models the kernel concept with the optional `self_value`.
template <class Scalar_>
struct PrivateCoordinateNtk {
  using Scalar = Scalar_;
  NtkKernel<Scalar> ntk;
  Scalar from_inner(Scalar xy, Scalar, Scalar) const { return ntk.from_inner(xy, 1, 1); }
  Scalar self_value(Scalar) const { return ntk.from_inner(1, 1, 1); }
};

/// The parts of the pair features \f$ f(d, c) = (a_d r_c, e_d) \f$ of `NtkCompletion`'s priors:
/// \f$ \langle f_p, f_q\rangle = a_d a_{d'} \langle r_c, r_{c'}\rangle + \langle e_d,
/// e_{d'}\rangle \f$, the inner products `NtkCompletion` builds from its small Gram matrices.
struct PairFeatureParts {
  Eigen::MatrixXd context;      ///< r: one row per context
  Eigen::MatrixXd perturbation; ///< e: one row per perturbation
  Eigen::VectorXd scale;        ///< a: one entry per perturbation
  double identity_weight = 0;   ///< beta

  /// The scaled features \f$ f / \sqrt{|f|^2 + \beta^2} \f$ of `pairs`, one row each.
  Eigen::MatrixXd features(const std::vector<PairIndex>& pairs) const {
    const Eigen::Index dr = context.cols(), de = perturbation.cols();
    Eigen::MatrixXd X(Eigen::Index(pairs.size()), dr + de);
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const Eigen::Index d = pairs[i].perturbation, c = pairs[i].context;
      auto x = X.row(Eigen::Index(i));
      x.head(dr) = scale[d] * context.row(c);
      x.tail(de) = perturbation.row(d);
      x /= std::sqrt(x.squaredNorm() + identity_weight * identity_weight);
    }
    return X;
  }
};

/// Sums of the signatures of `rows` by perturbation (or context, `by_context`) and their counts,
/// added over the processes of `comm`.
template <class Scalar, class Comm>
void grouped_sums(const TrainingSet<Scalar>& train, const std::vector<Eigen::Index>& rows,
                  bool by_context, const Comm& comm, Eigen::MatrixXd& sums,
                  Eigen::VectorXd& counts) {
  const auto& t = train.tensor();
  sums = Eigen::MatrixXd::Zero(by_context ? t.num_contexts() : t.num_perturbations(),
                               t.num_features());
  counts = Eigen::VectorXd::Zero(sums.rows());
  for (Eigen::Index r : rows) {
    const PairIndex& p = t.observed_pairs()[std::size_t(r)];
    const Eigen::Index g = by_context ? p.context : p.perturbation;
    sums.row(g) += t.observed().row(r).template cast<double>();
    counts[g] += 1;
  }
  comm.sum(sums);
  comm.sum(counts);
}

/// Rows s_g / n_g of grouped sums, the overall mean for groups without rows (all zero without
/// any row).
inline Eigen::MatrixXd group_means(const Eigen::MatrixXd& sums, const Eigen::VectorXd& counts) {
  const double total = counts.sum();
  const Eigen::RowVectorXd mean = total > 0
                                      ? Eigen::RowVectorXd(sums.colwise().sum() / total)
                                      : Eigen::RowVectorXd(Eigen::RowVectorXd::Zero(sums.cols()));
  Eigen::MatrixXd m(sums.rows(), sums.cols());
  for (Eigen::Index g = 0; g < m.rows(); ++g)
    m.row(g) = counts[g] > 0 ? Eigen::RowVectorXd(sums.row(g) / counts[g]) : mean;
  return m;
}

/// The feature parts of `opt.prior` from a training set, as `NtkCompletion::prepare` computes
/// them; with several processes (each with its own training pairs of a tensor with the same
/// labels on every process) the means are over every process's pairs. Collective.
template <class Scalar, class Comm>
PairFeatureParts pair_feature_parts(const TrainingSet<Scalar>& train,
                                    const NtkCompletionOptions& opt, const Comm& comm) {
  const char* fn = "NtkPcgCompletion::fit";
  const auto& t = train.tensor();
  const Eigen::Index P = t.num_perturbations(), C = t.num_contexts();
  PairFeatureParts f;
  f.identity_weight = opt.identity_weight;
  if (opt.prior == NtkPrior::CrossContext)
    detail::throw_invalid(fn, "the cross-context prior has no explicit pair features of this "
                              "form (its kernel is zero between contexts); use NtkCompletion");
  if (opt.prior == NtkPrior::OneHot || opt.prior == NtkPrior::UserFeatures) {
    const bool user = opt.prior == NtkPrior::UserFeatures;
    const Eigen::MatrixXd& e = opt.perturbation_features;
    const Eigen::MatrixXd& r = opt.context_features;
    collectively(comm, [&] {
      if (user && e.size() > 0 && e.rows() != P)
        detail::throw_invalid(fn, "perturbation features have ", e.rows(), " rows, the tensor ", P,
                              " perturbations");
      if (user && r.size() > 0 && r.rows() != C)
        detail::throw_invalid(fn, "context features have ", r.rows(), " rows, the tensor ", C,
                              " contexts");
    });
    // One-hot: <f_p, f_q> = [c = c'] + s^2 [d = d']; user features: s^2 <r_c, r_c'> + <e, e'>.
    f.context = user && r.size() > 0 ? r : Eigen::MatrixXd::Identity(C, C);
    f.perturbation = user && e.size() > 0 ? e : Eigen::MatrixXd::Identity(P, P);
    if (!user) f.perturbation *= opt.scale;
    f.scale = Eigen::VectorXd::Constant(P, user ? opt.scale : 1.0);
    return f;
  }
  Eigen::MatrixXd sums;
  Eigen::VectorXd counts;
  if (opt.prior == NtkPrior::TrainContextAverage) {
    Eigen::Index ref = train.reference_context();
    collectively(comm, [&] {
      if (!opt.reference_context.empty()) ref = t.contexts().index(opt.reference_context, fn);
      if (ref < 0)
        detail::throw_invalid(fn, "the train-context-average prior needs a reference context: "
                                  "none in the options and none in the training set");
    });
    std::vector<Eigen::Index> ref_rows = train.context_rows(ref);
    if (ref == train.reference_context())
      for (Eigen::Index r : train.reference_rows()) ref_rows.push_back(r);
    grouped_sums(train, ref_rows, false, comm, sums, counts);
    collectively(comm, [&] {
      if (counts.sum() == 0)
        detail::throw_invalid(fn, "the reference context '", t.contexts()[ref],
                              "' has no signatures");
    });
  } else { // TrainAverages
    const TrainingSet<Scalar> all = train.with_reference();
    grouped_sums(all, all.rows(), false, comm, sums, counts);
  }
  f.perturbation = group_means(sums, counts);
  grouped_sums(train, train.rows(), true, comm, sums, counts);
  f.context = group_means(sums, counts);
  for (Eigen::Index c = 0; c < C; ++c) {
    const double n = f.context.row(c).norm();
    if (n > 0) f.context.row(c) /= n;
  }
  f.scale = opt.scale * f.perturbation.rowwise().norm();
  return f;
}

} // namespace detail

/// NTK matrix completion (the model of `NtkCompletion`: same priors, kernel and private identity
/// coordinate) solved by `PcgNystromSolver` on explicit pair features \f$ f(d, c) = (a_d r_c,
/// e_d) \f$, with all genes as right-hand sides of one solve. For training sets where the
/// exact solver's n x n factorisation does not fit: memory O(n (d_r + d_e) + n m) on the
/// restricted system. With the full system (or m >= n centres) the predictions are
/// `NtkCompletion`'s with the same ridge, up to the solver's tolerance.
///
/// **Several processes** (`Comm` = `MpiCommunicator`): every process fits on a training set of
/// its own pairs (a tensor with the same perturbation, context and feature labels everywhere,
/// e.g. `read_signatures` with `SignatureReadOptions::shard`); the prior's means are summed over
/// the processes and the solver splits the points as documented there; `predict` is collective
/// and each process gets the predictions of the pairs it passes (any number). The result equals
/// one process's on the union of the pairs up to rounding (~1e-12 relative).
template <class Scalar_ = double, class Comm = SingleProcess>
class NtkPcgCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Kernel = detail::PrivateCoordinateNtk<double>;
  using Solver = PcgNystromSolver<Kernel, Comm>;

  explicit NtkPcgCompletion(NtkPcgCompletionOptions opt = {}, Comm comm = {})
      : m_opt(std::move(opt)), m_comm(std::move(comm)) {
    m_opt.validate();
  }
  std::string name() const { return "ntk-pcg"; }
  const NtkPcgCompletionOptions& options() const noexcept { return m_opt; }

  /// Build the prior's features from `train` and solve; collective. On one process, a training
  /// set of at most `exact_at_most` pairs is solved exactly (`exact()`).
  NtkPcgCompletion& fit(const TrainingSet<Scalar>& train) {
    m_parts = detail::pair_feature_parts(train, m_opt.ntk, m_comm);
    const Kernel k{NtkKernel<double>(m_opt.ntk.depth, m_opt.ntk.bias)};
    const double ridge = m_opt.ntk.ridge > 0 ? m_opt.ntk.ridge : 1e-6 * k.self_value(1.0);
    m_tensor = &train.tensor();
    m_solver.reset();
    m_exact.reset();
    if (m_comm.size() == 1 && train.size() <= m_opt.exact_at_most) {
      NtkCompletionOptions o = m_opt.ntk;
      o.ridge = ridge;
      m_exact.emplace(o);
      m_exact->fit(train);
      return *this;
    }
    m_solver.emplace(k, m_opt.solver, m_comm);
    m_solver->compute(m_parts.features(train.pairs()), ridge);
    m_solver->solve(train.signatures().template cast<double>());
    return *this;
  }

  /// True when the last fit took the exact solve (`NtkPcgCompletionOptions::exact_at_most`).
  bool exact() const noexcept { return m_exact.has_value(); }

  /// Predictions of `pairs` (collective with several processes: each passes its own pairs).
  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_solver && !m_exact) detail::throw_logic("NtkPcgCompletion::predict", "call fit() first");
    detail::check_pairs("NtkPcgCompletion::predict", *m_tensor, pairs);
    if (m_exact) return m_exact->predict(pairs);
    return m_solver->predict(m_parts.features(pairs)).template cast<Scalar>();
  }

  /// The solver of the last fit (iterations, residual, centres); call fit() first (with PCG:
  /// not after an exact fit).
  const Solver& solver() const {
    if (m_exact)
      detail::throw_logic("NtkPcgCompletion::solver", "the last fit was exact (", m_exact->name(),
                          "'s dense solve): no PCG solver");
    if (!m_solver) detail::throw_logic("NtkPcgCompletion::solver", "call fit() first");
    return *m_solver;
  }

private:
  NtkPcgCompletionOptions m_opt;
  Comm m_comm;
  detail::PairFeatureParts m_parts;
  std::optional<Solver> m_solver;
  std::optional<NtkCompletion<Scalar>> m_exact;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
};

} // namespace cimpute
