/// @file ntk_cv.hpp
/// @brief `NtkCvCompletion` (formerly `NtkCompletionCV`): NTK completion whose prior and
/// hyper-parameters are chosen by closed-form leave-one-out on the training pairs only.
#pragma once

#include "cimpute/completion/ntk_completion.hpp"
#include "cimpute/completion/ntk_grid.hpp"
#include "cimpute/core/parallel.hpp"
#include "cimpute/core/progress.hpp"
#include "cimpute/stats/metrics.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace cimpute {

/// What inner cross-validation maximises.
enum class SelectionCriterion {
  Pearson, ///< pooled Pearson r
  R2,      ///< mean per-signature R^2
  Cosine,  ///< mean per-signature cosine
  Mean     ///< the mean of the three
};

/// The value of `scores` that `criterion` maximises.
inline double selection_value(SelectionCriterion criterion, const CompletionScores& s) {
  switch (criterion) {
  case SelectionCriterion::Pearson:
    return s.pearson;
  case SelectionCriterion::R2:
    return s.r2;
  case SelectionCriterion::Cosine:
    return s.cosine;
  default:
    return (s.pearson + s.r2 + s.cosine) / 3;
  }
}

/// How `NtkCvCompletion` holds training pairs out to score a point of its search.
enum class InnerProtocol {
  /// Closed-form leave-one-pair-out (cheap; for completing contexts that have training pairs).
  LeaveOnePairOut,
  /// Leave-one-context-out: refit without each training context in turn and predict it whole
  /// (for predicting contexts that have no training pair at all).
  LeaveOneContextOut,
  /// Folds of perturbations, each held out of every context (for predicting perturbations that
  /// have no training pair at all): the closed form of kernel regression without a group,
  /// \f$ \hat Y_S = Y_S - [(K + \lambda I)^{-1}]_{SS}^{-1} [(K + \lambda I)^{-1} Y]_S \f$.
  LeavePerturbationsOut
};

namespace detail {
/// The completion scores (pooled Pearson, mean R^2, mean cosine; `completion_scores`) of
/// predictions known only through inner products: per signature y its |y|^2, sum(y) and
/// |y - mean(y)|^2, and of its prediction p the <p, y>, |p|^2, sum(p) and |y - p|^2.
class GramScores {
public:
  explicit GramScores(double features) : m_features(features) {}
  void add(double yy, double y_sum, double y_centred, double py, double pp, double p_sum,
           double residual) {
    m_p += p_sum;
    m_pp += pp;
    m_py += py;
    m_y += y_sum;
    m_yy += yy;
    m_r2 += 1.0 - residual / y_centred;
    const double den = std::sqrt(yy) * std::sqrt(std::max(pp, 0.0));
    m_cosine += den > 0 ? py / den : 0.0;
    ++m_n;
  }
  /// Adds the signatures scored by `o`.
  void merge(const GramScores& o) {
    m_p += o.m_p;
    m_pp += o.m_pp;
    m_py += o.m_py;
    m_y += o.m_y;
    m_yy += o.m_yy;
    m_r2 += o.m_r2;
    m_cosine += o.m_cosine;
    m_n += o.m_n;
  }
  /// Adds signature j of `g` (below) with its leave-one-out residual rho = alpha / h known
  /// through a = <alpha, y_j>, b = |alpha|^2 and c = sum(alpha).
  template <class Gram>
  void add_residual(const Gram& g, Eigen::Index j, double a, double b, double c, double h) {
    const double yy = g.squared_norms[j];
    add(yy, g.row_sums[j], g.centred[j], yy - a / h, yy - 2 * a / h + b / (h * h),
        g.row_sums[j] - c / h, b / (h * h));
  }
  /// Adds signature j of `g` predicted as exactly zero.
  template <class Gram>
  void add_zero(const Gram& g, Eigen::Index j) {
    const double yy = g.squared_norms[j];
    add(yy, g.row_sums[j], g.centred[j], 0.0, 0.0, 0.0, yy);
  }
  CompletionScores scores() const {
    const double N = double(m_n) * m_features;
    const double cov = m_py - m_p * m_y / N;
    const double den =
        std::sqrt(std::max(m_pp - m_p * m_p / N, 0.0) * std::max(m_yy - m_y * m_y / N, 0.0));
    CompletionScores out;
    out.pearson = den > 0 ? cov / den : 0.0;
    out.r2 = m_r2 / double(m_n);
    out.cosine = m_cosine / double(m_n);
    return out;
  }

private:
  double m_features;
  double m_p = 0, m_pp = 0, m_py = 0, m_y = 0, m_yy = 0, m_r2 = 0, m_cosine = 0;
  long m_n = 0;
};

/// Closed-form leave-one-out predictions of kernel ridge regression with a block-diagonal Gram
/// `K` (the blocks: positions, covering every row): y_i - alpha_i / H_ii per block, with
/// H = (K_bb + ridge I)^-1. Empty when a block's Cholesky factorisation fails.
inline std::optional<Eigen::MatrixXd>
blockwise_loo_predictions(const Eigen::MatrixXd& K, const Eigen::MatrixXd& Y,
                          const std::vector<std::vector<Eigen::Index>>& blocks, double ridge) {
  Eigen::MatrixXd pred(Y.rows(), Y.cols());
  for (const auto& b : blocks) {
    Eigen::MatrixXd A = K(b, b);
    A.diagonal().array() += ridge;
    const Eigen::LLT<Eigen::MatrixXd> llt(A);
    if (llt.info() != Eigen::Success) return std::nullopt;
    const Eigen::MatrixXd H = llt.solve(Eigen::MatrixXd::Identity(A.rows(), A.cols()));
    const Eigen::MatrixXd Yb = Y(b, Eigen::all);
    pred(b, Eigen::all) = Yb - H.diagonal().cwiseInverse().asDiagonal() * (H * Yb);
  }
  return pred;
}

/// The training signatures of `NtkCvCompletion::leave_one_pair_out_predictions` as Gram
/// quantities, with the pairs grouped by context.
struct LooGram {
  template <class Scalar>
  explicit LooGram(const TrainingSet<Scalar>& all) : n(all.size()) {
    Y = all.signatures().template cast<double>();
    features = double(Y.cols());
    YYt.noalias() = Y * Y.transpose();
    row_sums = Y.rowwise().sum();
    squared_norms = YYt.diagonal();
    centred = squared_norms.array() - row_sums.array().square() / features;
    const auto& t = all.tensor();
    std::vector<std::vector<Eigen::Index>> by(std::size_t(t.num_contexts()));
    for (Eigen::Index i = 0; i < n; ++i)
      by[std::size_t(t.observed_pairs()[std::size_t(all.rows()[std::size_t(i)])].context)]
          .push_back(i);
    for (auto& c : by)
      if (!c.empty()) contexts.push_back(std::move(c));
  }
  /// Positions not in `S` (ascending).
  std::vector<Eigen::Index> complement(const std::vector<Eigen::Index>& S) const {
    std::vector<char> in(std::size_t(n), 0);
    for (Eigen::Index j : S) in[std::size_t(j)] = 1;
    std::vector<Eigen::Index> out;
    for (Eigen::Index j = 0; j < n; ++j)
      if (!in[std::size_t(j)]) out.push_back(j);
    return out;
  }
  /// The training set without position i.
  template <class Scalar>
  TrainingSet<Scalar> without(const TrainingSet<Scalar>& all, Eigen::Index i) const {
    std::vector<Eigen::Index> rows;
    rows.reserve(std::size_t(n - 1));
    for (Eigen::Index j = 0; j < n; ++j)
      if (j != i) rows.push_back(all.rows()[std::size_t(j)]);
    return all.subset(std::move(rows));
  }

