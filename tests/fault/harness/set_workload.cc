#include "tests/fault/harness/set_workload.h"

#include <fstream>
#include <random>
#include <sstream>

#include "proto/etcd/rpc.grpc.pb.h"
#include "tests/fault/harness/client_support.h"
#include "tests/fault/harness/rpc_support.h"

namespace raftkv::fault::harness {
namespace {

// The keys of the set: kPrefix + element, all below kRangeEnd.
constexpr char kPrefix[] = "set/";
constexpr char kRangeEnd[] = "set0";  // "set/" with its last byte plus one
// Elements per page of the final read (a 30-minute run may add ~100k).
constexpr int64_t kPageSize = 5000;
// Deadline of each request of the final read.
constexpr std::chrono::milliseconds kFinalReadTry{2000};

// Writes the adds and the final read, one per line, into `path`.
Status WriteSetHistory(const std::vector<SetAdd>& adds, const std::vector<std::string>& final_read,
                       const std::string& path) {
  std::ofstream out(path);
  out << "# set workload: one add per line (add <client> <invoke_ns> <complete_ns> <outcome> "
         "<element>), then one line per element of the final read (read <element>)\n";
  for (const SetAdd& add : adds) {
    out << "add " << add.process << " " << add.invoke_ns << " " << add.complete_ns << " "
        << OutcomeName(add.outcome) << " " << add.element << "\n";
  }
  for (const std::string& element : final_read) out << "read " << element << "\n";
  out.flush();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::Ok();
}

}  // namespace

SetWorkload::SetWorkload(WorkloadOptions options) : options_(std::move(options)) {}

void SetWorkload::Start() {
  clients_.Start(options_.clients, [this](int c) { RunClient(c); });
}

void SetWorkload::RunClient(int c) {
  const size_t member = static_cast<size_t>(c) % options_.addresses.size();
  auto stub = etcdserverpb::KV::NewStub(MakeChannel(options_.addresses[member]));
  std::mt19937_64 rng(options_.seed * 1'000'003 + static_cast<uint64_t>(c));
  std::vector<SetAdd> mine;
  for (uint64_t n = 0; !clients_.stopping(); ++n) {
    SetAdd add;
    add.process = static_cast<uint64_t>(c);
    add.element = "c" + std::to_string(c) + "-" + std::to_string(n);
    etcdserverpb::PutRequest request;
    request.set_key(kPrefix + add.element);
    request.set_value("1");
    etcdserverpb::PutResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + options_.request_timeout);
    add.invoke_ns = NowNs();
    const grpc::Status status = stub->Put(&context, request, &response);
    add.complete_ns = NowNs();
    add.outcome = status.ok() ? Outcome::kOk : WriteErrorOutcome(status);
    mine.push_back(std::move(add));
    Think(rng, options_.think_time, status.ok());
  }
  std::lock_guard<std::mutex> lock(mu_);
  adds_.insert(adds_.end(), mine.begin(), mine.end());
}

Status SetWorkload::FinalRead(std::chrono::steady_clock::time_point deadline) {
  std::vector<std::string> elements;
  // Pages of a linearizable, keys-only Range; on an error the next member reads from the start.
  // The pages are separate reads, which is enough here: the clients have stopped, so only adds
  // of unknown outcome can still land between two pages, and those may be present or not.
  const grpc::Status status =
      CallAnyMember(options_.addresses, deadline, [&](etcdserverpb::KV::Stub& stub) {
        elements.clear();
        std::string from = kPrefix;
        while (true) {
          etcdserverpb::RangeRequest request;
          request.set_key(from);
          request.set_range_end(kRangeEnd);
          request.set_keys_only(true);
          request.set_limit(kPageSize);
          etcdserverpb::RangeResponse response;
          grpc::ClientContext context;
          context.set_deadline(TryDeadline(kFinalReadTry, deadline));
          const grpc::Status page = stub.Range(&context, request, &response);
          if (!page.ok()) return page;
          for (const auto& kv : response.kvs()) {
            elements.push_back(kv.key().substr(sizeof(kPrefix) - 1));
          }
          if (!response.more() || response.kvs_size() == 0) return page;
          from = response.kvs(response.kvs_size() - 1).key() + '\0';
        }
      });
  if (!status.ok()) {
    return Status::Unavailable("the set's final read got no answer from any member: " +
                               status.error_message());
  }
  final_read_ = std::move(elements);
  final_read_done_ = true;
  return Status::Ok();
}

WorkloadVerdict SetWorkload::Check(const std::string& out_dir, std::chrono::milliseconds) {
  std::vector<SetAdd> adds;
  {
    std::lock_guard<std::mutex> lock(mu_);
    adds = std::move(adds_);
  }
  std::ostringstream report;
  const Status written = WriteSetHistory(adds, final_read_, out_dir + "/history.txt");
  if (!written.ok()) report << "cannot write the history: " << written.ToString() << "\n";
  WorkloadVerdict verdict;
  if (!final_read_done_) {
    report << "adds: " << adds.size() << "\nverdict: unknown (no final read)\n";
    verdict.report = report.str();
    return verdict;
  }
  const SetCheckResult result = CheckSet(adds, final_read_);
  report << FormatSetCheck(result);
  verdict.verdict = result.valid ? RunVerdict::kValid : RunVerdict::kInvalid;
  verdict.report = report.str();
  return verdict;
}

}  // namespace raftkv::fault::harness
