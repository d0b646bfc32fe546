#include "server/flags.h"

#include <CLI/CLI.hpp>

namespace raftkv::server {
namespace {

constexpr const char* kVersion = "kvd 0.1.0 (etcd API 3.4)";

FlagsOutcome Exit(int code, std::string output) {
  FlagsOutcome outcome;
  outcome.exit_code = code;
  outcome.output = std::move(output);
  return outcome;
}

}  // namespace

FlagsOutcome ParseKvdFlags(const std::vector<std::string>& args) {
  ServerConfig config;
  std::string listen_client = "http://localhost:2379";
  std::string advertise_client = "http://localhost:2379";
  std::string listen_peer = "http://localhost:2380";
  std::string advertise_peer = "http://localhost:2380";
  std::string initial_cluster;
  std::string cluster_state = "new";
  bool version = false;

  CLI::App app{"kvd: a member of a raftkv cluster, serving the etcd v3 API", "kvd"};
  app.add_option("--name", config.name, "Human-readable name for this member.")
      ->capture_default_str();
  app.add_option("--data-dir", config.data_dir, "Path to the data directory (default <name>.kvd).");
  app.add_option("--listen-client-urls", listen_client, "URLs to listen on for client traffic.")
      ->capture_default_str();
  app.add_option("--advertise-client-urls", advertise_client,
                 "This member's client URLs to advertise to the rest of the cluster.")
      ->capture_default_str();
  app.add_option("--listen-peer-urls", listen_peer, "URLs to listen on for peer traffic.")
      ->capture_default_str();
  app.add_option("--initial-advertise-peer-urls", advertise_peer,
                 "This member's peer URLs to advertise to the rest of the cluster.")
      ->capture_default_str();
  app.add_option("--initial-cluster", initial_cluster,
                 "Initial cluster configuration for bootstrapping, name=url,... "
                 "(default <name>=<initial-advertise-peer-urls>).");
  app.add_option("--initial-cluster-state", cluster_state,
                 "Initial cluster state ('new' or 'existing').")
      ->check(CLI::IsMember({"new", "existing"}))
      ->capture_default_str();
  app.add_option("--initial-cluster-token", config.initial_cluster_token,
                 "Initial cluster token for the cluster during bootstrap.")
      ->capture_default_str();
  app.add_option("--heartbeat-interval", config.heartbeat_interval_ms,
                 "Time (in milliseconds) of a heartbeat interval.")
      ->capture_default_str();
  app.add_option("--election-timeout", config.election_timeout_ms,
                 "Time (in milliseconds) for an election to timeout.")
      ->capture_default_str();
  app.add_option("--max-request-bytes", config.max_request_bytes,
                 "Maximum client request size in bytes the server will accept.")
      ->capture_default_str();
  app.add_option("--max-txn-ops", config.max_txn_ops,
                 "Maximum number of operations permitted in a transaction.")
      ->capture_default_str();
  app.add_option("--quota-backend-bytes", config.quota_backend_bytes,
                 "Raise alarms when the backend size exceeds the given quota (0 = default).")
      ->capture_default_str();
  app.add_option("--snapshot-count", config.snapshot_count,
                 "Number of committed transactions to trigger a snapshot to disk.")
      ->capture_default_str();
  app.add_option("--log-level", config.log_level,
                 "Log level: debug, info, warn, error, panic, or fatal.")
      ->capture_default_str();
  app.add_flag("--unsafe-stale-reads-for-tests", config.unsafe_stale_reads_for_tests,
               "TESTS ONLY: serve linearizable reads from local state without a ReadIndex round "
               "(stale reads; breaks linearizability on purpose).");
  app.add_flag("--version", version, "Print the version and exit.");

  std::vector<std::string> reversed(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return Exit(0, app.help());
  } catch (const CLI::ParseError& e) {
    return Exit(2, std::string("kvd: ") + e.what() + "\nRun kvd --help for the flags.");
  }
  if (version) return Exit(0, kVersion);

  auto fail = [](const Status& s) { return Exit(1, "kvd: " + s.message()); };
  auto urls = ParseUrlList(listen_client);
  if (!urls.ok()) return fail(urls.status());
  config.listen_client_urls = *urls;
  urls = ParseUrlList(advertise_client);
  if (!urls.ok()) return fail(urls.status());
  config.advertise_client_urls = *urls;
  urls = ParseUrlList(listen_peer);
  if (!urls.ok()) return fail(urls.status());
  config.listen_peer_urls = *urls;
  urls = ParseUrlList(advertise_peer);
  if (!urls.ok()) return fail(urls.status());
  config.initial_advertise_peer_urls = *urls;
  if (initial_cluster.empty()) {
    for (const Url& u : config.initial_advertise_peer_urls) {
      initial_cluster += (initial_cluster.empty() ? "" : ",") + config.name + "=" + u.ToString();
    }
  }
  auto members = ParseInitialCluster(initial_cluster, config.initial_cluster_token);
  if (!members.ok()) return fail(members.status());
  config.initial_cluster = *members;
  config.initial_cluster_state =
      cluster_state == "existing" ? ClusterState::kExisting : ClusterState::kNew;
  if (Status s = Finalize(&config); !s.ok()) return fail(s);

  FlagsOutcome outcome;
  outcome.run = true;
  outcome.config = std::move(config);
  return outcome;
}

}  // namespace raftkv::server
