// The transaction builder: Compare, Op and Txn (client/include/raftkv/client.h). They only hold
// what the caller gave; client/convert.cc turns them into etcd's TxnRequest.
#include "raftkv/client.h"

namespace raftkv::client {

Compare Compare::Value(std::string key, CompareOp op, std::string value) {
  return Compare(Target::kValue, std::move(key), op, std::move(value), 0);
}
Compare Compare::Version(std::string key, CompareOp op, int64_t version) {
  return Compare(Target::kVersion, std::move(key), op, {}, version);
}
Compare Compare::CreateRevision(std::string key, CompareOp op, int64_t revision) {
  return Compare(Target::kCreate, std::move(key), op, {}, revision);
}
Compare Compare::ModRevision(std::string key, CompareOp op, int64_t revision) {
  return Compare(Target::kMod, std::move(key), op, {}, revision);
}
Compare Compare::Lease(std::string key, CompareOp op, int64_t lease) {
  return Compare(Target::kLease, std::move(key), op, {}, lease);
}

Compare& Compare::WithRange(std::string range_end) {
  range_end_ = std::move(range_end);
  return *this;
}

Op Op::Get(std::string key, GetOptions options) {
  return Op(GetOp{std::move(key), std::move(options)});
}

Op Op::Put(std::string key, std::string value, PutOptions options) {
  return Op(PutOp{std::move(key), std::move(value), options});
}

Op Op::Delete(std::string key, DeleteOptions options) {
  return Op(DeleteOp{std::move(key), std::move(options)});
}

Op Op::Nested(Txn txn) { return Op(std::make_shared<const Txn>(std::move(txn))); }

Txn& Txn::If(Compare compare) {
  compares_.push_back(std::move(compare));
  return *this;
}

Txn& Txn::Then(Op op) {
  then_.push_back(std::move(op));
  return *this;
}

Txn& Txn::Else(Op op) {
  else_.push_back(std::move(op));
  return *this;
}

}  // namespace raftkv::client
