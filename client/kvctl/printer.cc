#include "client/kvctl/printer.h"

#include <google/protobuf/util/json_util.h>

#include "client/kvctl/format.h"
#include "client/kvctl/table.h"
#include "client/kvctl/to_proto.h"

namespace raftkv::kvctl {

namespace {

std::string Json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  // Printing a message built in this process cannot meet invalid input; an error would leave
  // `out` empty, which the caller prints as an empty document.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string Bytes(const std::string& bytes, const PrintOptions& options) {
  return options.hex ? HexEscape(bytes) : bytes;
}

std::string Bool(bool b) { return b ? "true" : "false"; }

// The lines etcdctl prints for keys: the key (unless values only), then the value.
std::string SimpleKvs(const std::vector<client::KeyValue>& kvs, const PrintOptions& options) {
  std::string out;
  for (const client::KeyValue& kv : kvs) {
    if (!options.print_value_only) out += Bytes(kv.key, options) + "\n";
    out += Bytes(kv.value, options) + "\n";
  }
  return out;
}

Table KvTable(const std::vector<client::KeyValue>& kvs, const PrintOptions& options) {
  Table table({"KEY", "VALUE", "CREATE REVISION", "MOD REVISION", "VERSION", "LEASE"});
  for (const client::KeyValue& kv : kvs) {
    table.AddRow({Bytes(kv.key, options), Bytes(kv.value, options),
                  std::to_string(kv.create_revision), std::to_string(kv.mod_revision),
                  std::to_string(kv.version), kv.lease == 0 ? "" : HexId(kv.lease)});
  }
  return table;
}

std::string SimpleTxnResults(const client::TxnResult& result, const PrintOptions& options);

// One answer of a transaction in simple format, as etcdctl prints it after the blank line.
struct SimpleOpPrinter {
  const PrintOptions& options;
  std::string operator()(const client::GetResult& r) const { return SimpleKvs(r.kvs, options); }
  std::string operator()(const client::PutResult& r) const {
    return "OK\n" + (r.prev_kv ? SimpleKvs({*r.prev_kv}, options) : "");
  }
  std::string operator()(const client::DeleteResult& r) const {
    return std::to_string(r.deleted) + "\n" + SimpleKvs(r.prev_kvs, options);
  }
  std::string operator()(const std::shared_ptr<client::TxnResult>& r) const {
    return r ? SimpleTxnResults(*r, options) : "";
  }
};

std::string SimpleTxnResults(const client::TxnResult& result, const PrintOptions& options) {
  std::string out = result.succeeded ? "SUCCESS\n" : "FAILURE\n";
  for (const client::OpResult& op : result.results) {
    out += "\n" + std::visit(SimpleOpPrinter{options}, op);
  }
  return out;
}

// One answer of a transaction in table format: the table its own command would print.
struct TableOpPrinter {
  const PrintOptions& options;
  std::string operator()(const client::GetResult& r) const { return PrintGet(r, options); }
  std::string operator()(const client::PutResult& r) const { return PrintPut(r, options); }
  std::string operator()(const client::DeleteResult& r) const { return PrintDelete(r, options); }
  std::string operator()(const std::shared_ptr<client::TxnResult>& r) const {
    return r ? PrintTxn(*r, options) : "";
  }
};

// A listing's output in the chosen format, from its three renderings.
std::string ChooseFormat(const PrintOptions& options, std::string json, const Table& table,
                         std::string simple) {
  switch (options.format) {
    case OutputFormat::kJson:
      return json;
    case OutputFormat::kTable:
      return table.Render();
    case OutputFormat::kSimple:
      break;
  }
  return simple;
}

// A key-value command's output: protobuf's JSON of its response, or the table or simple text
// that `table` and `simple` make of it.
template <typename Result, typename TableFn, typename SimpleFn>
std::string Dispatch(const Result& result, const PrintOptions& options, TableFn table,
                     SimpleFn simple) {
  switch (options.format) {
    case OutputFormat::kJson:
      return Json(ToProto(result)) + "\n";
    case OutputFormat::kTable:
      return table();
    case OutputFormat::kSimple:
      break;
  }
  return simple();
}

// A one-row table.
std::string OneRow(std::vector<std::string> header, std::vector<std::string> row) {
  Table table(std::move(header));
  table.AddRow(std::move(row));
  return table.Render();
}

}  // namespace

std::string PrintGet(const client::GetResult& result, const PrintOptions& options) {
  const bool count_only = result.kvs.empty() && result.count > 0;
  return Dispatch(
      result, options,
      [&] {
        return count_only ? OneRow({"COUNT"}, {std::to_string(result.count)})
                          : KvTable(result.kvs, options).Render();
      },
      [&] {
        return count_only ? std::to_string(result.count) + "\n" : SimpleKvs(result.kvs, options);
      });
}

std::string PrintPut(const client::PutResult& result, const PrintOptions& options) {
  return Dispatch(
      result, options,
      [&] {
        return OneRow({"REVISION"}, {std::to_string(result.header.revision)}) +
               (result.prev_kv ? KvTable({*result.prev_kv}, options).Render() : "");
      },
      [&] { return SimpleOpPrinter{options}(result); });
}

