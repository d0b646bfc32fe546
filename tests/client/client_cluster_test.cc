// MemberList, Status and Health (what etcdctl's "member list", "endpoint status" and "endpoint
// health" call), against a real 3-member kvd cluster.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/client/client_test_support.h"

namespace raftkv::client::testing {
namespace {

using MembersTest = ClusterTest;

TEST_F(MembersTest, MemberListNamesEveryMemberWithItsClientAndPeerUrls) {
  // Members publish their client URLs through raft after they start: wait until all have.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  MemberListResult list;
  while (true) {
    auto got = client().MemberList();
    ASSERT_OK(got);
    list = *got;
    bool published = list.members.size() == 3;
    for (const Member& m : list.members) published = published && !m.client_urls.empty();
    if (published || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(list.members.size(), 3u);
  std::set<std::string> names;
  for (const Member& m : list.members) {
    const int i = MemberIndex(m.id);
    ASSERT_NE(i, 0) << "unknown member id " << m.id;
    names.insert(m.name);
    EXPECT_EQ(m.name, "m" + std::to_string(i));
    EXPECT_EQ(m.client_urls, std::vector<std::string>{"http://" + Address(i)});
    ASSERT_EQ(m.peer_urls.size(), 1u);
    EXPECT_EQ(m.peer_urls[0].rfind("http://127.0.0.1:", 0), 0u) << m.peer_urls[0];
    EXPECT_FALSE(m.is_learner);
  }
  EXPECT_EQ(names.size(), 3u);
}

TEST_F(MembersTest, StatusAsksOneEndpointAboutItselfWhetherOrNotTheClientListsIt) {
  const int leader = WaitForLeader();
  ASSERT_NE(leader, 0);
  // A client of member 1 only: members 2 and 3 get temporary channels.
  auto one = NewClient({Address(1)});
  ASSERT_NE(one, nullptr);
  uint64_t leader_id = 0;
  for (int i = 1; i <= 3; ++i) {
    auto status = one->Status("http://" + Address(i));
    ASSERT_OK(status);
    EXPECT_EQ(MemberIndex(status->header.member_id), i);
    EXPECT_FALSE(status->version.empty());
    EXPECT_GT(status->raft_index, 0u);
    EXPECT_GT(status->raft_term, 0u);
    EXPECT_GT(status->db_size, 0);
    EXPECT_FALSE(status->is_learner);
    EXPECT_NE(status->leader, 0u);
    if (leader_id == 0) leader_id = status->leader;
    EXPECT_EQ(status->leader, leader_id) << "every member names the same leader";
  }
  EXPECT_EQ(MemberIndex(leader_id), leader);

  auto https = one->Status("https://" + Address(1));
  EXPECT_EQ(https.status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(MembersTest, StatusOfADeadEndpointIsUnavailableAndNamesIt) {
  cluster().Kill(2);
  CallOptions call;
  call.timeout = std::chrono::milliseconds(3000);
  auto status = client().Status(Address(2), call);
  EXPECT_EQ(status.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(status.status().message().find(Address(2)), std::string::npos)
      << status.status().ToString();
}

TEST_F(MembersTest, HealthIsOkOnEveryMemberAndAnErrorWithoutQuorumOrProcess) {
  for (int i = 1; i <= 3; ++i) {
    const Status health = client().Health(Address(i));
    EXPECT_TRUE(health.ok()) << health.ToString();
  }
  // Without a quorum the survivor cannot serve a linearizable read: unhealthy. The call still
  // ends by its deadline.
  cluster().Kill(1);
  cluster().Kill(2);
  CallOptions call;
  call.timeout = std::chrono::milliseconds(3000);
  const auto start = std::chrono::steady_clock::now();
  const Status survivor = client().Health(Address(3), call);
  EXPECT_FALSE(survivor.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  const Status dead = client().Health(Address(1), call);
  EXPECT_EQ(dead.code(), ErrorCode::kUnavailable);
  EXPECT_NE(dead.message().find(Address(1)), std::string::npos) << dead.ToString();
}

}  // namespace
}  // namespace raftkv::client::testing
