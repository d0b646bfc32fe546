// RaftLogStore: reads, Save and the other writes. Open and its checks: raft_log_open.cc.
#include "storage/raft_log_store.h"

#include <rocksdb/db.h>
#include <rocksdb/experimental.h>
#include <rocksdb/write_batch.h>

#include <string>
#include <utility>

#include "raft/bootstrap.h"
#include "storage/raft_log_keys.h"

namespace raftkv::storage {
namespace {

std::string Str(uint64_t v) { return std::to_string(v); }

}  // namespace

StatusOr<raft::InitialState> RaftLogStore::GetInitialState() const {
  return raft::InitialState{hard_state_, conf_state_};
}

StatusOr<raftpb::Entry> RaftLogStore::ReadEntry(uint64_t index) const {
  std::string value;
  rocksdb::Status s =
      db_->db()->Get(rocksdb::ReadOptions(), db_->family(Family::kRaftLog), LogKey(index), &value);
  if (s.IsNotFound()) {
    return Status::Corruption("raft log: entry " + Str(index) + " is missing from the log [" +
                              Str(FirstIndex()) + ", " + Str(last_index_) + "]");
  }
  if (!s.ok()) return FromRocks(s, "raft log: reading entry " + Str(index));
  return DecodeEntry(index, value);
}

StatusOr<uint64_t> RaftLogStore::TermInLog(uint64_t index) const {
  if (index == compacted_index_) return compacted_term_;
  if (index == last_index_) return last_term_;
  StatusOr<raftpb::Entry> entry = ReadEntry(index);
  if (!entry.ok()) return entry.status();
  return entry->term();
}

StatusOr<uint64_t> RaftLogStore::Term(uint64_t i) const {
  if (i < compacted_index_) return Status::Compacted("index " + Str(i) + " is compacted");
  if (i > last_index_) return Status::Unavailable("index " + Str(i) + " is not in the log");
  return TermInLog(i);
}

StatusOr<std::vector<raftpb::Entry>> RaftLogStore::Entries(uint64_t lo, uint64_t hi,
                                                           uint64_t max_bytes) const {
  if (lo <= compacted_index_)
    return Status::Compacted("entries from " + Str(lo) + " are compacted");
  if (hi > last_index_ + 1) {
    return Status::Unavailable("entries up to " + Str(hi) + " are not in the log");
  }
  std::vector<raftpb::Entry> out;
  if (lo >= hi) return out;
  const std::string upper = LogKey(hi);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(options, db_->family(Family::kRaftLog)));
  uint64_t bytes = 0;
  uint64_t expected = lo;
  for (it->Seek(LogKey(lo)); it->Valid() && expected < hi; it->Next(), ++expected) {
    std::optional<uint64_t> key = ParseLogKey(it->key().ToStringView());
    if (!key || *key != expected) {
      return Status::Corruption("raft log: entry " + Str(expected) + " is missing (found " +
                                (key ? "entry " + Str(*key) : "a malformed key") + " instead)");
    }
    StatusOr<raftpb::Entry> decoded = DecodeEntry(expected, it->value().ToStringView());
    if (!decoded.ok()) return decoded.status();
    raftpb::Entry& entry = *decoded;
    bytes += raft::EntrySize(entry);
    if (!out.empty() && bytes > max_bytes) return out;
    out.push_back(std::move(entry));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "raft log: reading entries");
  if (expected < hi) {
    return Status::Corruption("raft log: entries from " + Str(expected) + " to " + Str(hi - 1) +
                              " are missing though the log ends at " + Str(last_index_));
  }
  return out;
}

Status RaftLogStore::PutMessage(rocksdb::WriteBatch* batch, Family family, std::string_view key,
                                const google::protobuf::MessageLite& message) const {
  return FromRocks(batch->Put(db_->family(family), key, message.SerializeAsString()),
                   "raft log: building a write");
}

Status RaftLogStore::DeleteEntries(rocksdb::WriteBatch* batch, uint64_t from, uint64_t to) const {
  if (from >= to) return Status::Ok();
  return FromRocks(batch->DeleteRange(db_->family(Family::kRaftLog), LogKey(from), LogKey(to)),
                   "raft log: building a write");
}

