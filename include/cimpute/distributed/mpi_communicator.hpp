/// @file mpi_communicator.hpp
/// @brief `MpiCommunicator`: the communicator policy (see `SingleProcess`) over an MPI
/// communicator, with the MPI C API only; `MpiSession` initializes and finalizes MPI.
/// Part of the optional component `CIMPUTE_WITH_MPI` (`find_package(cimpute COMPONENTS mpi)`,
/// target `cimpute::mpi`).
#pragma once

#include "cimpute/core/communicator.hpp"
#include "cimpute/core/errors.hpp"

#include <Eigen/Core>
// The MPI C API only: without these, OpenMPI's and MPICH's mpi.h also declare their removed C++
// bindings, which then need the C++ MPI library at link time.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace cimpute {

namespace detail {
template <class T>
MPI_Datatype mpi_type() {
  if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, float>)
    return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, int>)
    return MPI_INT;
  else if constexpr (std::is_same_v<T, long>)
    return MPI_LONG;
  else if constexpr (std::is_same_v<T, long long>)
    return MPI_LONG_LONG;
  else if constexpr (std::is_same_v<T, char>)
    return MPI_CHAR;
  else if constexpr (std::is_same_v<T, unsigned char>)
    return MPI_UNSIGNED_CHAR;
  else
    static_assert(sizeof(T) == 0, "no MPI datatype for this scalar type");
}

inline void mpi_check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  throw std::runtime_error(std::string("MpiCommunicator: ") + what +
                           " failed: " + std::string(text, std::size_t(len)));
}

// MPI counts are int: longer buffers go in pieces.
constexpr Eigen::Index kMpiChunk = Eigen::Index(1) << 28;
} // namespace detail

/// RAII initialization of MPI (`MPI_Init_thread` with `MPI_THREAD_FUNNELED`: only the main
/// thread calls MPI, OpenMP threads may run between the calls) and `MPI_Finalize`. Does nothing
/// when MPI is already initialized.
class MpiSession {
public:
  MpiSession(int& argc, char**& argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return;
    int provided = 0;
    detail::mpi_check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided),
                      "MPI_Init_thread");
    m_owner = true;
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (m_owner && !finalized) MPI_Finalize();
  }

private:
  bool m_owner = false;
};

