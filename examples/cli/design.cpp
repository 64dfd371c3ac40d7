// `cimpute design`: choosing the next experiments. `design interventions` (in discover.cpp)
// picks single-node interventions for structure learning; `design pairs` (in complete.cpp)
// picks (perturbation, context) pairs to measure for completion.
#include "cli.hpp"

#include <memory>
#include <vector>

namespace cimpute_cli {

Command add_design(CLI::App& cimpute) {
  CLI::App* sub = cimpute.add_subcommand(
      "design", "choose the next experiments: interventions for discovery, pairs to measure");
  sub->require_subcommand(1);
  auto commands = std::make_shared<std::vector<Command>>();
  commands->push_back(add_design_interventions(*sub));
  return {sub, [commands]() -> int {
            for (const auto& c : *commands)
              if (c.app->parsed()) return c.run();
            throw UsageError("design needs a subcommand: interventions");
          }};
}

} // namespace cimpute_cli
