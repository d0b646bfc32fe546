// kvd: a member of a raftkv cluster, serving the etcd v3 API. Flags are etcd's (server/flags.h).
// Runs in the foreground, logs through spdlog to stderr, and shuts down cleanly on SIGINT
// (Ctrl-C) or SIGTERM.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>
#include <vector>

#include "server/flags.h"
#include "server/kvd_member.h"

namespace {

spdlog::level::level_enum LogLevel(const std::string& name) {
  if (name == "debug") return spdlog::level::debug;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "panic" || name == "fatal") return spdlog::level::critical;
  return spdlog::level::info;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  raftkv::server::FlagsOutcome flags = raftkv::server::ParseKvdFlags(args);
  if (!flags.run) {
    std::fprintf(flags.exit_code == 0 ? stdout : stderr, "%s\n", flags.output.c_str());
    return flags.exit_code;
  }
  const raftkv::server::ServerConfig& config = flags.config;
  spdlog::set_level(LogLevel(config.log_level));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [" + config.name + "] %v");

  if (config.unsafe_stale_reads_for_tests) {
    spdlog::warn(
        "UNSAFE: --unsafe-stale-reads-for-tests is set: linearizable reads are served from "
        "local state without a ReadIndex round and may be STALE. For fault tests only; never "
        "use it in production.");
  }

  // Signals are taken by sigwait below, on this thread only: block them before any thread
  // starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto member = raftkv::server::KvdMember::Start(config);
  if (!member.ok()) {
    spdlog::critical("cannot start: {}", member.status().ToString());
    return 1;
  }
  spdlog::info("member {:x} of cluster {:x} serving clients on {}", config.member_id,
               config.cluster_id, config.listen_client_urls.front().ToString());
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("received {}, shutting down", received == SIGINT ? "SIGINT" : "SIGTERM");
  (*member)->Shutdown();
  spdlog::info("stopped");
  return 0;
}
