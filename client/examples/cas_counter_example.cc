// Increments a shared counter safely with compare-and-swap: read the counter and its
// mod_revision, then write value + 1 only if the key's mod_revision is still the one read. If
// another client got in first, the transaction's "else" branch reads the new value and we retry.
//
//   build/examples/cas_counter_example [endpoints] [increments]
//
// endpoints: comma-separated, default 127.0.0.1:2379; increments: default 3.
#include <raftkv/client.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace kv = raftkv::client;

namespace {

const std::string kCounter = "examples/counter";

// The counter's value and mod_revision as `kvs` shows them (0 and 0 while it does not exist:
// a missing key has mod_revision 0, so the first increment compares against 0).
struct Observed {
  long long value = 0;
  int64_t mod_revision = 0;
};

Observed Observe(const std::vector<kv::KeyValue>& kvs) {
  if (kvs.empty()) return {};
  return {std::atoll(kvs[0].value.c_str()), kvs[0].mod_revision};
}

// Adds one to the counter; returns the new value, or the error that stopped it.
kv::Result<long long> Increment(kv::Client& client) {
  auto got = client.Get(kCounter);
  if (!got.ok()) return got.status();
  Observed seen = Observe(got->kvs);
  for (int attempt = 1;; ++attempt) {
    const long long next = seen.value + 1;
    auto txn = client.Commit(
        kv::Txn()
            .If(kv::Compare::ModRevision(kCounter, kv::CompareOp::kEqual, seen.mod_revision))
            .Then(kv::Op::Put(kCounter, std::to_string(next)))
            .Else(kv::Op::Get(kCounter)));
    // kUnknownOutcome here would mean the increment may have happened: a real program must
    // decide whether counting twice or not at all is worse. This one just stops.
    if (!txn.ok()) return txn.status();
    if (txn->succeeded) return next;
    // Someone else changed the counter since we read it: take the value the txn read.
    seen = Observe(std::get<kv::GetResult>(txn->results[0]).kvs);
    std::printf("  conflict on attempt %d, counter is now %lld; retrying\n", attempt, seen.value);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> endpoints;
  std::stringstream list(argc > 1 ? argv[1] : "127.0.0.1:2379");
  for (std::string endpoint; std::getline(list, endpoint, ',');) endpoints.push_back(endpoint);
  const int increments = argc > 2 ? std::atoi(argv[2]) : 3;

  auto client = kv::Client::Connect({.endpoints = endpoints});
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }
  for (int i = 0; i < increments; ++i) {
    auto value = Increment(**client);
    if (!value.ok()) {
      std::fprintf(stderr, "increment: %s\n", value.status().ToString().c_str());
      return 1;
    }
    std::printf("incremented %s to %lld\n", kCounter.c_str(), *value);
  }
  return 0;
}
