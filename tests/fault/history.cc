#include "tests/fault/history.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <istream>
#include <ostream>
#include <utility>

namespace raftkv::fault {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr std::string_view kNil = "nil";
constexpr std::string_view kHeader =
    "# raftkv history v1: process invoke_ns complete_ns outcome kind key arguments";

// The value of one hex digit, or -1.
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits a line at runs of spaces. Tokens never hold a raw space (FormatValue escapes it).
std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < line.size()) {
    if (line[pos] == ' ') {
      ++pos;
      continue;
    }
    const size_t end = std::min(line.find(' ', pos), line.size());
    fields.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  return fields;
}

template <typename Int>
StatusOr<Int> ParseInt(std::string_view field, std::string_view what) {
  Int value{};
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || end != field.data() + field.size()) {
    return Status::InvalidArgument(std::string(what) + ": not an integer: " + std::string(field));
  }
  return value;
}

StatusOr<Outcome> ParseOutcome(std::string_view field) {
  for (Outcome o : {Outcome::kOk, Outcome::kFail, Outcome::kUnknown}) {
    if (field == OutcomeName(o)) return o;
  }
  return Status::InvalidArgument("outcome: expected ok, fail or unknown, got " +
                                 std::string(field));
}

StatusOr<OpKind> ParseKind(std::string_view field) {
  for (OpKind k : {OpKind::kRead, OpKind::kWrite, OpKind::kCas}) {
    if (field == OpKindName(k)) return k;
  }
  return Status::InvalidArgument("kind: expected read, write or cas, got " + std::string(field));
}

// Number of fields after the key, per kind.
size_t ArgumentCount(OpKind kind) { return kind == OpKind::kCas ? 3 : 1; }

}  // namespace

namespace {

// An operation of `kind` completed (kOk) in [invoke_ns, complete_ns], without input or output.
Operation MakeOperation(uint64_t process, std::string key, OpKind kind, int64_t invoke_ns,
                        int64_t complete_ns) {
  Operation op;
  op.process = process;
  op.key = std::move(key);
  op.kind = kind;
  op.invoke_ns = invoke_ns;
  op.complete_ns = complete_ns;
  return op;
}

}  // namespace

Operation MakeRead(uint64_t process, std::string key, Value observed, int64_t invoke_ns,
                   int64_t complete_ns) {
  Operation op = MakeOperation(process, std::move(key), OpKind::kRead, invoke_ns, complete_ns);
  op.observed = std::move(observed);
  return op;
}

Operation MakeWrite(uint64_t process, std::string key, Value value, int64_t invoke_ns,
                    int64_t complete_ns) {
  Operation op = MakeOperation(process, std::move(key), OpKind::kWrite, invoke_ns, complete_ns);
  op.value = std::move(value);
  return op;
}

Operation MakeCas(uint64_t process, std::string key, Value expected, Value new_value,
                  bool succeeded, int64_t invoke_ns, int64_t complete_ns) {
  Operation op = MakeOperation(process, std::move(key), OpKind::kCas, invoke_ns, complete_ns);
  op.expected = std::move(expected);
  op.value = std::move(new_value);
  op.cas_succeeded = succeeded;
  return op;
}

std::string_view OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kRead:
      return "read";
    case OpKind::kWrite:
      return "write";
    case OpKind::kCas:
      return "cas";
  }
  return "?";
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kFail:
      return "fail";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "?";
}

std::string FormatValue(const Value& value) {
  if (!value) return std::string(kNil);
  std::string out = "\"";
  for (const char c : *value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x21 && byte <= 0x7e) {
      out += c;
    } else {
      out += "\\x";
      out += kHexDigits[byte >> 4];
      out += kHexDigits[byte & 0xf];
    }
  }
  out += '"';
  return out;
}

StatusOr<Value> ParseValue(std::string_view token) {
  if (token == kNil) return Value();
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') {
    return Status::InvalidArgument("value: expected nil or a quoted string, got " +
                                   std::string(token));
  }
  const std::string_view body = token.substr(1, token.size() - 2);
  std::string bytes;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '"') return Status::InvalidArgument("value: unescaped quote in " + std::string(token));
    if (c != '\\') {
      bytes += c;
      continue;
    }
    if (i + 1 < body.size() && (body[i + 1] == '"' || body[i + 1] == '\\')) {
      bytes += body[++i];
      continue;
    }
    if (i + 3 < body.size() && body[i + 1] == 'x') {
      const int high = HexValue(body[i + 2]);
      const int low = HexValue(body[i + 3]);
      if (high >= 0 && low >= 0) {
        bytes += static_cast<char>(high * 16 + low);
        i += 3;
        continue;
      }
    }
    return Status::InvalidArgument("value: bad escape in " + std::string(token));
  }
  return Value(std::move(bytes));
}

