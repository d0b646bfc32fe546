// etcdctl's txn syntax, read from a stream (stdin or a file):
//
//   <compares, one per line>        value("key") = "v" | version("k") > "3" | create(...) |
//   <empty line>                    mod(...) | lease(...); operators = != < >
//   <operations if all hold>        put k v [flags] | get k [range_end] [flags] | del k [flags]
//   <empty line>
//   <operations otherwise>
//   <empty line or end of input>
//
// Arguments may be double-quoted with Go-style escapes ("a b", "\x00"). Errors carry
// etcdctl's messages ("malformed comparison: ...", "invalid txn request: ...").
#pragma once

#include <raftkv/client.h>

#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace raftkv::kvctl {

// Splits a line into arguments: runs of non-blanks, or double-quoted strings with their
// escapes undone. InvalidArgument for an unterminated quote or a bad escape.
client::Result<std::vector<std::string>> SplitArguments(std::string_view line);

// One compare line.
client::Result<client::Compare> ParseCompare(std::string_view line);

// One operation line.
client::Result<client::Op> ParseOperation(std::string_view line);

// A whole transaction from `in`. With `prompts`, each section's prompt is written to
// `prompt_out` before it is read (etcdctl's interactive mode).
client::Result<client::Txn> ReadTxn(std::istream& in, bool prompts, std::ostream& prompt_out);

}  // namespace raftkv::kvctl