  /// For H = (K + lambda I)^-1 over the signatures at `at` (every one when empty): PY = H Y
  /// Y^T (<alpha_i, y_j>), Q (<alpha_i, alpha_j>) and v (the sums of the alpha_i), through
  /// alpha = H Y when there are fewer genes than signatures and through Y Y^T otherwise.
  void alpha_products(const Eigen::MatrixXd& H, const std::vector<Eigen::Index>& at,
                      Eigen::MatrixXd& PY, Eigen::MatrixXd& Q, Eigen::VectorXd& v) const {
    const Eigen::MatrixXd Ya = at.empty() ? Y : Eigen::MatrixXd(Y(at, Eigen::all));
    if (Ya.cols() < Ya.rows()) {
      const Eigen::MatrixXd alpha = H * Ya;
      PY.noalias() = alpha * Ya.transpose();
      Q.noalias() = alpha * alpha.transpose();
      v = alpha.rowwise().sum();
    } else {
      PY.noalias() = H * (at.empty() ? YYt : Eigen::MatrixXd(YYt(at, at)));
      Q.noalias() = PY * H;
      v.noalias() = H * Ya.rowwise().sum();
    }
  }

  Eigen::Index n = 0;
  double features = 0;
  Eigen::MatrixXd Y;                                ///< the signatures
  Eigen::MatrixXd YYt;                              ///< Y Y^T
  Eigen::VectorXd row_sums, squared_norms, centred; ///< per signature: sum, |y|^2, |y - mean|^2
  std::vector<std::vector<Eigen::Index>> contexts;  ///< positions of each context's pairs
};

/// Adds to `acc` the leave-one-out residuals of the pairs of one factorised Gram (H its inverse,
/// PY, Q, v as `LooGram::alpha_products` gives them; local j is signature at[j] of `g`, or j
/// when `at` is empty) once local pair i is removed: the rank-one downdate
/// H - H_.i H_i. / H_ii, so alpha_j loses t_j alpha_i and H_jj loses t_j H_ji, t_j = H_ji / H_ii.
inline void add_downdated_residuals(GramScores& acc, const LooGram& g, const Eigen::MatrixXd& H,
                                    const Eigen::MatrixXd& PY, const Eigen::MatrixXd& Q,
                                    const Eigen::VectorXd& v, const std::vector<Eigen::Index>& at,
                                    Eigen::Index i) {
  const double hii = H(i, i);
  for (Eigen::Index j = 0; j < H.rows(); ++j) {
    if (j == i) continue;
    const double t = H(j, i) / hii;
    acc.add_residual(g, at.empty() ? j : at[std::size_t(j)], PY(j, j) - t * PY(i, j),
                     Q(j, j) - 2 * t * Q(i, j) + t * t * Q(i, i), v[j] - t * v[i],
                     H(j, j) - t * H(j, i));
  }
}

/// One context S of `LooGram` under one (kernel, ridge): the inverse of the Gram of the pairs T
/// outside S and the inner products of its alpha_0 = (K_TT + lambda I)^-1 Y_T, from the full
/// inverse H by leaving the block S out.
struct LooContextBlock {
  Eigen::MatrixXd Ainv; ///< (K_TT + lambda I)^-1
  Eigen::MatrixXd P0;   ///< <alpha0_t, y_j> for every position j
  Eigen::MatrixXd Q0;   ///< <alpha0_t, alpha0_u>
  Eigen::VectorXd v0;   ///< sum of alpha0_t

  bool compute(const Eigen::MatrixXd& H, const Eigen::MatrixXd& PY, const Eigen::MatrixXd& Q,
               const Eigen::VectorXd& v, const std::vector<Eigen::Index>& S,
               const std::vector<Eigen::Index>& T) {
    const Eigen::LLT<Eigen::MatrixXd> hs(H(S, S));
    if (hs.info() != Eigen::Success) return false;
    const Eigen::MatrixXd V = hs.solve(H(S, T)).transpose(); // H_TS H_SS^-1
    Ainv = H(T, T);
    Ainv.noalias() -= V * H(S, T);
    P0 = PY(T, Eigen::all);
    P0.noalias() -= V * PY(S, Eigen::all);
    Eigen::MatrixXd X = Q(T, S);
    X.noalias() -= V * Q(S, S);
    Q0 = Q(T, T);
    Q0.noalias() -= V * Q(S, T);
    Q0.noalias() -= X * V.transpose();
    v0 = v(T);
    v0.noalias() -= V * v(S);
    return true;
  }