/// The communicator policy over an MPI communicator (default `MPI_COMM_WORLD`; not owned).
/// Every member is collective: all processes of the communicator call it in the same order.
/// Failures of MPI itself throw `std::runtime_error`.
///
/// \code
/// cimpute::MpiSession mpi(argc, argv);
/// const cimpute::MpiCommunicator comm;
/// cimpute::PcgNystromSolver<cimpute::NtkKernel<double>, cimpute::MpiCommunicator> s(k, o, comm);
/// s.compute(X_my_rows, 1e-3).solve(Y_my_rows);   // each process passes its own rows
/// \endcode
class MpiCommunicator {
public:
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD) : m_comm(comm) {
    detail::mpi_check(MPI_Comm_rank(m_comm, &m_rank), "MPI_Comm_rank");
    detail::mpi_check(MPI_Comm_size(m_comm, &m_size), "MPI_Comm_size");
  }
  int rank() const noexcept { return m_rank; }
  int size() const noexcept { return m_size; }
  MPI_Comm handle() const noexcept { return m_comm; }
  /// Bytes of payload this process has passed to `sum`, `broadcast` and `share_rows` so far (as
  /// sent by the root or contributed to the reduction; MPI's own traffic depends on its
  /// algorithms: about twice that for a large allreduce).
  double payload_bytes() const noexcept { return m_bytes; }

  /// Element-wise sum over the processes (`MPI_Allreduce`); M has the same shape everywhere.
  template <class Derived>
  void sum(Eigen::PlainObjectBase<Derived>& M) const {
    using T = typename Derived::Scalar;
    m_bytes += double(M.size()) * double(sizeof(T));
    for (Eigen::Index at = 0; at < M.size(); at += detail::kMpiChunk) {
      const int count = int(std::min(detail::kMpiChunk, M.size() - at));
      detail::mpi_check(
          MPI_Allreduce(MPI_IN_PLACE, M.data() + at, count, detail::mpi_type<T>(), MPI_SUM, m_comm),
          "MPI_Allreduce");
    }
  }

  /// The root's M (shape and values) on every process (`MPI_Bcast`).
  template <class Derived>
  void broadcast(Eigen::PlainObjectBase<Derived>& M, int root = 0) const {
    long long shape[2] = {M.rows(), M.cols()};
    detail::mpi_check(MPI_Bcast(shape, 2, MPI_LONG_LONG, root, m_comm), "MPI_Bcast");
    if (m_rank != root) M.resize(Eigen::Index(shape[0]), Eigen::Index(shape[1]));
    raw_broadcast(M.data(), M.size(), root);
  }

  /// Row i of M from process owner[i] on every process (M has the same shape everywhere; one
  /// broadcast of packed rows per process that owns any).
  template <class Derived>
  void share_rows(Eigen::PlainObjectBase<Derived>& M, const std::vector<int>& owner) const {
    using Plain =
        Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    if (Eigen::Index(owner.size()) != M.rows())
      detail::throw_invalid("MpiCommunicator::share_rows", owner.size(), " owners for ", M.rows(),
                            " rows");
    for (int q = 0; q < m_size; ++q) {
      std::vector<Eigen::Index> rows;
      for (std::size_t i = 0; i < owner.size(); ++i)
        if (owner[i] == q) rows.push_back(Eigen::Index(i));
      if (rows.empty()) continue;
      Plain packed(Eigen::Index(rows.size()), M.cols());
      if (q == m_rank) packed = M(rows, Eigen::all);
      raw_broadcast(packed.data(), packed.size(), q);
      if (q != m_rank) M(rows, Eigen::all) = packed;
    }
  }

  /// The maximum of v over the processes.
  double max(double v) const {
    detail::mpi_check(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, m_comm),
                      "MPI_Allreduce");
    return v;
  }

  /// Every process's n, in rank order.
  std::vector<Eigen::Index> gather_sizes(Eigen::Index n) const {
    long long mine = n;
    std::vector<long long> all(static_cast<std::size_t>(m_size));
    detail::mpi_check(MPI_Allgather(&mine, 1, MPI_LONG_LONG, all.data(), 1, MPI_LONG_LONG, m_comm),
                      "MPI_Allgather");
    return std::vector<Eigen::Index>(all.begin(), all.end());
  }

  /// Collective: when some process passes an error, every process throws. The failing process
  /// with the lowest rank sends its message; the others throw `cimpute::invalid_argument` (for
  /// an `std::invalid_argument`, parse errors included), `cimpute::logic_error` or
  /// `std::runtime_error` with the same text, and the failing processes rethrow their own.
  void raise_if_any(const std::exception_ptr& error) const {
    int first = error ? m_rank : m_size;
    detail::mpi_check(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, m_comm),
                      "MPI_Allreduce");
    if (first == m_size) return;
    int kind = 0; // 0 runtime, 1 invalid argument, 2 logic error
    std::string text;
    if (m_rank == first) {
      try {
        std::rethrow_exception(error);
      } catch (const std::invalid_argument& e) {
        kind = 1, text = e.what();
      } catch (const std::logic_error& e) {
        kind = 2, text = e.what();
      } catch (const std::exception& e) {
        text = e.what();
      } catch (...) {
        text = "unknown exception";
      }
    }
    long long head[2] = {kind, static_cast<long long>(text.size())};
    detail::mpi_check(MPI_Bcast(head, 2, MPI_LONG_LONG, first, m_comm), "MPI_Bcast");
    text.resize(std::size_t(head[1]));
    raw_broadcast(text.data(), Eigen::Index(text.size()), first);
    if (error) std::rethrow_exception(error);
    if (head[0] == 1) throw invalid_argument(text);
    if (head[0] == 2) throw logic_error(text);
    throw std::runtime_error(text);
  }

private:
  template <class T>
  void raw_broadcast(T* data, Eigen::Index n, int root) const {
    m_bytes += double(n) * double(sizeof(T));
    for (Eigen::Index at = 0; at < n; at += detail::kMpiChunk) {
      const int count = int(std::min(detail::kMpiChunk, n - at));
      detail::mpi_check(MPI_Bcast(data + at, count, detail::mpi_type<T>(), root, m_comm),
                        "MPI_Bcast");
    }
  }

  MPI_Comm m_comm;
  int m_rank = 0, m_size = 1;
  mutable double m_bytes = 0;
};

} // namespace cimpute
