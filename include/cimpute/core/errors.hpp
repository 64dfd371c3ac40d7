/// @file errors.hpp
/// @brief Exception types and the numerical status enum shared by every module.
#pragma once

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace cimpute {

/// Bad input: the message names the function and the offending value.
class invalid_argument : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

/// Wrong call order (e.g. `solve()` before `compute()`).
class logic_error : public std::logic_error {
public:
  using std::logic_error::logic_error;
};

/// A malformed file. Carries the file name, the 1-based line and column (0 when unknown) and
/// what the parser expected; `what()` is `file:line[:column]: message`.
class parse_error : public invalid_argument {
public:
  parse_error(std::string file, std::size_t line, std::size_t column, const std::string& message)
      : invalid_argument(format(file, line, column, message)), m_file(std::move(file)),
        m_line(line), m_column(column), m_message(message) {}
  parse_error(std::string file, std::size_t line, const std::string& message)
      : parse_error(std::move(file), line, 0, message) {}

  /// The file being parsed.
  const std::string& file() const noexcept { return m_file; }
  /// 1-based line number, 0 when the error is not tied to a line.
  std::size_t line() const noexcept { return m_line; }
  /// 1-based column (field) number, 0 when unknown.
  std::size_t column() const noexcept { return m_column; }
  /// The message without the location prefix.
  const std::string& message() const noexcept { return m_message; }

private:
  static std::string format(const std::string& file, std::size_t line, std::size_t column,
                            const std::string& message) {
    std::ostringstream os;
    os << file;
    if (line > 0) os << ':' << line;
    if (line > 0 && column > 0) os << ':' << column;
    os << ": " << message;
    return os.str();
  }
  std::string m_file;
  std::size_t m_line;
  std::size_t m_column;
  std::string m_message;
};

/// Outcome of a numerical computation, reported by `info()` of stateful solvers.
enum class ComputationInfo {
  Success,        ///< The computation succeeded.
  NumericalIssue, ///< The input was numerically unsuitable (e.g. not positive definite).
  NoConvergence,  ///< An iterative method did not reach its tolerance.
  InvalidInput    ///< The input was rejected.
};

namespace detail {
inline void append_all(std::ostringstream&) {}
template <class T, class... Rest>
void append_all(std::ostringstream& os, const T& v, const Rest&... rest) {
  os << v;
  append_all(os, rest...);
}
/// Concatenate the streamable arguments into a string.
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  append_all(os, args...);
  return os.str();
}
/// Throw `cimpute::invalid_argument` with "function: message...".
template <class... Args>
[[noreturn]] void throw_invalid(const char* function, const Args&... args) {
  throw invalid_argument(cat(function, ": ", args...));
}
/// Throw `cimpute::logic_error` with "function: message...".
template <class... Args>
[[noreturn]] void throw_logic(const char* function, const Args&... args) {
  throw logic_error(cat(function, ": ", args...));
}
} // namespace detail
} // namespace cimpute
