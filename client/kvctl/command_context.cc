#include "client/kvctl/command_context.h"

#include <cstdlib>
#include <iostream>

#include "client/kvctl/format.h"

namespace raftkv::kvctl {

client::Result<std::unique_ptr<CommandContext>> CommandContext::Create(const GlobalFlags& flags) {
  const auto bad = [](std::string message) {
    return client::Status(client::ErrorCode::kInvalidArgument, std::move(message));
  };
  auto context = std::unique_ptr<CommandContext>(new CommandContext());
  if (flags.write_out == "simple") {
    context->print_.format = OutputFormat::kSimple;
  } else if (flags.write_out == "json") {
    context->print_.format = OutputFormat::kJson;
  } else if (flags.write_out == "table") {
    context->print_.format = OutputFormat::kTable;
  } else {
    return bad("unsupported output format " + flags.write_out + " (simple, json or table)");
  }
  context->print_.hex = flags.hex;

  const auto command_timeout = ParseDuration(flags.command_timeout);
  if (!command_timeout) return bad("bad --command-timeout " + flags.command_timeout);
  const auto dial_timeout = ParseDuration(flags.dial_timeout);
  if (!dial_timeout) return bad("bad --dial-timeout " + flags.dial_timeout);
  context->call_.timeout = *command_timeout;

  std::string list = flags.endpoints;
  if (list.empty()) {
    const char* env = std::getenv("KVCTL_ENDPOINTS");
    list = env != nullptr && *env != '\0' ? env : "127.0.0.1:2379";
  }
  client::ClientOptions options;
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) options.endpoints.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  options.timeout = *command_timeout;
  options.dial_timeout = *dial_timeout;
  client::Result<std::unique_ptr<client::Client>> client =
      client::Client::Connect(std::move(options));
  if (!client.ok()) return client.status();
  context->client_ = std::move(*client);
  return context;
}

int ReportError(const client::Status& status) {
  std::cerr << "Error: " << status.message() << std::endl;
  switch (status.code()) {
    case client::ErrorCode::kOk:
      return kExitSuccess;
    case client::ErrorCode::kUnavailable:
    case client::ErrorCode::kDeadlineExceeded:
    case client::ErrorCode::kNoLeader:
      return kExitBadConnection;
    default:
      return kExitError;
  }
}

int ReportBadArgs(const std::string& message) {
  std::cerr << "Error: " << message << std::endl;
  return kExitBadArgs;
}

}  // namespace raftkv::kvctl
