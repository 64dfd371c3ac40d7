/// @file synthetic_interventions.hpp
/// @brief `SyntheticInterventionsCompletion` (formerly `SyntheticInterventions`): synthetic
/// interventions (Squires, Shen, Agarwal, Shah, Uhler, "Causal imputation via
/// synthetic interventions", arXiv 2011.03127; Agarwal, Shah, Shen 2020).
#pragma once

#include "cimpute/completion/means.hpp"
#include "cimpute/completion/training_set.hpp"

#include <Eigen/Core>
#include <Eigen/SVD>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// Parameters of `SyntheticInterventionsCompletion`.
struct SyntheticInterventionsOptions {
  /// Principal-component regression: keep the donor matrix's leading singular values that
  /// carry this fraction of its energy \f$ \sum \sigma^2 \f$ (1: ordinary least squares).
  double energy = 0.9;
  /// Donor contexts are added in order of shared perturbations while at least this many
  /// perturbations stay shared by the target and every donor.
  int min_shared = 2;
  /// Regress and combine context-centred signatures (each context's training mean removed, the
  /// target's added back): the linear model then explains departures from the context means.
  bool center_contexts = true;
  /// Throws `invalid_argument` naming the bad value.
  void validate() const {
    const char* fn = "SyntheticInterventionsOptions::validate";
    if (!(energy > 0 && energy <= 1))
      detail::throw_invalid(fn, "energy must be in (0, 1], got ", energy);
    if (min_shared < 1) detail::throw_invalid(fn, "min_shared must be >= 1, got ", min_shared);
  }
};

