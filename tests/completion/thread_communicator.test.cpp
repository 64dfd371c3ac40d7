// The multi-process branches without MPI: the assertions of the MPI tests (rank_checks.hpp) on
// 1, 2 and 3 simulated ranks of ThreadCommunicator, in plain ctest.
#include "distributed/rank_checks.hpp"

#include <cimpute/core/thread_communicator.hpp>

#include <atomic>
#include <filesystem>

using cimpute::ThreadCommunicator;

TEST_CASE("ThreadCommunicator: the collectives and errors of the MPI tests", "[distributed]") {
  for (int ranks : {1, 2, 3}) {
    CAPTURE(ranks);
    cimpute::run_on_ranks(ranks, [](const ThreadCommunicator& c) { rank_checks::collectives(c); });
    cimpute::run_on_ranks(
        ranks, [](const ThreadCommunicator& c) { rank_checks::errors_reach_every_rank(c); });
  }
  // run_on_ranks itself: every rank runs once; an escaping exception reaches the caller after
  // every thread has finished.
  std::atomic<int> runs{0};
  cimpute::run_on_ranks(4, [&](const ThreadCommunicator& c) {
    RANK_CHECK(c.size() == 4);
    ++runs;
  });
  CHECK(runs == 4);
  CHECK_THROWS_WITH(cimpute::run_on_ranks(2,
                                          [](const ThreadCommunicator& c) {
                                            if (c.rank() == 1) throw std::runtime_error("rank 1");
                                          }),
                    "rank 1");
  CHECK_THROWS_WITH(cimpute::run_on_ranks(0, [](const ThreadCommunicator&) {}),
                    Catch::Contains("size must be >= 1"));
}

TEST_CASE("ThreadCommunicator: the completion protocols and NTK-PCG equal one process",
          "[distributed][completion]") {
  const auto screen = rank_checks::protocol_screen();
  const auto ntk = rank_checks::ntk_screen();
  for (int ranks : {1, 2, 3}) {
    CAPTURE(ranks);
    cimpute::run_on_ranks(ranks, [&](const ThreadCommunicator& c) {
      rank_checks::protocols_equal_one_process(c, screen);
    });
    cimpute::run_on_ranks(ranks, [&](const ThreadCommunicator& c) {
      rank_checks::ntk_pcg_equals_one_process(c, ntk);
    });
  }
}

TEST_CASE("ThreadCommunicator: NTK-PCG on the shards of a file equals the whole file",
          "[distributed][completion][shard]") {
  const auto dir = std::filesystem::temp_directory_path() / "cimpute_thread_rank_tests";
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "screen.gct").string();
  rank_checks::write_screen_gct(rank_checks::ntk_screen(), file);
  for (int ranks : {1, 2, 3}) {
    CAPTURE(ranks);
    cimpute::run_on_ranks(ranks, [&](const ThreadCommunicator& c) {
      rank_checks::ntk_pcg_file_shards_equal_whole(c, file);
    });
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("ThreadCommunicator: PCG-Nystrom over ranks equals one process", "[distributed][pcg]") {
  for (int ranks : {1, 2, 3}) {
    CAPTURE(ranks);
    cimpute::run_on_ranks(
        ranks, [](const ThreadCommunicator& c) { rank_checks::pcg_nystrom_equals_one_process(c); });
    cimpute::run_on_ranks(ranks, [](const ThreadCommunicator& c) {
      rank_checks::pcg_nystrom_bad_input_fails_everywhere(c);
    });
  }
}
