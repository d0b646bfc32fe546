#include "tests/fault/harness/bank_workload.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <utility>

#include "proto/etcd/rpc.grpc.pb.h"
#include "tests/fault/harness/client_support.h"
#include "tests/fault/harness/rpc_support.h"

namespace raftkv::fault::harness {
namespace {

// The accounts' keys: kPrefix + account number, all below kRangeEnd.
constexpr char kPrefix[] = "bank/";
constexpr char kRangeEnd[] = "bank0";  // "bank/" with its last byte plus one
constexpr int64_t kInitialBalance = 100;
// How long Start keeps trying to create the accounts.
constexpr std::chrono::milliseconds kInitTimeout{20'000};
// Deadline of each request of the accounts' creation and of the final read.
constexpr std::chrono::milliseconds kTryTimeout{2000};
// Transfers move 1..kMaxAmount.
constexpr int64_t kMaxAmount = 5;

std::string AccountKey(int account) { return kPrefix + std::to_string(account); }

// Reads every account with one linearizable Range into `read` (its times included) and the
// accounts' mod revisions into `mod_revisions` (by account name).
grpc::Status ReadAccounts(etcdserverpb::KV::Stub& stub, grpc::ClientContext* context,
                          BankRead* read, std::map<std::string, int64_t>* mod_revisions) {
  etcdserverpb::RangeRequest request;
  request.set_key(kPrefix);
  request.set_range_end(kRangeEnd);
  etcdserverpb::RangeResponse response;
  read->invoke_ns = NowNs();
  const grpc::Status status = stub.Range(context, request, &response);
  read->complete_ns = NowNs();
  if (!status.ok()) return status;
  for (const auto& kv : response.kvs()) {
    const std::string account = kv.key().substr(sizeof(kPrefix) - 1);
    read->balances[account] = kv.value();
    (*mod_revisions)[account] = kv.mod_revision();
  }
  return status;
}

// A transfer planned from a read: `amount` from `from` (which holds `from_balance`) to `to`
// (which holds `to_balance`).
struct TransferPlan {
  int from = 0;
  int to = 0;
  int64_t amount = 0;
  int64_t from_balance = 0;
  int64_t to_balance = 0;
};

// Picks a source with money and a different destination among what `read` saw; nullopt when
// there is none (the read then breaks a rule the check will report).
std::optional<TransferPlan> PlanTransfer(const BankRead& read, int accounts, std::mt19937_64& rng) {
  std::vector<std::pair<int, int64_t>> balances;  // (account, balance) of accounts 0..n-1 read
  for (int a = 0; a < accounts; ++a) {
    auto it = read.balances.find(std::to_string(a));
    if (it == read.balances.end()) return std::nullopt;
    const std::optional<int64_t> balance = ParseBalance(it->second);
    if (!balance) return std::nullopt;
    balances.emplace_back(a, *balance);
  }
  std::vector<int> sources;
  for (const auto& [account, balance] : balances) {
    if (balance > 0) sources.push_back(account);
  }
  if (sources.empty()) return std::nullopt;
  TransferPlan plan;
  plan.from = sources[rng() % sources.size()];
  plan.to = static_cast<int>(rng() % static_cast<uint64_t>(accounts - 1));
  if (plan.to >= plan.from) ++plan.to;
  plan.from_balance = balances[static_cast<size_t>(plan.from)].second;
  plan.to_balance = balances[static_cast<size_t>(plan.to)].second;
  plan.amount = 1 + static_cast<int64_t>(
                        rng() % static_cast<uint64_t>(std::min(kMaxAmount, plan.from_balance)));
  return plan;
}

// The Txn of `plan`: if neither account changed since the read (mod revisions), put both new
// balances.
etcdserverpb::TxnRequest TransferRequest(const TransferPlan& plan,
                                         const std::map<std::string, int64_t>& mod_revisions) {
  etcdserverpb::TxnRequest request;
  for (const auto& [account, balance] : {std::pair{plan.from, plan.from_balance - plan.amount},
                                         std::pair{plan.to, plan.to_balance + plan.amount}}) {
    etcdserverpb::Compare* compare = request.add_compare();
    compare->set_key(AccountKey(account));
    compare->set_result(etcdserverpb::Compare::EQUAL);
    compare->set_target(etcdserverpb::Compare::MOD);
    compare->set_mod_revision(mod_revisions.at(std::to_string(account)));
    etcdserverpb::PutRequest* put = request.add_success()->mutable_request_put();
    put->set_key(AccountKey(account));
    put->set_value(std::to_string(balance));
  }
  return request;
}

// The reads and transfers, one per line in the order they were sent, into `path`. The final
// read is the one by client `final_process`.
Status WriteBankHistory(const std::vector<BankRead>& reads,
                        const std::vector<BankTransfer>& transfers, uint64_t final_process,
                        const std::string& path) {
  std::vector<std::pair<int64_t, std::string>> lines;  // (invoke_ns, line)
  for (const BankRead& read : reads) {
    const std::string who = read.process == final_process ? "final" : std::to_string(read.process);
    lines.emplace_back(read.invoke_ns, "read " + who + " " + std::to_string(read.invoke_ns) + " " +
                                           std::to_string(read.complete_ns) + " " +
                                           FormatBalances(read));
  }
  for (const BankTransfer& t : transfers) {
    std::ostringstream line;
    line << "transfer " << t.process << " " << t.invoke_ns << " " << t.complete_ns << " "
         << OutcomeName(t.outcome) << " " << t.from << "->" << t.to << " " << t.amount;
    if (t.outcome == Outcome::kOk) line << (t.succeeded ? " moved" : " conflict");
    lines.emplace_back(t.invoke_ns, line.str());
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::ofstream out(path);
  out << "# bank workload, in the order sent:\n"
         "#   read <client|final> <invoke_ns> <complete_ns> <account>=<balance>...\n"
         "#   transfer <client> <invoke_ns> <complete_ns> <outcome> <from>-><to> <amount> "
         "[moved|conflict]\n";
  for (const auto& [invoke_ns, line] : lines) out << line << "\n";
  out.flush();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::Ok();
}

// The transfers by outcome, and the reads, for the report.
std::string OperationCounts(const std::vector<BankTransfer>& transfers, size_t reads,
                            int64_t failed_reads) {
  std::map<std::string, int> counts;
  for (const BankTransfer& t : transfers) {
    ++counts[t.outcome != Outcome::kOk ? std::string(OutcomeName(t.outcome))
             : t.succeeded             ? "ok-moved"
                                       : "ok-conflict"];
  }
  std::ostringstream out;
  out << "transfers: " << transfers.size() << " (ok-moved " << counts["ok-moved"]
      << ", ok-conflict " << counts["ok-conflict"] << ", fail " << counts["fail"] << ", unknown "
      << counts["unknown"] << ")\n";
  out << "reads: " << reads << " ok (final read included), " << failed_reads
      << " without an answer\n";
  return out.str();
}

}  // namespace

BankWorkload::BankWorkload(WorkloadOptions options)
    : options_(std::move(options)), accounts_(std::max(options_.keys, 2)) {}

Status BankWorkload::CreateAccounts() {
  // One Txn: if bank/0 was never created, create every account. An answer either way means the
  // accounts exist (a "not succeeded" is an earlier attempt of unknown outcome that took effect).
  etcdserverpb::TxnRequest request;
  etcdserverpb::Compare* compare = request.add_compare();
  compare->set_key(AccountKey(0));
  compare->set_result(etcdserverpb::Compare::EQUAL);
  compare->set_target(etcdserverpb::Compare::CREATE);
  compare->set_create_revision(0);
  for (int a = 0; a < accounts_; ++a) {
    etcdserverpb::PutRequest* put = request.add_success()->mutable_request_put();
    put->set_key(AccountKey(a));
    put->set_value(std::to_string(kInitialBalance));
  }
  const auto deadline = std::chrono::steady_clock::now() + kInitTimeout;
  const grpc::Status status =
      CallAnyMember(options_.addresses, deadline, [&](etcdserverpb::KV::Stub& stub) {
        grpc::ClientContext context;
        context.set_deadline(TryDeadline(kTryTimeout, deadline));
        etcdserverpb::TxnResponse response;
        return stub.Txn(&context, request, &response);
      });
  if (status.ok()) return Status::Ok();
  return Status::Unavailable("the accounts could not be created (tried for up to " +
                             std::to_string(kInitTimeout.count()) +
                             " ms); last error: " + status.error_message());
}

void BankWorkload::Start() {
  initialised_ = CreateAccounts();
  if (!initialised_.ok()) {
    std::fprintf(stderr, "bank workload: %s\n", initialised_.ToString().c_str());
    return;
  }
  clients_.Start(options_.clients, [this](int c) { RunClient(c); });
}

void BankWorkload::RunClient(int c) {
  const int member = c % static_cast<int>(options_.addresses.size()) + 1;
  auto stub = etcdserverpb::KV::NewStub(MakeChannel(options_.addresses[member - 1]));
  std::mt19937_64 rng(options_.seed * 1'000'003 + static_cast<uint64_t>(c));
  std::vector<BankRead> reads;
  std::vector<BankTransfer> transfers;
  int64_t failed_reads = 0;
  auto deadline = [this] { return std::chrono::system_clock::now() + options_.request_timeout; };

  while (!clients_.stopping()) {
    const bool read_only = read_only_member_.load() == member;
    // Every round reads; seven in ten go on to transfer what the read saw.
    BankRead read;
    read.process = static_cast<uint64_t>(c);
    std::map<std::string, int64_t> mod_revisions;
    grpc::ClientContext read_context;
    read_context.set_deadline(deadline());
    const bool answered = ReadAccounts(*stub, &read_context, &read, &mod_revisions).ok();
    if (!answered) ++failed_reads;
    const bool transfer = !read_only && rng() % 10 < 7;
    std::optional<TransferPlan> plan;
    if (answered && transfer) plan = PlanTransfer(read, accounts_, rng);
    if (answered) reads.push_back(std::move(read));
    if (plan) {
      BankTransfer record;
      record.process = static_cast<uint64_t>(c);
      record.from = plan->from;
      record.to = plan->to;
      record.amount = plan->amount;
      const etcdserverpb::TxnRequest request = TransferRequest(*plan, mod_revisions);
      etcdserverpb::TxnResponse response;
      grpc::ClientContext context;
      context.set_deadline(deadline());
      record.invoke_ns = NowNs();
      const grpc::Status status = stub->Txn(&context, request, &response);
      record.complete_ns = NowNs();
      record.outcome = status.ok() ? Outcome::kOk : WriteErrorOutcome(status);
      record.succeeded = status.ok() && response.succeeded();
      transfers.push_back(record);
    }
    if (read_only) continue;  // read again at once: the point is to race the member's catch-up
    Think(rng, options_.think_time, answered);
  }
  std::lock_guard<std::mutex> lock(mu_);
  reads_.insert(reads_.end(), reads.begin(), reads.end());
  transfers_.insert(transfers_.end(), transfers.begin(), transfers.end());
  failed_reads_ += failed_reads;
}

Status BankWorkload::FinalRead(std::chrono::steady_clock::time_point deadline) {
  if (!initialised_.ok()) return Status::Ok();  // nothing to read; Check says why
  BankRead read;
  read.process = static_cast<uint64_t>(options_.clients);  // "final" in the history
  const grpc::Status status =
      CallAnyMember(options_.addresses, deadline, [&](etcdserverpb::KV::Stub& stub) {
        read.balances.clear();
        std::map<std::string, int64_t> mod_revisions;
        grpc::ClientContext context;
        context.set_deadline(TryDeadline(kTryTimeout, deadline));
        return ReadAccounts(stub, &context, &read, &mod_revisions);
      });
  if (!status.ok()) {
    return Status::Unavailable("the bank's final read got no answer from any member: " +
                               status.error_message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  reads_.push_back(std::move(read));
  return Status::Ok();
}

WorkloadVerdict BankWorkload::Check(const std::string& out_dir, std::chrono::milliseconds) {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream report;
  report << "accounts: " << accounts_ << ", each starting at " << kInitialBalance << "\n";
  WorkloadVerdict verdict;
  if (!initialised_.ok()) {
    report << "verdict: unknown (" << initialised_.message() << ")\n";
    verdict.report = report.str();
    return verdict;
  }
  report << OperationCounts(transfers_, reads_.size(), failed_reads_);
  const Status written = WriteBankHistory(
      reads_, transfers_, static_cast<uint64_t>(options_.clients), out_dir + "/history.txt");
  if (!written.ok()) report << "cannot write the history: " << written.ToString() << "\n";
  const BankCheckResult result = CheckBank(
      BankCheckOptions{.accounts = accounts_, .total = accounts_ * kInitialBalance}, reads_);
  report << FormatBankCheck(result);
  verdict.verdict = result.valid ? RunVerdict::kValid : RunVerdict::kInvalid;
  verdict.report = report.str();
  return verdict;
}

}  // namespace raftkv::fault::harness
