// NtkPcgCompletion over MPI: each process fits on its own training pairs (an uneven split with a
// one-pair process, rank_checks.hpp; the shards of a file read with read_signatures) and the
// predictions equal one process's fit on all the pairs to 1e-10 relative.
#include "distributed/rank_checks.hpp"

#include <cimpute/distributed/mpi_communicator.hpp>

#include <filesystem>

TEST_CASE("NtkPcgCompletion over MPI equals one process", "[distributed][completion][ntk-pcg]") {
  rank_checks::ntk_pcg_equals_one_process(cimpute::MpiCommunicator(), rank_checks::ntk_screen());
}

TEST_CASE("NtkPcgCompletion on the shards of a file equals one process on the whole file",
          "[distributed][completion][ntk-pcg][shard]") {
  const cimpute::MpiCommunicator comm;
  const auto dir = std::filesystem::temp_directory_path() / "cimpute_mpi_tests";
  const std::string file = (dir / "screen.gct").string();
  if (comm.rank() == 0) {
    std::filesystem::create_directories(dir);
    rank_checks::write_screen_gct(rank_checks::ntk_screen(), file);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  rank_checks::ntk_pcg_file_shards_equal_whole(comm, file);
  MPI_Barrier(MPI_COMM_WORLD);
  if (comm.rank() == 0) std::filesystem::remove(file);
}
