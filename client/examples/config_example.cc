// Stores a service's configuration under a key prefix and reads it back in one range read.
//
//   build/examples/config_example [endpoints]    (default 127.0.0.1:2379; comma-separated)
//
// Exits 0 when every key read back has the value written.
#include <raftkv/client.h>

#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  namespace kv = raftkv::client;
  // The endpoints, "a:2379,b:2379,..." -> {"a:2379", "b:2379", ...}.
  kv::ClientOptions options;
  std::stringstream list(argc > 1 ? argv[1] : "127.0.0.1:2379");
  for (std::string endpoint; std::getline(list, endpoint, ',');) {
    options.endpoints.push_back(endpoint);
  }
  auto client = kv::Client::Connect(options);
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }

  const std::string prefix = "examples/config/";
  const std::map<std::string, std::string> config = {
      {prefix + "color", "blue"}, {prefix + "replicas", "3"}, {prefix + "timeout_ms", "250"}};
  for (const auto& [key, value] : config) {
    // A Put either succeeds, or says whether it may have been applied (kUnknownOutcome).
    auto put = (*client)->Put(key, value);
    if (!put.ok()) {
      std::fprintf(stderr, "put %s: %s\n", key.c_str(), put.status().ToString().c_str());
      return 1;
    }
    std::printf("put %s = %s (revision %lld)\n", key.c_str(), value.c_str(),
                static_cast<long long>(put->header.revision));
  }

  // One linearizable read of every key under the prefix, sorted by key.
  kv::GetOptions under_prefix;
  under_prefix.prefix = true;
  auto got = (*client)->Get(prefix, under_prefix);
  if (!got.ok()) {
    std::fprintf(stderr, "get %s: %s\n", prefix.c_str(), got.status().ToString().c_str());
    return 1;
  }
  std::printf("read %lld keys under %s:\n", static_cast<long long>(got->count), prefix.c_str());
  std::map<std::string, std::string> read_back;
  for (const kv::KeyValue& entry : got->kvs) {
    std::printf("  %s = %s (version %lld)\n", entry.key.c_str(), entry.value.c_str(),
                static_cast<long long>(entry.version));
    read_back[entry.key] = entry.value;
  }
  if (read_back != config) {
    std::fprintf(stderr, "the configuration read back differs from what was written\n");
    return 1;
  }
  std::printf("ok\n");
  return 0;
}
