// The recorded history of a fault test: every client operation with its kind, input, output,
// invoke and complete times, and outcome, as the linearizability checker (linearizability.h)
// reads it. Also its text form, one operation per line, so that a failing history can be written
// to a file and checked again later.
//
// Text form (WriteHistory / ReadHistory), fields separated by one space:
//
//   <process> <invoke_ns> <complete_ns> <outcome> <kind> <key> <arguments...>
//     outcome   ok | fail | unknown
//     kind      read  <observed>
//               write <value>
//               cas   <expected> <new value> <succeeded: true | false>
//
// A key or value is `nil` (absent) or a quoted string: `"` then the bytes, each byte 0x21..0x7e
// other than `"` and `\` as itself, `\"`, `\\`, and every other byte (space, newline, NUL, bytes
// >= 0x80) as `\xHH`. So no token holds a raw space or newline, and every byte string survives
// the round trip. Lines that are empty or start with `#` are comments.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raft/status.h"

namespace raftkv::fault {

// The value of a key: its bytes, or nullopt when the key is absent (never written, or deleted).
using Value = std::optional<std::string>;

// What an operation does to its key.
enum class OpKind {
  kRead,   // returns the current value (`observed`)
  kWrite,  // sets the value to `value` (nullopt: deletes the key)
  kCas,    // compare-and-set: if the value equals `expected`, sets it to `value` and succeeds;
           // otherwise changes nothing and fails (`cas_succeeded` false)
};

// What the client learned about an operation.
enum class Outcome {
  kOk,       // it took effect, once, between invoke and complete, with the recorded output
  kFail,     // it certainly did not take effect (the checker drops it)
  kUnknown,  // no answer (timeout, connection lost): it may have taken effect at any time after
             // its invoke, or never; its output is unknown and `complete_ns` is not a bound
};

// One client operation on one key.
struct Operation {
  // The client (process, thread) that ran it. A client runs one operation at a time; the
  // checker does not rely on it, it is for reports.
  uint64_t process = 0;
  std::string key;
  OpKind kind = OpKind::kRead;
  // Input. Write: the value written (nullopt deletes). Cas: the new value. Read: unused.
  Value value;
  // Input of a cas: the value it compares against (nullopt: "the key is absent").
  Value expected;
  // Output of a read with outcome kOk: what it returned.
  Value observed;
  // Output of a cas with outcome kOk: whether it set the value.
  bool cas_succeeded = false;
  Outcome outcome = Outcome::kOk;
  // Nanoseconds on one monotonic clock shared by all clients of the history (e.g.
  // steady_clock's time_since_epoch): when the request was sent and when the answer came back.
  // For kOk and kFail, invoke_ns <= complete_ns. For kUnknown, complete_ns is when the client
  // gave up; the checker treats the operation as completing never (at +infinity).
  int64_t invoke_ns = 0;
  int64_t complete_ns = 0;

  bool operator==(const Operation& other) const = default;
};

// A whole history, in any order (the checker orders it by time itself).
using History = std::vector<Operation>;

// Builders of completed (kOk) operations; set `outcome` afterwards for kFail or kUnknown.
Operation MakeRead(uint64_t process, std::string key, Value observed, int64_t invoke_ns,
                   int64_t complete_ns);
Operation MakeWrite(uint64_t process, std::string key, Value value, int64_t invoke_ns,
                    int64_t complete_ns);
Operation MakeCas(uint64_t process, std::string key, Value expected, Value new_value,
                  bool succeeded, int64_t invoke_ns, int64_t complete_ns);

// "read", "write", "cas"; "ok", "fail", "unknown" (the words of the text form).
std::string_view OpKindName(OpKind kind);
std::string_view OutcomeName(Outcome outcome);

// `nil` or the quoted, escaped bytes (see the top of this file).
std::string FormatValue(const Value& value);
// The inverse of FormatValue for one whole token.
StatusOr<Value> ParseValue(std::string_view token);

// One line of the text form, without the newline.
std::string FormatOperation(const Operation& op);
// Parses one line (without the newline). Errors name the offending field.
StatusOr<Operation> ParseOperation(std::string_view line);

// Writes a header comment and one line per operation, in the history's order.
Status WriteHistory(const History& history, std::ostream& out);
Status WriteHistoryFile(const History& history, const std::string& path);
// Reads what WriteHistory wrote. Errors name the line number.
StatusOr<History> ReadHistory(std::istream& in);
StatusOr<History> ReadHistoryFile(const std::string& path);

}  // namespace raftkv::fault
