// ServerConfig: what a kvd member is told on its command line, with etcd's flag names and
// defaults (ETCD_API.md, "Conventions users expect"), and the checks etcd makes before a member
// starts. Pure: parsing and validation only; nothing here opens a socket or a file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raft/status.h"

namespace raftkv::server {

// A URL as etcd flags take them: scheme://host:port. Only http (plaintext) is served for now;
// https is refused with a clear error rather than silently served without TLS.
struct Url {
  std::string scheme;  // "http"
  std::string host;    // a name or an IPv4 address ("localhost", "127.0.0.1")
  uint16_t port = 0;
  std::string ToString() const;  // scheme://host:port
  // host:port, as gRPC addresses are written.
  std::string HostPort() const;
  bool operator==(const Url&) const = default;
};

// Parses "http://host:port". InvalidArgument naming the text on anything else.
StatusOr<Url> ParseUrl(const std::string& text);
// Parses a comma-separated list of URLs (at least one).
StatusOr<std::vector<Url>> ParseUrlList(const std::string& text);

// One member of --initial-cluster ("name=url,name=url2,other=url3": a name may repeat, one entry
// per peer URL).
struct InitialMember {
  std::string name;
  std::vector<Url> peer_urls;  // in the order given
  uint64_t id = 0;             // MemberIdFor(peer_urls, token)
};

enum class ClusterState { kNew, kExisting };

struct ServerConfig {
  std::string name = "default";
  std::string data_dir;  // default: "<name>.kvd" (etcd uses "<name>.etcd")
  std::vector<Url> listen_client_urls;
  std::vector<Url> advertise_client_urls;
  std::vector<Url> listen_peer_urls;
  std::vector<Url> initial_advertise_peer_urls;
  std::vector<InitialMember> initial_cluster;  // grouped by name, in first-seen order
  ClusterState initial_cluster_state = ClusterState::kNew;
  std::string initial_cluster_token = "etcd-cluster";
  uint32_t heartbeat_interval_ms = 100;
  uint32_t election_timeout_ms = 1000;
  uint64_t max_request_bytes = 1572864;  // 1.5 MiB, etcd's default
  uint32_t max_txn_ops = 128;
  uint64_t quota_backend_bytes = 0;  // 0 = the default quota
  // Applied entries between log snapshots (after which the log prefix is compacted).
  uint64_t snapshot_count = 100000;
  std::string log_level = "info";
  // --unsafe-stale-reads-for-tests: answer linearizable Ranges from this member's applied state
  // without the ReadIndex round, as serializable ones are. Breaks linearizability on purpose, so
  // that the fault tests (tests/fault/) can prove their checker catches stale reads. Never set
  // unless the flag is given explicitly.
  bool unsafe_stale_reads_for_tests = false;

  // Derived by Finalize: this member's id and the cluster's.
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
};

// Parses --initial-cluster. InvalidArgument on a malformed entry or a URL used twice.
StatusOr<std::vector<InitialMember>> ParseInitialCluster(const std::string& text,
                                                         const std::string& token);

// A member's id: a stable 64-bit hash of its sorted peer URLs and the cluster token (never 0).
// Every member computes the same ids from the same --initial-cluster and token.
uint64_t MemberIdFor(const std::vector<Url>& peer_urls, const std::string& token);
// The cluster's id: a stable hash of its members' ids, sorted (never 0).
uint64_t ClusterIdFor(std::vector<uint64_t> member_ids);

// Applies etcd's defaults that depend on other flags, checks the configuration as etcd does
// (same messages where etcd has one) and computes member_id and cluster_id.
[[nodiscard]] Status Finalize(ServerConfig* config);

}  // namespace raftkv::server
