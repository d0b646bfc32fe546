#include "server/applier.h"

#include <spdlog/spdlog.h>

#include "storage/thread_name.h"

#include "storage/mvcc_write_batch.h"

namespace raftkv::server {

Applier::Applier(storage::MvccStore* store, ApplyWaiters* waiters, uint64_t member_id)
    : store_(store), waiters_(waiters), member_id_(member_id) {
  applied_.store(store_->applied_index());
}

Applier::~Applier() { Stop(); }

void Applier::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    NameThisThread("kvd-apply");
    Main();
  });
}

void Applier::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Exclusive work that never ran is told so, and so are readers waiting for an index.
  AppliedWaiters waiters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Task& task : queue_) {
      if (task.done) *task.done = {true, Status::Unavailable("the applier stopped")};
    }
    queue_.clear();
    waiters.swap(applied_waiters_);
    waiters_by_deadline_.clear();
  }
  cv_.notify_all();
  for (auto& [index, waiter] : waiters) waiter.done(false);
}

void Applier::WhenApplied(uint64_t index, std::chrono::steady_clock::time_point deadline,
                          std::function<void(bool)> done) {
  bool applied = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    applied = applied_.load() >= index;
    if (!applied && !stop_) {
      auto it = applied_waiters_.emplace(index, AppliedWaiter{std::move(done), {}});
      it->second.by_deadline = waiters_by_deadline_.emplace(deadline, it);
      return;
    }
  }
  done(applied);  // at once: applied already, or never (stopped)
}

void Applier::ExpireAppliedWaiters(std::chrono::steady_clock::time_point now) {
  std::vector<std::function<void(bool)>> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto end = waiters_by_deadline_.upper_bound(now);
    for (auto it = waiters_by_deadline_.begin(); it != end; ++it) {
      expired.push_back(std::move(it->second->second.done));
      applied_waiters_.erase(it->second);
    }
    waiters_by_deadline_.erase(waiters_by_deadline_.begin(), end);
  }
  for (auto& done : expired) done(false);
}

void Applier::ReleaseAppliedWaiters() {
  std::vector<std::function<void(bool)>> released;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t applied = applied_.load();
    auto end = applied_waiters_.upper_bound(applied);
    for (auto it = applied_waiters_.begin(); it != end; ++it) {
      released.push_back(std::move(it->second.done));
      waiters_by_deadline_.erase(it->second.by_deadline);
    }
    applied_waiters_.erase(applied_waiters_.begin(), end);
  }
  for (auto& done : released) done(true);
}

void Applier::Enqueue(std::vector<raftpb::Entry> entries) {
  if (entries.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Task{std::move(entries), nullptr, nullptr});
  }
  cv_.notify_all();
}

bool Applier::WaitApplied(uint64_t index, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_until(lock, deadline, [&] { return applied_.load() >= index || stop_; }) &&
         applied_.load() >= index;
}

Status Applier::RunExclusive(std::function<Status()> work) {
  auto done = std::make_shared<std::pair<bool, Status>>(false, Status::Ok());
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) return Status::Unavailable("the applier stopped");
  queue_.push_back(Task{{}, std::move(work), done});
  cv_.notify_all();
  cv_.wait(lock, [&] { return done->first; });
  return done->second;
}

void Applier::Main() {
  while (true) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      // Take every queued run of entries at once: one batch, one write for all of them.
      while (!task.work && !queue_.empty() && !queue_.front().work) {
        for (auto& e : queue_.front().entries) task.entries.push_back(std::move(e));
        queue_.pop_front();
      }
    }
    if (task.work) {
      Status result = task.work();
      {
        std::lock_guard<std::mutex> lock(mu_);
        applied_.store(store_->applied_index());
        *task.done = {true, std::move(result)};
      }
      cv_.notify_all();
      ReleaseAppliedWaiters();
      continue;
    }
    ApplyEntries(task.entries);
  }
}

void Applier::ApplyEntries(const std::vector<raftpb::Entry>& entries) {
  // Skip what the store already holds (applied before a restart, or inside a restored
  // snapshot).
  size_t first = 0;
  while (first < entries.size() && store_->IsApplied(entries[first].index())) ++first;
  if (first == entries.size()) return;
  const uint64_t last_index = entries.back().index();

  std::vector<std::pair<uint64_t, ApplyOutcome>> outcomes;
  for (int attempt = 0;; ++attempt) {
    outcomes.clear();
    auto batch = store_->BeginBatch();
    Status status = batch.ok() ? Status::Ok() : batch.status();
    if (status.ok()) {
      for (size_t i = first; i < entries.size(); ++i) Execute(batch->get(), entries[i], &outcomes);
      status = store_->Commit(std::move(*batch), last_index, /*sync=*/false);
    }
    if (status.ok()) break;
    if (attempt == 0)
      spdlog::error("apply of entries up to {} failed: {}", last_index, status.ToString());
    std::unique_lock<std::mutex> lock(mu_);
    // Wait a little before retrying (a full disk needs time to be freed), unless stopping.
    if (cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stop_; })) return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    applied_.store(last_index);
  }
  cv_.notify_all();
  for (auto& [request_id, outcome] : outcomes) waiters_->Complete(request_id, std::move(outcome));
  ReleaseAppliedWaiters();
}

void Applier::Execute(storage::MvccWriteBatch* batch, const raftpb::Entry& entry,
                      std::vector<std::pair<uint64_t, ApplyOutcome>>* outcomes) {
  if (entry.type() != raftpb::ENTRY_NORMAL || entry.data().empty()) return;  // no-op or conf
  cmdpb::Command command;
  if (!command.ParseFromString(entry.data())) {
    // Every member sees the same bytes, so every member skips it the same way.
    spdlog::error("entry {} holds no valid command; skipped", entry.index());
    return;
  }
  ApplyOutcome outcome;
  outcome.index = entry.index();
  auto record = [&](auto result, auto* slot) {
    if (result.ok()) {
      *slot = std::move(*result);
    } else {
      outcome.status = result.status();
    }
  };
  switch (command.op_case()) {
    case cmdpb::Command::kPut:
      record(batch->Put(command.put()), outcome.result.mutable_put());
      break;
    case cmdpb::Command::kDeleteRange:
      record(batch->DeleteRange(command.delete_range()), outcome.result.mutable_delete_range());
      break;
    case cmdpb::Command::kTxn:
      record(batch->Txn(command.txn()), outcome.result.mutable_txn());
      break;
    case cmdpb::Command::kCompaction:
      record(batch->Compact(command.compaction()), outcome.result.mutable_compaction());
      break;
    case cmdpb::Command::kMemberAttributes:
      outcome.status = batch->PutMemberRecord(command.member_attributes().id(),
                                              command.member_attributes().SerializeAsString());
      break;
    case cmdpb::Command::OP_NOT_SET:
      outcome.status = Status::InvalidArgument("empty command");
      break;
  }
  if (command.origin_member() == member_id_) {
    outcomes->emplace_back(command.request_id(), std::move(outcome));
  }
}

}  // namespace raftkv::server
