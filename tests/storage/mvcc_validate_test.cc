// Request checks made before proposing (storage/mvcc_validate.h), one rule per test, with
// etcd 3.4's messages (etcdserver/api/v3rpc/key.go, rpctypes/error.go).
#include "storage/mvcc_validate.h"

#include <gtest/gtest.h>

#include "tests/storage/mvcc_harness_support.h"

namespace raftkv::storage::mvcc {
namespace {

using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;
using testing::DeleteReq;
using testing::PutReq;
using testing::RangeReq;

void ExpectInvalid(const Status& s, const std::string& message) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.message(), message);
}

RequestOp PutOp(const std::string& key) {
  RequestOp op;
  *op.mutable_request_put() = PutReq(key, "v");
  return op;
}

RequestOp DeleteOp(const std::string& key, const std::string& end = "") {
  RequestOp op;
  *op.mutable_request_delete_range() = DeleteReq(key, end);
  return op;
}

RequestOp TxnOp(const TxnRequest& txn) {
  RequestOp op;
  *op.mutable_request_txn() = txn;
  return op;
}

const char* kDup = "etcdserver: duplicate key given in txn request";

TEST(MvccValidateTest, EmptyKeyIsRefusedInEveryRequest) {
  const char* m = "etcdserver: key is not provided";
  ExpectInvalid(ValidateRange(RangeReq("")), m);
  ExpectInvalid(ValidatePut(PutReq("", "v")), m);
  ExpectInvalid(ValidateDeleteRange(DeleteReq("")), m);
  TxnRequest txn;
  txn.add_compare()->set_key("");
  ExpectInvalid(ValidateTxn(txn), m);
  TxnRequest in_op;
  *in_op.add_failure() = PutOp("");
  ExpectInvalid(ValidateTxn(in_op), m);
  EXPECT_TRUE(ValidateRange(RangeReq("a")).ok());
}

TEST(MvccValidateTest, IgnoreValueWithAValueAndIgnoreLeaseWithALeaseAreRefused) {
  auto put = PutReq("a", "v");
  put.set_ignore_value(true);
  ExpectInvalid(ValidatePut(put), "etcdserver: value is provided");
  put = PutReq("a", "", 5);
  put.set_ignore_lease(true);
  ExpectInvalid(ValidatePut(put), "etcdserver: lease is provided");
}

TEST(MvccValidateTest, TooManyOperationsInOneListAreRefused) {
  TxnRequest txn;
  for (int i = 0; i < 4; ++i) *txn.add_success() = PutOp("k" + std::to_string(i));
  EXPECT_TRUE(ValidateTxn(txn, 4).ok());
  ExpectInvalid(ValidateTxn(txn, 3), "etcdserver: too many operations in txn request");
  EXPECT_TRUE(ValidateTxn(txn).ok());  // default limit 128
}

TEST(MvccValidateTest, NestedTxnGetsOnlyWhatItsParentLeavesOfTheLimit) {
  TxnRequest inner;
  *inner.add_success() = PutOp("x");
  *inner.add_success() = PutOp("y");
  TxnRequest outer;
  *outer.add_success() = TxnOp(inner);
  *outer.add_success() = PutOp("z");
  EXPECT_TRUE(ValidateTxn(outer, 4).ok());  // inner may have 4 - 2 = 2
  ExpectInvalid(ValidateTxn(outer, 3), "etcdserver: too many operations in txn request");
}

TEST(MvccValidateTest, EmptyOperationIsRefusedAsKeyNotFound) {
  TxnRequest txn;
  txn.add_success();
  ExpectInvalid(ValidateTxn(txn), "etcdserver: key not found");
}

TEST(MvccValidateTest, AKeyPutTwiceIsADuplicate) {
  TxnRequest txn;
  *txn.add_success() = PutOp("a");
  *txn.add_success() = PutOp("a");
  ExpectInvalid(ValidateTxn(txn), kDup);
}

TEST(MvccValidateTest, APutInsideADeletedRangeIsADuplicate) {
  TxnRequest txn;
  *txn.add_success() = DeleteOp("a", "c");
  *txn.add_success() = PutOp("b");
  ExpectInvalid(ValidateTxn(txn), kDup);
  TxnRequest single;
  *single.add_success() = DeleteOp("b");
  *single.add_success() = PutOp("b");
  ExpectInvalid(ValidateTxn(single), kDup);
  TxnRequest outside;
  *outside.add_success() = DeleteOp("a", "b");
  *outside.add_success() = PutOp("b");
  EXPECT_TRUE(ValidateTxn(outside).ok());
}

TEST(MvccValidateTest, DuplicatesAcrossNestedTxnsAreFound) {
  TxnRequest inner;
  *inner.add_success() = PutOp("a");
  TxnRequest outer;
  *outer.add_success() = TxnOp(inner);
  *outer.add_success() = PutOp("a");
  ExpectInvalid(ValidateTxn(outer), kDup);
  TxnRequest deleting_inner;
  *deleting_inner.add_failure() = DeleteOp("a", "b");
  TxnRequest outer2;
  *outer2.add_success() = TxnOp(deleting_inner);
  *outer2.add_success() = PutOp("a");
  ExpectInvalid(ValidateTxn(outer2), kDup);
}

TEST(MvccValidateTest, BothBranchesOfOneTxnMayWriteTheSameKey) {
  TxnRequest inner;
  *inner.add_success() = PutOp("a");
  *inner.add_failure() = PutOp("a");
  TxnRequest outer;
  *outer.add_success() = TxnOp(inner);
  EXPECT_TRUE(ValidateTxn(outer).ok());
  TxnRequest top;
  *top.add_success() = PutOp("a");
  *top.add_failure() = DeleteOp("a");
  EXPECT_TRUE(ValidateTxn(top).ok());
}

TEST(MvccValidateTest, AFromKeyDeleteDoesNotCountAsOverlappingAsInEtcd) {
  // etcd turns range_end "\0" into the interval [key, "\0"), which holds no key.
  TxnRequest txn;
  *txn.add_success() = DeleteOp("a", std::string(1, '\0'));
  *txn.add_success() = PutOp("b");
  EXPECT_TRUE(ValidateTxn(txn).ok());
}

TEST(MvccValidateTest, UnknownSortOptionsAreRefused) {
  auto r = RangeReq("a");
  r.set_sort_order(static_cast<etcdserverpb::RangeRequest::SortOrder>(7));
  ExpectInvalid(ValidateRange(r), "etcdserver: invalid sort option");
  r = RangeReq("a");
  r.set_sort_target(static_cast<etcdserverpb::RangeRequest::SortTarget>(9));
  ExpectInvalid(ValidateRange(r), "etcdserver: invalid sort option");
}

TEST(MvccValidateTest, OversizedRequestIsTooLarge) {
  EXPECT_TRUE(ValidateRequestSize(kDefaultMaxRequestBytes).ok());
  ExpectInvalid(ValidateRequestSize(kDefaultMaxRequestBytes + 1),
                "etcdserver: request is too large");
}

}  // namespace
}  // namespace raftkv::storage::mvcc
