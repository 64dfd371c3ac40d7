// The assertions of the multi-process tests, for any communicator: each function runs on every
// rank (every rank calls the same collectives) and checks what that rank can know on its own.
// tests/distributed runs them under mpiexec with MpiCommunicator (1, 2 and 3 processes);
// tests/completion/thread_communicator.test.cpp runs them in plain ctest with ThreadCommunicator
// (1, 2 and 3 simulated ranks as threads). Catch2's assertions are not thread-safe, so every
// check takes a lock (RANK_CHECK): never call a collective inside one (its rank would wait for
// the others while holding the lock). No REQUIRE here (a rank that stops early would leave the
// others waiting in a collective).
#pragma once

#include "test_data.hpp"

#include <catch2/catch.hpp>

#include <cimpute/completion/complete_missing.hpp>
#include <cimpute/completion/dnpp.hpp>
#include <cimpute/completion/means.hpp>
#include <cimpute/completion/ntk_pcg_completion.hpp>
#include <cimpute/completion/protocols.hpp>
#include <cimpute/core/communicator.hpp>
#include <cimpute/core/errors.hpp>
#include <cimpute/io/gct.hpp>
#include <cimpute/io/signature_file.hpp>
#include <cimpute/kernels.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>
#include <cimpute/solvers.hpp>

#include <Eigen/Core>

#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace rank_checks {

inline std::mutex& catch_mutex() {
  static std::mutex m;
  return m;
}
} // namespace rank_checks

/// CHECK(cond) under a lock shared by the ranks' threads.
#define RANK_CHECK(...)                                                                            \
  do {                                                                                             \
    std::lock_guard<std::mutex> rank_check_lock_(rank_checks::catch_mutex());                      \
    CHECK(__VA_ARGS__);                                                                            \
  } while (false)
/// RANK_CHECK with a message shown when it fails.
#define RANK_CHECK_MSG(message, ...)                                                               \
  do {                                                                                             \
    std::lock_guard<std::mutex> rank_check_lock_(rank_checks::catch_mutex());                      \
    INFO(message);                                                                                 \
    CHECK(__VA_ARGS__);                                                                            \
  } while (false)

