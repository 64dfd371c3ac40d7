// The progress line of the `cimpute` tool (see progress.hpp).
#include "progress.hpp"

#include <algorithm>
#include <cstdio>

#include <sys/ioctl.h>
#include <unistd.h>

namespace cimpute_cli {

namespace {

// Seconds as m:ss, or h:mm:ss from an hour on.
std::string clock_time(double seconds) {
  const long s = std::max(0L, long(seconds + 0.5));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

// Columns of the terminal on stderr (80 when unknown).
std::size_t terminal_columns() {
  winsize w{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return 80;
}

} // namespace

bool ProgressLine::wanted(bool quiet) {
  return !quiet && ::isatty(STDERR_FILENO) == 1;
}

ProgressLine::ProgressLine(std::string label, long total, bool enabled)
    : m_label(std::move(label)), m_total(std::max(total, 1L)), m_enabled(enabled),
      m_start(std::chrono::steady_clock::now()), m_step_start(m_start) {
  if (m_enabled) m_ticker = std::thread([this] { tick(); });
}

ProgressLine::~ProgressLine() {
  finish();
}

void ProgressLine::start(const std::string& what) {
  if (!m_enabled) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  m_what = what;
  m_sub_done = m_sub_total = 0;
  m_step_start = std::chrono::steady_clock::now();
  draw_locked();
}

void ProgressLine::advance() {
  if (!m_enabled) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  ++m_done;
  m_sub_done = m_sub_total = 0;
  m_step_start = std::chrono::steady_clock::now();
  m_what.clear(); // drawn again by the next start()
}

void ProgressLine::set_done(long done, const std::string& what) {
  if (!m_enabled) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  m_done = done;
  if (!what.empty()) m_what = what;
  m_step_start = std::chrono::steady_clock::now();
  draw_locked();
}

void ProgressLine::set_step_fraction(long done, long total) {
  if (!m_enabled) return;
  std::lock_guard<std::mutex> lock(m_mutex);
  m_sub_done = std::max(0L, std::min(done, total));
  m_sub_total = std::max(0L, total);
  draw_locked();
}

void ProgressLine::write_above(const std::function<void()>& write) {
  if (!m_enabled) {
    write();
    return;
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  const bool drawn = m_drawn;
  erase_locked();
  write();
  if (drawn && m_done < m_total) draw_locked();
}

void ProgressLine::finish() {
  if (!m_enabled) return;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_stop) return;
    m_stop = true;
    erase_locked();
  }
  m_wake.notify_all();
  if (m_ticker.joinable()) m_ticker.join();
}

void ProgressLine::draw_locked() {
  if (m_stop) return;
  using seconds = std::chrono::duration<double>;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = seconds(now - m_start).count();
  const long done = std::min(m_done, m_total);
  // The finished fraction of the running step, when the step reports its tasks.
  const double f = m_sub_total > 0 && done < m_total ? double(m_sub_done) / double(m_sub_total) : 0;
  std::string line = m_label + ": [" + std::to_string(std::min(done + 1, m_total)) + "/" +
                     std::to_string(m_total) + " " +
                     std::to_string(int(100.0 * (double(done) + f) / double(m_total))) + "%]";
  if (!m_what.empty()) line += " " + m_what;
  if (m_sub_total > 0)
    line += " (" + std::to_string(m_sub_done) + "/" + std::to_string(m_sub_total) + ")";
  line += " | " + clock_time(elapsed) + " elapsed";
  if (done < m_total && (done > 0 || f > 0)) {
    // The running step takes in_step / f when its fraction is known, else the mean of the
    // finished steps; the steps after it take that mean (or this step's estimate).
    const double in_step = seconds(now - m_step_start).count();
    const double mean = done > 0 ? (elapsed - in_step) / double(done) : 0;
    const double this_step = f > 0 ? in_step / f : mean;
    const double after = done > 0 ? mean : this_step;
    const double left = std::max(0.0, this_step - in_step) + after * double(m_total - done - 1);
    line += ", ~" + clock_time(left) + " left";
  } else if (done == 0) {
    line += ", estimating";
  }
  const std::size_t width = terminal_columns();
  if (line.size() >= width) line.resize(width > 1 ? width - 1 : 0);
  // \r to the line start, the text, then erase whatever an older, longer line left.
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  m_drawn = true;
}

void ProgressLine::erase_locked() {
  if (!m_drawn) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  m_drawn = false;
}

void ProgressLine::tick() {
  std::unique_lock<std::mutex> lock(m_mutex);
  while (!m_stop) {
    m_wake.wait_for(lock, std::chrono::seconds(1));
    if (!m_stop && m_drawn) draw_locked();
  }
}

} // namespace cimpute_cli
