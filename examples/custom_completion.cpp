// A completion method written outside the library, evaluated next to the built-in ones: the
// companion of docs/extending.md. The method predicts (p, c) by p's signature in the context
// most like c (the highest Pearson correlation of the two contexts' training signatures over the
// perturbations measured in both); it needs no registration to run under every protocol, behind
// `AnyCompletion`, or through `impute_pairs`.
//
//   custom_completion            # a simulated screen (40 drugs x 8 cells x 100 genes)
#include <cimpute/completion.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>

#include <Eigen/Core>

#include <cstdio>
#include <string>
#include <vector>

namespace {

/// The nearest-context method: `name()`, `fit(TrainingSet)` and `predict(pairs)` are the whole
/// contract of a completion method.
template <class Scalar_ = double>
class NearestContextCompletion {
public:
  using Scalar = Scalar_;
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;

  std::string name() const { return "nearest-context"; }

  NearestContextCompletion& fit(const cimpute::TrainingSet<Scalar>& train) {
    m_train = &train.tensor();
    m_fallback = train.global_mean();
    const auto& t = train.tensor();
    const Eigen::Index C = t.num_contexts();
    // For every perturbation, its training row in each context (-1: none).
    m_row = Eigen::Matrix<Eigen::Index, Eigen::Dynamic, Eigen::Dynamic>::Constant(
        t.num_perturbations(), C, -1);
    for (Eigen::Index r : train.rows()) {
      const auto& pair = t.observed_pairs()[std::size_t(r)];
      m_row(pair.perturbation, pair.context) = r;
    }
    // Context similarity: Pearson correlation of the signatures both contexts measured.
    m_similarity = Eigen::MatrixXd::Constant(C, C, -2.0);
    for (Eigen::Index a = 0; a < C; ++a)
      for (Eigen::Index b = 0; b < C; ++b) {
        if (a == b) continue;
        Eigen::VectorXd x, y;
        for (Eigen::Index p = 0; p < t.num_perturbations(); ++p)
          if (m_row(p, a) >= 0 && m_row(p, b) >= 0) {
            x.conservativeResize(x.size() + t.num_features());
            y.conservativeResize(y.size() + t.num_features());
            x.tail(t.num_features()) =
                t.observed().row(m_row(p, a)).transpose().template cast<double>();
            y.tail(t.num_features()) =
                t.observed().row(m_row(p, b)).transpose().template cast<double>();
          }
        if (x.size() < 2) continue;
        const Eigen::VectorXd xc = x.array() - x.mean(), yc = y.array() - y.mean();
        const double denom = xc.norm() * yc.norm();
        if (denom > 0) m_similarity(a, b) = xc.dot(yc) / denom;
      }
    return *this;
  }

  Matrix predict(const std::vector<cimpute::PairIndex>& pairs) const {
    Matrix out(Eigen::Index(pairs.size()), m_fallback.size());
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      const auto [p, c] = pairs[k];
      Eigen::Index best = -1;
      for (Eigen::Index b = 0; b < m_row.cols(); ++b)
        if (b != c && m_row(p, b) >= 0 && (best < 0 || m_similarity(c, b) > m_similarity(c, best)))
          best = b;
      if (best >= 0)
        out.row(Eigen::Index(k)) = m_train->observed().row(m_row(p, best));
      else
        out.row(Eigen::Index(k)) = m_fallback; // p measured nowhere else
    }
    return out;
  }

private:
  const cimpute::PerturbationTensor<Scalar>* m_train = nullptr;
  Eigen::Matrix<Scalar, 1, Eigen::Dynamic> m_fallback;
  Eigen::Matrix<Eigen::Index, Eigen::Dynamic, Eigen::Dynamic> m_row;
  Eigen::MatrixXd m_similarity;
};

} // namespace

int main() {
  cimpute::PerturbationSimulatorParams sim;
  sim.drugs = 40;
  sim.contexts = 8;
  sim.genes = 100;
  sim.seed = 3;
  const auto t = cimpute::simulate_perturbations<double>(sim).signatures;
  std::printf("simulated screen: %lld drugs x %lld cells x %lld genes, %lld measured pairs\n",
              static_cast<long long>(t.num_perturbations()),
              static_cast<long long>(t.num_contexts()), static_cast<long long>(t.num_features()),
              static_cast<long long>(t.num_observed()));
  const auto proto = cimpute::CompletionProtocol::parse("kfold:5");
  std::printf("%-18s %8s %8s %8s\n", "method", "pearson", "r2", "cosine");
  // The user's method and two built-in ones, all behind the same run-time interface.
  std::vector<cimpute::AnyCompletion<double>> methods{
      cimpute::AnyCompletion<double>(NearestContextCompletion<double>()),
      cimpute::make_completion_method<double>("context-mean"),
      cimpute::make_completion_method<double>("dnpp")};
  for (const auto& m : methods) {
    const cimpute::ScoreSummary s = cimpute::evaluate_protocol(m, t, proto, "", 3);
    std::printf("%-18s %8.4f %8.4f %8.4f\n", m.name().c_str(), s.mean.pearson, s.mean.r2,
                s.mean.cosine);
  }
  // Filling in the table with it: one fit on every measured pair.
  const auto imputed = cimpute::complete_missing(NearestContextCompletion<double>(), t);
  std::printf("imputed %lld missing pairs\n", static_cast<long long>(imputed.cols()));
  return imputed.cols() == static_cast<Eigen::Index>(cimpute::missing_pairs(t).size()) ? 0 : 1;
}
