// Option validators, output-path checks and small helpers of the `cimpute` tool (see cli.hpp).
#include "cli.hpp"

#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>
#include <system_error>

#include <unistd.h>

namespace cimpute_cli {

namespace {

// `s` as a decimal integer without sign, with leading zeros dropped; false when it is not one
// or does not fit in `T`.
template <class T>
bool decimal(std::string& s, T& out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return false;
  const auto nz = s.find_first_not_of('0');
  s = nz == std::string::npos ? "0" : s.substr(nz);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// CLI11's formatter with every free text word-wrapped to the help width.
class HelpFormatter : public CLI::Formatter {
public:
  HelpFormatter() { column_width(kHelpColumnWidth); }
  std::string make_option_desc(const CLI::Option* opt) const override {
    return wrap(CLI::Formatter::make_option_desc(opt), kHelpWidth - kHelpColumnWidth);
  }
  std::string make_subcommand(const CLI::App* sub) const override {
    std::stringstream out;
    CLI::detail::format_help(out, sub->get_display_name(true),
                             wrap(sub->get_description(), kHelpWidth - kHelpColumnWidth),
                             kHelpColumnWidth);
    return out.str();
  }
  std::string make_description(const CLI::App* app) const override {
    const std::string d = app->get_description();
    return d.empty() ? d : wrap(d, kHelpWidth) + "\n";
  }
  std::string make_footer(const CLI::App* app) const override {
    const std::string f = app->get_footer();
    return f.empty() ? f : wrap(f, kHelpWidth) + "\n";
  }
};

} // namespace

void set_help_formatter(CLI::App& app) {
  app.formatter(std::make_shared<HelpFormatter>());
}

std::string wrap(const std::string& text, std::size_t width) {
  std::string out;
  std::stringstream paragraphs(text);
  std::string paragraph;
  bool first_paragraph = true;
  while (std::getline(paragraphs, paragraph, '\n')) {
    if (!first_paragraph) out += '\n';
    first_paragraph = false;
    std::stringstream words(paragraph);
    std::string word;
    std::size_t column = 0;
    while (words >> word) {
      if (column > 0 && column + 1 + word.size() > width) {
        out += '\n';
        column = 0;
      } else if (column > 0) {
        out += ' ';
        ++column;
      }
      out += word;
      column += word.size();
    }
  }
  return out;
}

void add_quiet_flag(CLI::App& sub, bool& quiet) {
  sub.add_flag("-q,--quiet", quiet, "no notes and no progress on stderr (errors still go there)");
}

CLI::Validator integer_at_least(int lo) {
  return CLI::Validator(
      [lo](std::string& s) -> std::string {
        int v = 0;
        std::string t = s;
        if (!decimal(t, v) || v < lo)
          return "needs an integer >= " + std::to_string(lo) + ", got '" + s + "'";
        s = t;
        return {};
      },
      lo == 0   ? "NONNEGATIVE"
      : lo == 1 ? "POSITIVE"
                : ">=" + std::to_string(lo),
      "integer_at_least");
}

CLI::Validator positive_integer() {
  return integer_at_least(1);
}

CLI::Validator non_negative_integer() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        std::uint64_t v = 0;
        std::string t = s;
        if (!decimal(t, v)) return "needs an integer in [0, 2^64 - 1], got '" + s + "'";
        s = t;
        return {};
      },
      "NONNEGATIVE", "non_negative_integer");
}

CLI::Validator non_negative_number() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const char* first = s.data();
        const char* last = s.data() + s.size();
        if (first != last && *first == '+') ++first;
        double x = 0;
        const auto r = std::from_chars(first, last, x);
        if (s.empty() || r.ec != std::errc() || r.ptr != last || !(x >= 0) || !std::isfinite(x))
          return "needs a number >= 0, got '" + s + "'";
        return {};
      },
      "NONNEGATIVE", "non_negative_number");
}

CLI::Validator unit_interval(bool one_allowed) {
  return CLI::Validator(
      [one_allowed](std::string& s) -> std::string {
        const char* first = s.data();
        const char* last = s.data() + s.size();
        if (first != last && *first == '+') ++first;
        double x = 0;
        const auto r = std::from_chars(first, last, x);
        const bool ok = !s.empty() && r.ec == std::errc() && r.ptr == last && x > 0 &&
                        (x < 1 || (one_allowed && x == 1));
        if (!ok)
          return std::string("needs a number in (0, 1") + (one_allowed ? "]" : ")") + ", got '" +
                 s + "'";
        return {};
      },
      one_allowed ? "(0, 1]" : "(0, 1)", "unit_interval");
}

CLI::Validator positive_integer_list() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const auto items = split(s, ',');
        if (items.empty()) return "needs comma-separated integers >= 1, got '" + s + "'";
        std::string normalized;
        for (auto item : items) {
          int v = 0;
          if (!decimal(item, v) || v < 1)
            return "needs comma-separated integers >= 1, got '" + s + "'";
          normalized += (normalized.empty() ? "" : ",") + item;
        }
        s = normalized;
        return {};
      },
      "", "positive_integer_list");
}

std::string output_path_problem(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty()) return "empty file name";
  std::error_code ec;
  const fs::path p(path);
  const fs::file_status st = fs::status(p, ec);
  if (!ec && fs::exists(st)) {
    if (fs::is_directory(st)) return "it is a directory";
    // A device or pipe (/dev/stdout, a FIFO) is written to directly.
    if (fs::is_character_file(st) || fs::is_fifo(st))
      return ::access(path.c_str(), W_OK) == 0 ? "" : "it is not writable";
  }
  // A regular file is created (or replaced) through a temporary file in its folder.
  fs::path folder = p.parent_path();
  if (folder.empty()) folder = ".";
  const fs::file_status fst = fs::status(folder, ec);
  if (ec || !fs::exists(fst)) return "folder '" + folder.string() + "' does not exist";
  if (!fs::is_directory(fst)) return "'" + folder.string() + "' is not a folder";
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    return "folder '" + folder.string() + "' is not writable";
  return {};
}

CLI::Validator output_path() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        // A symbolic link to a regular file (e.g. /dev/stdout redirected to a file): write the
        // file it points to, since an atomic write would replace the link itself.
        namespace fs = std::filesystem;
        std::error_code ec;
        if (fs::is_symlink(fs::symlink_status(s, ec)) && fs::is_regular_file(fs::status(s, ec))) {
          const fs::path target = fs::canonical(s, ec);
          if (!ec) s = target.string();
        }
        const std::string problem = output_path_problem(s);
        return problem.empty() ? problem : "cannot write '" + s + "': " + problem;
      },
      "", "output_path");
}

std::vector<std::string> split(const std::string& s, char d) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, d))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

void note(bool quiet, const std::string& message) {
  if (!quiet) std::cerr << "cimpute: " << message << '\n';
}

std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out(n > 0 ? std::size_t(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, fmt, args);
  va_end(args);
  return out;
}

} // namespace cimpute_cli
