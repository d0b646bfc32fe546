#include "server/config.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace raftkv::server {
namespace {

constexpr uint32_t kMaxElectionMs = 50000;  // etcd's upper bound on --election-timeout

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// 64-bit FNV-1a, continued from `hash`.
uint64_t Fnv1a(uint64_t hash, const std::string& bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}
constexpr uint64_t kFnvOffset = 14695981039346656037ull;

std::string JoinUrls(const std::vector<Url>& urls) {
  std::string out;
  for (const Url& u : urls) out += (out.empty() ? "" : ",") + u.ToString();
  return out;
}

}  // namespace

std::string Url::ToString() const { return scheme + "://" + HostPort(); }
std::string Url::HostPort() const { return host + ":" + std::to_string(port); }

StatusOr<Url> ParseUrl(const std::string& text) {
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) {
    return Status::InvalidArgument("URL " + text + " has no scheme (expected http://host:port)");
  }
  Url url;
  url.scheme = text.substr(0, scheme_end);
  if (url.scheme == "https" || url.scheme == "unixs") {
    return Status::InvalidArgument("URL " + text + ": TLS is not supported yet; use http://");
  }
  if (url.scheme != "http") {
    return Status::InvalidArgument("URL " + text + ": unsupported scheme '" + url.scheme +
                                   "' (expected http)");
  }
  std::string rest = text.substr(scheme_end + 3);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || rest.find('/') != std::string::npos) {
    return Status::InvalidArgument("URL " + text + " must be of the form http://host:port");
  }
  url.host = rest.substr(0, colon);
  const std::string port = rest.substr(colon + 1);
  unsigned value = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return Status::InvalidArgument("URL " + text + " has an invalid port '" + port + "'");
  }
  url.port = static_cast<uint16_t>(value);
  return url;
}

StatusOr<std::vector<Url>> ParseUrlList(const std::string& text) {
  std::vector<Url> urls;
  for (const std::string& part : Split(text, ',')) {
    auto url = ParseUrl(part);
    if (!url.ok()) return url.status();
    urls.push_back(*url);
  }
  return urls;
}

uint64_t MemberIdFor(const std::vector<Url>& peer_urls, const std::string& token) {
  std::vector<std::string> sorted;
  for (const Url& u : peer_urls) sorted.push_back(u.ToString());
  std::sort(sorted.begin(), sorted.end());
  uint64_t hash = kFnvOffset;
  for (const std::string& s : sorted) hash = Fnv1a(hash, s + "\n");
  hash = Fnv1a(hash, token);
  return hash == 0 ? 1 : hash;
}

uint64_t ClusterIdFor(std::vector<uint64_t> member_ids) {
  std::sort(member_ids.begin(), member_ids.end());
  uint64_t hash = kFnvOffset;
  for (uint64_t id : member_ids) hash = Fnv1a(hash, std::to_string(id) + "\n");
  return hash == 0 ? 1 : hash;
}

StatusOr<std::vector<InitialMember>> ParseInitialCluster(const std::string& text,
                                                         const std::string& token) {
  std::vector<InitialMember> members;
  std::set<std::string> seen_urls;
  for (const std::string& entry : Split(text, ',')) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--initial-cluster entry '" + entry +
                                     "' must be of the form name=http://host:port");
    }
    const std::string name = entry.substr(0, eq);
    auto url = ParseUrl(entry.substr(eq + 1));
    if (!url.ok()) return url.status();
    if (!seen_urls.insert(url->ToString()).second) {
      return Status::InvalidArgument("initial cluster " + text + " has duplicate url");
    }
    auto it = std::find_if(members.begin(), members.end(),
                           [&](const InitialMember& m) { return m.name == name; });
    if (it == members.end()) {
      members.push_back(InitialMember{name, {*url}, 0});
    } else {
      it->peer_urls.push_back(*url);
    }
  }
  for (InitialMember& m : members) m.id = MemberIdFor(m.peer_urls, token);
  return members;
}

Status Finalize(ServerConfig* config) {
  if (config->heartbeat_interval_ms == 0) {
    return Status::InvalidArgument("--heartbeat-interval must be >0 (set to 0ms)");
  }
  if (config->election_timeout_ms == 0) {
    return Status::InvalidArgument("--election-timeout must be >0 (set to 0ms)");
  }
  if (config->election_timeout_ms < 5 * config->heartbeat_interval_ms) {
    return Status::InvalidArgument("--election-timeout[" +
                                   std::to_string(config->election_timeout_ms) +
                                   "ms] should be at least as 5 times as --heartbeat-interval[" +
                                   std::to_string(config->heartbeat_interval_ms) + "ms]");
  }
  if (config->election_timeout_ms > kMaxElectionMs) {
    return Status::InvalidArgument(
        "--election-timeout[" + std::to_string(config->election_timeout_ms) +
        "ms] is too long, and should be set less than " + std::to_string(kMaxElectionMs) + "ms");
  }
  if (config->max_request_bytes == 0) {
    return Status::InvalidArgument("--max-request-bytes must be >0");
  }
  if (config->max_txn_ops == 0) return Status::InvalidArgument("--max-txn-ops must be >0");
  if (config->snapshot_count == 0) return Status::InvalidArgument("--snapshot-count must be >0");
  static const std::set<std::string> kLevels = {"debug", "info", "warn", "error", "panic", "fatal"};
  if (!kLevels.count(config->log_level)) {
    return Status::InvalidArgument("--log-level '" + config->log_level +
                                   "' is not one of debug, info, warn, error, panic, fatal");
  }
  if (config->name.empty()) return Status::InvalidArgument("--name must not be empty");
  if (config->data_dir.empty()) config->data_dir = config->name + ".kvd";

  // This member's entry in the initial cluster must match the peer URLs it advertises.
  auto self = std::find_if(config->initial_cluster.begin(), config->initial_cluster.end(),
                           [&](const InitialMember& m) { return m.name == config->name; });
  if (self == config->initial_cluster.end()) {
    return Status::InvalidArgument("couldn't find local name \"" + config->name +
                                   "\" in the initial cluster configuration");
  }
  auto as_set = [](const std::vector<Url>& urls) {
    std::set<std::string> out;
    for (const Url& u : urls) out.insert(u.ToString());
    return out;
  };
  if (as_set(self->peer_urls) != as_set(config->initial_advertise_peer_urls)) {
    return Status::InvalidArgument(
        "--initial-cluster has " + config->name + "=" + JoinUrls(self->peer_urls) +
        " but --initial-advertise-peer-urls=" + JoinUrls(config->initial_advertise_peer_urls) +
        "; they must name the same URLs");
  }
  config->member_id = self->id;
  std::vector<uint64_t> ids;
  for (const InitialMember& m : config->initial_cluster) ids.push_back(m.id);
  config->cluster_id = ClusterIdFor(ids);
  return Status::Ok();
}

}  // namespace raftkv::server
