// Status and StatusOr: errors as values, shared by every layer of raftkv.
//
// A function that can fail returns a Status (or a StatusOr<T>). Both are [[nodiscard]], so a
// caller cannot drop an error by accident; ignoring one on purpose takes an explicit
// `.IgnoreError()` with a comment saying why.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace raftkv {

// What went wrong, coarse enough for a caller to branch on.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // The caller (a client or a peer) sent something malformed.
  kNotFound,         // The thing asked for does not exist.
  kCompacted,        // Raft log: the entry was compacted away (send a snapshot instead).
  kUnavailable,      // Raft log: the entry is not (yet) in the log.
  kSnapshotTemporarilyUnavailable,  // No snapshot can be produced right now; retry later.
  kProposalDropped,     // The core refused a proposal (no leader, transfer in progress, ...).
  kFailedPrecondition,  // The request is valid but the state does not allow it now.
  kCorruption,          // Persistent data is damaged or inconsistent.
  kIOError,             // The operating system or the disk failed.
  kNoSpace,             // The disk is full: writes fail, reads still work.
  kOutOfRange,          // MVCC: a revision below the compacted one or above the current one.
  kInternal,            // A bug: an invariant of raftkv itself does not hold.
};

// Human-readable name of a code, e.g. "Compacted".
std::string_view StatusCodeName(StatusCode code);

// The result of an operation that returns no value: ok, or a code with a message.
class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Compacted(std::string m) { return {StatusCode::kCompacted, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status SnapshotTemporarilyUnavailable(std::string m) {
    return {StatusCode::kSnapshotTemporarilyUnavailable, std::move(m)};
  }
  static Status ProposalDropped(std::string m) {
    return {StatusCode::kProposalDropped, std::move(m)};
  }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status NoSpace(std::string m) { return {StatusCode::kNoSpace, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "Code: message", or "OK".
  std::string ToString() const;

  // Marks an error as deliberately ignored. Use only with a comment saying why it is safe.
  void IgnoreError() const {}

  bool operator==(const Status& other) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
// Invariant: exactly one of value_ and a non-ok status_ is present.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr built from an ok Status has no value");
    if (status_.ok()) status_ = Status::Internal("StatusOr built from an ok Status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  // Precondition: ok().
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const& { return *value_; }
  T& operator*() & { return *value_; }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace raftkv

// Returns from the enclosing function if `expr` yields a non-ok Status.
#define RAFTKV_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::raftkv::Status raftkv_status_ = (expr);        \
    if (!raftkv_status_.ok()) return raftkv_status_; \
  } while (0)