Status RaftLogStore::Save(const raft::Ready& ready) {
  rocksdb::WriteBatch batch;
  // The state after this write; copied into the fields only once the write succeeded.
  uint64_t compacted_index = compacted_index_;
  uint64_t compacted_term = compacted_term_;
  uint64_t last_index = last_index_;
  uint64_t last_term = last_term_;

  if (ready.snapshot) {
    const raftpb::SnapshotMetadata& md = ready.snapshot->metadata();
    if (md.index() < snapshot_.metadata().index()) {
      return Status::FailedPrecondition("snapshot at " + Str(md.index()) +
                                        " is older than the current one at " +
                                        Str(snapshot_.metadata().index()));
    }
    // As MemoryStorage::ApplySnapshot: the snapshot replaces the whole log.
    RAFTKV_RETURN_IF_ERROR(DeleteEntries(&batch, compacted_index_ + 1, last_index_ + 1));
    raftpb::Entry compacted;
    compacted.set_index(md.index());
    compacted.set_term(md.term());
    RAFTKV_RETURN_IF_ERROR(PutMessage(&batch, Family::kRaftMeta, kSnapshotKey, *ready.snapshot));
    RAFTKV_RETURN_IF_ERROR(PutMessage(&batch, Family::kRaftMeta, kCompactedKey, compacted));
    RAFTKV_RETURN_IF_ERROR(PutMessage(&batch, Family::kRaftMeta, kConfStateKey, md.conf_state()));
    compacted_index = last_index = md.index();
    compacted_term = last_term = md.term();
  }

  const std::vector<raftpb::Entry>& entries = ready.entries;
  if (!entries.empty() && entries.back().index() > compacted_index) {
    for (size_t i = 1; i < entries.size(); ++i) {
      if (entries[i].index() != entries[i - 1].index() + 1) {
        return Status::InvalidArgument("appended entries are not contiguous");
      }
      if (entries[i].term() < entries[i - 1].term()) {
        return Status::InvalidArgument("appended entry " + Str(entries[i].index()) +
                                       " has a lower term than the one before it");
      }
    }
    const uint64_t first_new = entries.front().index();
    const uint64_t last_new = entries.back().index();
    if (first_new > last_index + 1) {
      return Status::InvalidArgument("append of index " + Str(first_new) + " leaves a gap after " +
                                     Str(last_index));
    }
    const size_t skip = first_new <= compacted_index ? compacted_index + 1 - first_new : 0;
    const raftpb::Entry& start = entries[skip];
    // The entry just before the appended ones must not have a higher term. Its term is cached
    // unless the append truncates the log.
    uint64_t prev_term = compacted_term;
    if (start.index() - 1 == last_index) {
      prev_term = last_term;
    } else if (start.index() - 1 > compacted_index) {
      StatusOr<uint64_t> t = TermInLog(start.index() - 1);
      if (!t.ok()) return t.status();
      prev_term = *t;
    }
    if (start.term() < prev_term) {
      return Status::InvalidArgument("appended entry " + Str(start.index()) + " has term " +
                                     Str(start.term()) + ", lower than the term " + Str(prev_term) +
                                     " of the entry before it");
    }
    // Old entries above the new last one conflict with the new ones: remove them.
    RAFTKV_RETURN_IF_ERROR(DeleteEntries(&batch, last_new + 1, last_index + 1));
    for (size_t i = skip; i < entries.size(); ++i) {
      RAFTKV_RETURN_IF_ERROR(
          PutMessage(&batch, Family::kRaftLog, LogKey(entries[i].index()), entries[i]));
    }
    last_index = last_new;
    last_term = entries.back().term();
  }

  if (ready.hard_state) {
    if (ready.hard_state->commit() > last_index) {
      return Status::InvalidArgument("hard state commit " + Str(ready.hard_state->commit()) +
                                     " is beyond the last index " + Str(last_index));
    }
    RAFTKV_RETURN_IF_ERROR(PutMessage(&batch, Family::kRaftMeta, kHardStateKey, *ready.hard_state));
  }

  if (batch.Count() == 0) return Status::Ok();
  RAFTKV_RETURN_IF_ERROR(db_->Write(&batch, ready.must_sync));

  if (ready.snapshot) {
    snapshot_ = *ready.snapshot;
    conf_state_ = snapshot_.metadata().conf_state();
  }
  if (ready.hard_state) hard_state_ = *ready.hard_state;
  compacted_index_ = compacted_index;
  compacted_term_ = compacted_term;
  last_index_ = last_index;
  last_term_ = last_term;
  return Status::Ok();
}

