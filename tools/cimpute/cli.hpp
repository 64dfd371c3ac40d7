// Shared pieces of the `cimpute` command-line tool: the subcommand registry, the option
// validators, usage errors and notes on stderr. Free of cimpute headers so that every
// subcommand's translation unit pulls in only the library modules it uses.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cimpute_cli {

/// Width of the option column of every `--help`, and of the whole help text: fixed, so that the
/// help (and docs/cli.md, which holds it) does not depend on the terminal.
inline constexpr std::size_t kHelpColumnWidth = 36;
inline constexpr std::size_t kHelpWidth = 100;

/// Gives `app` (and the subcommands added after this call) the tool's help layout: option
/// column `kHelpColumnWidth`, descriptions, subcommand summaries and footers word-wrapped to
/// `kHelpWidth` columns (a '\n' in a text forces a line break).
void set_help_formatter(CLI::App& app);
/// `text` word-wrapped to lines of at most `width` characters (longer words stay whole).
std::string wrap(const std::string& text, std::size_t width);

/// A usage error found after parsing (a missing option, options that do not go together):
/// exit status 2, one line on stderr that points to the subcommand's --help.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A subcommand: its CLI11 app and what runs when the command line chose it (returns the exit
/// status). The options are parsed into state that `run` owns.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_inspect(CLI::App& cimpute);
Command add_complete(CLI::App& cimpute);
Command add_impute(CLI::App& cimpute);
Command add_discover(CLI::App& cimpute);
Command add_repurpose(CLI::App& cimpute);
/// `score`: predicted responses against measured ones (cimpute/stats/response_metrics.hpp).
Command add_score(CLI::App& cimpute);
/// `targets`: putative causal drug targets (cimpute/workflow/causal_targets.hpp).
Command add_targets(CLI::App& cimpute);
/// `design`: the next experiments, with its subcommands `interventions` and `pairs`.
Command add_design(CLI::App& cimpute);
Command add_design_interventions(CLI::App& design);
Command add_design_pairs(CLI::App& design);

/// Adds `--quiet` (no informational notes or progress on stderr) to a subcommand.
void add_quiet_flag(CLI::App& sub, bool& quiet);

// ------------------------------------------------------------------------ option validators
// Each checks (and normalizes) the option's text before CLI11 converts it, so that the error
// names the option and the rule ("--top: needs an integer >= 1, got '0'").

/// A decimal integer in [lo, 2^31 - 1] (leading zeros dropped, so `010` is ten).
CLI::Validator integer_at_least(int lo);
/// `integer_at_least(1)`.
CLI::Validator positive_integer();
/// A decimal integer in [0, 2^64 - 1] (seeds).
CLI::Validator non_negative_integer();
/// A finite number >= 0 (penalties).
CLI::Validator non_negative_number();
/// A number in (0, 1) (test levels), or in (0, 1] with `one_allowed` (fractions).
CLI::Validator unit_interval(bool one_allowed);
/// A comma-separated list of positive integers, e.g. `1024,256` (layer sizes).
CLI::Validator positive_integer_list();
/// A file the command will create or replace: not a directory, in an existing writable folder
/// (an existing character device or FIFO such as /dev/stdout must be writable itself). Checked
/// while parsing, so a bad path fails before any data is read.
CLI::Validator output_path();

/// The reason `path` cannot be written as `output_path` requires, or "" when it can.
std::string output_path_problem(const std::string& path);

/// Text that `parse(text)` accepts (it throws `std::invalid_argument` otherwise, as the library's
/// `parse` functions do); the error reads "WHAT 'text' is not EXPECTED".
template <class Parse>
CLI::Validator parsed_by(Parse parse, const std::string& what, const std::string& expected) {
  return CLI::Validator(
      [parse, what, expected](std::string& s) -> std::string {
        try {
          parse(s);
          return {};
        } catch (const std::invalid_argument&) {
          return what + " '" + s + "' is not " + expected;
        }
      },
      "", what);
}

// ------------------------------------------------------------------------------ small helpers

/// The non-empty items of a `d`-separated list.
std::vector<std::string> split(const std::string& s, char d);
/// `items` joined by `sep`.
std::string join(const std::vector<std::string>& items, const std::string& sep);
/// Writes `cimpute: <message>` on stderr unless `quiet`.
void note(bool quiet, const std::string& message);
/// printf-style formatting into a std::string.
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
std::string
format(const char* fmt, ...);

} // namespace cimpute_cli
