// The verb whose work a later milestone brings. It exists so --help shows the whole tool, and it says
// plainly that it is not available yet (exit status 2) instead of pretending.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_context.h"

namespace wf::app {
namespace {

struct PendingVerb {
  const char* name;
  const char* description;
  const char* arrives_with;
};

constexpr PendingVerb kPending[] = {
    {"bench", "Measure extraction, training and swap speed on this machine", "the performance milestone"},
};

}  // namespace

void add_pending_commands(CLI::App& app, int& status) {
  for (const PendingVerb& verb : kPending) {
    auto* command = app.add_subcommand(verb.name, std::string(verb.description) + " (not available yet)");
    command->allow_extras();
    command->callback([&status, verb] {
      std::fprintf(stderr, "watserface %s is not available yet: it arrives with %s.\n", verb.name, verb.arrives_with);
      status = 2;
    });
  }
}

}  // namespace wf::app
