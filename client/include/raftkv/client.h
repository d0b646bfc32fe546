// The raftkv C++ client: the public surface of libraftkv_client.
//
// A Client speaks the etcd v3 API to a list of endpoints (kvd members, or etcd itself). It
// knows nothing about Raft. This header is all a user includes: no gRPC or protobuf type
// appears in it, so a program built against it does not depend on their headers.
//
//   auto client = raftkv::client::Client::Connect({.endpoints = {"127.0.0.1:2379"}});
//   if (!client.ok()) { ... client.status().ToString() ... }
//   auto put = (*client)->Put("config/color", "blue");
//   raftkv::client::GetOptions under_prefix;
//   under_prefix.prefix = true;  // (GCC 12's -Wextra warns on a partial {.prefix = true})
//   auto got = (*client)->Get("config/", under_prefix);
//
// Guarantees:
//  - Every call returns a Result: a value, or a Status that says what happened. Nothing throws.
//  - Every call finishes by its deadline (CallOptions::timeout, else ClientOptions::timeout).
//  - Failover: when an endpoint is down, the call moves on to the next one. Reads are retried
//    on any endpoint until the deadline. A write is retried only when the failure proves that
//    it was not applied (the endpoint could not be reached, or the server dropped the proposal
//    for want of a leader); otherwise its error says the outcome is unknown.
//  - A Client is safe to share between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace raftkv::client {

// What went wrong, coarsely enough to act on.
enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,   // the request is malformed or breaks a limit; retrying will not help
  kCompacted,         // the requested revision has been compacted away
  kFutureRevision,    // the requested revision is newer than the store's
  kNoLeader,          // the cluster has no leader right now (the write was not applied)
  kUnavailable,       // no endpoint could be reached, or the endpoints answered "unavailable"
  kDeadlineExceeded,  // the call's deadline passed; a write's outcome is unknown
  kUnknownOutcome,    // a write failed after it was sent: it may or may not have been applied
  kNoSpace,           // the cluster's storage is full; writes are refused, reads still work
  kUnimplemented,     // the server does not offer this call
  kInternal,          // the server reported an internal error
};

// The name of a code, such as "Compacted".
std::string_view ErrorCodeName(ErrorCode code);

// The outcome of a call: kOk, or an error code with a message a person can act on (the
// server's own message where there is one, e.g. etcd's "etcdserver: mvcc: required revision
// has been compacted"; for unreachable clusters, every endpoint tried and why it failed).
class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<CodeName>: <message>", or "OK".
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// A value of type T, or the Status that explains why there is none. Invariant: holds a value
// exactly when status().ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // Only when ok().
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

// ---- data -----------------------------------------------------------------------------------

// One key as the store holds it (etcd's mvccpb.KeyValue).
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;  // revision of the put that created this generation of the key
  int64_t mod_revision = 0;     // revision of its last modification
  int64_t version = 0;          // 1 on creation, +1 on every put; 0 after a delete
  int64_t lease = 0;            // attached lease id, 0 for none
};

// Where and when an answer was made (etcd's ResponseHeader).
struct Header {
  uint64_t cluster_id = 0;
  uint64_t member_id = 0;  // the member that answered
  int64_t revision = 0;    // the store's revision when the answer was made
  uint64_t raft_term = 0;
};

// ---- requests -------------------------------------------------------------------------------

// Per-call settings.
struct CallOptions {
  // The call's deadline, from when it starts; zero means ClientOptions::timeout.
  std::chrono::milliseconds timeout{0};
};

enum class SortOrder { kNone, kAscend, kDescend };
enum class SortTarget { kKey, kVersion, kCreate, kMod, kValue };

