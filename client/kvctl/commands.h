// kvctl's commands, registered on the CLI11 application. Parsing chooses one command and stores
// how to run it; main runs it once the global flags have built a CommandContext.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "client/kvctl/command_context.h"

namespace raftkv::kvctl {

// Runs the chosen command and returns the process's exit code.
using CommandFn = std::function<int(CommandContext&)>;

// Registers `name` with flags of type Flags and the function that runs it.
template <typename Flags, typename RegisterFn>
void AddCommand(CLI::App* app, CommandFn* selected, const std::string& name,
                const std::string& description, RegisterFn register_flags,
                int (*run)(const Flags&, CommandContext&)) {
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app->add_subcommand(name, description);
  sub->fallthrough();
  register_flags(sub, flags.get());
  sub->callback([selected, flags, run] {
    *selected = [flags, run](CommandContext& context) { return run(*flags, context); };
  });
}

// put, get, del, txn, compaction.
void AddKvCommands(CLI::App* app, CommandFn* selected);
// member list, endpoint status, endpoint health, version.
void AddClusterCommands(CLI::App* app, CommandFn* selected);

}  // namespace raftkv::kvctl
