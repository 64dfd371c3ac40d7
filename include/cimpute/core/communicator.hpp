/// @file communicator.hpp
/// @brief `SingleProcess`, the default communicator policy of the algorithms that can run over
/// several processes (`PcgNystromSolver`, the completion protocols, `impute_pairs`, `discover`),
/// and the helpers they share. The MPI policy, `MpiCommunicator`, lives in the optional
/// `cimpute/distributed/` component; nothing here depends on MPI.
#pragma once

#include <Eigen/Core>

#include <exception>
#include <vector>

namespace cimpute {

/// The communicator of one process: every collective is the identity. A communicator policy
/// (this one or `MpiCommunicator`) provides, as `const` members:
/// - `rank()`, `size()`: this process's index and the number of processes;
/// - `sum(M)`: replaces the dense matrix / array M (the same shape on every process) by the
///   element-wise sum over the processes;
/// - `broadcast(M, root)`: gives every process the root's M (shape included);
/// - `share_rows(M, owner)`: row i of M is copied from process `owner[i]` to every process;
/// - `max(v)`: the maximum of a double over the processes;
/// - `gather_sizes(n)`: every process's n, in rank order;
/// - `raise_if_any(error)`: collective; when some process has an error, every process throws
///   the same exception (the lowest failing rank's message), so that no process waits forever
///   in a later collective for one that failed.
struct SingleProcess {
  int rank() const noexcept { return 0; }
  int size() const noexcept { return 1; }
  template <class Derived>
  void sum(Eigen::PlainObjectBase<Derived>&) const noexcept {}
  template <class Derived>
  void broadcast(Eigen::PlainObjectBase<Derived>&, int /*root*/ = 0) const noexcept {}
  template <class Derived>
  void share_rows(Eigen::PlainObjectBase<Derived>&, const std::vector<int>&) const noexcept {}
  double max(double v) const noexcept { return v; }
  std::vector<Eigen::Index> gather_sizes(Eigen::Index n) const { return {n}; }
  void raise_if_any(const std::exception_ptr& error) const {
    if (error) std::rethrow_exception(error);
  }
};

/// Runs `f()` on every process and then `comm.raise_if_any`: an exception on any process is
/// thrown on all of them. Use it around work that some processes may fail on their own (reading
/// their share of a file, validating their points) before the next collective.
template <class Comm, class F>
void collectively(const Comm& comm, F&& f) {
  std::exception_ptr error;
  try {
    f();
  } catch (...) {
    error = std::current_exception();
  }
  comm.raise_if_any(error);
}

/// The process that owns work item k of a round-robin split over `size` processes.
inline int round_robin_owner(Eigen::Index k, int size) noexcept {
  return int(k % size);
}

/// The owners of n work items split round-robin over `size` processes.
inline std::vector<int> round_robin_owners(Eigen::Index n, int size) {
  std::vector<int> owner(static_cast<std::size_t>(n));
  for (Eigen::Index k = 0; k < n; ++k) owner[std::size_t(k)] = round_robin_owner(k, size);
  return owner;
}

/// The work items (indices into `owner`) of process `rank`.
inline std::vector<long> items_of(const std::vector<int>& owner, int rank) {
  std::vector<long> out;
  for (std::size_t k = 0; k < owner.size(); ++k)
    if (owner[k] == rank) out.push_back(long(k));
  return out;
}

/// Sizes of the contiguous row blocks of an even split of n rows over `size` processes: the first
/// n % size blocks have one row more.
inline std::vector<Eigen::Index> even_split(Eigen::Index n, int size) {
  std::vector<Eigen::Index> out(static_cast<std::size_t>(size), n / size);
  for (Eigen::Index r = 0; r < n % size; ++r) ++out[std::size_t(r)];
  return out;
}

/// The owner of each row when process q holds the next `counts[q]` rows (in rank order).
inline std::vector<int> block_owners(const std::vector<Eigen::Index>& counts) {
  std::vector<int> owner;
  for (std::size_t q = 0; q < counts.size(); ++q)
    owner.insert(owner.end(), std::size_t(counts[q]), int(q));
  return owner;
}

} // namespace cimpute
