// The completion protocols over MPI: on a simulated screen, every protocol's predictions and
// scores equal the one-process ones exactly (the refits / folds are computed as on one process and
// only moved), and impute_pairs returns the same predictions.
#include <catch2/catch.hpp>

#include <cimpute/completion/complete_missing.hpp>
#include <cimpute/completion/dnpp.hpp>
#include <cimpute/completion/means.hpp>
#include <cimpute/completion/protocols.hpp>
#include <cimpute/distributed/mpi_communicator.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>

namespace {
cimpute::PerturbationTensor<double> screen() {
  cimpute::PerturbationSimulatorParams p;
  p.genes = 30;
  p.drugs = 17;
  p.contexts = 5;
  p.density = 0.6;
  p.seed = 11;
  return cimpute::simulate_perturbations<double>(p).signatures;
}
} // namespace

TEST_CASE("Completion protocols over MPI equal one process exactly", "[distributed][completion]") {
  const cimpute::MpiCommunicator comm;
  const auto t = screen();
  const std::string ref = t.contexts()[0];
  const cimpute::DnppCompletion<double> dnpp(5);
  const cimpute::MeanCompletion<double> two_way(cimpute::MeanKind::TwoWay);
  const auto same = [](const cimpute::CompletionEvaluation& a,
                       const cimpute::CompletionEvaluation& b) {
    CHECK(a.predictions == b.predictions);
    CHECK(a.truths == b.truths);
    CHECK(a.scores.pearson == b.scores.pearson);
    CHECK(a.scores.r2 == b.scores.r2);
  };
  same(cimpute::leave_one_pair_out(dnpp, t, ref, {}, comm),
       cimpute::leave_one_pair_out(dnpp, t, ref));
  same(cimpute::leave_one_context_out(two_way, t, ref, {}, comm),
       cimpute::leave_one_context_out(two_way, t, ref));
  same(cimpute::kfold_per_context(dnpp, t, 3, 5, ref, -1, {}, comm),
       cimpute::kfold_per_context(dnpp, t, 3, 5, ref));
  same(cimpute::sparse_per_context(two_way, t, 2, 9, "", {}, comm),
       cimpute::sparse_per_context(two_way, t, 2, 9, ""));
  const auto many = cimpute::complete_missing(dnpp, t, ref, comm);
  const auto one = cimpute::complete_missing(dnpp, t, ref);
  CHECK(many.col_ids() == one.col_ids());
  CHECK((many.data() - one.data()).norm() <= 1e-12 * one.data().norm());
}