std::string FormatOperation(const Operation& op) {
  std::string line = std::to_string(op.process) + " " + std::to_string(op.invoke_ns) + " " +
                     std::to_string(op.complete_ns) + " " + std::string(OutcomeName(op.outcome)) +
                     " " + std::string(OpKindName(op.kind)) + " " + FormatValue(op.key);
  switch (op.kind) {
    case OpKind::kRead:
      line += " " + FormatValue(op.observed);
      break;
    case OpKind::kWrite:
      line += " " + FormatValue(op.value);
      break;
    case OpKind::kCas:
      line += " " + FormatValue(op.expected) + " " + FormatValue(op.value) +
              (op.cas_succeeded ? " true" : " false");
      break;
  }
  return line;
}

StatusOr<Operation> ParseOperation(std::string_view line) {
  const std::vector<std::string_view> fields = SplitFields(line);
  if (fields.size() < 6) {
    return Status::InvalidArgument("expected at least 6 fields, got " +
                                   std::to_string(fields.size()));
  }
  Operation op;
  StatusOr<uint64_t> process = ParseInt<uint64_t>(fields[0], "process");
  if (!process.ok()) return process.status();
  op.process = *process;
  StatusOr<int64_t> invoke = ParseInt<int64_t>(fields[1], "invoke_ns");
  if (!invoke.ok()) return invoke.status();
  op.invoke_ns = *invoke;
  StatusOr<int64_t> complete = ParseInt<int64_t>(fields[2], "complete_ns");
  if (!complete.ok()) return complete.status();
  op.complete_ns = *complete;
  StatusOr<Outcome> outcome = ParseOutcome(fields[3]);
  if (!outcome.ok()) return outcome.status();
  op.outcome = *outcome;
  StatusOr<OpKind> kind = ParseKind(fields[4]);
  if (!kind.ok()) return kind.status();
  op.kind = *kind;
  StatusOr<Value> key = ParseValue(fields[5]);
  if (!key.ok()) return key.status();
  if (!key->has_value()) return Status::InvalidArgument("key: must not be nil");
  op.key = std::move(**key);

  if (fields.size() != 6 + ArgumentCount(op.kind)) {
    return Status::InvalidArgument(std::string(OpKindName(op.kind)) + ": expected " +
                                   std::to_string(6 + ArgumentCount(op.kind)) + " fields, got " +
                                   std::to_string(fields.size()));
  }
  // The values after the key: one for read and write, two (then the result) for cas.
  Value* targets[2] = {op.kind == OpKind::kRead ? &op.observed : &op.value, nullptr};
  if (op.kind == OpKind::kCas) {
    targets[0] = &op.expected;
    targets[1] = &op.value;
  }
  for (size_t i = 0; i < 2 && targets[i] != nullptr; ++i) {
    StatusOr<Value> value = ParseValue(fields[6 + i]);
    if (!value.ok()) return value.status();
    *targets[i] = std::move(*value);
  }
  if (op.kind == OpKind::kCas) {
    if (fields[8] != "true" && fields[8] != "false") {
      return Status::InvalidArgument("cas result: expected true or false, got " +
                                     std::string(fields[8]));
    }
    op.cas_succeeded = fields[8] == "true";
  }
  return op;
}

Status WriteHistory(const History& history, std::ostream& out) {
  out << kHeader << '\n';
  for (const Operation& op : history) out << FormatOperation(op) << '\n';
  out.flush();
  if (!out) return Status::IOError("writing the history failed");
  return Status::Ok();
}

Status WriteHistoryFile(const History& history, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::IOError("cannot open " + path + " for writing");
  Status status = WriteHistory(history, out);
  if (!status.ok()) return Status::IOError(path + ": " + status.message());
  return Status::Ok();
}

StatusOr<History> ReadHistory(std::istream& in) {
  History history;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line.front() == '#') continue;
    StatusOr<Operation> op = ParseOperation(line);
    if (!op.ok()) {
      return Status::InvalidArgument("line " + std::to_string(number) + ": " +
                                     op.status().message());
    }
    history.push_back(std::move(*op));
  }
  if (in.bad()) return Status::IOError("reading the history failed");
  return history;
}

StatusOr<History> ReadHistoryFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + path + " for reading");
  StatusOr<History> history = ReadHistory(in);
  if (!history.ok()) {
    return Status(history.status().code(), path + ": " + history.status().message());
  }
  return history;
}

}  // namespace raftkv::fault
