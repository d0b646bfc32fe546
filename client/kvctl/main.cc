// kvctl: the command-line tool of raftkv, speaking the etcd v3 API to a cluster (kvd or etcd).
#include <CLI/CLI.hpp>

#include <iostream>

#include "client/kvctl/commands.h"

namespace {

constexpr const char* kFooter =
    R"(Endpoints: --endpoints, else $KVCTL_ENDPOINTS, else 127.0.0.1:2379.

Exit codes:
  0    success
  1    the cluster refused or failed the request (the message says why)
  2    no endpoint could be reached, or the command timed out
  3    malformed input (a txn that does not parse)
  128  bad flags or arguments)";

}  // namespace

int main(int argc, char** argv) {
  using namespace raftkv::kvctl;
  CLI::App app{"kvctl: the command-line client of raftkv (the etcd v3 API)", "kvctl"};
  app.footer(kFooter);
  app.require_subcommand(1);
  GlobalFlags flags;
  app.add_option("--endpoints", flags.endpoints, "gRPC endpoints, comma-separated");
  app.add_option("--command-timeout", flags.command_timeout,
                 "timeout of each request, e.g. 5s or 500ms")
      ->capture_default_str();
  app.add_option("--dial-timeout", flags.dial_timeout,
                 "how long to wait for one endpoint to connect before trying the next")
      ->capture_default_str();
  app.add_option("-w,--write-out", flags.write_out, "output format: simple, json or table")
      ->capture_default_str();
  app.add_flag("--hex", flags.hex, "print keys and values as hex-encoded bytes");

  CommandFn selected;
  AddKvCommands(&app, &selected);
  AddClusterCommands(&app, &selected);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "Error: " << e.what() << "\nRun with --help for more information." << std::endl;
    return kExitBadArgs;
  }
  if (!selected) return ReportBadArgs("no command given; run kvctl --help");

  raftkv::client::Result<std::unique_ptr<CommandContext>> context = CommandContext::Create(flags);
  if (!context.ok()) return ReportBadArgs(context.status().message());
  return selected(**context);
}
