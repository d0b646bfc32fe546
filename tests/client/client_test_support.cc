#include "tests/client/client_test_support.h"

#include "tests/support/test_ports.h"

namespace raftkv::client::testing {

int ClientTestBasePort() {
  const int base = raftkv::testing::ClaimPortBlock();
  EXPECT_NE(base, 0) << "no free port block (tests/support/test_ports.h)";
  return base;
}

void ClusterTest::SetUp() {
  dir_ = std::make_unique<storage::testing::TempDir>();
  cluster_ = std::make_unique<server::testing::KvdCluster>(dir_->path(), 3, ClientTestBasePort(),
                                                           std::vector<std::string>{});
  ASSERT_NE(WaitForLeader(), 0);
  for (int i = 1; i <= 3; ++i) {
    member_ids_[i] = cluster_->MemberId(i);
    ASSERT_NE(member_ids_[i], 0u) << "member " << i << " did not answer Status";
  }
  client_ = NewClient({Address(1), Address(2), Address(3)});
  ASSERT_NE(client_, nullptr);
}

void ClusterTest::TearDown() {
  client_.reset();
  cluster_.reset();
  dir_.reset();
}

std::string ClusterTest::AddressList() const {
  return Address(1) + "," + Address(2) + "," + Address(3);
}

std::unique_ptr<Client> ClusterTest::NewClient(std::vector<std::string> endpoints,
                                               std::chrono::milliseconds timeout) {
  ClientOptions options;
  options.endpoints = std::move(endpoints);
  options.timeout = timeout;
  auto client = Client::Connect(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(*client) : nullptr;
}

int ClusterTest::MemberIndex(uint64_t member_id) const {
  for (int i = 1; i <= 3; ++i) {
    if (member_ids_[i] == member_id) return i;
  }
  return 0;
}

int ClusterTest::WaitForLeader() {
  const int leader = cluster_->WaitForLeader(std::chrono::steady_clock::now() + kStartupTimeout);
  if (leader == 0) {
    // Say which members answer at all: a member that never answers did not start (its port was
    // taken, say); members that answer without agreeing on a leader point at the election.
    std::string answering;
    for (int i = 1; i <= 3; ++i) {
      answering += " m" + std::to_string(i) + (cluster_->MemberId(i) != 0 ? " answers" : " silent");
    }
    ADD_FAILURE() << "the cluster elected no leader (base port " << ClientTestBasePort()
                  << "):" << answering;
  }
  return leader;
}

}  // namespace raftkv::client::testing
