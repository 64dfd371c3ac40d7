/// @file progress.hpp
/// @brief `ProgressCallback`: how long library calls (evaluation protocols, searches, training,
/// bootstrap) report their progress, and `detail::ProgressCounter`, which reports the finished
/// tasks of a parallel loop through one.
#pragma once

#include <functional>
#include <mutex>

namespace cimpute {

/// Progress of a long computation: called as `progress(done, total)` after each finished unit of
/// work (a fold, a refit), `done` counting from 1 up to `total`. Calls may come from worker
/// threads, but never two at a time and always with `done` increasing; a callback should return
/// quickly (draw a line, check a clock). An empty function reports nothing.
using ProgressCallback = std::function<void(long done, long total)>;

namespace detail {
/// Counts the finished tasks of a (parallel) loop and reports each through a `ProgressCallback`,
/// one call at a time. Costs nothing when the callback is empty.
class ProgressCounter {
public:
  ProgressCounter(const ProgressCallback& progress, long total)
      : m_progress(progress), m_total(total) {}
  /// One more task is finished.
  void step() {
    if (!m_progress) return;
    const std::lock_guard<std::mutex> lock(m_mutex);
    m_progress(++m_done, m_total);
  }

private:
  const ProgressCallback& m_progress;
  long m_total;
  long m_done = 0;
  std::mutex m_mutex;
};
} // namespace detail

} // namespace cimpute
