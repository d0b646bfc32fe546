#include "tests/fault/harness/workload.h"

#include <map>
#include <random>
#include <sstream>

#include "proto/etcd/rpc.grpc.pb.h"
#include "tests/fault/harness/client_support.h"
#include "tests/fault/harness/rpc_support.h"
#include "tests/fault/report.h"

namespace raftkv::fault::harness {
namespace {

// Counts of operations by kind and outcome, for the report.
std::string OperationCounts(const History& history) {
  std::map<std::string, std::map<std::string, int>> counts;
  for (const Operation& op : history) {
    ++counts[std::string(OpKindName(op.kind))][std::string(OutcomeName(op.outcome))];
  }
  std::ostringstream out;
  out << "operations: " << history.size() << "\n";
  for (const char* kind : {"read", "write", "cas"}) {
    out << "  " << kind << ":";
    for (const char* outcome : {"ok", "fail", "unknown"}) {
      out << " " << outcome << " " << counts[kind][outcome];
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace

RegisterWorkload::RegisterWorkload(WorkloadOptions options) : options_(std::move(options)) {}

RegisterWorkload::~RegisterWorkload() { Stop(); }

void RegisterWorkload::Start() {
  clients_.Start(options_.clients, [this](int c) { RunClient(c); });
}

void RegisterWorkload::Stop() { clients_.Stop(); }

History RegisterWorkload::TakeHistory() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(history_);
}

void RegisterWorkload::RunClient(int c) {
  const int member = c % static_cast<int>(options_.addresses.size()) + 1;
  auto stub = etcdserverpb::KV::NewStub(MakeChannel(options_.addresses[member - 1]));
  std::mt19937_64 rng(options_.seed * 1'000'003 + static_cast<uint64_t>(c));
  std::map<std::string, Value> last_seen;  // this client's latest knowledge of each key
  History mine;
  uint64_t next_value = 0;
  auto deadline = [this] { return std::chrono::system_clock::now() + options_.request_timeout; };

  while (!clients_.stopping()) {
    Operation op;
    op.process = static_cast<uint64_t>(c);
    op.key = "k" + std::to_string(rng() % static_cast<uint64_t>(options_.keys));
    const uint64_t dice = rng() % 10;
    const bool read_only = read_only_member_.load() == member;
    grpc::ClientContext context;
    context.set_deadline(deadline());
    if (read_only || dice < 4) {
      op.kind = OpKind::kRead;
      etcdserverpb::RangeRequest request;
      request.set_key(op.key);
      etcdserverpb::RangeResponse response;
      op.invoke_ns = NowNs();
      grpc::Status status = stub->Range(&context, request, &response);
      op.complete_ns = NowNs();
      if (status.ok()) {
        op.outcome = Outcome::kOk;
        if (response.kvs_size() > 0) op.observed = response.kvs(0).value();
        last_seen[op.key] = op.observed;
      } else {
        // A read changes nothing: the checker drops it whether failed or unknown.
        op.outcome = Outcome::kUnknown;
      }
    } else if (dice < 7) {
      op.kind = OpKind::kWrite;
      op.value = "c" + std::to_string(c) + "-" + std::to_string(next_value++);
      etcdserverpb::PutRequest request;
      request.set_key(op.key);
      request.set_value(*op.value);
      etcdserverpb::PutResponse response;
      op.invoke_ns = NowNs();
      grpc::Status status = stub->Put(&context, request, &response);
      op.complete_ns = NowNs();
      op.outcome = status.ok() ? Outcome::kOk : WriteErrorOutcome(status);
      if (status.ok()) last_seen[op.key] = op.value;
    } else {
      op.kind = OpKind::kCas;
      op.expected = last_seen[op.key];
      op.value = "c" + std::to_string(c) + "-" + std::to_string(next_value++);
      etcdserverpb::TxnRequest request;
      etcdserverpb::Compare* compare = request.add_compare();
      compare->set_key(op.key);
      compare->set_result(etcdserverpb::Compare::EQUAL);
      if (op.expected.has_value()) {
        compare->set_target(etcdserverpb::Compare::VALUE);
        compare->set_value(*op.expected);
      } else {
        // "Absent": a key that does not exist has create revision 0.
        compare->set_target(etcdserverpb::Compare::CREATE);
        compare->set_create_revision(0);
      }
      etcdserverpb::PutRequest* put = request.add_success()->mutable_request_put();
      put->set_key(op.key);
      put->set_value(*op.value);
      etcdserverpb::TxnResponse response;
      op.invoke_ns = NowNs();
      grpc::Status status = stub->Txn(&context, request, &response);
      op.complete_ns = NowNs();
      op.outcome = status.ok() ? Outcome::kOk : WriteErrorOutcome(status);
      if (status.ok()) {
        op.cas_succeeded = response.succeeded();
        if (op.cas_succeeded) last_seen[op.key] = op.value;
      }
    }
    const bool answered = op.outcome == Outcome::kOk;
    mine.push_back(std::move(op));
    if (read_only) continue;  // read again at once: the point is to race the member's catch-up
    Think(rng, options_.think_time, answered);
  }
  std::lock_guard<std::mutex> lock(mu_);
  history_.insert(history_.end(), mine.begin(), mine.end());
}

}  // namespace raftkv::fault::harness

namespace raftkv::fault::harness {

WorkloadVerdict RegisterWorkload::Check(const std::string& out_dir,
                                        std::chrono::milliseconds check_budget) {
  const History history = TakeHistory();
  std::ostringstream report;
  report << OperationCounts(history);
  WorkloadVerdict verdict;
  const Status written = WriteHistoryFile(history, out_dir + "/history.txt");
  if (!written.ok()) report << "cannot write the history: " << written.ToString() << "\n";
  CheckOptions check;
  check.budget_per_key.time = check_budget;
  auto result = CheckLinearizability(history, check);
  if (!result.ok()) {
    report << "checker error: " << result.status().ToString() << "\n";
    verdict.report = report.str();
    return verdict;
  }
  report << "per-key verdicts:\n";
  for (const KeyVerdict& key : result->keys) {
    report << "  " << key.key << ": " << VerdictName(key.verdict) << " (" << key.operations
           << " operations, " << key.steps << " steps)\n";
  }
  report << "verdict: " << VerdictName(result->verdict) << "\n\n";
  WriteReport(history, *result, report);
  verdict.verdict = result->verdict == Verdict::kLinearizable      ? RunVerdict::kValid
                    : result->verdict == Verdict::kNotLinearizable ? RunVerdict::kInvalid
                                                                   : RunVerdict::kUnknown;
  verdict.report = report.str();
  return verdict;
}

}  // namespace raftkv::fault::harness
