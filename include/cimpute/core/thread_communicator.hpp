/// @file thread_communicator.hpp
/// @brief `ThreadCommunicator`: N simulated ranks as threads of one process, a communicator
/// policy like `SingleProcess` and `MpiCommunicator` (the contract is documented with
/// `SingleProcess` in communicator.hpp). The multi-rank branches of the algorithms that run over
/// MPI (the completion protocols, `impute_pairs`, `PcgNystromSolver`, `discover`) run with it in
/// one process, without MPI: `run_on_ranks(3, [&](const ThreadCommunicator& comm) { ... })`.
///
/// Each collective is a rendezvous of all the ranks (every rank must call the same collectives
/// in the same order, as with MPI); reductions run in rank order, so results are deterministic.
#pragma once

#include "cimpute/core/errors.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cimpute {

namespace detail {
/// What the ranks of one `run_on_ranks` share: a reusable barrier and one exchange slot each.
class ThreadTeam {
public:
  explicit ThreadTeam(int size)
      : m_size(size), m_slots(std::size_t(size)), m_values(std::size_t(size)),
        m_errors(std::size_t(size)) {}

  int size() const noexcept { return m_size; }

  /// Blocks until every rank has arrived (a generation-counting barrier, reusable).
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(m_mutex);
    const std::size_t generation = m_generation;
    if (++m_arrived == m_size) {
      m_arrived = 0;
      ++m_generation;
      m_cv.notify_all();
      return;
    }
    m_cv.wait(lock, [&] { return m_generation != generation; });
  }

  std::vector<const void*>& slots() noexcept { return m_slots; }
  std::vector<double>& values() noexcept { return m_values; }
  std::vector<std::exception_ptr>& errors() noexcept { return m_errors; }
  /// The first failing rank's error, as kind (0 runtime, 1 invalid argument, 2 logic) and text.
  int error_kind = 0;
  std::string error_text;

private:
  int m_size;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  int m_arrived = 0;
  std::size_t m_generation = 0;
  std::vector<const void*> m_slots;
  std::vector<double> m_values;
  std::vector<std::exception_ptr> m_errors;
};
} // namespace detail

/// One simulated rank of a `run_on_ranks` team. Copies share the team (as copies of an MPI
/// communicator share the processes).
class ThreadCommunicator {
public:
  ThreadCommunicator(std::shared_ptr<detail::ThreadTeam> team, int rank)
      : m_team(std::move(team)), m_rank(rank) {}

  int rank() const noexcept { return m_rank; }
  int size() const noexcept { return m_team->size(); }

  /// Every rank's M replaced by the element-wise sum over the ranks (added in rank order).
  template <class Derived>
  void sum(Eigen::PlainObjectBase<Derived>& m) const {
    exchange(&m.derived());
    Derived total = *at<Derived>(0);
    for (int r = 1; r < size(); ++r) {
      const Derived& other = *at<Derived>(r);
      if (other.rows() != total.rows() || other.cols() != total.cols())
        detail::throw_logic("ThreadCommunicator::sum", "rank ", r, " has a ", other.rows(), " x ",
                            other.cols(), " matrix, rank 0 a ", total.rows(), " x ", total.cols());
      total += other;
    }
    m_team->arrive_and_wait(); // every rank has read every M
    m = total;
  }

  /// Every rank gets the root's M (shape included).
  template <class Derived>
  void broadcast(Eigen::PlainObjectBase<Derived>& m, int root = 0) const {
    exchange(&m.derived());
    Derived copy;
    if (m_rank != root) copy = *at<Derived>(root);
    m_team->arrive_and_wait();
    if (m_rank != root) m = copy;
  }

  /// Row i of M copied from rank `owner[i]` to every rank.
  template <class Derived>
  void share_rows(Eigen::PlainObjectBase<Derived>& m, const std::vector<int>& owner) const {
    if (Eigen::Index(owner.size()) != m.rows())
      detail::throw_invalid("ThreadCommunicator::share_rows", owner.size(), " owners for ",
                            m.rows(), " rows");
    exchange(&m.derived());
    Derived out = m;
    for (std::size_t i = 0; i < owner.size(); ++i)
      if (owner[i] != m_rank)
        out.row(Eigen::Index(i)) = at<Derived>(owner[i])->row(Eigen::Index(i));
    m_team->arrive_and_wait();
    m = out;
  }

  /// The maximum of `v` over the ranks.
  double max(double v) const {
    const std::vector<double> all = gather(v);
    return *std::max_element(all.begin(), all.end());
  }

  /// Every rank's n, in rank order.
  std::vector<Eigen::Index> gather_sizes(Eigen::Index n) const {
    const std::vector<double> all = gather(double(n));
    std::vector<Eigen::Index> out;
    for (double x : all) out.push_back(Eigen::Index(x));
    return out;
  }

  /// Collective: when some rank has an error, every rank throws: the failing ranks their own
  /// exception, the others one of the same kind with the lowest failing rank's message (as
  /// `MpiCommunicator` does).
  void raise_if_any(const std::exception_ptr& error) const {
    auto& team = *m_team;
    team.errors()[std::size_t(m_rank)] = error;
    team.arrive_and_wait();
    int first = size();
    for (int r = 0; r < size(); ++r)
      if (team.errors()[std::size_t(r)]) {
        first = r;
        break;
      }
    if (m_rank == first) {
      try {
        std::rethrow_exception(error);
      } catch (const std::invalid_argument& e) {
        team.error_kind = 1, team.error_text = e.what();
      } catch (const std::logic_error& e) {
        team.error_kind = 2, team.error_text = e.what();
      } catch (const std::exception& e) {
        team.error_kind = 0, team.error_text = e.what();
      } catch (...) {
        team.error_kind = 0, team.error_text = "unknown exception";
      }
    }
    team.arrive_and_wait(); // the first failing rank's message is written
    const int kind = team.error_kind;
    const std::string text = first < size() ? team.error_text : std::string();
    team.arrive_and_wait(); // every rank has read it
    if (first == size()) return;
    if (error) std::rethrow_exception(error);
    if (kind == 1) throw invalid_argument(text);
    if (kind == 2) throw logic_error(text);
    throw std::runtime_error(text);
  }

private:
  // Publishes this rank's object and waits for every rank's.
  void exchange(const void* mine) const {
    m_team->slots()[std::size_t(m_rank)] = mine;
    m_team->arrive_and_wait();
  }
  template <class Derived>
  const Derived* at(int rank) const {
    return static_cast<const Derived*>(m_team->slots()[std::size_t(rank)]);
  }
  std::vector<double> gather(double v) const {
    m_team->values()[std::size_t(m_rank)] = v;
    m_team->arrive_and_wait();
    std::vector<double> all = m_team->values();
    m_team->arrive_and_wait();
    return all;
  }

  std::shared_ptr<detail::ThreadTeam> m_team;
  int m_rank;
};

/// Runs `f(comm)` on `size` threads, one per simulated rank (`comm.rank()` = 0 .. size - 1), and
/// waits for all of them. An exception that escapes `f` on some rank is rethrown after every
/// thread has finished (the lowest such rank's). A rank that throws outside a collective while
/// the others wait in one deadlocks, as with MPI: wrap such work in `collectively`.
template <class F>
void run_on_ranks(int size, F&& f) {
  if (size < 1) detail::throw_invalid("run_on_ranks", "size must be >= 1, got ", size);
  auto team = std::make_shared<detail::ThreadTeam>(size);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size));
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r)
    threads.emplace_back([&, r] {
      try {
        f(ThreadCommunicator(team, r));
      } catch (...) {
        errors[std::size_t(r)] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

} // namespace cimpute