/// Synthetic interventions: to predict perturbation d in context c, take as donors the contexts
/// where d was measured, learn weights w that express context c as a linear combination of the
/// donors on the perturbations measured in c and in every donor (all their genes stacked),
/// \f$ Y_{S,c} \approx \sum_{c'} w_{c'} Y_{S,c'} \f$, by principal-component regression, and
/// predict \f$ \hat Y_{d,c} = \sum_{c'} w_{c'} Y_{d,c'} \f$ (by default on context-centred
/// signatures: \f$ \hat Y_{d,c} = m_c + \sum_{c'} w_{c'} (Y_{d,c'} - m_{c'}) \f$). Donors are taken
/// greedily by the number of perturbations they share with c, keeping at least `min_shared` shared
/// ones; a pair with no usable donor falls back to the context mean. The reference context is
/// ordinary data (a donor). When the tensor has a control perturbation observed in the contexts, it
/// is one of the shared perturbations like any other.
template <class Scalar_ = double>
class SyntheticInterventionsCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;

  explicit SyntheticInterventionsCompletion(SyntheticInterventionsOptions opt = {}) : m_opt(opt) {
    m_opt.validate();
  }
  std::string name() const { return "synthetic-interventions"; }

  SyntheticInterventionsCompletion& fit(const TrainingSet<Scalar>& train_only) {
    const TrainingSet<Scalar> train = train_only.with_reference();
    const auto& t = train.tensor();
    m_tensor = &t;
    m_row.setConstant(t.num_perturbations(), t.num_contexts(), -1);
    for (Eigen::Index r : train.rows()) {
      const PairIndex& p = t.observed_pairs()[std::size_t(r)];
      m_row(p.perturbation, p.context) = r;
    }
    m_means.fit(train);
    m_center.setZero(t.num_contexts(), t.num_features());
    for (Eigen::Index c = 0; c < t.num_contexts(); ++c)
      if (!train.context_rows(c).empty())
        m_center.row(c) = train.mean_of(train.context_rows(c)).template cast<double>();
    m_fallbacks = 0;
    return *this;
  }

  /// Number of predictions that fell back to the context mean since the last fit.
  Eigen::Index fallbacks() const noexcept { return m_fallbacks; }

  Matrix predict(const std::vector<PairIndex>& pairs) const {
    if (!m_tensor)
      detail::throw_logic("SyntheticInterventionsCompletion::predict", "call fit() first");
    const auto& t = *m_tensor;
    detail::check_pairs("SyntheticInterventionsCompletion::predict", t, pairs);
    const Eigen::Index P = t.num_perturbations(), C = t.num_contexts(), G = t.num_features();
    Matrix out(Eigen::Index(pairs.size()), G);
    for (std::size_t q = 0; q < pairs.size(); ++q) {
      const Eigen::Index d = pairs[q].perturbation, c = pairs[q].context;
      // Candidate donors: contexts where d was measured, by perturbations shared with c.
      std::vector<std::pair<Eigen::Index, Eigen::Index>> cand;
      for (Eigen::Index o = 0; o < C; ++o) {
        if (o == c || m_row(d, o) < 0) continue;
        Eigen::Index shared = 0;
        for (Eigen::Index p = 0; p < P; ++p)
          shared += p != d && m_row(p, c) >= 0 && m_row(p, o) >= 0;
        cand.emplace_back(-shared, o);
      }
      std::sort(cand.begin(), cand.end());
      std::vector<Eigen::Index> donors, common;
      for (const auto& [neg, o] : cand) {
        std::vector<Eigen::Index> next;
        for (Eigen::Index p = 0; p < P; ++p)
          if (p != d && m_row(p, c) >= 0 && m_row(p, o) >= 0 &&
              std::all_of(donors.begin(), donors.end(),
                          [&](Eigen::Index u) { return m_row(p, u) >= 0; }))
            next.push_back(p);
        if (Eigen::Index(next.size()) < m_opt.min_shared) continue;
        donors.push_back(o);
        common = std::move(next);
      }
      if (donors.empty()) {
        out.row(Eigen::Index(q)) = m_means.predict({pairs[q]}).row(0);
        ++m_fallbacks;
        continue;
      }
      // Stack the shared perturbations' genes: A (|S| G x donors), b (|S| G).
      const Eigen::Index n = Eigen::Index(common.size()) * G, k = Eigen::Index(donors.size());
      auto sig = [&](Eigen::Index p, Eigen::Index o) {
        Eigen::RowVectorXd v = t.observed().row(m_row(p, o)).template cast<double>();
        if (m_opt.center_contexts) v -= m_center.row(o);
        return v;
      };
      Eigen::MatrixXd A(n, k);
      Eigen::VectorXd b(n);
      for (std::size_t s = 0; s < common.size(); ++s) {
        b.segment(Eigen::Index(s) * G, G) = sig(common[s], c).transpose();
        for (Eigen::Index j = 0; j < k; ++j)
          A.col(j).segment(Eigen::Index(s) * G, G) =
              sig(common[s], donors[std::size_t(j)]).transpose();
      }
      const Eigen::VectorXd w = pcr(A, b);
      Eigen::RowVectorXd y =
          m_opt.center_contexts ? Eigen::RowVectorXd(m_center.row(c)) : Eigen::RowVectorXd::Zero(G);
      for (Eigen::Index j = 0; j < k; ++j) y += w[j] * sig(d, donors[std::size_t(j)]);
      out.row(Eigen::Index(q)) = y.template cast<Scalar>();
    }
    return out;
  }

private:
  // Principal-component regression of b on A, keeping the leading singular values with the
  // requested energy.
  Eigen::VectorXd pcr(const Eigen::MatrixXd& A, const Eigen::VectorXd& b) const {
    Eigen::BDCSVD<Eigen::MatrixXd> svd(A, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::VectorXd& s = svd.singularValues();
    const double total = s.squaredNorm();
    Eigen::VectorXd w = Eigen::VectorXd::Zero(A.cols());
    if (!(total > 0)) return w;
    double acc = 0;
    for (Eigen::Index i = 0; i < s.size(); ++i) {
      if (s[i] <= s[0] * 1e3 * std::numeric_limits<double>::epsilon()) break;
      w += svd.matrixV().col(i) * (svd.matrixU().col(i).dot(b) / s[i]);
      acc += s[i] * s[i];
      if (acc >= m_opt.energy * total) break;
    }
    return w;
  }

  SyntheticInterventionsOptions m_opt;
  const PerturbationTensor<Scalar>* m_tensor = nullptr;
  Eigen::Matrix<Eigen::Index, Eigen::Dynamic, Eigen::Dynamic> m_row;
  Eigen::MatrixXd m_center; // context means of the training signatures
  MeanCompletion<Scalar> m_means{MeanKind::Context};
  mutable Eigen::Index m_fallbacks = 0;
};

} // namespace cimpute
