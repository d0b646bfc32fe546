#include "client/kvctl/txn_parser.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "client/kvctl/kv_flags.h"

namespace raftkv::kvctl {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads a double-quoted string starting at text[*pos] == '"'; advances *pos past it.
std::optional<std::string> ReadQuoted(std::string_view text, size_t* pos) {
  std::string out;
  size_t i = *pos + 1;
  while (i < text.size() && text[i] != '"') {
    char c = text[i++];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i >= text.size()) return std::nullopt;
    c = text[i++];
    switch (c) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'x': {
        if (i + 2 > text.size()) return std::nullopt;
        const int hi = HexValue(text[i]);
        const int lo = HexValue(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  if (i >= text.size()) return std::nullopt;  // no closing quote
  *pos = i + 1;
  return out;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

void SkipBlanks(std::string_view text, size_t* pos) {
  while (*pos < text.size() && IsBlank(text[*pos])) ++*pos;
}

}  // namespace

client::Result<std::vector<std::string>> SplitArguments(std::string_view line) {
  std::vector<std::string> args;
  size_t pos = 0;
  for (SkipBlanks(line, &pos); pos < line.size(); SkipBlanks(line, &pos)) {
    if (line[pos] == '"') {
      std::optional<std::string> quoted = ReadQuoted(line, &pos);
      if (!quoted) return BadArgument("malformed quoted argument in: " + std::string(line));
      args.push_back(std::move(*quoted));
      continue;
    }
    const size_t start = pos;
    while (pos < line.size() && !IsBlank(line[pos])) ++pos;
    args.emplace_back(line.substr(start, pos - start));
  }
  return args;
}

client::Result<client::Compare> ParseCompare(std::string_view line) {
  const std::string text(line);
  const auto malformed = [&text](const std::string& why) {
    return BadArgument("malformed comparison: " + text + (why.empty() ? "" : " (" + why + ")"));
  };
  const size_t lparen = text.find('(');
  if (lparen == std::string::npos) return malformed("");
  const std::string target = text.substr(0, lparen);
  size_t pos = lparen + 1;
  if (pos >= text.size() || text[pos] != '"') return malformed("the key must be quoted");
  std::optional<std::string> key = ReadQuoted(text, &pos);
  if (!key || pos >= text.size() || text[pos] != ')') return malformed("");
  ++pos;
  SkipBlanks(text, &pos);
  const size_t op_start = pos;
  while (pos < text.size() && !IsBlank(text[pos])) ++pos;
  const std::string op_text = text.substr(op_start, pos - op_start);
  SkipBlanks(text, &pos);
  if (pos >= text.size() || text[pos] != '"') return malformed("the value must be quoted");
  std::optional<std::string> value = ReadQuoted(text, &pos);
  SkipBlanks(text, &pos);
  if (!value || pos != text.size()) return malformed("");

  client::CompareOp op;
  if (op_text == "=") {
    op = client::CompareOp::kEqual;
  } else if (op_text == "!=") {
    op = client::CompareOp::kNotEqual;
  } else if (op_text == "<") {
    op = client::CompareOp::kLess;
  } else if (op_text == ">") {
    op = client::CompareOp::kGreater;
  } else {
    return malformed("unknown operator " + op_text);
  }
  if (target == "val" || target == "value") return client::Compare::Value(*key, op, *value);

  int64_t number = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), number);
  if (ec != std::errc() || end != value->data() + value->size()) {
    return BadArgument("invalid txn compare request: " + text);
  }
  if (target == "ver" || target == "version") return client::Compare::Version(*key, op, number);
  if (target == "c" || target == "create") {
    return client::Compare::CreateRevision(*key, op, number);
  }
  if (target == "m" || target == "mod") return client::Compare::ModRevision(*key, op, number);
  if (target == "lease") return client::Compare::Lease(*key, op, number);
  return malformed("unknown target " + target);
}

client::Result<client::Op> ParseOperation(std::string_view line) {
  const client::Status invalid = BadArgument("invalid txn request: " + std::string(line));
  client::Result<std::vector<std::string>> args = SplitArguments(line);
  if (!args.ok() || args->empty()) return invalid;
  const std::string command = args->front();
  // CLI11 parses a vector given in reverse order, without the program name.
  std::vector<std::string> rest(args->rbegin(), args->rend() - 1);
  CLI::App app;
  try {
    if (command == "get") {
      GetFlags flags;
      flags.Register(&app);
      app.parse(rest);
      client::Result<client::GetOptions> options = flags.ToOptions();
      if (!options.ok()) return invalid;
      return client::Op::Get(flags.key, *options);
    }
    if (command == "put") {
      PutFlags flags;
      flags.Register(&app);
      app.parse(rest);
      client::Result<client::PutOptions> options = flags.ToOptions();
      if (!options.ok() || (!flags.value && !flags.ignore_value)) return invalid;
      return client::Op::Put(flags.key, flags.value.value_or(""), *options);
    }
    if (command == "del" || command == "delete") {
      DeleteFlags flags;
      flags.Register(&app);
      app.parse(rest);
      client::Result<client::DeleteOptions> options = flags.ToOptions();
      if (!options.ok()) return invalid;
      return client::Op::Delete(flags.key, *options);
    }
  } catch (const CLI::Error&) {
    return invalid;
  }
  return invalid;
}

namespace {

// The lines of one section: up to an empty line or the end of the input.
std::vector<std::string> ReadSection(std::istream& in) {
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

client::Result<client::Txn> ReadTxn(std::istream& in, bool prompts, std::ostream& prompt_out) {
  client::Txn txn;
  if (prompts) prompt_out << "compares:" << std::endl;
  for (const std::string& line : ReadSection(in)) {
    client::Result<client::Compare> compare = ParseCompare(line);
    if (!compare.ok()) return compare.status();
    txn.If(*compare);
  }
  for (const bool success : {true, false}) {
    if (prompts) {
      prompt_out << (success ? "success" : "failure") << " requests (get, put, del):" << std::endl;
    }
    for (const std::string& line : ReadSection(in)) {
      client::Result<client::Op> op = ParseOperation(line);
      if (!op.ok()) return op.status();
      if (success) {
        txn.Then(*op);
      } else {
        txn.Else(*op);
      }
    }
  }
  return txn;
}

}  // namespace raftkv::kvctl
