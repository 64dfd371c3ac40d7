// A progress line on stderr for the long steps of the `cimpute` tool.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cimpute_cli {

/// One updating line on stderr: `cimpute complete: [3/12 25%] ntk, loo | 0:42 elapsed, ~2:06
/// left`. It is drawn only when enabled and stderr is a terminal (`ProgressLine::wanted`), and
/// redrawn every second while a step runs so that the elapsed time moves; on any other stderr
/// (a file, a pipe, a test) it writes nothing. The estimate of the remaining time is the mean
/// duration of the finished steps times the steps left, less the time spent in the current one.
/// Thread-safe: `set_done` may be called from worker threads (e.g. a library progress callback).
class ProgressLine {
public:
  /// A line labelled `label` (e.g. "cimpute complete") over `total` steps.
  ProgressLine(std::string label, long total, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  /// True when progress should be drawn: not `quiet` and stderr is a terminal.
  static bool wanted(bool quiet);

  /// Step `done + 1` starts; `what` describes it.
  void start(const std::string& what);
  /// The current step is finished (the line is redrawn by the next `start`, or by the ticker).
  void advance();
  /// `done` steps are finished (for callbacks that count themselves); `what` (when not empty)
  /// describes the step now running.
  void set_done(long done, const std::string& what = {});
  /// Within the running step, `done` of `total` tasks are finished (a library
  /// `cimpute::ProgressCallback`, e.g. the folds of a protocol): shown as "(done/total)" and used
  /// for the fraction and the estimate.
  void set_step_fraction(long done, long total);
  /// Erases the line, runs `write` (which prints to stdout and flushes it), and draws the line
  /// again below: results and the progress line do not mix on one terminal.
  void write_above(const std::function<void()>& write);
  /// Erases the line and stops redrawing (also done by the destructor).
  void finish();

private:
  void draw_locked();
  void erase_locked();
  void tick();

  std::string m_label;
  long m_total;
  bool m_enabled;
  long m_done = 0;
  long m_sub_done = 0, m_sub_total = 0; // tasks within the running step (0 / 0: unknown)
  std::string m_what;
  std::chrono::steady_clock::time_point m_start, m_step_start;
  bool m_drawn = false, m_stop = false;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::thread m_ticker;
};

} // namespace cimpute_cli