// Which keys a Get reads and how. With neither range_end, prefix nor from_key, it reads one key.
struct GetOptions {
  std::string range_end;  // read [key, range_end)
  bool prefix = false;    // read every key starting with key
  bool from_key = false;  // read every key >= key
  int64_t limit = 0;      // at most this many keys (0: no limit)
  int64_t revision = 0;   // read the store as of this revision (0: the newest)
  SortOrder sort_order = SortOrder::kNone;
  SortTarget sort_target = SortTarget::kKey;
  bool keys_only = false;     // keys without values
  bool count_only = false;    // only the count
  bool serializable = false;  // answered by the endpoint from its own state, without a round
  int64_t min_mod_revision = 0;
  int64_t max_mod_revision = 0;
  int64_t min_create_revision = 0;
  int64_t max_create_revision = 0;
};

struct PutOptions {
  int64_t lease = 0;
  bool prev_kv = false;       // return the key as it was before
  bool ignore_value = false;  // keep the current value (the key must exist)
  bool ignore_lease = false;  // keep the current lease (the key must exist)
};

// Which keys a Delete removes. With neither range_end, prefix nor from_key, one key.
struct DeleteOptions {
  std::string range_end;
  bool prefix = false;
  bool from_key = false;
  bool prev_kv = false;  // return the deleted keys
};

// ---- results --------------------------------------------------------------------------------

struct GetResult {
  Header header;
  std::vector<KeyValue> kvs;
  bool more = false;  // more keys matched than limit allowed
  int64_t count = 0;  // how many keys matched in all
};

struct PutResult {
  Header header;
  std::optional<KeyValue> prev_kv;  // with PutOptions::prev_kv, if the key existed
};

struct DeleteResult {
  Header header;
  int64_t deleted = 0;
  std::vector<KeyValue> prev_kvs;  // with DeleteOptions::prev_kv
};

struct CompactResult {
  Header header;
};

struct TxnResult;

// The answer to one operation of a transaction, in the order the operations were given.
using OpResult = std::variant<GetResult, PutResult, DeleteResult, std::shared_ptr<TxnResult>>;

struct TxnResult {
  Header header;
  bool succeeded = false;  // whether every compare held (the "then" branch ran)
  std::vector<OpResult> results;
};

// A member of the cluster (etcd's Member).
struct Member {
  uint64_t id = 0;
  std::string name;  // empty until the member has started
  std::vector<std::string> peer_urls;
  std::vector<std::string> client_urls;
  bool is_learner = false;
};

struct MemberListResult {
  Header header;
  std::vector<Member> members;
};

// One endpoint's view of itself (etcd's Maintenance.Status).
struct EndpointStatus {
  Header header;
  std::string version;
  int64_t db_size = 0;
  int64_t db_size_in_use = 0;
  uint64_t leader = 0;  // member id of the leader it knows, 0 for none
  uint64_t raft_index = 0;
  uint64_t raft_term = 0;
  uint64_t raft_applied_index = 0;
  bool is_learner = false;
  std::vector<std::string> errors;
};

// ---- transactions ---------------------------------------------------------------------------

enum class CompareOp { kEqual, kNotEqual, kLess, kGreater };

// One condition of a transaction: a key's value, version, create or mod revision, or lease,
// compared with a constant. A key that does not exist has version, revisions and lease 0.
class Compare {
 public:
  static Compare Value(std::string key, CompareOp op, std::string value);
  static Compare Version(std::string key, CompareOp op, int64_t version);
  static Compare CreateRevision(std::string key, CompareOp op, int64_t revision);
  static Compare ModRevision(std::string key, CompareOp op, int64_t revision);
  static Compare Lease(std::string key, CompareOp op, int64_t lease);
  // Compares every key in [key, range_end) instead of one key.
  Compare& WithRange(std::string range_end);

  enum class Target { kVersion, kCreate, kMod, kValue, kLease };
  Target target() const { return target_; }
  CompareOp op() const { return op_; }
  const std::string& key() const { return key_; }
  const std::string& range_end() const { return range_end_; }
  const std::string& value() const { return value_; }  // for kValue
  int64_t number() const { return number_; }           // for the other targets