  /// The inner leave-one-out scores of the fold whose training pairs are T and Si (the rest of
  /// the context), given the fold's kernel B = K(T, Si) and C = K(Si, Si) + lambda I.
  std::optional<CompletionScores> fold_scores(const LooGram& g, const Eigen::MatrixXd& B,
                                              const Eigen::MatrixXd& C,
                                              const std::vector<Eigen::Index>& Si,
                                              const std::vector<Eigen::Index>& T) const {
    using Eigen::MatrixXd;
    const Eigen::Index nt = Eigen::Index(T.size()), s = Eigen::Index(Si.size());
    // The fold's alpha is [alpha0 - W Delta; Delta] with W = Ainv B, Z = C - B^T W and
    // Delta = Z^-1 R, R = Y_S - B^T alpha0; its inverse diagonal is [diag(Ainv) + diag(W Z^-1
    // W^T); diag(Z^-1)]. Only Gram quantities of R are formed.
    MatrixXd W(nt, s), Zi(s, s), DYt(s, nt), Da0(s, nt), DD(s, s), DYs(s, s);
    Eigen::VectorXd D1(s);
    if (s > 0) {
      W.noalias() = Ainv * B;
      MatrixXd Z = C;
      Z.noalias() -= B.transpose() * W;
      const Eigen::LLT<MatrixXd> zl(Z);
      if (zl.info() != Eigen::Success) return std::nullopt;
      Zi = zl.solve(MatrixXd::Identity(s, s));
      const MatrixXd BtP0 = B.transpose() * P0;
      const MatrixXd BtQ0 = B.transpose() * Q0;
      MatrixXd RYt = g.YYt(Si, T) - BtP0(Eigen::all, T);
      const MatrixXd BtP0s = BtP0(Eigen::all, Si);
      MatrixXd RYs = g.YYt(Si, Si) - BtP0s;
      MatrixXd Ra0 = P0(Eigen::all, Si).transpose() - BtQ0;
      MatrixXd RR = g.YYt(Si, Si) - BtP0s - BtP0s.transpose();
      RR.noalias() += BtQ0 * B;
      Eigen::VectorXd R1 = g.row_sums(Si);
      R1.noalias() -= B.transpose() * v0;
      DYt.noalias() = Zi * RYt;
      Da0.noalias() = Zi * Ra0;
      const MatrixXd ZRR = Zi * RR;
      DD.noalias() = ZRR * Zi;
      DYs.noalias() = Zi * RYs;
      D1.noalias() = Zi * R1;
    }
    const MatrixXd WZi = W * Zi, WDD = W * DD;
    // The three scores of y_j - alpha_j / h_j from a = <alpha_j, y_j>, b = |alpha_j|^2,
    // c = sum(alpha_j) and h = [H_fold]_jj.
    GramScores acc(g.features);
    auto add = [&](Eigen::Index j, double a, double b, double c, double h) {
      acc.add_residual(g, j, a, b, c, h);
    };
    for (Eigen::Index t = 0; t < nt; ++t) {
      const auto w = W.row(t);
      const double a = P0(t, T[std::size_t(t)]) - (s > 0 ? w.dot(DYt.col(t).transpose()) : 0.0);
      const double b =
          Q0(t, t) - (s > 0 ? 2 * w.dot(Da0.col(t).transpose()) - WDD.row(t).dot(w) : 0.0);
      const double c = v0[t] - (s > 0 ? w.dot(D1.transpose()) : 0.0);
      const double h = Ainv(t, t) + (s > 0 ? WZi.row(t).dot(w) : 0.0);
      add(T[std::size_t(t)], a, b, c, h);
    }
    for (Eigen::Index r = 0; r < s; ++r)
      add(Si[std::size_t(r)], DYs(r, r), DD(r, r), D1[r], Zi(r, r));
    return acc.scores();
  }
};

/// The inner leave-one-out criteria of cross-context kernels for every fold i of outer
/// leave-one-pair-out (n x (kernels x ridges), column k * R + r) without refactorising per
/// fold. The features of all n pairs are computed once; fold i removes pair i from its context's
/// block (a rank-one downdate of the block's inverse) and from the features of its
/// perturbation's pairs in the other contexts (one kernel row and column of each such block
/// changes: a rank-two Woodbury update of its inverse). The contexts' means and scales still
/// count pair i (a 1/m share of its context's statistics): the criterion is the inner
/// leave-one-out of the features computed from all pairs with pair i's signature left out of
/// every feature (`CrossContextFeatures::feature_without`), O(n^2) per kernel and ridge after
/// one factorisation of each block. Empty when a factorisation fails.
template <class Scalar>
std::optional<Eigen::MatrixXd>
updated_cross_context_criteria(const TrainingSet<Scalar>& all, const LooGram& g,
                               const std::vector<NtkCompletionOptions>& kernels,
                               const std::vector<double>& ridges, SelectionCriterion criterion) {
  using Eigen::Index;
  using Eigen::MatrixXd;
  using Eigen::VectorXd;
  const auto pairs = all.pairs();
  const Index n = g.n, C = all.tensor().num_contexts();
  const std::size_t R = ridges.size();
  const CrossContextFeatures feat(all);
  const MatrixXd F = feat.features(pairs);
  std::vector<Index> position(std::size_t(all.tensor().num_perturbations() * C), -1);
  for (std::size_t i = 0; i < pairs.size(); ++i)
    position[std::size_t(pairs[i].perturbation * C + pairs[i].context)] = Index(i);
  struct Block {
    std::vector<Index> at;          // positions of the context's pairs
    MatrixXd U;                     // their features' inner products
    VectorXd sq;                    // and squared norms
    std::vector<Index> fold, local; // folds changing one pair's features, and that pair
    MatrixXd Unew;                  // the changed features' inner products with the block's
    VectorXd sqnew;                 // and their squared norms
    MatrixXd K, D;                  // the block's kernel, and per fold the change of a column
    std::vector<char> hit;          // folds that change the block
  };
  std::vector<Block> blocks;
  for (auto& at : positions_by_context(pairs, C)) {
    if (at.empty()) continue;
    Block b;
    b.at = std::move(at);
    const MatrixXd Fb = F(b.at, Eigen::all);
    b.U.noalias() = Fb * Fb.transpose();
    b.sq = Fb.rowwise().squaredNorm();
    b.hit.assign(std::size_t(n), 0);
    for (Index a = 0; a < Index(b.at.size()); ++a) {
      const PairIndex& p = pairs[std::size_t(b.at[std::size_t(a)])];
      b.hit[std::size_t(b.at[std::size_t(a)])] = 1;
      for (Index c = 0; c < C; ++c) {
        const Index i = c == p.context ? -1 : position[std::size_t(p.perturbation * C + c)];
        if (i < 0) continue;
        b.fold.push_back(i);
        b.local.push_back(a);
        b.hit[std::size_t(i)] = 1;
      }
    }
    MatrixXd Fnew(Index(b.fold.size()), F.cols());
    for (std::size_t q = 0; q < b.fold.size(); ++q)
      Fnew.row(Index(q)) = feat.feature_without(pairs[std::size_t(b.at[std::size_t(b.local[q])])],
                                                pairs[std::size_t(b.fold[q])]);
    b.Unew.noalias() = Fb * Fnew.transpose();
    b.sqnew = Fnew.rowwise().squaredNorm();
    blocks.push_back(std::move(b));
  }
  MatrixXd out(n, Index(kernels.size() * R));
  for (std::size_t k = 0; k < kernels.size(); ++k) {
    const NtkKernel<double> kernel(kernels[k].depth, kernels[k].bias);
    const double id2 = kernels[k].identity_weight * kernels[k].identity_weight;
    for (Block& b : blocks) {
      const VectorXd na = b.sq.array() + id2;
      b.K = cross_context_block(kernel, b.U, na, na, true);
      b.D = cross_context_block(kernel, b.Unew, na, VectorXd(b.sqnew.array() + id2), false);
      for (std::size_t q = 0; q < b.fold.size(); ++q) {
        b.D.col(Index(q)) -= b.K.col(b.local[q]);
        b.D(b.local[q], Index(q)) = 0.0; // the diagonal (u = 1) never changes
      }
    }
    for (std::size_t r = 0; r < R; ++r) {
      std::vector<GramScores> acc(std::size_t(n), GramScores(g.features));
      for (const Block& b : blocks) {
        const Index m = Index(b.at.size());
        GramScores base(g.features);
        if (m == 1) { // alone in its context: predicted as exactly zero, or absent in its fold
          base.add_zero(g, b.at[0]);
          for (Index i = 0; i < n; ++i)
            if (i != b.at[0]) acc[std::size_t(i)].merge(base);
          continue;
        }
        MatrixXd A = b.K;
        A.diagonal().array() += ridges[r];
        const Eigen::LLT<MatrixXd> llt(A);
        if (llt.info() != Eigen::Success) return std::nullopt;
        const MatrixXd H = llt.solve(MatrixXd::Identity(m, m));
        MatrixXd PY, Q;
        VectorXd v;
        g.alpha_products(H, b.at, PY, Q, v);
        for (Index j = 0; j < m; ++j)
          base.add_residual(g, b.at[std::size_t(j)], PY(j, j), Q(j, j), v[j], H(j, j));
        for (Index i = 0; i < n; ++i)
          if (!b.hit[std::size_t(i)]) acc[std::size_t(i)].merge(base);
        // The block's own folds: rank-one downdates.
        parallel_for(long(m), [&](long li) {
          GramScores& a = acc[std::size_t(b.at[std::size_t(li)])];
          if (m == 2) // the other pair is left alone in its context
            a.add_zero(g, b.at[std::size_t(1 - li)]);
          else
            add_downdated_residuals(a, g, H, PY, Q, v, b.at, li);
        });
        // Folds changing pair a's features: K + e_a d^T + d e_a^T, so with U = [e_a, d] the
        // inverse is H - Z M Z^T, Z = H U, M = (S + U^T H U)^-1, S = [0 1; 1 0].
        if (b.fold.empty()) continue;
        const MatrixXd HD = H * b.D, PYtD = PY.transpose() * b.D, QD = Q * b.D;
        std::vector<char> failed(b.fold.size(), 0);
        parallel_for(long(b.fold.size()), [&](long q) {
          const Index a = b.local[std::size_t(q)];
          const double dHd = b.D.col(q).dot(HD.col(q)), dQd = b.D.col(q).dot(QD.col(q));
          Eigen::Matrix2d S;
          S << H(a, a), 1.0 + HD(a, q), 1.0 + HD(a, q), dHd;
          const double det = S.determinant();
          if (!(std::abs(det) > 0) || !std::isfinite(det)) {
            failed[std::size_t(q)] = 1;
            return;
          }
          const Eigen::Matrix2d M = S.inverse();
          Eigen::Matrix2d G;
          G << Q(a, a), QD(a, q), QD(a, q), dQd;
          const Eigen::Vector2d vd(v[a], b.D.col(q).dot(v));
          GramScores& s = acc[std::size_t(b.fold[std::size_t(q)])];
          for (Index j = 0; j < m; ++j) {
            const Eigen::RowVector2d z(H(j, a), HD(j, q));
            const Eigen::RowVector2d w = z * M;
            s.add_residual(
                g, b.at[std::size_t(j)], PY(j, j) - w.dot(Eigen::RowVector2d(PY(a, j), PYtD(j, q))),
                Q(j, j) - 2 * w.dot(Eigen::RowVector2d(Q(a, j), QD(j, q))) + (w * G).dot(w),
                v[j] - w.dot(vd.transpose()), H(j, j) - w.dot(z));
          }
        });
        if (std::find(failed.begin(), failed.end(), 1) != failed.end()) return std::nullopt;
      }
      for (Index i = 0; i < n; ++i)
        out(i, Index(k * R + r)) = selection_value(criterion, acc[std::size_t(i)].scores());
    }
  }
  return out;
}
} // namespace detail

/// The search space and rules of `NtkCvCompletion`: the hyper-parameter grid (`NtkGrid`: depths
/// {1, 2, 5}, identity weights {0.5, 1.5}, scales {0.75, 1.5, 3}, ridges {0, 0.1} by default),
/// the priors tried, the inner protocol and its bounds.
struct NtkSearchOptions : NtkGrid {
  /// The default search: the grid above, every prior, closed-form leave-one-pair-out.
  NtkSearchOptions() : NtkGrid{{1, 2, 5}, {0.5, 1.5}, {0.75, 1.5, 3.0}, {0.0, 0.1}} {}

