// MpiCommunicator: each collective against what the processes know independently (their rank
// and the shapes), and errors on one process becoming the same exception on all of them.
#include <catch2/catch.hpp>

#include <cimpute/core/communicator.hpp>
#include <cimpute/core/errors.hpp>
#include <cimpute/distributed/mpi_communicator.hpp>

#include <Eigen/Core>

#include <string>

TEST_CASE("MpiCommunicator: sum, broadcast, share_rows, max, gather_sizes", "[distributed]") {
  const cimpute::MpiCommunicator comm;
  const int P = comm.size(), r = comm.rank();
  Eigen::MatrixXd A = Eigen::MatrixXd::Constant(3, 2, double(r + 1));
  comm.sum(A);
  CHECK((A.array() == double(P * (P + 1) / 2)).all());
  Eigen::VectorXi v = Eigen::VectorXi::Constant(4, r);
  comm.sum(v);
  CHECK((v.array() == P * (P - 1) / 2).all());

  Eigen::MatrixXf B; // the root's shape travels too
  if (r == P - 1) B = Eigen::MatrixXf::Constant(2, 5, 7.5f);
  comm.broadcast(B, P - 1);
  CHECK(B.rows() == 2);
  CHECK(B.cols() == 5);
  CHECK((B.array() == 7.5f).all());

  // Row i belongs to process i % P and holds (i, rank-of-owner) there, garbage elsewhere.
  Eigen::MatrixXd M = Eigen::MatrixXd::Constant(7, 2, -1.0);
  std::vector<int> owner;
  for (int i = 0; i < 7; ++i) {
    owner.push_back(cimpute::round_robin_owner(i, P));
    if (owner.back() == r) M.row(i) << i, r;
  }
  comm.share_rows(M, owner);
  for (int i = 0; i < 7; ++i) {
    CHECK(M(i, 0) == i);
    CHECK(M(i, 1) == i % P);
  }
  CHECK(comm.max(double(r)) == P - 1);
  const auto sizes = comm.gather_sizes(10 + r);
  REQUIRE(int(sizes.size()) == P);
  for (int q = 0; q < P; ++q) CHECK(sizes[std::size_t(q)] == 10 + q);
  CHECK(cimpute::even_split(10, 3) == std::vector<Eigen::Index>{4, 3, 3});
}

TEST_CASE("MpiCommunicator: an error on one process is thrown on every process", "[distributed]") {
  const cimpute::MpiCommunicator comm;
  const int P = comm.size(), last = P - 1;
  // Bad input on the last process only: everyone gets its message as an invalid_argument.
  std::string msg;
  try {
    cimpute::collectively(comm, [&] {
      if (comm.rank() == last)
        throw cimpute::parse_error("sigs.gct", 12, "expected 978 values, got 977");
    });
  } catch (const cimpute::invalid_argument& e) {
    msg = e.what();
  }
  CHECK(msg == "sigs.gct:12: expected 978 values, got 977");
  // Several failing processes: the lowest rank's message wins, the others rethrow their own.
  try {
    cimpute::collectively(comm, [&] {
      throw std::runtime_error("process " + std::to_string(comm.rank()) + " failed");
    });
  } catch (const std::runtime_error& e) {
    msg = e.what();
  }
  CHECK(msg == "process " + std::to_string(comm.rank()) + " failed");
  // No error: nothing thrown, and the processes still pair up in the next collective.
  CHECK_NOTHROW(cimpute::collectively(comm, [] {}));
  CHECK(comm.max(1.0) == 1.0);
}
