// The client's pure parts, without a cluster: etcd clientv3's range conventions, endpoint
// parsing, the option checks of Connect, and the reading of gRPC errors (client.h, "Guarantees").
#include <gtest/gtest.h>

#include "client/convert.h"
#include "client/endpoints.h"
#include "client/grpc_errors.h"
#include "tests/client/client_test_support.h"

namespace raftkv::client::testing {
namespace {

using internal::NormalizeEndpoint;
using internal::PrefixEnd;
using internal::ResolveRange;

TEST(PrefixEndTest, IncrementsTheLastByteBelow0xffAndDropsTrailing0xffBytes) {
  EXPECT_EQ(PrefixEnd("abc"), "abd");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
  EXPECT_EQ(PrefixEnd(std::string("a\xfe\xff\xff", 4)), "a\xff");
  EXPECT_EQ(PrefixEnd(std::string("\x00", 1)), std::string("\x01", 1));
}

TEST(PrefixEndTest, AllFfOrEmptyPrefixMeansEveryKey) {
  EXPECT_EQ(PrefixEnd(""), std::string(1, '\0'));
  EXPECT_EQ(PrefixEnd("\xff\xff"), std::string(1, '\0'));
}

TEST(ResolveRangeTest, FollowsClientv3ForPrefixFromKeyAndRangeEnd) {
  auto single = ResolveRange("k", "", false, false);
  ASSERT_OK(single);
  EXPECT_EQ(single->key, "k");
  EXPECT_EQ(single->range_end, "");

  auto prefix = ResolveRange("k/", "", true, false);
  ASSERT_OK(prefix);
  EXPECT_EQ(prefix->range_end, "k0");

  auto from_key = ResolveRange("k", "", false, true);
  ASSERT_OK(from_key);
  EXPECT_EQ(from_key->key, "k");
  EXPECT_EQ(from_key->range_end, std::string(1, '\0'));

  auto explicit_end = ResolveRange("a", "c", false, false);
  ASSERT_OK(explicit_end);
  EXPECT_EQ(explicit_end->range_end, "c");
}

TEST(ResolveRangeTest, EmptyKeyWithPrefixOrFromKeyMeansEveryKey) {
  for (const bool prefix : {true, false}) {
    auto range = ResolveRange("", "", prefix, !prefix);
    ASSERT_OK(range);
    EXPECT_EQ(range->key, std::string(1, '\0'));
    EXPECT_EQ(range->range_end, std::string(1, '\0'));
  }
}

TEST(ResolveRangeTest, MoreThanOneOfRangeEndPrefixAndFromKeyIsInvalidArgument) {
  EXPECT_EQ(ResolveRange("a", "b", true, false).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ResolveRange("a", "", true, true).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ResolveRange("a", "b", false, true).status().code(), ErrorCode::kInvalidArgument);
}

TEST(RangeRequestTest, AscendingByKeyIsSentAsNoSortLikeClientv3) {
  GetOptions options;
  options.sort_order = SortOrder::kAscend;
  auto by_key = internal::ToRangeRequest("k", options);
  ASSERT_OK(by_key);
  EXPECT_EQ(by_key->sort_order(), etcdserverpb::RangeRequest::NONE);
  options.sort_target = SortTarget::kValue;
  auto by_value = internal::ToRangeRequest("k", options);
  ASSERT_OK(by_value);
  EXPECT_EQ(by_value->sort_order(), etcdserverpb::RangeRequest::ASCEND);
  EXPECT_EQ(by_value->sort_target(), etcdserverpb::RangeRequest::VALUE);
}

TEST(TxnRequestTest, NestedTxnBecomesRequestTxnAndOnlyGetsMakeAReadOnlyTxn) {
  Txn inner;
  inner.If(Compare::Version("a", CompareOp::kGreater, 1).WithRange("b")).Then(Op::Get("a"));
  Txn outer;
  outer.If(Compare::Value("k", CompareOp::kNotEqual, "v")).Then(Op::Nested(inner));
  EXPECT_TRUE(internal::IsReadOnly(outer));
  auto request = internal::ToTxnRequest(outer);
  ASSERT_OK(request);
  ASSERT_EQ(request->success_size(), 1);
  const auto& nested = request->success(0).request_txn();
  ASSERT_EQ(nested.compare_size(), 1);
  EXPECT_EQ(nested.compare(0).target(), etcdserverpb::Compare::VERSION);
  EXPECT_EQ(nested.compare(0).result(), etcdserverpb::Compare::GREATER);
  EXPECT_EQ(nested.compare(0).version(), 1);
  EXPECT_EQ(nested.compare(0).range_end(), "b");
  EXPECT_EQ(request->compare(0).value(), "v");

  outer.Else(Op::Nested(Txn().Then(Op::Delete("x"))));
  EXPECT_FALSE(internal::IsReadOnly(outer));
}

TEST(EndpointTest, HostPortAndHttpUrlsAreAccepted) {
  EXPECT_EQ(*NormalizeEndpoint("127.0.0.1:2379"), "127.0.0.1:2379");
  EXPECT_EQ(*NormalizeEndpoint("http://127.0.0.1:2379"), "127.0.0.1:2379");
  EXPECT_EQ(*NormalizeEndpoint("http://localhost:2379/"), "localhost:2379");
  EXPECT_EQ(*NormalizeEndpoint("[::1]:2379"), "[::1]:2379");
}

TEST(EndpointTest, HttpsIsRejectedBecauseTlsIsNotSupported) {
  auto https = NormalizeEndpoint("https://127.0.0.1:2379");
  EXPECT_EQ(https.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(https.status().message().find("TLS is not supported"), std::string::npos);
}

TEST(EndpointTest, EmptyOrMalformedEndpointsAreInvalidArgument) {
  for (const char* bad :
       {"", "http://", "127.0.0.1", "127.0.0.1:", ":2379", "host:port", "host:0", "host:65536",
        "unix:///tmp/sock", "a b:1", "::1:2379", "host:2379/path"}) {
    EXPECT_EQ(NormalizeEndpoint(bad).status().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(ConnectTest, ChecksTheOptionsWithoutWaitingForAnyEndpoint) {
  EXPECT_EQ(Client::Connect({}).status().code(), ErrorCode::kInvalidArgument);
  ClientOptions https;
  https.endpoints = {"127.0.0.1:1", "https://127.0.0.1:2"};
  EXPECT_EQ(Client::Connect(https).status().code(), ErrorCode::kInvalidArgument);
  ClientOptions no_timeout;
  no_timeout.endpoints = {"127.0.0.1:1"};
  no_timeout.timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(Client::Connect(no_timeout).status().code(), ErrorCode::kInvalidArgument);

  // Nothing listens on port 1, and Connect does not care; endpoints() is normalized.
  ClientOptions fine;
  fine.endpoints = {"http://127.0.0.1:1", "127.0.0.1:2"};
  auto client = Client::Connect(fine);
  ASSERT_OK(client);
  EXPECT_EQ((*client)->endpoints(), (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
}

TEST(GrpcErrorTest, EtcdErrorsMapToTheirCodesKeepingTheServersMessage) {
  const std::string compacted = "etcdserver: mvcc: required revision has been compacted";
  const std::string future = "etcdserver: mvcc: required revision is a future revision";
  const std::string no_space = "etcdserver: mvcc: database space exceeded";
  struct Case {
    grpc::Status in;
    ErrorCode want;
  };
  const Case cases[] = {
      {{grpc::StatusCode::INVALID_ARGUMENT, "etcdserver: key is not provided"},
       ErrorCode::kInvalidArgument},
      {{grpc::StatusCode::OUT_OF_RANGE, compacted}, ErrorCode::kCompacted},
      {{grpc::StatusCode::OUT_OF_RANGE, future}, ErrorCode::kFutureRevision},
      {{grpc::StatusCode::RESOURCE_EXHAUSTED, no_space}, ErrorCode::kNoSpace},
      {{grpc::StatusCode::UNIMPLEMENTED, "unknown method"}, ErrorCode::kUnimplemented},
      {{grpc::StatusCode::UNAVAILABLE, "etcdserver: no leader"}, ErrorCode::kNoLeader},
      {{grpc::StatusCode::UNAVAILABLE, "etcdserver: request timed out"}, ErrorCode::kUnavailable},
      {{grpc::StatusCode::NOT_FOUND, "etcdserver: requested lease not found"},
       ErrorCode::kInvalidArgument},
      {{grpc::StatusCode::INTERNAL, "boom"}, ErrorCode::kInternal},
  };
  for (const Case& c : cases) {
    const Status status = internal::FromGrpcStatus(c.in);
    EXPECT_EQ(status.code(), c.want) << c.in.error_message();
    EXPECT_EQ(status.message(), c.in.error_message());
  }
}

TEST(GrpcErrorTest, OnlyNoLeaderAndLeaderChangedProveAWriteWasNotApplied) {
  EXPECT_TRUE(internal::ProvesNotApplied({grpc::StatusCode::UNAVAILABLE, "etcdserver: no leader"}));
  EXPECT_TRUE(
      internal::ProvesNotApplied({grpc::StatusCode::UNAVAILABLE, "etcdserver: leader changed"}));
  EXPECT_FALSE(
      internal::ProvesNotApplied({grpc::StatusCode::UNAVAILABLE, "etcdserver: request timed out"}));
  EXPECT_FALSE(internal::ProvesNotApplied({grpc::StatusCode::UNAVAILABLE, "Socket closed"}));
  EXPECT_FALSE(internal::ProvesNotApplied({grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline"}));
  // gRPC's own RESOURCE_EXHAUSTED (an answer too large) may follow an applied write.
  EXPECT_FALSE(internal::IsDefiniteRefusal({grpc::StatusCode::RESOURCE_EXHAUSTED, "too large"}));
  EXPECT_TRUE(internal::IsDefiniteRefusal(
      {grpc::StatusCode::RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded"}));
}

TEST(StatusTest, ToStringNamesTheCode) {
  EXPECT_EQ(Status().ToString(), "OK");
  EXPECT_EQ(Status(ErrorCode::kCompacted, "gone").ToString(), "Compacted: gone");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kUnknownOutcome), "UnknownOutcome");
}

}  // namespace
}  // namespace raftkv::client::testing