 private:
  Compare(Target target, std::string key, CompareOp op, std::string value, int64_t number)
      : target_(target), op_(op), key_(std::move(key)), value_(std::move(value)), number_(number) {}
  Target target_;
  CompareOp op_;
  std::string key_;
  std::string range_end_;
  std::string value_;
  int64_t number_ = 0;
};

class Txn;

// One operation of a transaction.
class Op {
 public:
  static Op Get(std::string key, GetOptions options = {});
  static Op Put(std::string key, std::string value, PutOptions options = {});
  static Op Delete(std::string key, DeleteOptions options = {});
  static Op Nested(Txn txn);

  struct GetOp {
    std::string key;
    GetOptions options;
  };
  struct PutOp {
    std::string key;
    std::string value;
    PutOptions options;
  };
  struct DeleteOp {
    std::string key;
    DeleteOptions options;
  };
  using Variant = std::variant<GetOp, PutOp, DeleteOp, std::shared_ptr<const Txn>>;
  const Variant& op() const { return op_; }

 private:
  explicit Op(Variant op) : op_(std::move(op)) {}
  Variant op_;
};

// A transaction: if every compare holds, the "then" operations run, else the "else" ones, all
// at one revision. Build it, then Client::Commit it.
//   Txn().If(Compare::Value("k", CompareOp::kEqual, "old")).Then(Op::Put("k", "new"))
class Txn {
 public:
  Txn& If(Compare compare);
  Txn& Then(Op op);
  Txn& Else(Op op);

  const std::vector<Compare>& compares() const { return compares_; }
  const std::vector<Op>& then_ops() const { return then_; }
  const std::vector<Op>& else_ops() const { return else_; }

 private:
  std::vector<Compare> compares_;
  std::vector<Op> then_;
  std::vector<Op> else_;
};

// ---- the client -----------------------------------------------------------------------------

struct ClientOptions {
  // "host:port" or "http://host:port"; at least one. Calls start with the first and move on
  // when an endpoint fails.
  std::vector<std::string> endpoints;
  // The deadline of a call that sets none.
  std::chrono::milliseconds timeout{5000};
  // How long a call waits to connect to one endpoint before it tries the next.
  std::chrono::milliseconds dial_timeout{1000};
};

class ClientImpl;

// A connection to a cluster; see the top of this file for what it guarantees.
class Client {
 public:
  // Checks the options (InvalidArgument for an empty list or a malformed endpoint). Does not
  // wait for any endpoint to be up: the first call does.
  static Result<std::unique_ptr<Client>> Connect(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<GetResult> Get(std::string_view key, const GetOptions& options = {},
                        const CallOptions& call = {});
  Result<PutResult> Put(std::string_view key, std::string_view value,
                        const PutOptions& options = {}, const CallOptions& call = {});
  Result<DeleteResult> Delete(std::string_view key, const DeleteOptions& options = {},
                              const CallOptions& call = {});
  Result<TxnResult> Commit(const Txn& txn, const CallOptions& call = {});
  // Discards the history before `revision`; with `physical`, returns once it is gone from disk.
  Result<CompactResult> Compact(int64_t revision, bool physical = false,
                                const CallOptions& call = {});
  Result<MemberListResult> MemberList(const CallOptions& call = {});

  // Asks one endpoint (one of endpoints(), or any other) about itself, without failover.
  Result<EndpointStatus> Status(std::string_view endpoint, const CallOptions& call = {});
  // Whether one endpoint can serve a linearizable read now (etcdctl's "endpoint health").
  raftkv::client::Status Health(std::string_view endpoint, const CallOptions& call = {});

  // The endpoints as given, normalized to "host:port".
  const std::vector<std::string>& endpoints() const;

 private:
  explicit Client(std::unique_ptr<ClientImpl> impl);
  std::unique_ptr<ClientImpl> impl_;
};

}  // namespace raftkv::client
