// Failover and the write-safety contract of client.h against real kvd processes: members are
// SIGKILLed under the client; reads and writes go on through the others within the deadline;
// with every endpoint down a call fails by its deadline naming each endpoint; a write is never
// reported applied when it was not; one Client shared by many threads loses no acknowledged put.
// Only generous upper bounds are asserted on time.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "tests/client/client_test_support.h"

namespace raftkv::client::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Slack over a call's deadline before it counts as having overrun it: a loaded machine may
// schedule the test late, but a call that ignores its deadline would take far longer.
constexpr seconds kDeadlineSlack{10};

class FailoverTest : public ClusterTest {
 protected:
  // Kills member `victim` after a write through a client that prefers it, then checks that a
  // read and a write through the same client still succeed, answered by another member.
  void ReadAndWriteSurviveKillOfThePreferredMember(Client& client, int victim);
};

void FailoverTest::ReadAndWriteSurviveKillOfThePreferredMember(Client& client, int victim) {
  auto before = client.Put("before", "1");
  ASSERT_OK(before);
  ASSERT_EQ(MemberIndex(before->header.member_id), victim) << "the first endpoint answers";

  cluster().Kill(victim);
  // The read comes first: a write sent just as the connection dies would rightly be reported as
  // UnknownOutcome, so this test lets a read notice the dead member.
  auto read = client.Get("before");
  ASSERT_OK(read);
  ASSERT_EQ(read->kvs.size(), 1u);
  EXPECT_EQ(read->kvs[0].value, "1");
  EXPECT_NE(MemberIndex(read->header.member_id), victim);

  auto write = client.Put("after", "2");
  ASSERT_OK(write);
  EXPECT_NE(MemberIndex(write->header.member_id), victim);
  auto read_back = client.Get("after");
  ASSERT_OK(read_back);
  ASSERT_EQ(read_back->kvs.size(), 1u);
  EXPECT_EQ(read_back->kvs[0].value, "2");
}

TEST_F(FailoverTest, ReadsAndWritesGoOnWhenThePreferredFollowerIsKilled) {
  const int leader = WaitForLeader();
  ASSERT_NE(leader, 0);
  const int follower = leader % 3 + 1;
  const int other = follower % 3 + 1;
  auto client = NewClient({Address(follower), Address(other), Address(other % 3 + 1)});
  ASSERT_NE(client, nullptr);
  ReadAndWriteSurviveKillOfThePreferredMember(*client, follower);
}

TEST_F(FailoverTest, ReadsAndWritesGoOnWhenThePreferredLeaderIsKilled) {
  const int leader = WaitForLeader();
  ASSERT_NE(leader, 0);
  const int next = leader % 3 + 1;
  auto client = NewClient({Address(leader), Address(next), Address(next % 3 + 1)});
  ASSERT_NE(client, nullptr);
  // The survivors elect a new leader within the calls' deadline (kCallTimeout).
  ReadAndWriteSurviveKillOfThePreferredMember(*client, leader);
}

TEST_F(FailoverTest, AWriteWhoseFirstEndpointIsDownGoesToTheNextOne) {
  // A follower: had the leader died, the others could take a proposal sent before they noticed
  // and lose it with it, and the client would rightly answer UnknownOutcome.
  const int leader = WaitForLeader();
  ASSERT_NE(leader, 0);
  const int down = leader % 3 + 1;
  cluster().Kill(down);
  auto client = NewClient({Address(down), Address(down % 3 + 1), Address(leader)});
  ASSERT_NE(client, nullptr);
  auto put = client->Put("k", "v");
  ASSERT_OK(put);
  EXPECT_NE(MemberIndex(put->header.member_id), down);
  auto txn = client->Commit(Txn().Then(Op::Put("k2", "v")));
  ASSERT_OK(txn);
  EXPECT_NE(MemberIndex(txn->header.member_id), down);
}

TEST_F(FailoverTest, AllEndpointsDownIsUnavailableNamingEachEndpointByTheDeadline) {
  for (int i = 1; i <= 3; ++i) cluster().Kill(i);
  auto client = NewClient({Address(1), Address(2), Address(3)}, milliseconds(2000));
  ASSERT_NE(client, nullptr);

  auto start = std::chrono::steady_clock::now();
  auto get = client->Get("k");
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000) + kDeadlineSlack);
  EXPECT_EQ(get.status().code(), ErrorCode::kUnavailable) << get.status().ToString();
  const std::string& message = get.status().message();
  std::printf("get with every endpoint down: %s\n", get.status().ToString().c_str());
  EXPECT_NE(message.find("within 2000 ms"), std::string::npos) << message;
  for (int i = 1; i <= 3; ++i) {
    EXPECT_NE(message.find(Address(i) + ": connection refused"), std::string::npos) << message;
  }

  // A write that could be sent nowhere was certainly not applied: Unavailable, not unknown.
  start = std::chrono::steady_clock::now();
  auto put = client->Put("k", "v");
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000) + kDeadlineSlack);
  EXPECT_EQ(put.status().code(), ErrorCode::kUnavailable) << put.status().ToString();
  EXPECT_NE(put.status().message().find("not applied"), std::string::npos);

  // The call's own timeout wins over the client's.
  CallOptions quick;
  quick.timeout = milliseconds(300);
  start = std::chrono::steady_clock::now();
  auto members = client->MemberList(quick);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(300) + kDeadlineSlack);
  EXPECT_EQ(members.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(members.status().message().find("within 300 ms"), std::string::npos);
}

