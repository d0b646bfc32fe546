// kvctl's output: each command's result in the format chosen with -w.
//  - simple: what etcdctl 3.4 prints, byte for byte (kvctl's golden test compares them);
//  - json: protobuf's JSON printing of the API response (field names as in etcd's .proto files;
//    64-bit integers are strings, as in the proto3 JSON mapping and etcd's HTTP gateway);
//  - table: etcdctl's tables for member list and endpoint status/health, and tables of the
//    same style for the key-value commands (etcdctl 3.4 has none for them).
#pragma once

#include <raftkv/client.h>

#include <chrono>
#include <string>
#include <vector>

namespace raftkv::kvctl {

enum class OutputFormat { kSimple, kJson, kTable };

// How results are printed; set from the global flags and the command's own.
struct PrintOptions {
  OutputFormat format = OutputFormat::kSimple;
  bool hex = false;               // keys and values as "\xNN" bytes (simple and table)
  bool print_value_only = false;  // get, simple format: values without keys
};

// One endpoint's answer to "endpoint status": a status, or the error that prevented it.
struct EndpointStatusRow {
  std::string endpoint;
  client::Result<client::EndpointStatus> status;
};

// One endpoint's answer to "endpoint health".
struct EndpointHealthRow {
  std::string endpoint;
  client::Status health;
  std::chrono::nanoseconds took{0};
};

// Each returns the whole output, ending in a newline where etcdctl's does.
std::string PrintGet(const client::GetResult& result, const PrintOptions& options);
std::string PrintPut(const client::PutResult& result, const PrintOptions& options);
std::string PrintDelete(const client::DeleteResult& result, const PrintOptions& options);
std::string PrintTxn(const client::TxnResult& result, const PrintOptions& options);
std::string PrintCompaction(const client::CompactResult& result, int64_t revision,
                            const PrintOptions& options);
std::string PrintMemberList(const client::MemberListResult& result, const PrintOptions& options);
std::string PrintEndpointStatus(const std::vector<EndpointStatusRow>& rows,
                                const PrintOptions& options);
std::string PrintEndpointHealth(const std::vector<EndpointHealthRow>& rows,
                                const PrintOptions& options);

}  // namespace raftkv::kvctl
