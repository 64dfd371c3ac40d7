// The `cimpute` command-line tool: one subcommand per file (inspect.cpp, complete.cpp,
// discover.cpp, repurpose.cpp), options declared with CLI11, help generated from them
// (docs/cli.md holds it verbatim, checked by the "cli: docs/cli.md" test).
//
// Exit status: 0 on success (and for --help, --version), 2 on bad input or usage (one line
// `cimpute: message` on stderr), 3 on internal errors.
//
// Compiled with CIMPUTE_CLI_MPI=1 it is `cimpute-mpi`: the subcommands complete, impute and
// discover with the same options and output, their work split over the processes of an mpirun
// (see processes.hpp); rank 0 prints and writes, and every process ends with the same exit status
// (the error line of the lowest failing rank, printed once).
#include "cli.hpp"
#include "processes.hpp"

#include <cimpute/version.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#if CIMPUTE_CLI_MPI
#define CIMPUTE_TOOL "cimpute-mpi"
#else
#define CIMPUTE_TOOL "cimpute"
#endif

const cimpute_cli::Processes& cimpute_cli::processes() {
  static const Processes all; // after MPI_Init (first called from main)
  return all;
}

namespace {

// The error line of this run ("" when none): printed at once by cimpute, after the processes
// agree by cimpute-mpi.
std::string g_error;

// One line: newlines in messages are folded so that stderr holds exactly one line.
void error_line(const std::string& msg) {
  std::string m = msg;
  std::replace(m.begin(), m.end(), '\n', ' ');
  g_error = CIMPUTE_TOOL ": " + m;
#if !CIMPUTE_CLI_MPI
  std::cerr << g_error << '\n';
#endif
}

// "cimpute" or "cimpute SUBCOMMAND": the help to point a usage error to.
std::string help_of(const CLI::App& app) {
  const auto chosen = app.get_subcommands();
  return chosen.empty() ? CIMPUTE_TOOL " --help"
                        : CIMPUTE_TOOL " " + chosen.front()->get_name() + " --help";
}

int run(int argc, char** argv) {
#if CIMPUTE_CLI_MPI
  CLI::App app("cimpute-mpi - the cimpute commands complete, impute and discover with their work "
               "split over MPI processes (run it under mpirun; same options and output as "
               "cimpute).",
               CIMPUTE_TOOL);
#else
  CLI::App app("cimpute - causal imputation: complete perturbation x context signatures, learn "
               "causal graphs from interventions, rank drugs against a disease signature.",
               CIMPUTE_TOOL);
#endif
  cimpute_cli::set_help_formatter(app);
  // As before CLI11: an option given twice keeps its last value.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", CIMPUTE_TOOL " " + std::string(cimpute::version_string),
                       "print the version and exit");
  app.set_help_flag("-h,--help", "print this help and exit");
  app.require_subcommand(1);
  app.footer("Run `" CIMPUTE_TOOL " COMMAND --help` for the options of a command (docs/cli.md "
             "has them all). Data files: rows are features (genes), columns are samples (cells, "
             "wells), whatever the file layout. Exit status: 0 success, 2 bad input or usage "
             "(one line on stderr), 3 internal error.");
#if CIMPUTE_CLI_MPI
  std::vector<cimpute_cli::Command> commands{
      cimpute_cli::add_complete(app), cimpute_cli::add_impute(app), cimpute_cli::add_discover(app)};
#else
  std::vector<cimpute_cli::Command> commands{
      cimpute_cli::add_inspect(app),  cimpute_cli::add_complete(app),  cimpute_cli::add_impute(app),
      cimpute_cli::add_discover(app), cimpute_cli::add_repurpose(app), cimpute_cli::add_design(app),
      cimpute_cli::add_score(app),    cimpute_cli::add_targets(app)};
#endif

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
          error_line(std::string(e.what()) + " (see " CIMPUTE_TOOL " " + c.app->get_name() +
                     " --help)");
          return 2;
        }
      }
    throw std::logic_error("no subcommand ran");
  } catch (const cimpute_cli::UsageError& e) {
    error_line(std::string(e.what()) + " (see " CIMPUTE_TOOL " --help)");
    return 2;
  } catch (const std::invalid_argument& e) { // parse_error and invalid_argument: bad input
    error_line(e.what());
    return 2;
  } catch (const std::exception& e) {
    error_line(std::string("internal error: ") + e.what());
    return 3;
  }
}

} // namespace

#if CIMPUTE_CLI_MPI
int main(int argc, char** argv) {
  const cimpute::MpiSession mpi(argc, argv);
  const auto& all = cimpute_cli::processes();
  if (all.rank() != 0) { // rank 0 prints; the others' output would repeat it
    if (!std::freopen("/dev/null", "w", stdout) || !std::freopen("/dev/null", "w", stderr))
      return 3;
  }
  int status = run(argc, argv);
  // Every process ends here (the library raises an error inside its collectives on every
  // process): the lowest failing rank's status and line are everyone's, printed once.
  int first = status != 0 ? all.rank() : all.size();
  MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, all.handle());
  if (first == all.size()) return 0;
  Eigen::Matrix<char, Eigen::Dynamic, 1> line(Eigen::Index(g_error.size()));
  std::copy(g_error.begin(), g_error.end(), line.data());
  all.broadcast(line, first);
  MPI_Bcast(&status, 1, MPI_INT, first, all.handle());
  if (all.rank() == 0) std::cerr << std::string(line.data(), std::size_t(line.size())) << '\n';
  return status;
}
#else
int main(int argc, char** argv) {
  return run(argc, argv);
}
#endif