TEST_F(FailoverTest, AWriteThroughOnlyADeadEndpointIsNotReportedAsSuccess) {
  auto client = NewClient({Address(2)}, milliseconds(2000));
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->Put("k", "before"));
  cluster().Kill(2);
  const auto start = std::chrono::steady_clock::now();
  auto put = client->Put("k", "lost");
  std::printf("put through the dead endpoint: %s\n", put.status().ToString().c_str());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000) + kDeadlineSlack);
  ASSERT_FALSE(put.ok());
  // Either it was never sent (Unavailable) or it was sent into the dying connection (unknown).
  EXPECT_TRUE(put.status().code() == ErrorCode::kUnavailable ||
              put.status().code() == ErrorCode::kUnknownOutcome)
      << put.status().ToString();

  // The member comes back; the same client reconnects to it within a call's deadline.
  cluster().Start(2);
  CallOptions patient;
  patient.timeout = kCallTimeout;
  ASSERT_OK(client->Put("k", "after", {}, patient));
  auto got = client->Get("k", {}, patient);
  ASSERT_OK(got);
  EXPECT_EQ(got->kvs[0].value, "after");
}

TEST_F(FailoverTest, AWriteToAMemberWithoutQuorumIsNeverReportedApplied) {
  const int leader = WaitForLeader();
  ASSERT_NE(leader, 0);
  const int survivor = leader % 3 + 1;
  auto client = NewClient({Address(survivor)}, milliseconds(3000));
  ASSERT_NE(client, nullptr);
  ASSERT_OK(client->Put("q", "before"));
  for (int i = 1; i <= 3; ++i) {
    if (i != survivor) cluster().Kill(i);
  }
  const auto start = std::chrono::steady_clock::now();
  auto put = client->Put("q", "maybe");
  std::printf("put without quorum: %s\n", put.status().ToString().c_str());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000) + kDeadlineSlack);
  ASSERT_FALSE(put.ok());
  const ErrorCode code = put.status().code();
  if (code == ErrorCode::kNoLeader) {
    EXPECT_NE(put.status().message().find("not applied"), std::string::npos);
  } else {
    EXPECT_TRUE(code == ErrorCode::kDeadlineExceeded || code == ErrorCode::kUnknownOutcome)
        << put.status().ToString();
    EXPECT_NE(put.status().message().find("may or may not have been applied"), std::string::npos)
        << put.status().ToString();
  }
  // A read cannot be served linearizably either, and fails by its deadline.
  auto get = client->Get("q");
  std::printf("get without quorum: %s\n", get.status().ToString().c_str());
  EXPECT_FALSE(get.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(6000) + 2 * kDeadlineSlack);
}

TEST_F(FailoverTest, ThreadsSharingOneClientLoseNoAcknowledgedPutWhileAMemberDies) {
  const int leader = WaitForLeader();
  ASSERT_NE(leader, 0);
  const int victim = leader % 3 + 1;  // a follower, preferred by the client
  auto client = NewClient({Address(victim), Address(victim % 3 + 1), Address(leader)});
  ASSERT_NE(client, nullptr);

  constexpr int kThreads = 4;
  constexpr int kPutsPerThread = 40;
  std::mutex mu;
  std::condition_variable progress;
  std::map<std::string, std::string> acknowledged;  // guarded by mu
  std::vector<std::string> failures;                // failed puts; guarded by mu
  std::vector<std::string> read_failures;           // guarded by mu
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPutsPerThread; ++i) {
        const std::string key = "t" + std::to_string(t) + "/" + std::to_string(i);
        const std::string value = "v" + std::to_string(i);
        auto put = client->Put(key, value);
        // A linearizable read after an acknowledged write sees it.
        auto got = put.ok() ? client->Get(key) : Result<GetResult>(put.status());
        std::lock_guard<std::mutex> lock(mu);
        if (!put.ok()) {
          // Only a write caught by the kill may fail, and it must not claim to be lost for sure
          // when it was sent: UnknownOutcome (or Unavailable when never sent).
          failures.push_back(key + ": " + put.status().ToString());
          continue;
        }
        acknowledged[key] = value;
        progress.notify_all();
        if (!got.ok() || got->kvs.size() != 1 || got->kvs[0].value != value) {
          read_failures.push_back(key + ": " + got.status().ToString());
        }
      }
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    progress.wait_for(lock, seconds(60), [&] { return acknowledged.size() >= 30; });
  }
  cluster().Kill(victim);
  for (auto& thread : threads) thread.join();

  for (const std::string& failure : failures) {
    std::printf("failed put: %s\n", failure.c_str());
    EXPECT_TRUE(failure.find("UnknownOutcome") != std::string::npos ||
                failure.find("Unavailable") != std::string::npos)
        << failure;
  }
  EXPECT_TRUE(read_failures.empty())
      << "reads are retried until they succeed: " << ::testing::PrintToString(read_failures);
  // Writes went on after the kill: each thread's last put (well after it) was acknowledged.
  for (int t = 0; t < kThreads; ++t) {
    const std::string last = "t" + std::to_string(t) + "/" + std::to_string(kPutsPerThread - 1);
    EXPECT_EQ(acknowledged.count(last), 1u) << last << " failed";
  }
  GetOptions every;
  every.prefix = true;
  auto all = client->Get("t", every);
  ASSERT_OK(all);
  std::map<std::string, std::string> stored;
  for (const KeyValue& kv : all->kvs) stored[kv.key] = kv.value;
  for (const auto& [key, value] : acknowledged) {
    EXPECT_EQ(stored[key], value) << "acknowledged put of " << key << " is missing";
  }
}

}  // namespace
}  // namespace raftkv::client::testing
