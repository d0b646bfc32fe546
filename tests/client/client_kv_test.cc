// Get, Put and Delete with every option, against a real 3-member kvd cluster, checked against
// etcd 3.4's semantics (ETCD_API.md, "Semantics").
#include <gtest/gtest.h>

#include <thread>

#include "tests/client/client_test_support.h"

namespace raftkv::client::testing {
namespace {

using KvTest = ClusterTest;

// The keys of a Get, in the order returned.
std::vector<std::string> Keys(const GetResult& result) {
  std::vector<std::string> keys;
  for (const KeyValue& kv : result.kvs) keys.push_back(kv.key);
  return keys;
}

using Strings = std::vector<std::string>;

// Puts every key with value "v-<key>"; returns the revision of the last put.
int64_t PutAll(Client& client, const Strings& keys) {
  int64_t revision = 0;
  for (const std::string& key : keys) {
    auto put = client.Put(key, "v-" + key);
    EXPECT_TRUE(put.ok()) << put.status().ToString();
    if (put.ok()) revision = put->header.revision;
  }
  return revision;
}

TEST_F(KvTest, GetOfOneKeyReturnsItsRevisionsAndVersionAndAMissingKeyReturnsNothing) {
  auto put = client().Put("k", "v");
  ASSERT_OK(put);
  auto got = client().Get("k");
  ASSERT_OK(got);
  ASSERT_EQ(got->kvs.size(), 1u);
  EXPECT_EQ(got->count, 1);
  EXPECT_FALSE(got->more);
  const KeyValue& kv = got->kvs[0];
  EXPECT_EQ(kv.key, "k");
  EXPECT_EQ(kv.value, "v");
  EXPECT_EQ(kv.create_revision, put->header.revision);
  EXPECT_EQ(kv.mod_revision, put->header.revision);
  EXPECT_EQ(kv.version, 1);
  EXPECT_EQ(kv.lease, 0);
  EXPECT_GE(got->header.revision, put->header.revision);
  EXPECT_NE(got->header.cluster_id, 0u);
  EXPECT_NE(MemberIndex(got->header.member_id), 0);

  auto again = client().Put("k", "w");
  ASSERT_OK(again);
  EXPECT_EQ(again->header.revision, put->header.revision + 1) << "each write raises it by one";
  got = client().Get("k");
  ASSERT_OK(got);
  EXPECT_EQ(got->kvs[0].version, 2);
  EXPECT_EQ(got->kvs[0].create_revision, put->header.revision);
  EXPECT_EQ(got->kvs[0].mod_revision, again->header.revision);

  auto missing = client().Get("missing");
  ASSERT_OK(missing);
  EXPECT_TRUE(missing->kvs.empty());
  EXPECT_EQ(missing->count, 0);
}

TEST_F(KvTest, PrefixReadsEveryKeyStartingWithItIncludingAfter0xffBytes) {
  PutAll(client(), {"p/a", "p/b", "p/c", "p0", "q", "x\xff", "x\xff\x01", "y"});
  GetOptions prefix;
  prefix.prefix = true;
  auto got = client().Get("p/", prefix);
  ASSERT_OK(got);
  EXPECT_EQ(Keys(*got), (Strings{"p/a", "p/b", "p/c"}));
  EXPECT_EQ(got->count, 3);

  got = client().Get("x\xff", prefix);
  ASSERT_OK(got);
  EXPECT_EQ(Keys(*got), (Strings{"x\xff", "x\xff\x01"}));

  got = client().Get("", prefix);  // every key
  ASSERT_OK(got);
  EXPECT_EQ(got->count, 8);
}

TEST_F(KvTest, FromKeyReadsEveryKeyAtOrAfterItAndRangeEndTheHalfOpenInterval) {
  PutAll(client(), {"a", "b", "c", "d"});
  GetOptions from_key;
  from_key.from_key = true;
  auto got = client().Get("b", from_key);
  ASSERT_OK(got);
  EXPECT_EQ(Keys(*got), (Strings{"b", "c", "d"}));

  GetOptions range;
  range.range_end = "d";
  got = client().Get("b", range);
  ASSERT_OK(got);
  EXPECT_EQ(Keys(*got), (Strings{"b", "c"}));

  GetOptions both = range;
  both.prefix = true;
  EXPECT_EQ(client().Get("b", both).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(KvTest, LimitCapsTheKeysAndSetsMoreWhileCountIsTheTotal) {
  PutAll(client(), {"l/1", "l/2", "l/3", "l/4"});
  GetOptions options;
  options.prefix = true;
  options.limit = 2;
  auto got = client().Get("l/", options);
  ASSERT_OK(got);
  EXPECT_EQ(Keys(*got), (Strings{"l/1", "l/2"}));
  EXPECT_TRUE(got->more);
  EXPECT_EQ(got->count, 4);

  options.limit = 4;
  got = client().Get("l/", options);
  ASSERT_OK(got);
  EXPECT_FALSE(got->more);
}

TEST_F(KvTest, RevisionReadsTheStoreAsItWasThen) {
  auto first = client().Put("r", "one");
  ASSERT_OK(first);
  ASSERT_OK(client().Put("r", "two"));
  ASSERT_OK(client().Delete("r"));
  GetOptions then;
  then.revision = first->header.revision;
  auto got = client().Get("r", then);
  ASSERT_OK(got);
  ASSERT_EQ(got->kvs.size(), 1u);
  EXPECT_EQ(got->kvs[0].value, "one");
  auto now = client().Get("r");
  ASSERT_OK(now);
  EXPECT_TRUE(now->kvs.empty());

  then.revision = now->header.revision + 1000;
  auto future = client().Get("r", then);
  EXPECT_EQ(future.status().code(), ErrorCode::kFutureRevision);
  EXPECT_EQ(future.status().message(), "etcdserver: mvcc: required revision is a future revision");
}

TEST_F(KvTest, SortByEveryTargetInBothOrders) {
  // Created in the order b, a, c; modified so that versions differ: a=1, b=3, c=2.
  ASSERT_OK(client().Put("s/b", "2"));
  ASSERT_OK(client().Put("s/a", "3"));
  ASSERT_OK(client().Put("s/c", "1"));
  ASSERT_OK(client().Put("s/b", "2"));
  ASSERT_OK(client().Put("s/c", "1"));
  ASSERT_OK(client().Put("s/b", "2"));
  struct Case {
    SortTarget target;
    Strings ascending;
  };
  const Case cases[] = {
      {SortTarget::kKey, {"s/a", "s/b", "s/c"}},     {SortTarget::kValue, {"s/c", "s/b", "s/a"}},
      {SortTarget::kVersion, {"s/a", "s/c", "s/b"}}, {SortTarget::kCreate, {"s/b", "s/a", "s/c"}},
      {SortTarget::kMod, {"s/a", "s/c", "s/b"}},
  };
  for (const Case& c : cases) {
    GetOptions options;
    options.prefix = true;
    options.sort_target = c.target;
    options.sort_order = SortOrder::kAscend;
    auto up = client().Get("s/", options);
    ASSERT_OK(up);
    EXPECT_EQ(Keys(*up), c.ascending) << "target " << static_cast<int>(c.target);
    options.sort_order = SortOrder::kDescend;
    auto down = client().Get("s/", options);
    ASSERT_OK(down);
    EXPECT_EQ(Keys(*down), Strings(c.ascending.rbegin(), c.ascending.rend()))
        << "target " << static_cast<int>(c.target);
  }
}

TEST_F(KvTest, KeysOnlyOmitsValuesAndCountOnlyOmitsKeys) {
  PutAll(client(), {"o/1", "o/2"});
  GetOptions options;
  options.prefix = true;
  options.keys_only = true;
  auto keys = client().Get("o/", options);
  ASSERT_OK(keys);
  ASSERT_EQ(keys->kvs.size(), 2u);
  EXPECT_EQ(keys->kvs[0].key, "o/1");
  EXPECT_EQ(keys->kvs[0].value, "");
  EXPECT_GT(keys->kvs[0].mod_revision, 0);

  options.keys_only = false;
  options.count_only = true;
  auto count = client().Get("o/", options);
  ASSERT_OK(count);
  EXPECT_TRUE(count->kvs.empty());
  EXPECT_EQ(count->count, 2);
}

TEST_F(KvTest, SerializableReadOfEachMemberEventuallySeesAnAcknowledgedWrite) {
  auto put = client().Put("ser", "x");
  ASSERT_OK(put);
  GetOptions serializable;
  serializable.serializable = true;
  for (int i = 1; i <= 3; ++i) {
    auto member = NewClient({Address(i)});
    ASSERT_NE(member, nullptr);
    // A follower answers from its own state, which may lag: poll with a deadline.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string seen;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = member->Get("ser", serializable);
      ASSERT_OK(got);
      EXPECT_EQ(MemberIndex(got->header.member_id), i) << "answered by the member asked";
      if (!got->kvs.empty()) {
        seen = got->kvs[0].value;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(seen, "x") << "member " << i;
  }
}

TEST_F(KvTest, ModAndCreateRevisionFiltersSelectKeysButNotTheCount) {
  const int64_t r1 = PutAll(client(), {"f/a"});
  const int64_t r2 = PutAll(client(), {"f/b"});
  const int64_t r3 = PutAll(client(), {"f/c"});
  ASSERT_OK(client().Put("f/a", "again"));  // f/a: create r1, mod r4
  GetOptions options;
  options.prefix = true;
  options.min_mod_revision = r3;
  auto got = client().Get("f/", options);
  ASSERT_OK(got);
  EXPECT_EQ(Keys(*got), (Strings{"f/a", "f/c"}));
  EXPECT_EQ(got->count, 3) << "filters do not change the count";

  options = {};
  options.prefix = true;
  options.max_mod_revision = r3;
  got = client().Get("f/", options);
  ASSERT_OK(got);
  EXPECT_EQ(Keys(*got), (Strings{"f/b", "f/c"}));

  options = {};
  options.prefix = true;
  options.min_create_revision = r2;
  got = client().Get("f/", options);
  ASSERT_OK(got);
  EXPECT_EQ(Keys(*got), (Strings{"f/b", "f/c"}));

  options = {};
  options.prefix = true;
  options.max_create_revision = r1;
  got = client().Get("f/", options);
  ASSERT_OK(got);
  EXPECT_EQ(Keys(*got), (Strings{"f/a"}));
}

TEST_F(KvTest, PutPrevKvReturnsTheKeyAsItWasAndNothingForANewKey) {
  PutOptions prev;
  prev.prev_kv = true;
  auto created = client().Put("pk", "1", prev);
  ASSERT_OK(created);
  EXPECT_FALSE(created->prev_kv.has_value());
  auto replaced = client().Put("pk", "2", prev);
  ASSERT_OK(replaced);
  ASSERT_TRUE(replaced->prev_kv.has_value());
  EXPECT_EQ(replaced->prev_kv->value, "1");
  EXPECT_EQ(replaced->prev_kv->mod_revision, created->header.revision);
}

TEST_F(KvTest, PutIgnoreValueAndIgnoreLeaseKeepWhatTheKeyHas) {
  ASSERT_OK(client().Put("iv", "kept"));
  PutOptions ignore_value;
  ignore_value.ignore_value = true;
  auto put = client().Put("iv", "", ignore_value);
  ASSERT_OK(put);
  auto got = client().Get("iv");
  ASSERT_OK(got);
  EXPECT_EQ(got->kvs[0].value, "kept");
  EXPECT_EQ(got->kvs[0].version, 2);

  PutOptions ignore_lease;
  ignore_lease.ignore_lease = true;
  ASSERT_OK(client().Put("iv", "new", ignore_lease));
  got = client().Get("iv");
  ASSERT_OK(got);
  EXPECT_EQ(got->kvs[0].value, "new");
  EXPECT_EQ(got->kvs[0].lease, 0);

  // etcd's refusals: the key must exist, and a value with ignore_value is an error.
  auto absent = client().Put("absent", "", ignore_value);
  EXPECT_EQ(absent.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(absent.status().message(), "etcdserver: key not found");
  auto with_value = client().Put("iv", "x", ignore_value);
  EXPECT_EQ(with_value.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with_value.status().message(), "etcdserver: value is provided");
  // No lease exists yet, so naming one fails as in etcd.
  PutOptions lease;
  lease.lease = 12345;
  auto leased = client().Put("iv", "x", lease);
  EXPECT_EQ(leased.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(leased.status().message(), "etcdserver: requested lease not found");
}

TEST_F(KvTest, EmptyKeyIsInvalidArgumentWithEtcdsMessage) {
  auto put = client().Put("", "v");
  EXPECT_EQ(put.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(put.status().message(), "etcdserver: key is not provided");
  auto get = client().Get("");
  EXPECT_EQ(get.status().code(), ErrorCode::kInvalidArgument);
  auto del = client().Delete("");
  EXPECT_EQ(del.status().code(), ErrorCode::kInvalidArgument);
  CallOptions negative;
  negative.timeout = std::chrono::milliseconds(-1);
  EXPECT_EQ(client().Get("k", {}, negative).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(KvTest, DeleteOfOneKeyPrefixFromKeyAndRangeWithPrevKvs) {
  PutAll(client(), {"d/1", "d/2", "d/3", "e/1", "e/2", "f", "g", "h"});
  auto one = client().Delete("d/1");
  ASSERT_OK(one);
  EXPECT_EQ(one->deleted, 1);
  EXPECT_TRUE(one->prev_kvs.empty());

  DeleteOptions prefix;
  prefix.prefix = true;
  prefix.prev_kv = true;
  auto by_prefix = client().Delete("d/", prefix);
  ASSERT_OK(by_prefix);
  EXPECT_EQ(by_prefix->deleted, 2);
  ASSERT_EQ(by_prefix->prev_kvs.size(), 2u);
  EXPECT_EQ(by_prefix->prev_kvs[0].key, "d/2");
  EXPECT_EQ(by_prefix->prev_kvs[1].value, "v-d/3");

  DeleteOptions range;
  range.range_end = "e/2";
  auto by_range = client().Delete("e/1", range);
  ASSERT_OK(by_range);
  EXPECT_EQ(by_range->deleted, 1);

  DeleteOptions from_key;
  from_key.from_key = true;
  auto by_from = client().Delete("g", from_key);
  ASSERT_OK(by_from);
  EXPECT_EQ(by_from->deleted, 2);

  GetOptions everything;
  everything.prefix = true;
  auto left = client().Get("", everything);
  ASSERT_OK(left);
  EXPECT_EQ(Keys(*left), (Strings{"e/2", "f"}));

  // Deleting nothing deletes 0 keys and does not raise the revision.
  auto nothing = client().Delete("nothing");
  ASSERT_OK(nothing);
  EXPECT_EQ(nothing->deleted, 0);
  EXPECT_EQ(nothing->header.revision, by_from->header.revision);

  DeleteOptions both;
  both.prefix = true;
  both.from_key = true;
  EXPECT_EQ(client().Delete("x", both).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace raftkv::client::testing
