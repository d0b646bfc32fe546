// Support for the client library's tests: a fixture with a real 3-member kvd cluster on loopback
// (tests/server's KvdCluster, on ports of its own range) and a Client of all its members, plus
// assertions on Result and Status values.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "raftkv/client.h"
#include "tests/server/kvd_cluster.h"
#include "tests/storage/temp_dir.h"

namespace raftkv::client::testing {

// The text of a failed Status or Result, for assertion messages.
inline std::string StatusText(const Status& status) { return status.ToString(); }
template <typename T>
std::string StatusText(const Result<T>& result) {
  return result.status().ToString();
}

// Asserts that a Status or Result is ok, printing its error otherwise.
#define ASSERT_OK(expr)                                                                        \
  do {                                                                                         \
    const auto& ok_check_value = (expr);                                                       \
    ASSERT_TRUE(ok_check_value.ok()) << ::raftkv::client::testing::StatusText(ok_check_value); \
  } while (0)

// The base port of this test process: its claimed block (tests/support/test_ports.h), so
// parallel tests never collide. Fails the test when no block is free.
int ClientTestBasePort();

// Deadlines and timeouts of the tests: generous, for a slow, loaded machine.
inline constexpr std::chrono::seconds kStartupTimeout{60};
inline constexpr std::chrono::milliseconds kCallTimeout{30000};

// A fresh 3-member cluster per test, with a leader, and `client()` connected to all members in
// the order 1, 2, 3.
class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  server::testing::KvdCluster& cluster() { return *cluster_; }
  Client& client() { return *client_; }
  // The client address ("127.0.0.1:port") of member i (1..3).
  std::string Address(int i) const { return cluster_->ClientAddress(i); }
  // "a,b,c" of every member, as the examples take them.
  std::string AddressList() const;
  // A new client of these endpoints with the given call timeout; fails the test if Connect does.
  std::unique_ptr<Client> NewClient(std::vector<std::string> endpoints,
                                    std::chrono::milliseconds timeout = kCallTimeout);
  // The member index (1..3) whose member id is `member_id`, or 0.
  int MemberIndex(uint64_t member_id) const;
  // Waits until the cluster agrees on a leader and returns its index; fails the test if none.
  int WaitForLeader();

 private:
  std::unique_ptr<storage::testing::TempDir> dir_;
  std::unique_ptr<server::testing::KvdCluster> cluster_;
  std::unique_ptr<Client> client_;
  uint64_t member_ids_[4] = {0, 0, 0, 0};  // index 1..3: member ids learned at SetUp
};

}  // namespace raftkv::client::testing
