// A simple distributed lock built on one transaction: whoever creates the lock key holds the
// lock. "Create if absent" is a compare on create_revision == 0, which holds only while the key
// does not exist, so of many clients racing for it exactly one transaction succeeds.
//
// The weakness of this lock: raftkv has no leases yet, so the key does not expire. A holder that
// crashes before releasing leaves the lock held forever, until someone deletes the key by hand
// (kvctl del). etcd's own locks attach the key to a lease that dies with its holder.
//
//   build/examples/lock_example [endpoints]    (default 127.0.0.1:2379; comma-separated)
#include <raftkv/client.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kv = raftkv::client;

namespace {

const std::string kLock = "examples/lock";
const std::string kProtected = "examples/lock_protected";

// Takes the lock for `owner`, polling while someone else holds it, for up to `patience`.
kv::Status Acquire(kv::Client& client, const std::string& owner,
                   std::chrono::milliseconds patience) {
  const auto give_up = std::chrono::steady_clock::now() + patience;
  while (true) {
    auto txn = client.Commit(kv::Txn()
                                 .If(kv::Compare::CreateRevision(kLock, kv::CompareOp::kEqual, 0))
                                 .Then(kv::Op::Put(kLock, owner))
                                 .Else(kv::Op::Get(kLock)));
    if (!txn.ok()) return txn.status();
    if (txn->succeeded) return kv::Status();
    const auto& holder = std::get<kv::GetResult>(txn->results[0]).kvs;
    std::printf("lock held by %s; waiting\n", holder.empty() ? "?" : holder[0].value.c_str());
    std::fflush(stdout);  // shown at once, even when stdout is a pipe
    if (std::chrono::steady_clock::now() >= give_up) {
      return kv::Status(kv::ErrorCode::kDeadlineExceeded, "the lock stayed held");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Releases the lock if `owner` still holds it (the compare on the value keeps us from deleting
// a lock that someone removed by hand and another client took since).
kv::Status Release(kv::Client& client, const std::string& owner) {
  auto txn = client.Commit(kv::Txn()
                               .If(kv::Compare::Value(kLock, kv::CompareOp::kEqual, owner))
                               .Then(kv::Op::Delete(kLock)));
  if (!txn.ok()) return txn.status();
  if (!txn->succeeded) return kv::Status(kv::ErrorCode::kInternal, "we no longer held the lock");
  return kv::Status();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> endpoints;
  std::stringstream list(argc > 1 ? argv[1] : "127.0.0.1:2379");
  for (std::string endpoint; std::getline(list, endpoint, ',');) endpoints.push_back(endpoint);
  const std::string owner = "lock_example-" + std::to_string(getpid());
  auto client = kv::Client::Connect({.endpoints = endpoints});
  if (!client.ok()) {
    std::fprintf(stderr, "connect: %s\n", client.status().ToString().c_str());
    return 1;
  }

  if (kv::Status s = Acquire(**client, owner, std::chrono::seconds(10)); !s.ok()) {
    std::fprintf(stderr, "acquire: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("%s acquired %s\n", owner.c_str(), kLock.c_str());

  // The work the lock protects: nobody else holding this lock writes here meanwhile.
  auto work = (*client)->Put(kProtected, "last written by " + owner);
  if (!work.ok())
    std::fprintf(stderr, "work: %s\n", work.status().ToString().c_str());
  else
    std::printf("did the work under the lock (wrote %s)\n", kProtected.c_str());

  if (kv::Status s = Release(**client, owner); !s.ok()) {
    std::fprintf(stderr, "release: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("%s released %s\n", owner.c_str(), kLock.c_str());
  return work.ok() ? 0 : 1;
}
