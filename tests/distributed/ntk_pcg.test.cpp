// NtkPcgCompletion over MPI: each process fits on its own training pairs (an uneven split with a
// one-pair process; the shards of a file read with read_signatures) and the predictions equal one
// process's fit on all the pairs to 1e-10 relative, on the restricted and the full system.
#include <catch2/catch.hpp>

#include <cimpute/completion/complete_missing.hpp>
#include <cimpute/completion/ntk_pcg_completion.hpp>
#include <cimpute/distributed/mpi_communicator.hpp>
#include <cimpute/io/gct.hpp>
#include <cimpute/io/signature_file.hpp>
#include <cimpute/sem/perturbation_simulator.hpp>

#include <filesystem>

namespace {
cimpute::PerturbationTensor<double> screen() {
  cimpute::PerturbationSimulatorParams p;
  p.genes = 20;
  p.drugs = 25;
  p.contexts = 6;
  p.density = 0.6;
  p.seed = 5;
  return cimpute::simulate_perturbations<double>(p).signatures;
}

cimpute::NtkPcgCompletionOptions options(cimpute::PcgSystem system) {
  cimpute::NtkPcgCompletionOptions o;
  o.ntk.prior = cimpute::NtkPrior::TrainAverages;
  o.ntk.ridge = 1e-3;
  o.solver.system = system;
  o.solver.centres = 40; // fewer than the pairs: the Nyström centres matter
  o.solver.tolerance = 1e-12;
  return o;
}

double relative(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return (a - b).norm() / b.norm();
}
} // namespace

TEST_CASE("NtkPcgCompletion over MPI equals one process", "[distributed][completion][ntk-pcg]") {
  const cimpute::MpiCommunicator comm;
  const auto t = screen();
  const auto missing = cimpute::missing_pairs(t);
  REQUIRE(missing.size() > 10);
  // Rank 0 gets one training pair, the others share the rest round-robin. The one-process fit
  // takes the pairs in rank order (the processes' rows concatenated: the global row numbers the
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
    cimpute::NtkPcgCompletion<double> one(options(system));
    const Eigen::MatrixXd want = one.fit(cimpute::TrainingSet<double>(t, all)).predict(missing);
    cimpute::NtkPcgCompletion<double, cimpute::MpiCommunicator> many(options(system), comm);
    many.fit(cimpute::TrainingSet<double>(t, mine));
    CHECK(many.solver().centres() == one.solver().centres());
    CHECK(relative(many.predict(missing), want) < 1e-10);
    // Each process may predict its own pairs only (none on the last one).
    const std::vector<cimpute::PairIndex> part(
        missing.begin(), missing.begin() + (comm.rank() + 1 == comm.size() ? 0 : comm.rank() + 3));
    const Eigen::MatrixXd got = many.predict(part);
    REQUIRE(got.rows() == Eigen::Index(part.size()));
    if (!part.empty()) CHECK(relative(got, want.topRows(got.rows())) < 1e-10);
  }
}

TEST_CASE("NtkPcgCompletion on the shards of a file equals one process on the whole file",
          "[distributed][completion][ntk-pcg][shard]") {
  const cimpute::MpiCommunicator comm;
  const auto t = screen();
  const auto dir = std::filesystem::temp_directory_path() / "cimpute_mpi_tests";
  const std::string file = (dir / "screen.gct").string();
  if (comm.rank() == 0) {
    std::filesystem::create_directories(dir);
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
  MPI_Barrier(MPI_COMM_WORLD);
  const auto whole = cimpute::read_signatures(file);
  cimpute::SignatureReadOptions o;
  o.shard_index = comm.rank();
  o.shard_count = comm.size();
  const auto shard = cimpute::read_signatures(file, o);
  CHECK(shard.num_observed() <= whole.num_observed() / comm.size() + 1);
  const auto missing = cimpute::missing_pairs(whole);
  std::vector<Eigen::Index> all(static_cast<std::size_t>(whole.num_observed())),
      local(static_cast<std::size_t>(shard.num_observed()));
  for (std::size_t r = 0; r < all.size(); ++r) all[r] = Eigen::Index(r);
  for (std::size_t r = 0; r < local.size(); ++r) local[r] = Eigen::Index(r);
  const auto o1 = options(cimpute::PcgSystem::Restricted);
  cimpute::NtkPcgCompletion<double> one(o1);
  const Eigen::MatrixXd want = one.fit(cimpute::TrainingSet<double>(whole, all)).predict(missing);
  cimpute::NtkPcgCompletion<double, cimpute::MpiCommunicator> many(o1, comm);
  CHECK(relative(many.fit(cimpute::TrainingSet<double>(shard, local)).predict(missing), want) <
        1e-10);
  MPI_Barrier(MPI_COMM_WORLD);
  if (comm.rank() == 0) std::filesystem::remove(file);
}
