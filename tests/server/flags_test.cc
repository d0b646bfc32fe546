// kvd's flags are etcd's: names, defaults and the checks etcd makes before a member starts
// (ETCD_API.md, "Conventions users expect").
#include "server/flags.h"

#include <gtest/gtest.h>

namespace raftkv::server {
namespace {

FlagsOutcome Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "kvd");
  return ParseKvdFlags(args);
}

TEST(FlagsTest, DefaultsAreEtcdsSingleMemberOnLocalhost) {
  FlagsOutcome out = Parse({});
  ASSERT_TRUE(out.run) << out.output;
  const ServerConfig& c = out.config;
  EXPECT_EQ(c.name, "default");
  EXPECT_EQ(c.data_dir, "default.kvd");
  ASSERT_EQ(c.listen_client_urls.size(), 1u);
  EXPECT_EQ(c.listen_client_urls[0].ToString(), "http://localhost:2379");
  EXPECT_EQ(c.initial_advertise_peer_urls[0].ToString(), "http://localhost:2380");
  ASSERT_EQ(c.initial_cluster.size(), 1u);
  EXPECT_EQ(c.initial_cluster[0].name, "default");
  EXPECT_EQ(c.heartbeat_interval_ms, 100u);
  EXPECT_EQ(c.election_timeout_ms, 1000u);
  EXPECT_EQ(c.max_request_bytes, 1572864u);
  EXPECT_EQ(c.max_txn_ops, 128u);
  EXPECT_EQ(c.initial_cluster_state, ClusterState::kNew);
  EXPECT_NE(c.member_id, 0u);
  EXPECT_NE(c.cluster_id, 0u);
}

// The command line of the second member of etcd's own 3-member Procfile, with kvd's name.
std::vector<std::string> ProcfileMember2() {
  return {"--name",
          "infra2",
          "--listen-client-urls",
          "http://127.0.0.1:22379",
          "--advertise-client-urls",
          "http://127.0.0.1:22379",
          "--listen-peer-urls",
          "http://127.0.0.1:22380",
          "--initial-advertise-peer-urls",
          "http://127.0.0.1:22380",
          "--initial-cluster-token",
          "etcd-cluster-1",
          "--initial-cluster",
          "infra1=http://127.0.0.1:12380,infra2=http://127.0.0.1:22380,"
          "infra3=http://127.0.0.1:32380",
          "--initial-cluster-state",
          "new"};
}

TEST(FlagsTest, EtcdProcfileCommandLineParses) {
  FlagsOutcome out = Parse(ProcfileMember2());
  ASSERT_TRUE(out.run) << out.output;
  EXPECT_EQ(out.config.name, "infra2");
  EXPECT_EQ(out.config.data_dir, "infra2.kvd");
  ASSERT_EQ(out.config.initial_cluster.size(), 3u);
  EXPECT_EQ(out.config.member_id, out.config.initial_cluster[1].id);
  EXPECT_EQ(out.config.listen_client_urls[0].HostPort(), "127.0.0.1:22379");
}

TEST(FlagsTest, EqualsFormIsAcceptedToo) {
  FlagsOutcome out = Parse(
      {"--name=n1", "--heartbeat-interval=50", "--election-timeout=500", "--data-dir=/tmp/x"});
  ASSERT_TRUE(out.run) << out.output;
  EXPECT_EQ(out.config.heartbeat_interval_ms, 50u);
  EXPECT_EQ(out.config.data_dir, "/tmp/x");
}

TEST(FlagsTest, EveryMemberComputesTheSameIdsFromTheSameCluster) {
  std::vector<std::string> args = ProcfileMember2();
  FlagsOutcome m2 = Parse(args);
  args[1] = "infra3";
  args[9] = "http://127.0.0.1:32380";
  FlagsOutcome m3 = Parse(args);
  ASSERT_TRUE(m2.run && m3.run) << m2.output << m3.output;
  EXPECT_EQ(m2.config.cluster_id, m3.config.cluster_id);
  EXPECT_NE(m2.config.member_id, m3.config.member_id);
  EXPECT_EQ(m3.config.member_id, m2.config.initial_cluster[2].id);
}

TEST(FlagsTest, TheClusterTokenSeparatesClusters) {
  std::vector<std::string> args = ProcfileMember2();
  FlagsOutcome a = Parse(args);
  args[11] = "another-token";
  FlagsOutcome b = Parse(args);
  ASSERT_TRUE(a.run && b.run);
  EXPECT_NE(a.config.cluster_id, b.config.cluster_id);
  EXPECT_NE(a.config.member_id, b.config.member_id);
}