Status RaftLogStore::CreateSnapshot(uint64_t index, const raftpb::ConfState& conf_state,
                                    std::string data) {
  if (index <= snapshot_.metadata().index()) {
    return Status::FailedPrecondition("snapshot at " + Str(index) + " is not newer");
  }
  if (index > last_index_) {
    return Status::InvalidArgument("snapshot index " + Str(index) + " is beyond the log");
  }
  StatusOr<uint64_t> term = TermInLog(index);
  if (!term.ok()) return term.status();
  raftpb::Snapshot snapshot;
  snapshot.set_data(std::move(data));
  snapshot.mutable_metadata()->set_index(index);
  snapshot.mutable_metadata()->set_term(*term);
  *snapshot.mutable_metadata()->mutable_conf_state() = conf_state;
  rocksdb::WriteBatch batch;
  RAFTKV_RETURN_IF_ERROR(PutMessage(&batch, Family::kRaftMeta, kSnapshotKey, snapshot));
  RAFTKV_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/true));
  snapshot_ = std::move(snapshot);
  return Status::Ok();
}

Status RaftLogStore::Compact(uint64_t compact_index) {
  if (compact_index <= compacted_index_) return Status::Ok();  // already compacted
  if (compact_index > snapshot_.metadata().index()) {
    // As in MemoryStorage: entries past the snapshot would then exist nowhere.
    return Status::InvalidArgument("compact index " + Str(compact_index) +
                                   " is beyond the snapshot index " +
                                   Str(snapshot_.metadata().index()));
  }
  StatusOr<uint64_t> term = TermInLog(compact_index);
  if (!term.ok()) return term.status();
  raftpb::Entry compacted;
  compacted.set_index(compact_index);
  compacted.set_term(*term);
  rocksdb::WriteBatch batch;
  const uint64_t old_first = FirstIndex();
  RAFTKV_RETURN_IF_ERROR(DeleteEntries(&batch, old_first, compact_index + 1));
  RAFTKV_RETURN_IF_ERROR(PutMessage(&batch, Family::kRaftMeta, kCompactedKey, compacted));
  RAFTKV_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/false));
  compacted_index_ = compact_index;
  compacted_term_ = *term;
  SuggestReclaim(old_first, compact_index);
  return Status::Ok();
}

// How the space of a compacted prefix comes back, without stopping the world:
//  - the range tombstone written by Compact hides the entries at once, at the cost of one
//    tombstone (no key-by-key deletes);
//  - entries still in the memtable are dropped when it is flushed, since a flush applies the
//    tombstones of the same memtable;
//  - entries already in SST files are marked for compaction with SuggestCompactRange, which
//    only flags the files and lets RocksDB's own background threads rewrite them when they get
//    to it. We prefer this to a CompactRange on a thread of our own: no thread to own and join,
//    no manual compaction that would hold back automatic ones, and nothing waits for it.
void RaftLogStore::SuggestReclaim(uint64_t from, uint64_t to) const {
  const std::string begin = LogKey(from);
  const std::string end = LogKey(to);
  const rocksdb::Slice begin_slice(begin);
  const rocksdb::Slice end_slice(end);
  rocksdb::Status s = rocksdb::experimental::SuggestCompactRange(
      db_->db(), db_->family(Family::kRaftLog), &begin_slice, &end_slice);
  // Deliberately not an error of Compact: the deletion is durable and correct either way; a
  // refused hint only means RocksDB reclaims the space at its own pace.
  s.PermitUncheckedError();
}

Status RaftLogStore::Bootstrap(const std::vector<uint64_t>& voters) {
  if (last_index_ != 0 || hard_state_.term() != 0) {
    return Status::FailedPrecondition("bootstrap of a raft log that is not empty");
  }
  StatusOr<raft::BootstrapState> state = raft::MakeBootstrapState(voters);
  if (!state.ok()) return state.status();
  rocksdb::WriteBatch batch;
  for (const raftpb::Entry& e : state->entries) {
    RAFTKV_RETURN_IF_ERROR(PutMessage(&batch, Family::kRaftLog, LogKey(e.index()), e));
  }
  RAFTKV_RETURN_IF_ERROR(PutMessage(&batch, Family::kRaftMeta, kHardStateKey, state->hard_state));
  RAFTKV_RETURN_IF_ERROR(PutMessage(&batch, Family::kRaftMeta, kConfStateKey, state->conf_state));
  RAFTKV_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/true));
  hard_state_ = state->hard_state;
  conf_state_ = state->conf_state;
  if (!state->entries.empty()) {
    last_index_ = state->entries.back().index();
    last_term_ = state->entries.back().term();
  }
  return Status::Ok();
}

Status RaftLogStore::SetConfState(const raftpb::ConfState& conf_state) {
  rocksdb::WriteBatch batch;
  RAFTKV_RETURN_IF_ERROR(PutMessage(&batch, Family::kRaftMeta, kConfStateKey, conf_state));
  RAFTKV_RETURN_IF_ERROR(db_->Write(&batch, /*sync=*/true));
  conf_state_ = conf_state;
  return Status::Ok();
}

}  // namespace raftkv::storage
