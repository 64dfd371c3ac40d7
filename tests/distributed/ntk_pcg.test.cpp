// NtkPcgCompletion over MPI: each process fits on its own training pairs (an uneven split with a
// one-pair process, rank_checks.hpp; the shards of a file read with read_signatures) and the
// predictions equal one process's fit on all the pairs to 1e-10 relative.
#include "distributed/rank_checks.hpp"

#include <cimpute/distributed/mpi_communicator.hpp>
#include <cimpute/io/gct.hpp>
#include <cimpute/io/signature_file.hpp>

#include <filesystem>

using rank_checks::ntk_pcg_options;
using rank_checks::relative;

TEST_CASE("NtkPcgCompletion over MPI equals one process", "[distributed][completion][ntk-pcg]") {
  rank_checks::ntk_pcg_equals_one_process(cimpute::MpiCommunicator(), rank_checks::ntk_screen());
}

TEST_CASE("NtkPcgCompletion on the shards of a file equals one process on the whole file",
          "[distributed][completion][ntk-pcg][shard]") {
  const cimpute::MpiCommunicator comm;
  const auto t = rank_checks::ntk_screen();
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
  const auto o1 = ntk_pcg_options(cimpute::PcgSystem::Restricted);
  cimpute::NtkPcgCompletion<double> one(o1);
  const Eigen::MatrixXd want = one.fit(cimpute::TrainingSet<double>(whole, all)).predict(missing);
  cimpute::NtkPcgCompletion<double, cimpute::MpiCommunicator> many(o1, comm);
  CHECK(relative(many.fit(cimpute::TrainingSet<double>(shard, local)).predict(missing), want) <
        1e-10);
  MPI_Barrier(MPI_COMM_WORLD);
  if (comm.rank() == 0) std::filesystem::remove(file);
}