TEST(FlagsTest, ElectionTimeoutBelowFiveHeartbeatsIsRefusedWithEtcdsMessage) {
  FlagsOutcome out = Parse({"--heartbeat-interval", "100", "--election-timeout", "400"});
  EXPECT_FALSE(out.run);
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_EQ(out.output,
            "kvd: --election-timeout[400ms] should be at least as 5 times as "
            "--heartbeat-interval[100ms]");
}

TEST(FlagsTest, ElectionTimeoutAboveFiftySecondsIsRefused) {
  FlagsOutcome out = Parse({"--election-timeout", "60000"});
  EXPECT_FALSE(out.run);
  EXPECT_NE(out.output.find("is too long, and should be set less than 50000ms"), std::string::npos);
}

TEST(FlagsTest, NameMissingFromTheInitialClusterIsRefusedWithEtcdsMessage) {
  std::vector<std::string> args = ProcfileMember2();
  args[1] = "infra9";
  FlagsOutcome out = Parse(args);
  EXPECT_FALSE(out.run);
  EXPECT_EQ(out.output,
            "kvd: couldn't find local name \"infra9\" in the initial cluster configuration");
}

TEST(FlagsTest, AdvertisedPeerUrlsMustMatchTheInitialCluster) {
  std::vector<std::string> args = ProcfileMember2();
  args[9] = "http://127.0.0.1:29999";
  FlagsOutcome out = Parse(args);
  EXPECT_FALSE(out.run);
  EXPECT_NE(out.output.find("--initial-advertise-peer-urls"), std::string::npos) << out.output;
}

TEST(FlagsTest, DuplicateUrlInTheInitialClusterIsRefused) {
  FlagsOutcome out = Parse({"--name", "a", "--initial-advertise-peer-urls", "http://h:1",
                            "--initial-cluster", "a=http://h:1,b=http://h:1"});
  EXPECT_FALSE(out.run);
  EXPECT_NE(out.output.find("has duplicate url"), std::string::npos) << out.output;
}

TEST(FlagsTest, MalformedUrlsAndValuesAreRefusedNamingTheProblem) {
  EXPECT_NE(Parse({"--listen-client-urls", "127.0.0.1:2379"}).output.find("has no scheme"),
            std::string::npos);
  EXPECT_NE(Parse({"--listen-client-urls", "http://h:99999"}).output.find("invalid port"),
            std::string::npos);
  EXPECT_NE(Parse({"--listen-client-urls", "https://h:1"}).output.find("TLS"), std::string::npos);
  FlagsOutcome bad_state = Parse({"--initial-cluster-state", "maybe"});
  EXPECT_FALSE(bad_state.run);
  EXPECT_EQ(bad_state.exit_code, 2);
  FlagsOutcome not_a_number = Parse({"--max-txn-ops", "lots"});
  EXPECT_FALSE(not_a_number.run);
  EXPECT_NE(not_a_number.output.find("--max-txn-ops"), std::string::npos) << not_a_number.output;
  EXPECT_FALSE(Parse({"--log-level", "chatty"}).run);
  EXPECT_FALSE(Parse({"--no-such-flag", "1"}).run);
}

TEST(FlagsTest, HelpAndVersionExitZeroWithText) {
  FlagsOutcome help = Parse({"--help"});
  EXPECT_FALSE(help.run);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--initial-cluster-state"), std::string::npos);
  FlagsOutcome version = Parse({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("kvd"), std::string::npos);
}

// The test-only stale-read switch (tests/fault/) is off unless named in full on the command line:
// no default, no abbreviation turns it on, and --help marks it as unsafe.
TEST(FlagsTest, UnsafeStaleReadsAreOffUnlessTheFlagIsGivenExplicitly) {
  FlagsOutcome plain = Parse({"--name=n1"});
  ASSERT_TRUE(plain.run) << plain.output;
  EXPECT_FALSE(plain.config.unsafe_stale_reads_for_tests);
  FlagsOutcome on = Parse({"--name=n1", "--unsafe-stale-reads-for-tests"});
  ASSERT_TRUE(on.run) << on.output;
  EXPECT_TRUE(on.config.unsafe_stale_reads_for_tests);
  EXPECT_FALSE(Parse({"--unsafe-stale-reads"}).run);
  EXPECT_FALSE(Parse({"--stale-reads"}).run);
  EXPECT_NE(Parse({"--help"}).output.find("TESTS ONLY"), std::string::npos);
}

}  // namespace
}  // namespace raftkv::server