namespace rank_checks {

// ------------------------------------------------------------------------------ communicator

/// Each collective against what the ranks know independently (their rank and the shapes).
template <class Comm>
void collectives(const Comm& comm) {
  const int P = comm.size(), r = comm.rank();
  Eigen::MatrixXd A = Eigen::MatrixXd::Constant(3, 2, double(r + 1));
  comm.sum(A);
  RANK_CHECK((A.array() == double(P * (P + 1) / 2)).all());
  Eigen::VectorXi v = Eigen::VectorXi::Constant(4, r);
  comm.sum(v);
  RANK_CHECK((v.array() == P * (P - 1) / 2).all());

  Eigen::MatrixXf B; // the root's shape travels too
  if (r == P - 1) B = Eigen::MatrixXf::Constant(2, 5, 7.5f);
  comm.broadcast(B, P - 1);
  RANK_CHECK(B.rows() == 2);
  RANK_CHECK(B.cols() == 5);
  RANK_CHECK((B.array() == 7.5f).all());

  // Row i belongs to rank i % P and holds (i, rank-of-owner) there, garbage elsewhere.
  Eigen::MatrixXd M = Eigen::MatrixXd::Constant(7, 2, -1.0);
  std::vector<int> owner;
  for (int i = 0; i < 7; ++i) {
    owner.push_back(cimpute::round_robin_owner(i, P));
    if (owner.back() == r) M.row(i) << i, r;
  }
  comm.share_rows(M, owner);
  for (int i = 0; i < 7; ++i) {
    RANK_CHECK(M(i, 0) == i);
    RANK_CHECK(M(i, 1) == i % P);
  }
  const double largest = comm.max(double(r)); // collectives outside the lock: every rank waits
  RANK_CHECK(largest == P - 1);
  const auto sizes = comm.gather_sizes(10 + r);
  RANK_CHECK(int(sizes.size()) == P);
  for (int q = 0; q < P && q < int(sizes.size()); ++q) RANK_CHECK(sizes[std::size_t(q)] == 10 + q);
  RANK_CHECK(cimpute::even_split(10, 3) == std::vector<Eigen::Index>{4, 3, 3});
}

/// An error on one rank is thrown on every rank.
template <class Comm>
void errors_reach_every_rank(const Comm& comm) {
  const int P = comm.size(), last = P - 1;
  // Bad input on the last rank only: everyone gets its message as an invalid_argument.
  std::string msg;
  try {
    cimpute::collectively(comm, [&] {
      if (comm.rank() == last)
        throw cimpute::parse_error("sigs.gct", 12, "expected 978 values, got 977");
    });
  } catch (const cimpute::invalid_argument& e) {
    msg = e.what();
  }
  RANK_CHECK(msg == "sigs.gct:12: expected 978 values, got 977");
  // Several failing ranks: the lowest rank's message wins, the others rethrow their own.
  try {
    cimpute::collectively(comm, [&] {
      throw std::runtime_error("process " + std::to_string(comm.rank()) + " failed");
    });
  } catch (const std::runtime_error& e) {
    msg = e.what();
  }
  RANK_CHECK(msg == "process " + std::to_string(comm.rank()) + " failed");
  // No error: nothing thrown, and the ranks still pair up in the next collective.
  bool threw = false;
  try {
    cimpute::collectively(comm, [] {});
  } catch (...) {
    threw = true;
  }
  RANK_CHECK_MSG("collectively without an error", !threw);
  const double one = comm.max(1.0);
  RANK_CHECK(one == 1.0);
}

// ------------------------------------------------------------------------- completion protocols

inline cimpute::PerturbationTensor<double> protocol_screen() {
  cimpute::PerturbationSimulatorParams p;
  p.genes = 30;
  p.drugs = 17;
  p.contexts = 5;
  p.density = 0.6;
  p.seed = 11;
  return cimpute::simulate_perturbations<double>(p).signatures;
}

/// Every protocol's predictions and scores over the ranks equal the one-process ones exactly (the
/// refits / folds are computed as on one process and only moved), and impute_pairs returns the
/// same predictions. `t` is the same on every rank.
template <class Comm>
void protocols_equal_one_process(const Comm& comm, const cimpute::PerturbationTensor<double>& t) {
  const std::string ref = t.contexts()[0];
  const cimpute::DnppCompletion<double> dnpp(5);
  const cimpute::MeanCompletion<double> two_way(cimpute::MeanKind::TwoWay);
  const auto same = [](const cimpute::CompletionEvaluation& a,
                       const cimpute::CompletionEvaluation& b) {
    RANK_CHECK(a.predictions == b.predictions);
    RANK_CHECK(a.truths == b.truths);
    RANK_CHECK(a.scores.pearson == b.scores.pearson);
    RANK_CHECK(a.scores.r2 == b.scores.r2);
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
  RANK_CHECK(many.col_ids() == one.col_ids());
  RANK_CHECK((many.data() - one.data()).norm() <= 1e-12 * one.data().norm());
}

// ---------------------------------------------------------------------------- PCG-Nystrom solver

/// With the training rows split in blocks over the ranks (an even split, and a skewed one in
/// which rank 0 holds a single point), the coefficients, centres and predictions equal those of
/// one process on all the rows to 1e-10 relative; for the restricted and the full system, uniform
/// and leverage-score centres, cached and on-the-fly kernels.
template <class Comm>
void pcg_nystrom_equals_one_process(const Comm& comm) {
  using Ntk = cimpute::NtkKernel<double>;
  constexpr auto normal = cimpute_test::normal_matrix;
  constexpr auto rel = cimpute_test::relative_difference;
  const int P = comm.size(), rank = comm.rank();
  const Ntk k(1, 0.1);
  const Eigen::Index n = 203;
  // Unit-scale points and a ridge of 1: K + ridge I has a condition number of a few hundred, so
  // two solutions within the tolerance 1e-13 agree to about 1e-11.
  const Eigen::MatrixXd X = normal(n, 40, 1) / std::sqrt(40.0),
                        Xt = normal(40, 40, 2) / std::sqrt(40.0), Y = normal(n, 3, 3);
  const double ridge = 1.0;
  std::vector<std::vector<Eigen::Index>> splits{cimpute::even_split(n, P)};
  if (P > 1) {
    std::vector<Eigen::Index> skew = cimpute::even_split(n - 1, P - 1);
    skew.insert(skew.begin(), 1);
    splits.push_back(skew);
  }
  for (const auto& counts : splits)
    for (auto system : {cimpute::PcgSystem::Restricted, cimpute::PcgSystem::Full})
      for (auto sampling :
           {cimpute::NystromSampling::Uniform, cimpute::NystromSampling::LeverageScores})
        for (double budget : {0.0, 1e9}) {
          cimpute::PcgNystromOptions o;
          o.centres = 60;
          o.system = system;
          o.sampling = sampling;
          o.memory_budget = budget;
          o.block_rows = 16; // several blocks per rank
          o.tolerance = 1e-13;
          o.max_iterations = 2000;
          o.seed = 7;
          cimpute::PcgNystromSolver<Ntk> one(k, o);
          one.compute(X, ridge).solve(Y);
          const Eigen::MatrixXd pred = one.predict(Xt);

          const Eigen::Index first =
              std::accumulate(counts.begin(), counts.begin() + rank, Eigen::Index(0));
          const Eigen::Index mine = counts[std::size_t(rank)];
          cimpute::PcgNystromSolver<Ntk, Comm> many(k, o, comm);
          many.compute(X.middleRows(first, mine), ridge);
          const Eigen::MatrixXd coef = many.solve(Y.middleRows(first, mine));
          // Each rank predicts its own share of the test points.
          const auto tc = cimpute::even_split(Xt.rows(), P);
          const Eigen::Index t0 = std::accumulate(tc.begin(), tc.begin() + rank, Eigen::Index(0));
          const Eigen::MatrixXd my_pred = many.predict(Xt.middleRows(t0, tc[std::size_t(rank)]));

          std::ostringstream what;
          what << "P " << P << ", rank " << rank << ", rows " << mine << ", system " << int(system)
               << ", sampling " << int(sampling) << ", budget " << budget << ", iterations "
               << one.iterations() << " / " << many.iterations();
          RANK_CHECK_MSG(what.str(), many.centres() == one.centres());
          RANK_CHECK_MSG(what.str(), many.info() == cimpute::ComputationInfo::Success);
          RANK_CHECK_MSG(what.str(), many.kernel_cached() == (budget > 0));
          if (system == cimpute::PcgSystem::Restricted)
            RANK_CHECK_MSG(what.str(), rel(coef, one.coefficients()) < 1e-10);
          else
            RANK_CHECK_MSG(what.str(),
                           rel(coef, one.coefficients().middleRows(first, mine)) < 1e-10);
          RANK_CHECK_MSG(what.str(),
                         rel(my_pred, pred.middleRows(t0, tc[std::size_t(rank)])) < 1e-10);
        }
}

/// Bad input on one rank ends the call on every rank with the same message.
template <class Comm>
void pcg_nystrom_bad_input_fails_everywhere(const Comm& comm) {
  using Ntk = cimpute::NtkKernel<double>;
  constexpr auto normal = cimpute_test::normal_matrix;
  const int P = comm.size(), rank = comm.rank();
  const Ntk k(1, 0.0);
  Eigen::MatrixXd X = normal(10, 4, 5);
  if (rank == P - 1) X(3, 2) = std::numeric_limits<double>::quiet_NaN();
  cimpute::PcgNystromOptions o;
  o.centres = 5;
  cimpute::PcgNystromSolver<Ntk, Comm> s(k, o, comm);
  std::string msg;
  try {
    s.compute(X, 0.1);
  } catch (const cimpute::invalid_argument& e) {
    msg = e.what();
  }
  RANK_CHECK(msg.find("PcgNystromSolver::compute") != std::string::npos);
  RANK_CHECK(msg.find("non-finite value nan in X at row 3, column 2") != std::string::npos);
  // Right-hand sides of the wrong length on rank 0 only.
  X(3, 2) = 0;
  s.compute(X, 0.1);
  const Eigen::MatrixXd Y = normal(rank == 0 ? 9 : 10, 2, 6);
  msg.clear();
  try {
    s.solve(Y);
  } catch (const cimpute::invalid_argument& e) {
    msg = e.what();
  }
  RANK_CHECK(msg.find("Y has 9 rows for 10 points") != std::string::npos);
}

// ---------------------------------------------------------------------------------- NTK by PCG

inline cimpute::PerturbationTensor<double> ntk_screen() {
  cimpute::PerturbationSimulatorParams p;
  p.genes = 20;
  p.drugs = 25;
  p.contexts = 6;
  p.density = 0.6;
  p.seed = 5;
  return cimpute::simulate_perturbations<double>(p).signatures;
}

inline cimpute::NtkPcgCompletionOptions ntk_pcg_options(cimpute::PcgSystem system) {
  cimpute::NtkPcgCompletionOptions o;
  o.ntk.prior = cimpute::NtkPrior::TrainAverages;
  o.ntk.ridge = 1e-3;
  o.solver.system = system;
  o.solver.centres = 40; // fewer than the pairs: the Nyström centres matter
  o.solver.tolerance = 1e-12;
  return o;
}

inline double relative(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return (a - b).norm() / b.norm();
}

/// Each rank fits on its own training pairs (an uneven split with a one-pair rank) and the
/// predictions equal one process's fit on all the pairs to 1e-10 relative, on the restricted and
/// the full system. `t` is the same on every rank.
template <class Comm>
void ntk_pcg_equals_one_process(const Comm& comm, const cimpute::PerturbationTensor<double>& t) {
  const auto missing = cimpute::missing_pairs(t);
  RANK_CHECK(missing.size() > 10);
  // Rank 0 gets one training pair, the others share the rest round-robin. The one-process fit
  // takes the pairs in rank order (the ranks' rows concatenated: the global row numbers the
  // centres are drawn from).
  std::vector<Eigen::Index> mine, all;
  for (int q = 0; q < comm.size(); ++q)
    for (Eigen::Index r = 0; r < t.num_observed(); ++r) {
      const int owner = comm.size() == 1 ? 0 : (r == 0 ? 0 : 1 + int(r % (comm.size() - 1)));
      if (owner != q) continue;
      all.push_back(r);
      if (q == comm.rank()) mine.push_back(r);
    }
  for (auto system : {cimpute::PcgSystem::Restricted, cimpute::PcgSystem::Full}) {
    cimpute::NtkPcgCompletion<double> one(ntk_pcg_options(system));
    const Eigen::MatrixXd want = one.fit(cimpute::TrainingSet<double>(t, all)).predict(missing);
    cimpute::NtkPcgCompletion<double, Comm> many(ntk_pcg_options(system), comm);
    many.fit(cimpute::TrainingSet<double>(t, mine));
    RANK_CHECK(many.solver().centres() == one.solver().centres());
    const Eigen::MatrixXd all_predicted = many.predict(missing); // collective
    RANK_CHECK(relative(all_predicted, want) < 1e-10);
    // Each rank may predict its own pairs only (none on the last one).
    const std::vector<cimpute::PairIndex> part(
        missing.begin(), missing.begin() + (comm.rank() + 1 == comm.size() ? 0 : comm.rank() + 3));
    const Eigen::MatrixXd got = many.predict(part);
    RANK_CHECK(got.rows() == Eigen::Index(part.size()));
    if (!part.empty() && got.rows() == Eigen::Index(part.size()))
      RANK_CHECK(relative(got, want.topRows(got.rows())) < 1e-10);
  }
}

/// Writes the observed signatures of `t` to a GCT file, one column per pair with its pert_id and
/// cell_id: the file `ntk_pcg_file_shards_equal_whole` reads in shards.
inline void write_screen_gct(const cimpute::PerturbationTensor<double>& t,
                             const std::string& file) {
  std::vector<std::string> ids, pert, cell;
  for (Eigen::Index r = 0; r < t.num_observed(); ++r) {
    const auto& q = t.observed_pairs()[std::size_t(r)];
    ids.push_back("s" + std::to_string(r));
    pert.push_back(t.perturbations()[q.perturbation]);
    cell.push_back(t.contexts()[q.context]);
  }
  cimpute::MetadataTable meta(t.num_observed());
  meta.add_field("pert_id", pert);
  meta.add_field("cell_id", cell);
  cimpute::write_gct(
      file, cimpute::LabeledMatrix<double>(t.observed().transpose(), t.features().ids(), ids,
                                           cimpute::MetadataTable(t.num_features()), meta));
}

/// Each rank reads only its shard of `file` (`read_signatures` with `shard_index` /
/// `shard_count`), fits on it, and the predictions equal one process's fit on the whole file to
/// 1e-10 relative. Every rank must see the file.
template <class Comm>
void ntk_pcg_file_shards_equal_whole(const Comm& comm, const std::string& file) {
  const auto whole = cimpute::read_signatures(file);
  cimpute::SignatureReadOptions o;
  o.shard_index = comm.rank();
  o.shard_count = comm.size();
  const auto shard = cimpute::read_signatures(file, o);
  RANK_CHECK(shard.num_observed() <= whole.num_observed() / comm.size() + 1);
  const auto missing = cimpute::missing_pairs(whole);
  std::vector<Eigen::Index> all(static_cast<std::size_t>(whole.num_observed())),
      local(static_cast<std::size_t>(shard.num_observed()));
  std::iota(all.begin(), all.end(), Eigen::Index(0));
  std::iota(local.begin(), local.end(), Eigen::Index(0));
  const auto options = ntk_pcg_options(cimpute::PcgSystem::Restricted);
  cimpute::NtkPcgCompletion<double> one(options);
  const Eigen::MatrixXd want = one.fit(cimpute::TrainingSet<double>(whole, all)).predict(missing);
  cimpute::NtkPcgCompletion<double, Comm> many(options, comm);
  many.fit(cimpute::TrainingSet<double>(shard, local));
  const Eigen::MatrixXd got = many.predict(missing); // collective
  RANK_CHECK(relative(got, want) < 1e-10);
}

} // namespace rank_checks