  /// Priors tried; TrainContextAverage only when the training set has a reference context,
  /// UserFeatures only when the base options hold perturbation or context features.
  /// CrossContext is tried with inner leave-one-pair-out only (it cannot predict a context
  /// without training pairs), and with one scale (it has no context part to scale).
  /// TrainAverages is not in the default list: the held-out pair enters its perturbation's
  /// training mean, which makes the closed-form leave-one-out of that prior optimistic (by about
  /// 0.01 Pearson on the L1000 subset) and biases the choice towards it. With inner folds of
  /// perturbations (`InnerProtocol::LeavePerturbationsOut`) only OneHot and UserFeatures are
  /// tried: the others describe a perturbation by its own signatures.
  std::vector<NtkPrior> priors{NtkPrior::OneHot, NtkPrior::TrainContextAverage,
                               NtkPrior::UserFeatures, NtkPrior::CrossContext};
  InnerProtocol inner = InnerProtocol::LeaveOnePairOut;
  SelectionCriterion criterion = SelectionCriterion::Mean;
  /// Inner leave-one-out on a random subset of at most this many training pairs (the
  /// features still come from all of them); bounds the cost on large screens.
  Eigen::Index max_pairs = 1000;
  /// Inner leave-one-context-out holds out at most this many training contexts (a seeded random
  /// subset); each costs one refit per point of the grid.
  Eigen::Index max_contexts = 30;
  /// The closed-form outer leave-one-pair-out (`NtkCvCompletion::leave_one_pair_out_predictions`)
  /// recomputes the cross-context features without each held-out pair up to this many pairs
  /// (exact inner scores, every context block refactorised per pair). Beyond, it updates the
  /// features of all pairs (`detail::updated_cross_context_criteria`: O(n^2) per kernel after
  /// one factorisation per block), whose contexts' means and scales keep the held-out pair:
  /// a 1/m share of its context's statistics enters the choice, never the prediction.
  Eigen::Index exact_cross_context_pairs = 600;
  unsigned seed = 0;
  /// Told of every kernel setting scored by a search (`fit`), as (done, total): from the thread
  /// calling `fit` or its worker threads, one call at a time. Empty: nothing is reported.
  ProgressCallback progress;
  /// Throws `invalid_argument` naming the bad value (see `NtkGrid::validate` for the grid).
  void validate() const {
    const char* fn = "NtkSearchOptions::validate";
    if (priors.empty())
      detail::throw_invalid(fn, "priors is empty (every list of the search space needs a value)");
    NtkGrid::validate(fn);
    if (max_pairs < 2) detail::throw_invalid(fn, "max_pairs must be >= 2, got ", max_pairs);
    if (max_contexts < 2)
      detail::throw_invalid(fn, "max_contexts must be >= 2, got ", max_contexts);
  }
};

/// One evaluated point of the search.
struct NtkSearchPoint {
  NtkCompletionOptions options;
  CompletionScores scores; ///< of the closed-form leave-one-out predictions
  double criterion = 0;
};

/// NTK completion with its prior and hyper-parameters (depth, identity weight, prior scale,
/// ridge) chosen by inner cross-validation on the training pairs only: for every point of the
/// grid, the closed-form leave-one-out predictions of kernel ridge regression,
/// \f$ \hat y_{-i} = y_i - \alpha_i / [(K + \lambda I)^{-1}]_{ii} \f$ (Rasmussen & Williams 2006,
/// sec. 5.4.2), are scored with the completion metrics, and the best point is refitted on the
/// whole training set. Test pairs are never seen. The features of the train-context-average
/// prior (context means) are computed once from all training pairs, so the held-out pair's own
/// signature enters its context's mean: a mild optimism of the inner estimate that affects
/// only the choice, never the reported evaluation. With `InnerProtocol::LeaveOneContextOut`
/// each point is instead scored by refitting without each training context (features
/// recomputed without it) and predicting that context whole: the criterion for contexts with no
/// training pair, where leave-one-pair-out would favour priors that need the context's own data.
template <class Scalar_ = double>
class NtkCvCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  explicit NtkCvCompletion(NtkSearchOptions search = {}, NtkCompletionOptions base = {})
      : m_search(std::move(search)), m_base(std::move(base)), m_model(m_base) {
    m_search.validate();
  }
  std::string name() const { return "ntk"; }

  NtkCvCompletion& fit(const TrainingSet<Scalar>& train) {
    m_points.clear();
    if (m_search.inner == InnerProtocol::LeaveOneContextOut)
      search_leave_one_context_out(train);
    else if (m_search.inner == InnerProtocol::LeavePerturbationsOut)
      search_leave_perturbations_out(train);
    else
      search_leave_one_pair_out(train);
    if (m_points.empty())
      detail::throw_invalid("NtkCvCompletion::fit",
                            "no point of the search space could be fitted (add a ridge; train "
                            "on at least two contexts for leave-one-context-out, on at least two "
                            "perturbations and with the one-hot or user-features prior for "
                            "folds of perturbations)");
    m_model = NtkCompletion<Scalar>(m_points[m_best].options);
    m_model.fit(train);
    return *this;
  }

  Matrix predict(const std::vector<PairIndex>& pairs) const { return m_model.predict(pairs); }

  /// The options chosen by the last fit.
  const NtkCompletionOptions& selected() const {
    if (m_points.empty()) detail::throw_logic("NtkCvCompletion::selected", "call fit() first");
    return m_points[m_best].options;
  }
  /// Every evaluated point of the last fit, in search order.
  const std::vector<NtkSearchPoint>& search_points() const noexcept { return m_points; }
  /// The refitted model.
  const NtkCompletion<Scalar>& model() const noexcept { return m_model; }

  /// The predictions of an outer leave-one-pair-out without refitting the search per held-out
  /// pair: row i is what `fit(all without row i)` followed by `predict` gives for pair i, the
  /// whole inner search included (row order of `all.rows()`). `leave_one_pair_out` uses it.
  ///
  /// For every kernel setting and ridge, one inverse \f$ H = (K + \lambda I)^{-1} \f$ of the
  /// Gram of all n pairs serves every fold. Under the one-hot and user-feature priors, whose
  /// features do not depend on the training set, fold i's Gram is K without row and column i:
  /// its inverse is the rank-one downdate \f$ H - H_{\cdot i} H_{i \cdot} / H_{ii} \f$, O(n)
  /// per fold. The train-context-average prior changes the features of i's context c only
  /// (its mean signature), so the fold's Gram keeps the block of the pairs T outside c:
  /// \f$ (K_{TT} + \lambda I)^{-1} = H_{TT} - H_{TS} H_{SS}^{-1} H_{ST} \f$ (once per
  /// context), and the fold's pairs of c enter by a Schur complement of their size. The inner
  /// leave-one-out scores (pooled Pearson, mean R^2, mean cosine of \f$ y_j - \alpha_j / H_{jj}
  /// \f$) need only the inner products of the \f$\alpha_j\f$ with each other and with the
  /// signatures, which follow from \f$ H Y \f$ (or \f$ H Y Y^T \f$) without touching the
  /// feature axis again. The cross-context prior is scored fold by fold up to
  /// `NtkSearchOptions::exact_cross_context_pairs` pairs, by low-rank updates beyond
  /// (`detail::updated_cross_context_criteria`). The chosen setting's prediction is then the
  /// refit's: in closed form (the leave-one-out prediction of all n pairs) under every prior but
  /// the train-context-average one, by a refit per fold under that one. Equal to the refits up
  /// to rounding (tested) where the cross-context criteria are exact.
  ///
  /// Returns `std::nullopt` where this does not apply (inner leave-one-context-out, the
  /// train-averages prior, more than `max_pairs` + 1 pairs, fewer than 3, a context holding every
  /// pair, or a Gram that plain Cholesky cannot factorise): the caller then refits.
  std::optional<Matrix> leave_one_pair_out_predictions(const TrainingSet<Scalar>& all) const {
    if (m_search.inner != InnerProtocol::LeaveOnePairOut || all.size() < 3 ||
        all.size() - 1 > m_search.max_pairs)
      return std::nullopt;
    for (NtkPrior p : m_search.priors)
      if (p == NtkPrior::TrainAverages) return std::nullopt;
    if (m_base.perturbation_pca > 0 || m_base.perturbation_signatures)
      return std::nullopt; // features change with every fold
    std::vector<NtkCompletionOptions> kernels;
    for_each_kernel(all, [&](const NtkCompletionOptions& o) { kernels.push_back(o); });
    if (kernels.empty()) return std::nullopt;
    detail::LooGram g(all);
    if (g.contexts.size() < 2) return std::nullopt;
    const std::size_t R = m_search.ridges.size(), P = kernels.size() * R;
    // criteria[i * P + point]: the inner score of each point of the search for fold i.
    std::vector<double> criteria(std::size_t(g.n) * P, 0.0);
    std::vector<char> failed(kernels.size(), 0);
    std::vector<std::size_t> cross;
    for (std::size_t k = 0; k < kernels.size(); ++k)
      if (kernels[k].prior == NtkPrior::CrossContext) cross.push_back(k);
    detail::parallel_for(long(kernels.size()), [&](long k) {
      if (kernels[std::size_t(k)].prior != NtkPrior::CrossContext)
        failed[std::size_t(k)] =
            !score_kernel(all, g, kernels[std::size_t(k)], std::size_t(k) * R, P, criteria);
    });
    if (!cross.empty() && g.n > m_search.exact_cross_context_pairs) {
      std::vector<NtkCompletionOptions> which;
      for (std::size_t k : cross) which.push_back(kernels[k]);
      const auto c = detail::updated_cross_context_criteria(all, g, which, m_search.ridges,
                                                            m_search.criterion);
      if (!c) return std::nullopt;
      for (Eigen::Index i = 0; i < g.n; ++i)
        for (std::size_t k = 0; k < cross.size(); ++k)
          for (std::size_t r = 0; r < R; ++r)
            criteria[std::size_t(i) * P + cross[k] * R + r] = (*c)(i, Eigen::Index(k * R + r));
    } else if (!cross.empty() && !score_cross_context(all, g, kernels, cross, P, criteria)) {
      return std::nullopt;
    }
    if (std::find(failed.begin(), failed.end(), 1) != failed.end()) return std::nullopt;
    // Per fold: the first best point (as `fit` keeps it), refitted without the fold's pair.
    // Under every prior but the train-context-average one that refit predicts pair i with the
    // kernel of all n pairs (one-hot and user features do not depend on the training set; the
    // cross-context features of the pairs of i's context leave that context's signatures, and
    // so its mean and scale, out): its prediction is the closed-form leave-one-out one,
    // computed once per chosen point for all the folds that chose it.
    Matrix out(g.n, all.tensor().num_features());
    const auto pairs = all.pairs();
    std::vector<std::vector<Eigen::Index>> chose(P);
    for (Eigen::Index i = 0; i < g.n; ++i) {
      std::size_t best = 0;
      const double* c = criteria.data() + std::size_t(i) * P;
      for (std::size_t q = 1; q < P; ++q)
        if (c[q] > c[best]) best = q;
      chose[best].push_back(i);
    }
    std::vector<std::pair<Eigen::Index, std::size_t>> refit; // (fold, point)
    auto options = [&](std::size_t q) {
      NtkCompletionOptions o = kernels[q / R];
      o.ridge = m_search.ridges[q % R];
      return o;
    };
    for (std::size_t q = 0; q < P; ++q) {
      if (chose[q].empty()) continue;
      const std::optional<Eigen::MatrixXd> loo = closed_form_loo(all, g, options(q));
      for (Eigen::Index i : chose[q])
        if (loo)
          out.row(i) = loo->row(i).template cast<Scalar>();
        else
          refit.emplace_back(i, q);
    }
    detail::parallel_for(long(refit.size()), [&](long k) {
      const auto [i, q] = refit[std::size_t(k)];
      NtkCompletion<Scalar> m(options(q));
      m.fit(g.without(all, i));
      out.row(i) = m.predict({pairs[std::size_t(i)]}).row(0);
    });
    return out;
  }

