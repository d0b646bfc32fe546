// member list, endpoint status, endpoint health and version.
#include <future>
#include <iostream>

#include "client/kvctl/commands.h"

#ifndef RAFTKV_VERSION
#define RAFTKV_VERSION "unknown"
#endif

namespace raftkv::kvctl {

namespace {

// endpoint status and endpoint health take --cluster: every member's client URLs instead of
// --endpoints.
struct EndpointFlags {
  bool cluster = false;
};

struct NoFlags {};

int RunMemberList(const NoFlags&, CommandContext& context) {
  client::Result<client::MemberListResult> result = context.client().MemberList(context.call());
  if (!result.ok()) return ReportError(result.status());
  std::cout << PrintMemberList(*result, context.print()) << std::flush;
  return kExitSuccess;
}

// The endpoints an endpoint command asks: --endpoints, or with --cluster the members' client
// URLs as the cluster lists them.
client::Result<std::vector<std::string>> Targets(const EndpointFlags& flags,
                                                 CommandContext& context) {
  if (!flags.cluster) return context.endpoints();
  client::Result<client::MemberListResult> members = context.client().MemberList(context.call());
  if (!members.ok()) return members.status();
  std::vector<std::string> targets;
  for (const client::Member& m : members->members) {
    targets.insert(targets.end(), m.client_urls.begin(), m.client_urls.end());
  }
  return targets;
}

int RunEndpointStatus(const EndpointFlags& flags, CommandContext& context) {
  client::Result<std::vector<std::string>> targets = Targets(flags, context);
  if (!targets.ok()) return ReportError(targets.status());
  // All endpoints are asked at once, so that the command takes one timeout at most.
  std::vector<std::future<client::Result<client::EndpointStatus>>> pending;
  for (const std::string& endpoint : *targets) {
    pending.push_back(std::async(std::launch::async, [&context, endpoint] {
      return context.client().Status(endpoint, context.call());
    }));
  }
  std::vector<EndpointStatusRow> rows;
  client::Status first_error;
  for (size_t i = 0; i < pending.size(); ++i) {
    rows.push_back({(*targets)[i], pending[i].get()});
    if (!rows.back().status.ok()) {
      std::cerr << "Failed to get the status of endpoint " << (*targets)[i] << " ("
                << rows.back().status.status().message() << ")" << std::endl;
      if (first_error.ok()) first_error = rows.back().status.status();
    }
  }
  std::cout << PrintEndpointStatus(rows, context.print()) << std::flush;
  return first_error.ok() ? kExitSuccess : ReportError(first_error);
}

int RunEndpointHealth(const EndpointFlags& flags, CommandContext& context) {
  client::Result<std::vector<std::string>> targets = Targets(flags, context);
  if (!targets.ok()) return ReportError(targets.status());
  std::vector<std::future<EndpointHealthRow>> pending;
  for (const std::string& endpoint : *targets) {
    pending.push_back(std::async(std::launch::async, [&context, endpoint] {
      const auto start = std::chrono::steady_clock::now();
      client::Status health = context.client().Health(endpoint, context.call());
      return EndpointHealthRow{endpoint, std::move(health),
                               std::chrono::steady_clock::now() - start};
    }));
  }
  std::vector<EndpointHealthRow> rows;
  bool healthy = true;
  for (auto& p : pending) {
    rows.push_back(p.get());
    healthy = healthy && rows.back().health.ok();
  }
  std::cout << PrintEndpointHealth(rows, context.print()) << std::flush;
  if (healthy) return kExitSuccess;
  std::cerr << "Error: unhealthy cluster" << std::endl;
  return kExitError;
}

}  // namespace

void AddClusterCommands(CLI::App* app, CommandFn* selected) {
  CLI::App* member = app->add_subcommand("member", "Membership related commands");
  member->fallthrough();
  member->require_subcommand(1);
  AddCommand<NoFlags>(
      member, selected, "list", "Lists all members in the cluster", [](CLI::App*, NoFlags*) {},
      RunMemberList);

  CLI::App* endpoint = app->add_subcommand("endpoint", "Endpoint related commands");
  endpoint->fallthrough();
  endpoint->require_subcommand(1);
  const auto cluster_flag = [](CLI::App* sub, EndpointFlags* f) {
    sub->add_flag("--cluster", f->cluster,
                  "use all endpoints from the cluster member list instead of --endpoints");
  };
  AddCommand<EndpointFlags>(endpoint, selected, "status",
                            "Prints out the status of endpoints specified in `--endpoints` flag",
                            cluster_flag, RunEndpointStatus);
  AddCommand<EndpointFlags>(endpoint, selected, "health",
                            "Checks the healthiness of endpoints specified in `--endpoints` flag",
                            cluster_flag, RunEndpointHealth);

  CLI::App* version = app->add_subcommand("version", "Prints the version of kvctl");
  version->callback([selected] {
    *selected = [](CommandContext&) {
      std::cout << "kvctl version: " << RAFTKV_VERSION << "\nAPI version: 3.4" << std::endl;
      return kExitSuccess;
    };
  });
}

}  // namespace raftkv::kvctl