std::string PrintDelete(const client::DeleteResult& result, const PrintOptions& options) {
  return Dispatch(
      result, options,
      [&] {
        return OneRow({"DELETED", "REVISION"},
                      {std::to_string(result.deleted), std::to_string(result.header.revision)}) +
               (result.prev_kvs.empty() ? "" : KvTable(result.prev_kvs, options).Render());
      },
      [&] { return SimpleOpPrinter{options}(result); });
}

std::string PrintTxn(const client::TxnResult& result, const PrintOptions& options) {
  return Dispatch(
      result, options,
      [&] {
        std::string out = OneRow({"SUCCEEDED", "REVISION", "RESPONSES"},
                                 {Bool(result.succeeded), std::to_string(result.header.revision),
                                  std::to_string(result.results.size())});
        for (const client::OpResult& op : result.results) {
          out += std::visit(TableOpPrinter{options}, op);
        }
        return out;
      },
      [&] { return SimpleTxnResults(result, options); });
}

std::string PrintCompaction(const client::CompactResult& result, int64_t revision,
                            const PrintOptions& options) {
  return Dispatch(
      result, options, [&] { return OneRow({"COMPACTED REVISION"}, {std::to_string(revision)}); },
      [&] { return "compacted revision " + std::to_string(revision) + "\n"; });
}

std::string PrintMemberList(const client::MemberListResult& result, const PrintOptions& options) {
  if (options.format == OutputFormat::kJson) return Json(ToProto(result)) + "\n";
  auto join = [](const std::vector<std::string>& urls) {
    std::string out;
    for (const std::string& url : urls) out += (out.empty() ? "" : ",") + url;
    return out;
  };
  Table table({"ID", "STATUS", "NAME", "PEER ADDRS", "CLIENT ADDRS", "IS LEARNER"});
  std::string simple;
  for (const client::Member& m : result.members) {
    const std::vector<std::string> row = {HexId(m.id),
                                          m.name.empty() ? "unstarted" : "started",
                                          m.name,
                                          join(m.peer_urls),
                                          join(m.client_urls),
                                          Bool(m.is_learner)};
    table.AddRow(row);
    for (size_t i = 0; i < row.size(); ++i) simple += (i == 0 ? "" : ", ") + row[i];
    simple += "\n";
  }
  return options.format == OutputFormat::kTable ? table.Render() : simple;
}

std::string PrintEndpointStatus(const std::vector<EndpointStatusRow>& rows,
                                const PrintOptions& options) {
  std::string json = "[";
  std::string simple;
  Table table({"ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM",
               "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS"});
  for (const EndpointStatusRow& row : rows) {
    if (!row.status.ok()) continue;  // reported on stderr by the command
    const client::EndpointStatus& s = *row.status;
    std::string errors;
    for (const std::string& e : s.errors) errors += (errors.empty() ? "" : ", ") + e;
    const std::vector<std::string> cells = {row.endpoint,
                                            HexId(s.header.member_id),
                                            s.version,
                                            HumanBytes(static_cast<uint64_t>(s.db_size)),
                                            Bool(s.leader == s.header.member_id),
                                            Bool(s.is_learner),
                                            std::to_string(s.raft_term),
                                            std::to_string(s.raft_index),
                                            std::to_string(s.raft_applied_index),
                                            errors};
    table.AddRow(cells);
    for (size_t i = 0; i < cells.size(); ++i) simple += (i == 0 ? "" : ", ") + cells[i];
    simple += "\n";
    if (json.size() > 1) json += ",";
    json += "{\"Endpoint\":" + JsonString(row.endpoint) + ",\"Status\":" + Json(ToProto(s)) + "}";
  }
  return ChooseFormat(options, json + "]\n", table, simple);
}

std::string PrintEndpointHealth(const std::vector<EndpointHealthRow>& rows,
                                const PrintOptions& options) {
  std::string json = "[";
  std::string simple;
  Table table({"ENDPOINT", "HEALTH", "TOOK", "ERROR"});
  for (const EndpointHealthRow& row : rows) {
    const bool healthy = row.health.ok();
    const std::string took = GoDuration(row.took);
    table.AddRow({row.endpoint, Bool(healthy), took, healthy ? "" : row.health.message()});
    if (healthy) {
      simple +=
          row.endpoint + " is healthy: successfully committed proposal: took = " + took + "\n";
    } else {
      simple +=
          row.endpoint + " is unhealthy: failed to commit proposal: " + row.health.message() + "\n";
    }
    if (json.size() > 1) json += ",";
    json += "{\"endpoint\":" + JsonString(row.endpoint) + ",\"health\":" + Bool(healthy) +
            ",\"took\":" + JsonString(took);
    if (!healthy) json += ",\"error\":" + JsonString(row.health.message());
    json += "}";
  }
  return ChooseFormat(options, json + "]\n", table, simple);
}

}  // namespace raftkv::kvctl