private:
  // Every (prior, scale, depth, identity weight) of the grid that applies to `train`.
  template <class F>
  void for_each_kernel(const TrainingSet<Scalar>& train, F&& f) const {
    const auto& t = train.tensor();
    for (NtkPrior prior : m_search.priors) {
      NtkCompletionOptions o = m_base;
      o.prior = prior;
      if (prior == NtkPrior::TrainContextAverage) {
        if (train.reference_context() < 0) continue;
        o.reference_context = t.contexts()[train.reference_context()];
      }
      if (prior == NtkPrior::UserFeatures && m_base.perturbation_features.size() == 0 &&
          m_base.perturbation_pca == 0 && !m_base.perturbation_signatures &&
          m_base.context_features.size() == 0)
        continue;
      // Held-out perturbations have no signature: the priors built from signatures would see
      // the inner folds' own (their features come from the whole training set) and cannot
      // describe an unseen perturbation anyway.
      if (m_search.inner == InnerProtocol::LeavePerturbationsOut && prior != NtkPrior::OneHot &&
          prior != NtkPrior::UserFeatures)
        continue;
      if (prior == NtkPrior::CrossContext && m_search.inner == InnerProtocol::LeaveOneContextOut)
        continue;
      const std::size_t scales = prior == NtkPrior::CrossContext ? 1 : m_search.scales.size();
      for (double scale :
           std::vector<double>(m_search.scales.begin(), m_search.scales.begin() + long(scales)))
        for (int depth : m_search.depths)
          for (double id : m_search.identity_weights) {
            o.scale = scale;
            o.depth = depth;
            o.identity_weight = id;
            f(o);
          }
    }
  }
  // The leave-one-out predictions of every pair of `all` under `o` when each equals the refit
  // without the pair (see `leave_one_pair_out_predictions`); empty under the
  // train-context-average prior or when the factorisation fails.
  std::optional<Eigen::MatrixXd> closed_form_loo(const TrainingSet<Scalar>& all,
                                                 const detail::LooGram& g,
                                                 const NtkCompletionOptions& o) const {
    if (o.prior == NtkPrior::TrainContextAverage) return std::nullopt;
    const auto pairs = all.pairs();
    NtkCompletion<Scalar> full(o);
    full.prepare(all);
    const Eigen::MatrixXd K = full.kernel_matrix(pairs, pairs, true);
    if (o.prior != NtkPrior::CrossContext) {
      ExactKernelSolver<double> solver(K, o.ridge);
      if (solver.info() != ComputationInfo::Success) return std::nullopt;
      return Eigen::MatrixXd(g.Y - solver.loo_residuals(g.Y));
    }
    std::vector<std::vector<Eigen::Index>> blocks;
    std::vector<Eigen::Index> alone; // predicted as exactly zero, as without training pairs
    for (auto& c : detail::positions_by_context(pairs, all.tensor().num_contexts())) {
      if (c.size() == 1) alone.push_back(c[0]);
      if (!c.empty()) blocks.push_back(std::move(c));
    }
    auto pred = detail::blockwise_loo_predictions(K, g.Y, blocks, o.ridge);
    if (pred) (*pred)(alone, Eigen::all).setZero();
    return pred;
  }

  void add_point(NtkCompletionOptions o, double ridge, const CompletionScores& scores,
                 double& best) {
    NtkSearchPoint pt;
    pt.options = std::move(o);
    pt.options.ridge = ridge;
    pt.scores = scores;
    pt.criterion = selection_value(m_search.criterion, pt.scores);
    if (pt.criterion > best) {
      best = pt.criterion;
      m_best = m_points.size();
    }
    m_points.push_back(std::move(pt));
  }

  // The inner scores of one kernel setting (every ridge) for every fold of
  // `leave_one_pair_out_predictions`, written to criteria[i * P + first + ridge]. False when a
  // Cholesky factorisation fails.
  bool score_kernel(const TrainingSet<Scalar>& all, const detail::LooGram& g,
                    const NtkCompletionOptions& o, std::size_t first, std::size_t P,
                    std::vector<double>& criteria) const {
    using Eigen::MatrixXd;
    using Eigen::VectorXd;
    const std::size_t R = m_search.ridges.size();
    const auto pairs = all.pairs();
    NtkCompletion<Scalar> full(o);
    full.prepare(all);
    const MatrixXd K = full.kernel_matrix(pairs, pairs, true);
    // Per ridge: H = (K + lambda I)^-1, P = H Y Y^T (<alpha_i, y_j>), Q = P H (<alpha_i,
    // alpha_j>), v = H Y 1 (sums of the alpha_i).
    std::vector<MatrixXd> H(R), PY(R), Q(R);
    std::vector<VectorXd> v(R);
    for (std::size_t r = 0; r < R; ++r) {
      MatrixXd A = K;
      A.diagonal().array() += m_search.ridges[r];
      const Eigen::LLT<MatrixXd> llt(A);
      if (llt.info() != Eigen::Success) return false;
      H[r] = llt.solve(MatrixXd::Identity(g.n, g.n));
      g.alpha_products(H[r], {}, PY[r], Q[r], v[r]);
    }
    const bool fold_features = o.prior == NtkPrior::TrainContextAverage;
    if (!fold_features) {
      // The fold's Gram is K without row and column i.
      for (std::size_t r = 0; r < R; ++r)
        detail::parallel_for(long(g.n), [&](long i) {
          detail::GramScores acc(g.features);
          detail::add_downdated_residuals(acc, g, H[r], PY[r], Q[r], v[r], {}, i);
          criteria[std::size_t(i) * P + first + r] =
              selection_value(m_search.criterion, acc.scores());
        });
      return true;
    }
    std::vector<detail::LooContextBlock> blocks(R);
    for (const auto& S : g.contexts) {
      const std::vector<Eigen::Index> T = g.complement(S);
      for (std::size_t r = 0; r < R; ++r)
        if (!blocks[r].compute(H[r], PY[r], Q[r], v[r], S, T)) return false;
      for (Eigen::Index i : S) {
        std::vector<Eigen::Index> Si;
        for (Eigen::Index j : S)
          if (j != i) Si.push_back(j);
        // The fold's kernel between T and the rest of the context, with the fold's features.
        std::vector<PairIndex> pT, pS;
        for (Eigen::Index j : T) pT.push_back(pairs[std::size_t(j)]);
        for (Eigen::Index j : Si) pS.push_back(pairs[std::size_t(j)]);
        MatrixXd B, C;
        if (fold_features) {
          NtkCompletion<Scalar> m(o);
          m.prepare(g.without(all, i));
          B = m.kernel_matrix(pT, pS, false);
          C = m.kernel_matrix(pS, pS, true);
        } else {
          B = K(T, Si);
          C = K(Si, Si);
        }
        for (std::size_t r = 0; r < R; ++r) {
          MatrixXd Cr = C;
          Cr.diagonal().array() += m_search.ridges[r];
          const auto s = blocks[r].fold_scores(g, B, Cr, Si, T);
          if (!s) return false;
          criteria[std::size_t(i) * P + first + r] = selection_value(m_search.criterion, *s);
        }
      }
    }
    return true;
  }

  // The inner criteria of the cross-context kernels `which` (positions in `kernels`) for every
  // fold i of `leave_one_pair_out_predictions`, written to criteria[i * P + which * R + ridge].
  // The training set without pair i has features of its own, and its Gram is block-diagonal by
  // context, so each fold's inner leave-one-out is the refit's, computed block by block: the
  // features and their inner products once per fold, then per kernel and ridge a Cholesky
  // factorisation of each context's block. False when one fails.
  bool score_cross_context(const TrainingSet<Scalar>& all, const detail::LooGram& g,
                           const std::vector<NtkCompletionOptions>& kernels,
                           const std::vector<std::size_t>& which, std::size_t P,
                           std::vector<double>& criteria) const {
    using Eigen::MatrixXd;
    using Eigen::VectorXd;
    const std::size_t R = m_search.ridges.size();
    const auto& t = all.tensor();
    std::vector<char> failed(std::size_t(g.n), 0);
    detail::parallel_for(long(g.n), [&](long i) {
      const TrainingSet<Scalar> fold = g.without(all, Eigen::Index(i));
      const auto pairs = fold.pairs();
      const detail::CrossContextFeatures feat(fold);
      const MatrixXd F = feat.features(pairs);
      // Per context block: the features' inner products (positions in `all` index g's).
      struct Block {
        std::vector<Eigen::Index> at;
        MatrixXd U;
        VectorXd sq; // |f_j|^2
      };
      std::vector<Block> blocks;
      for (auto& idx : detail::positions_by_context(pairs, t.num_contexts())) {
        if (idx.empty()) continue;
        Block b;
        for (Eigen::Index j : idx) b.at.push_back(j < i ? j : j + 1);
        const MatrixXd Fb = F(idx, Eigen::all);
        b.U.noalias() = Fb * Fb.transpose();
        b.sq = Fb.rowwise().squaredNorm();
        blocks.push_back(std::move(b));
      }
      for (std::size_t k : which) {
        const NtkCompletionOptions& o = kernels[k];
        const NtkKernel<double> kernel(o.depth, o.bias);
        const double id2 = o.identity_weight * o.identity_weight;
        for (std::size_t r = 0; r < R; ++r) {
          // Leave-one-out residuals rho_j = alpha_j / H_jj, scored through <rho_j, y_j>,
          // |rho_j|^2 and sum(rho_j) from the signatures' Gram matrix.
          detail::GramScores acc(g.features);
          for (const Block& b : blocks) {
            if (b.at.size() == 1) { // alone in its context: predicted as exactly zero
              acc.add_zero(g, b.at[0]);
              continue;
            }
            const VectorXd n = b.sq.array() + id2;
            MatrixXd K = detail::cross_context_block(kernel, b.U, n, n, true);
            K.diagonal().array() += m_search.ridges[r];
            const Eigen::LLT<MatrixXd> llt(K);
            if (llt.info() != Eigen::Success) {
              failed[std::size_t(i)] = 1;
              return;
            }
            const MatrixXd H = llt.solve(MatrixXd::Identity(K.rows(), K.cols()));
            const MatrixXd YY = g.YYt(b.at, b.at);
            const MatrixXd HM = H * YY;
            const VectorXd Hs = H * g.row_sums(b.at);
            for (Eigen::Index j = 0; j < H.rows(); ++j)
              acc.add_residual(g, b.at[std::size_t(j)], HM(j, j), HM.row(j).dot(H.row(j)), Hs[j],
                               H(j, j));
          }
          criteria[std::size_t(i) * P + k * R + r] =
              selection_value(m_search.criterion, acc.scores());
        }
      }
    });
    return std::find(failed.begin(), failed.end(), 1) == failed.end();
  }

  // Inner leave-one-context-out. Every prior but train-averages keeps the Gram of the pairs
  // outside a held-out context as it is in the whole training Gram (the one-hot and user-feature
  // priors do not depend on the training set; the train-context-average prior changes only the
  // held-out context's own mean), so one inverse H = (K + lambda I)^-1 per (kernel, ridge) serves
  // every held-out block S: (K_TT + lambda I)^-1 = H_TT - H_TS H_SS^-1 H_ST. Only the test kernel
  // K(S, T) needs the features recomputed without S. Train-averages (whose perturbation features
  // include the held-out context's signatures) and Grams that need more than plain Cholesky are
  // refitted per held-out context.
  void search_leave_one_context_out(const TrainingSet<Scalar>& train) {
    using Eigen::MatrixXd;
    const auto& t = train.tensor();
    std::vector<Eigen::Index> held;
    for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
      if (!train.context_rows(c).empty()) held.push_back(c);
    if (held.size() < 2) return;
    if (Eigen::Index(held.size()) > m_search.max_contexts) {
      std::mt19937_64 rng(m_search.seed);
      std::shuffle(held.begin(), held.end(), rng);
      held.resize(std::size_t(m_search.max_contexts));
      std::sort(held.begin(), held.end());
    }
    // The held-out contexts' training sets, test pairs, positions within `train.rows()` (S) and
    // the positions outside them (T, in the order of the subset's rows), built once.
    const auto all_pairs = train.pairs();
    std::vector<TrainingSet<Scalar>> subsets;
    std::vector<std::vector<PairIndex>> tests;
    std::vector<std::vector<Eigen::Index>> S(held.size()), T(held.size());
    Eigen::Index total = 0;
    for (std::size_t k = 0; k < held.size(); ++k) {
      std::vector<Eigen::Index> rows;
      std::vector<PairIndex> test;
      for (std::size_t i = 0; i < all_pairs.size(); ++i) {
        const bool in = all_pairs[i].context == held[k];
        (in ? S[k] : T[k]).push_back(Eigen::Index(i));
        if (in)
          test.push_back(all_pairs[i]);
        else
          rows.push_back(train.rows()[i]);
      }
      subsets.push_back(train.subset(std::move(rows)));
      total += Eigen::Index(test.size());
      tests.push_back(std::move(test));
    }
    MatrixXd truth(total, t.num_features());
    for (std::size_t k = 0, at = 0; k < held.size(); ++k)
      for (Eigen::Index i : S[k])
        truth.row(Eigen::Index(at++)) =
            t.observed().row(train.rows()[std::size_t(i)]).template cast<double>();
    const MatrixXd Y_all = train.signatures().template cast<double>();
    const detail::LooGram g(train); // the signatures' Gram matrix, sums and norms
    const std::size_t R = m_search.ridges.size();
    std::vector<NtkCompletionOptions> kernels;
    for_each_kernel(train, [&](const NtkCompletionOptions& o) { kernels.push_back(o); });
    // scores[k * R + j]: kernel k with ridge j (none when no factorisation worked).
    std::vector<std::optional<CompletionScores>> scores(kernels.size() * R);
    detail::ProgressCounter counter(m_search.progress, long(kernels.size()));
    auto score = [&](long kernel) {
      const NtkCompletionOptions& o = kernels[std::size_t(kernel)];
      std::vector<char> closed(R, 0), ok(R, 1);
      if (o.prior != NtkPrior::TrainAverages) {
        NtkCompletion<Scalar> full(o);
        full.prepare(train);
        const MatrixXd K = full.kernel_matrix(all_pairs, all_pairs, true);
        // The test kernels K(S, T), with the features computed without S where they depend on it.
        std::vector<MatrixXd> Kt(held.size());
        for (std::size_t k = 0; k < held.size(); ++k) {
          if (o.prior == NtkPrior::TrainContextAverage) {
            NtkCompletion<Scalar> m(o);
            m.prepare(subsets[k]);
            Kt[k] = m.kernel_matrix(tests[k], subsets[k].pairs(), false);
          } else {
            Kt[k] = K(S[k], T[k]);
          }
        }
        for (std::size_t j = 0; j < R; ++j) {
          MatrixXd A = K;
          A.diagonal().array() += m_search.ridges[j];
          const Eigen::LLT<MatrixXd> llt(A);
          if (llt.info() != Eigen::Success) continue;
          const MatrixXd H = llt.solve(MatrixXd::Identity(A.rows(), A.cols()));
          closed[j] = 1;
          detail::GramScores acc(g.features);
          for (std::size_t k = 0; k < held.size(); ++k) {
            const Eigen::LLT<MatrixXd> hs(H(S[k], S[k]));
            if (hs.info() != Eigen::Success) {
              closed[j] = 0;
              break;
            }
            // The block's predictions are M Y_T with M = K(S, T) (K_TT + lambda I)^-1; they are
            // scored through the signatures' Gram matrix, never formed.
            MatrixXd M = Kt[k] * H(T[k], T[k]);
            const MatrixXd KH = Kt[k] * H(T[k], S[k]);
            M.noalias() -= KH * hs.solve(MatrixXd(H(S[k], T[k])));
            const MatrixXd MG = M * g.YYt(T[k], T[k]);
            const MatrixXd YST = g.YYt(S[k], T[k]);
            const Eigen::VectorXd p_sum = M * g.row_sums(T[k]);
            for (Eigen::Index i = 0; i < M.rows(); ++i) {
              const Eigen::Index y = S[k][std::size_t(i)];
              const double yy = g.squared_norms[y], py = M.row(i).dot(YST.row(i)),
                           pp = MG.row(i).dot(M.row(i));
              acc.add(yy, g.row_sums[y], g.centred[y], py, pp, p_sum[i], yy - 2 * py + pp);
            }
          }
          if (closed[j]) scores[std::size_t(kernel) * R + j] = acc.scores();
        }
      }
      // Refits for what the closed form does not cover.
      if (std::find(closed.begin(), closed.end(), 0) != closed.end()) {
        std::vector<MatrixXd> pred(R, MatrixXd(total, t.num_features()));
        Eigen::Index at = 0;
        for (std::size_t k = 0; k < held.size(); ++k) {
          NtkCompletion<Scalar> m(o);
          m.prepare(subsets[k]);
          const auto pairs = subsets[k].pairs();
          const MatrixXd K = m.kernel_matrix(pairs, pairs, true);
          const MatrixXd Kt = m.kernel_matrix(tests[k], pairs, false);
          for (std::size_t j = 0; j < R; ++j) {
            if (closed[j] || !ok[j]) continue;
            ExactKernelSolver<double> solver(K, m_search.ridges[j]);
            if (solver.info() != ComputationInfo::Success) {
              ok[j] = 0;
              continue;
            }
            pred[j].middleRows(at, Kt.rows()).noalias() =
                solver.solve(MatrixXd(Kt.transpose())).transpose() * Y_all(T[k], Eigen::all);
          }
          at += Kt.rows();
        }
        for (std::size_t j = 0; j < R; ++j)
          if (!closed[j] && ok[j])
            scores[std::size_t(kernel) * R + j] = completion_scores(pred[j], truth);
      }
      counter.step();
    };
    // The kernels are independent tasks, each holding a few n x n matrices: in parallel for
    // moderate n, one after another (BLAS using the threads) where that memory would count.
    if (train.size() <= kParallelSearchPairs)
      detail::parallel_for(long(kernels.size()), score);
    else
      for (long k = 0; k < long(kernels.size()); ++k) score(k);
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t q = 0; q < scores.size(); ++q)
      if (scores[q]) add_point(kernels[q / R], m_search.ridges[q % R], *scores[q], best);
  }

  // Inner folds of perturbations (`InnerProtocol::LeavePerturbationsOut`) on a seeded subset of
  // whole perturbations holding at most `max_pairs` training pairs (at least two perturbations),
  // dealt into 5 folds (fewer when there are fewer perturbations). Features that do not depend
  // on the held-out perturbations (one-hot, a table, the singles' signatures of held-out
  // combinations) are computed once: one inverse H = (K + lambda I)^-1 per point serves every
  // fold through the closed form above. Principal-component features (`perturbation_pca`) are
  // recomputed without each fold, whose own responses would otherwise shape its target genes'
  // rows, and each fold is solved on its own.
  void search_leave_perturbations_out(const TrainingSet<Scalar>& train) {
    using Eigen::MatrixXd;
    const auto& t = train.tensor();
    // With combinations among the training perturbations, only they are held out (their single
    // perturbations, whose signatures make the combinations' features, always train).
    const auto parts = combination_parts(t);
    std::vector<Eigen::Index> perts, always;
    for (Eigen::Index p = 0; p < t.num_perturbations(); ++p)
      if (!train.perturbation_rows(p).empty())
        (parts[std::size_t(p)].empty() ? always : perts).push_back(p);
    if (perts.size() < 2) {
      perts.insert(perts.end(), always.begin(), always.end());
      std::sort(perts.begin(), perts.end());
      always.clear();
    }
    if (perts.size() < 2) return;
    std::mt19937_64 rng(m_search.seed);
    std::shuffle(perts.begin(), perts.end(), rng);
    const std::vector<PairIndex> all = train.pairs();
    std::vector<std::vector<Eigen::Index>> positions(std::size_t(t.num_perturbations()));
    for (std::size_t i = 0; i < all.size(); ++i)
      positions[std::size_t(all[i].perturbation)].push_back(Eigen::Index(i));
    std::vector<PairIndex> sub;
    std::vector<Eigen::Index> sub_rows;
    for (Eigen::Index p : always)
      for (Eigen::Index i : positions[std::size_t(p)]) {
        sub.push_back(all[std::size_t(i)]);
        sub_rows.push_back(train.rows()[std::size_t(i)]);
      }
    const std::size_t folds = std::min<std::size_t>(5, perts.size());
    std::vector<std::vector<Eigen::Index>> S(folds); // positions in `sub` of each fold
    for (std::size_t k = 0; k < perts.size(); ++k) {
      const auto& pos = positions[std::size_t(perts[k])];
      if (k >= 2 && Eigen::Index(sub.size() + pos.size()) > m_search.max_pairs) break;
      for (Eigen::Index i : pos) {
        S[k % folds].push_back(Eigen::Index(sub.size()));
        sub.push_back(all[std::size_t(i)]);
        sub_rows.push_back(train.rows()[std::size_t(i)]);
      }
    }
    const MatrixXd Y = t.observed()(sub_rows, Eigen::all).template cast<double>();
    std::vector<NtkCompletionOptions> kernels;
    for_each_kernel(train, [&](const NtkCompletionOptions& o) { kernels.push_back(o); });
    const std::size_t R = m_search.ridges.size();
    std::vector<std::optional<CompletionScores>> scores(kernels.size() * R);
    detail::ProgressCounter counter(m_search.progress, long(kernels.size()));
    // Per fold with fold-dependent features: the training set without the fold's perturbations,
    // and the positions in `sub` outside the fold.
    std::vector<TrainingSet<Scalar>> without;
    std::vector<Eigen::MatrixXd> fold_features; // computed once per fold, shared by the kernels
    std::vector<std::vector<Eigen::Index>> T(folds);
    if (m_base.perturbation_pca > 0)
      for (std::size_t k = 0; k < folds; ++k) {
        std::vector<char> held(std::size_t(t.num_perturbations()), 0);
        for (Eigen::Index i : S[k]) held[std::size_t(sub[std::size_t(i)].perturbation)] = 1;
        std::vector<Eigen::Index> rows;
        for (Eigen::Index r : train.rows())
          if (!held[std::size_t(t.observed_pairs()[std::size_t(r)].perturbation)])
            rows.push_back(r);
        for (std::size_t i = 0; i < sub.size(); ++i)
          if (!held[std::size_t(sub[i].perturbation)]) T[k].push_back(Eigen::Index(i));
        without.push_back(train.subset(std::move(rows)));
        fold_features.push_back(pca_perturbation_features(without.back(), m_base.perturbation_pca));
      }
    detail::parallel_for(long(kernels.size()), [&](long kernel) {
      const NtkCompletionOptions& o = kernels[std::size_t(kernel)];
      if (!without.empty() && o.prior == NtkPrior::UserFeatures) {
        std::vector<MatrixXd> pred(R, Y);
        std::vector<char> ok(R, 1);
        for (std::size_t k = 0; k < folds; ++k) {
          if (S[k].empty()) continue;
          NtkCompletionOptions fixed = o; // the fold's features, as perturbation_pca computes them
          fixed.perturbation_pca = 0;
          fixed.perturbation_features = fold_features[k];
          NtkCompletion<Scalar> m(fixed);
          m.prepare(without[k]);
          std::vector<PairIndex> train_pairs, test_pairs;
          for (Eigen::Index i : T[k]) train_pairs.push_back(sub[std::size_t(i)]);
          for (Eigen::Index i : S[k]) test_pairs.push_back(sub[std::size_t(i)]);
          const MatrixXd K = m.kernel_matrix(train_pairs, train_pairs, true);
          const MatrixXd Kt = m.kernel_matrix(test_pairs, train_pairs, false);
          for (std::size_t j = 0; j < R; ++j) {
            MatrixXd A = K;
            A.diagonal().array() += m_search.ridges[j];
            const Eigen::LLT<MatrixXd> llt(A);
            if (llt.info() != Eigen::Success) {
              ok[j] = 0;
              continue;
            }
            pred[j](S[k], Eigen::all) = Kt * llt.solve(MatrixXd(Y(T[k], Eigen::all)));
          }
        }
        for (std::size_t j = 0; j < R; ++j)
          if (ok[j]) scores[std::size_t(kernel) * R + j] = completion_scores(pred[j], Y);
        counter.step();
        return;
      }
      NtkCompletion<Scalar> m(o);
      m.prepare(train);
      const MatrixXd K = m.kernel_matrix(sub, sub, true);
      for (std::size_t j = 0; j < R; ++j) {
        MatrixXd A = K;
        A.diagonal().array() += m_search.ridges[j];
        const Eigen::LLT<MatrixXd> llt(A);
        if (llt.info() != Eigen::Success) continue;
        const MatrixXd H = llt.solve(MatrixXd::Identity(A.rows(), A.cols()));
        const MatrixXd alpha = H * Y;
        MatrixXd pred = Y;
        bool ok = true;
        for (const auto& f : S) {
          if (f.empty()) continue;
          const Eigen::LLT<MatrixXd> hs(H(f, f));
          if (hs.info() != Eigen::Success) {
            ok = false;
            break;
          }
          pred(f, Eigen::all) -= hs.solve(MatrixXd(alpha(f, Eigen::all)));
        }
        if (ok) scores[std::size_t(kernel) * R + j] = completion_scores(pred, Y);
      }
      counter.step();
    });
    double best = -std::numeric_limits<double>::infinity();
    for (std::size_t q = 0; q < scores.size(); ++q)
      if (scores[q]) add_point(kernels[q / R], m_search.ridges[q % R], *scores[q], best);
  }

  void search_leave_one_pair_out(const TrainingSet<Scalar>& train) {
    const auto& t = train.tensor();
    // The inner leave-one-out subset.
    std::vector<Eigen::Index> idx(std::size_t(train.size()));
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = Eigen::Index(i);
    if (train.size() > m_search.max_pairs) {
      std::mt19937_64 rng(m_search.seed);
      std::shuffle(idx.begin(), idx.end(), rng);
      idx.resize(std::size_t(m_search.max_pairs));
      std::sort(idx.begin(), idx.end());
    }
    const std::vector<PairIndex> all = train.pairs();
    std::vector<PairIndex> sub;
    std::vector<Eigen::Index> sub_rows;
    for (Eigen::Index i : idx) {
      sub.push_back(all[std::size_t(i)]);
      sub_rows.push_back(train.rows()[std::size_t(i)]);
    }
    const Eigen::MatrixXd Y = t.observed()(sub_rows, Eigen::all).template cast<double>();

    double best = -std::numeric_limits<double>::infinity();
    long kernels = 0;
    for_each_kernel(train, [&](const NtkCompletionOptions&) { ++kernels; });
    detail::ProgressCounter counter(m_search.progress, kernels);
    for_each_kernel(train, [&](const NtkCompletionOptions& o) {
      NtkCompletion<Scalar> m(o);
      m.prepare(train);
      const Eigen::MatrixXd K = m.kernel_matrix(sub, sub, true);
      // Under the cross-context prior a pair alone in its context has no training pair left
      // when held out: its prediction is exactly zero (rounding would leave ~1e-16, whose cosine
      // with the truth is meaningless).
      // Its Gram is block-diagonal by context: the leave-one-out is solved block by block.
      std::vector<std::vector<Eigen::Index>> blocks;
      std::vector<Eigen::Index> alone;
      if (o.prior == NtkPrior::CrossContext)
        for (auto& c : detail::positions_by_context(sub, t.num_contexts())) {
          if (c.size() == 1) alone.push_back(c[0]);
          if (!c.empty()) blocks.push_back(std::move(c));
        }
      for (double ridge : m_search.ridges) {
        std::optional<Eigen::MatrixXd> pred;
        if (!blocks.empty()) pred = detail::blockwise_loo_predictions(K, Y, blocks, ridge);
        if (!pred) {
          ExactKernelSolver<double> solver(K, ridge);
          if (solver.info() != ComputationInfo::Success) continue;
          pred = Eigen::MatrixXd(Y - solver.loo_residuals(Y));
        }
        (*pred)(alone, Eigen::all).setZero();
        add_point(o, ridge, completion_scores(*pred, Y), best);
      }
      counter.step();
    });
  }

  // Training sets up to this size run the kernels of the inner leave-one-context-out search as
  // parallel tasks (each holds about three n x n matrices: 0.6 GB at this size).
  static constexpr Eigen::Index kParallelSearchPairs = 5000;

  NtkSearchOptions m_search;
  NtkCompletionOptions m_base;
  NtkCompletion<Scalar> m_model;
  std::vector<NtkSearchPoint> m_points;
  std::size_t m_best = 0;
};

} // namespace cimpute
