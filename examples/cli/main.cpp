// The `cimpute` command-line tool: one subcommand per file (inspect.cpp, complete.cpp,
// discover.cpp, repurpose.cpp), options declared with CLI11, help generated from them
// (docs/cli.md holds it verbatim, checked by the "cli: docs/cli.md" test).
//
// Exit status: 0 on success (and for --help, --version), 2 on bad input or usage (one line
// `cimpute: message` on stderr), 3 on internal errors.
#include "cli.hpp"

#include <cimpute/version.hpp>

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

// One line: newlines in messages are folded so that stderr holds exactly one line.
void error_line(const std::string& msg) {
  std::string m = msg;
  std::replace(m.begin(), m.end(), '\n', ' ');
  std::cerr << "cimpute: " << m << '\n';
}

// "cimpute" or "cimpute SUBCOMMAND": the help to point a usage error to.
std::string help_of(const CLI::App& app) {
  const auto chosen = app.get_subcommands();
  return chosen.empty() ? "cimpute --help" : "cimpute " + chosen.front()->get_name() + " --help";
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app("cimpute - causal imputation: complete perturbation x context signatures, learn "
               "causal graphs from interventions, rank drugs against a disease signature.",
               "cimpute");
  cimpute_cli::set_help_formatter(app);
  // As before CLI11: an option given twice keeps its last value.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", "cimpute " + std::string(cimpute::version_string),
                       "print the version and exit");
  app.set_help_flag("-h,--help", "print this help and exit");
  app.require_subcommand(1);
  app.footer("Run `cimpute COMMAND --help` for the options of a command (docs/cli.md has them "
             "all). Data files: rows are features (genes), columns are samples (cells, wells), "
             "whatever the file layout. Exit status: 0 success, 2 bad input or usage (one line "
             "on stderr), 3 internal error.");
  std::vector<cimpute_cli::Command> commands{
      cimpute_cli::add_inspect(app), cimpute_cli::add_complete(app), cimpute_cli::add_impute(app),
      cimpute_cli::add_discover(app), cimpute_cli::add_repurpose(app)};

  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "help") { // `cimpute help [COMMAND]`
    args.erase(args.begin());
    args.push_back("--help");
  }
  try {
    if (args.empty()) throw cimpute_cli::UsageError("no command given");
    if (!args.front().empty() && args.front()[0] != '-') {
      bool known = false;
      for (const auto& c : commands) known = known || c.app->get_name() == args.front();
      if (!known) throw cimpute_cli::UsageError("unknown command '" + args.front() + "'");
    }
    std::reverse(args.begin(), args.end()); // CLI11 takes the arguments in reverse order
    try {
      app.parse(args);
    } catch (const CLI::Success& e) { // --help, --version
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      error_line(std::string(e.what()) + " (see " + help_of(app) + ")");
      return 2;
    }
    for (const auto& c : commands)
      if (c.app->parsed()) {
        try {
          return c.run();
        } catch (const cimpute_cli::UsageError& e) {
          error_line(std::string(e.what()) + " (see cimpute " + c.app->get_name() + " --help)");
          return 2;
        }
      }
    throw std::logic_error("no subcommand ran");
  } catch (const cimpute_cli::UsageError& e) {
    error_line(std::string(e.what()) + " (see cimpute --help)");
    return 2;
  } catch (const std::invalid_argument& e) { // parse_error and invalid_argument: bad input
    error_line(e.what());
    return 2;
  } catch (const std::exception& e) {
    error_line(std::string("internal error: ") + e.what());
    return 3;
  }
}
