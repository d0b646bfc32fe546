// kvd as users run it: three real processes on loopback, the etcd API over real gRPC, members
// killed with SIGKILL or stopped with SIGTERM (issue 4, "Proof"). No timing is asserted beyond
// generous deadlines; the measured failover time is recorded as a test property.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/server/kvd_cluster.h"
#include "tests/storage/temp_dir.h"
#include "tests/support/test_ports.h"

namespace raftkv::server::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using storage::testing::TempDir;

// The port block of this test process (tests/support/test_ports.h), so parallel test processes
// do not collide.
int BasePort() {
  const int base = raftkv::testing::ClaimPortBlock();
  EXPECT_NE(base, 0) << "no free port block";
  return base;
}

auto Deadline(seconds s) { return std::chrono::steady_clock::now() + s; }

grpc::Status Put(const KvdCluster& c, int member, const std::string& key, const std::string& value,
                 etcdserverpb::PutResponse* response = nullptr) {
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  etcdserverpb::PutResponse ignored;
  auto context = ContextWithTimeout(milliseconds(10000));
  return c.Kv(member)->Put(context.get(), request, response ? response : &ignored);
}

// Put retried while the member answers UNAVAILABLE (no leader yet), as etcd clients retry.
grpc::Status PutRetrying(const KvdCluster& c, int member, const std::string& key,
                         const std::string& value) {
  const auto deadline = Deadline(seconds(20));
  while (true) {
    grpc::Status s = Put(c, member, key, value);
    if (s.ok() || s.error_code() != grpc::StatusCode::UNAVAILABLE ||
        std::chrono::steady_clock::now() > deadline) {
      return s;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

// The value of `key` read through `member` (linearizable unless serializable), or an error text.
std::string Get(const KvdCluster& c, int member, const std::string& key,
                bool serializable = false) {
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  request.set_serializable(serializable);
  etcdserverpb::RangeResponse response;
  auto context = ContextWithTimeout(milliseconds(10000));
  grpc::Status s = c.Kv(member)->Range(context.get(), request, &response);
  if (!s.ok()) return "<error: " + s.error_message() + ">";
  if (response.kvs_size() == 0) return "<missing>";
  return response.kvs(0).value();
}

// Polls a serializable read on `member` until it returns `value`.
bool EventuallyHas(const KvdCluster& c, int member, const std::string& key,
                   const std::string& value) {
  const auto deadline = Deadline(seconds(30));
  while (std::chrono::steady_clock::now() < deadline) {
    if (Get(c, member, key, /*serializable=*/true) == value) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

TEST(KvdProcessTest, KilledLeaderIsReplacedNoAcknowledgedWriteIsLostAndItCatchesUp) {
  TempDir dir;
  KvdCluster c(dir.path(), 3, BasePort(), {});
  const int leader = c.WaitForLeader(Deadline(seconds(30)));
  ASSERT_NE(leader, 0) << "no leader emerged";
  const int follower = leader % 3 + 1;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(PutRetrying(c, follower, "key" + std::to_string(i), "v" + std::to_string(i)).ok());
  }

  const auto killed_at = std::chrono::steady_clock::now();
  c.Kill(leader);
  const int new_leader = c.WaitForLeader(Deadline(seconds(30)));
  ASSERT_NE(new_leader, 0) << "no new leader after the leader was killed";
  ASSERT_NE(new_leader, leader);
  const auto failover =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed_at);
  RecordProperty("failover_ms", static_cast<int>(failover.count()));
  std::printf("new leader %d elected %lld ms after SIGKILL of leader %d\n", new_leader,
              static_cast<long long>(failover.count()), leader);

  // Every acknowledged write survives, read linearizably through both survivors.
  for (int member = 1; member <= 3; ++member) {
    if (member == leader) continue;
    for (int i = 0; i < 50; ++i) {
      ASSERT_EQ(Get(c, member, "key" + std::to_string(i)), "v" + std::to_string(i))
          << "member " << member;
    }
  }
  // Clients of the survivors keep working; the killed member restarts and catches up.
  ASSERT_TRUE(PutRetrying(c, follower == leader ? new_leader : follower, "after", "x").ok());
  c.Start(leader);
  EXPECT_TRUE(EventuallyHas(c, leader, "after", "x"));
  EXPECT_EQ(Get(c, leader, "key49"), "v49");
}

TEST(KvdProcessTest, RestartedMemberCatchesUpFromASnapshotWhenTheLogWasCompacted) {
  TempDir dir;
  KvdCluster c(dir.path(), 3, BasePort(), {"--snapshot-count=40"});
  ASSERT_NE(c.WaitForLeader(Deadline(seconds(30))), 0);
  c.Kill(3);
  const int leader = c.WaitForLeader(Deadline(seconds(30)));
  ASSERT_NE(leader, 0);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(PutRetrying(c, leader, "k" + std::to_string(i), std::to_string(i)).ok());
  }
  c.Start(3);
  EXPECT_TRUE(EventuallyHas(c, 3, "k199", "199"));
  EXPECT_EQ(Get(c, 3, "k0"), "0");
}

TEST(KvdProcessTest, SigtermStopsCleanlyAndTheOthersGoOn) {
  TempDir dir;
  KvdCluster c(dir.path(), 3, BasePort(), {});
  const int leader = c.WaitForLeader(Deadline(seconds(30)));
  ASSERT_NE(leader, 0);
  ASSERT_TRUE(PutRetrying(c, leader, "k", "v").ok());
  EXPECT_EQ(c.Terminate(leader), 0) << "kvd did not exit cleanly on SIGTERM";
  const int next = c.WaitForLeader(Deadline(seconds(30)));
  ASSERT_NE(next, 0);
  EXPECT_EQ(Get(c, next, "k"), "v");
  // It restarts on its data directory with its state.
  c.Start(leader);
  EXPECT_TRUE(EventuallyHas(c, leader, "k", "v"));
}

TEST(KvdProcessTest, BadRequestsGetEtcdsErrorsAndNeverHurtTheMember) {
  TempDir dir;
  KvdCluster c(dir.path(), 3, BasePort(), {});
  const int leader = c.WaitForLeader(Deadline(seconds(30)));
  ASSERT_NE(leader, 0);
  grpc::Status empty = Put(c, leader, "", "v");
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(empty.error_message(), "etcdserver: key is not provided");

  grpc::Status big = Put(c, leader, "big", std::string(1536 * 1024 + 10, 'x'));
  EXPECT_EQ(big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(big.error_message(), "etcdserver: request is too large");

  // Garbage bytes where a PutRequest should be.
  auto channel = grpc::CreateChannel(c.ClientAddress(leader), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  const char garbage[] = "\xff\xff\xff\xff\x0f\x12\x99garbage";
  grpc::Slice slice(garbage, sizeof(garbage) - 1);
  grpc::ByteBuffer request(&slice, 1), reply;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(5));
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status garbage_status;
  generic.UnaryCall(&context, "/etcdserverpb.KV/Put", grpc::StubOptions(), &request, &reply,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      garbage_status = s;
                      done = true;
                      cv.notify_all();
                    });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, seconds(10), [&] { return done; }));
  }
  EXPECT_FALSE(garbage_status.ok());
  // The member still serves.
  EXPECT_TRUE(PutRetrying(c, leader, "still", "here").ok());
  EXPECT_EQ(Get(c, leader, "still"), "here");
}

}  // namespace
}  // namespace raftkv::server::testing
