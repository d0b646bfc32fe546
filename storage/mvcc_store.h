// MvccStore: the replicated key space of raftkv with etcd 3.4's multi-version semantics
// (revisions, per-key create/mod revision and version, history reads, compaction), kept in the
// member's RocksDB (storage/database.h). The on-disk layout is described in mvcc_keys.h.
//
// Threads:
//   - Writes come from ONE thread, the apply thread: it opens an MvccWriteBatch, executes the
//     requests of one or more consecutive committed raft entries in it (each request sees the
//     effects of the earlier ones), and commits it with the raft index of the last entry. The
//     batch and the index are written in one RocksDB write, so after a crash the store holds
//     either all of a batch or none of it, and the index says which.
//   - Reads (Range, the accessors) may come from any thread at any time. A read sees the state
//     of the last committed batch, never part of a batch: the revision readers see is published
//     only after the batch's write returned.
//   - A background thread owned by the store removes old versions after a compaction (physical
//     compaction), in small batches; the compaction itself is logical and immediate.
//
// Generations: every key the store writes starts with the active generation number (stored in
// Family::kNodeMeta under "mvcc_generation", absent = 1). A snapshot restore writes a whole new
// generation, switches the pointer and removes the old generation in one batch, then calls
// Reload(). Open() removes every generation other than the active one (leftovers of a restore
// that was interrupted).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "proto/etcd/rpc.pb.h"
#include "raft/status.h"
#include "storage/database.h"
#include "storage/mvcc_latest_index.h"
#include "storage/mvcc_range.h"

namespace raftkv::storage {

class MvccWriteBatch;

struct MvccOptions {
  // Run the physical compaction thread. Off only in tests of the logical layer.
  bool background_compaction = true;
  // Physical compaction works in batches of at most this many user keys...
  int compaction_keys_per_batch = 256;
  // ...or, whichever comes first, this many deleted versions (a key's old versions are never
  // split across batches, so one batch may exceed this for a key with a long history).
  int compaction_deletes_per_batch = 1024;
  // etcd's lessor check for puts: a put naming a lease for which this returns false fails with
  // "etcdserver: requested lease not found". Null: every lease is accepted.
  std::function<bool(int64_t lease)> lease_exists;
};

class MvccStore {
 public:
  // Opens the store on `db` (not owned; must outlive the store), removing stale generations and
  // resuming an unfinished physical compaction.
  static StatusOr<std::unique_ptr<MvccStore>> Open(Database* db, MvccOptions options = {});

  // Stops and joins the compaction thread. No batch may be open.
  ~MvccStore();
  MvccStore(const MvccStore&) = delete;
  MvccStore& operator=(const MvccStore&) = delete;

  // ---- Reads: any thread ----------------------------------------------------------------------

  // etcd's Range over the last committed state (header: revision only). OutOfRange for a
  // future or compacted revision; Unavailable while a snapshot restore has switched the
  // generation and Reload() has not yet run.
  StatusOr<etcdserverpb::RangeResponse> Range(const etcdserverpb::RangeRequest& request) const;

  // The store revision: 1 for a new store, +1 for every request that wrote.
  int64_t revision() const;
  // The revision of the last compaction; -1 if there was none. Reads below it fail.
  int64_t compacted_revision() const;
  // The revision up to which old versions are physically removed (-1: none yet).
  int64_t physically_compacted_revision() const;
  // The raft index of the last committed batch (0: none).
  uint64_t applied_index() const;
  // Whether the entry at `index` is already reflected in the store (the server skips it).
  bool IsApplied(uint64_t index) const { return index <= applied_index(); }
  // The active generation.
  uint64_t generation() const;
  // Every member record (MvccWriteBatch::PutMemberRecord) of the committed state, by member id.
  StatusOr<std::vector<std::pair<uint64_t, std::string>>> MemberRecords() const;

  // Waits until physical compaction has reached `revision` (etcd's Compact with physical=true).
  // Unavailable when the deadline passes first (with the compactor's last error, if any);
  // FailedPrecondition when `revision` is above the compacted revision or there is no
  // compaction thread.
  Status WaitForPhysicalCompaction(int64_t revision,
                                   std::chrono::steady_clock::time_point deadline) const;

  // ---- Writes: the apply thread only ---------------------------------------------------------

  // Opens a batch over the last committed state. FailedPrecondition if one is already open.
  StatusOr<std::unique_ptr<MvccWriteBatch>> BeginBatch();

  // Writes the batch together with `applied_index` (the index of the last raft entry it holds)
  // and then makes it visible to readers. FailedPrecondition, writing nothing, if
  // `applied_index` is not above applied_index() (the entries are already applied). On a
  // write error nothing of the batch is visible and the store is as before.
  Status Commit(std::unique_ptr<MvccWriteBatch> batch, uint64_t applied_index, bool sync);

  // Re-reads the generation pointer and all state from disk, after a snapshot restore switched
  // generations; also removes generations other than the active one. No batch may be open.
  Status Reload();

 private:
  friend class MvccWriteBatch;

  // The committed state readers see. Invariants: compacted <= revision;
  // physical <= compacted.
  struct State {
    uint64_t generation = mvcc::kFirstGeneration;
    int64_t revision = 1;
    int64_t compacted = -1;
    int64_t physical = -1;
    uint64_t applied_index = 0;
  };
  // An unfinished physical compaction pass: every key below `cursor` (an encoded key prefix)
  // is compacted to `target`.
  struct CompactionPass {
    int64_t target = 0;
    std::string cursor;
  };

  MvccStore(Database* db, MvccOptions options);

  // Reads the generation pointer and the meta keys into *state and *pass.
  Status LoadFromDisk(State* state, std::optional<CompactionPass>* pass) const;
  // Deletes every key of both MVCC families outside `generation`.
  Status RemoveOtherGenerations(uint64_t generation);
  State LoadState() const;
  // Rebuilds latest_ from the key space of `generation` (one scan of its newest versions).
  Status RebuildLatestIndex(uint64_t generation);
  void WakeCompactor();

  // Physical compaction (mvcc_compaction.cc).
  void CompactorMain();
  // Does one batch of physical compaction; *more tells whether work remains.
  // Precondition: compact_mu_ held.
  Status CompactStep(bool* more);

  Database* const db_;
  const MvccOptions options_;

  mutable std::mutex state_mu_;
  State state_;  // guarded by state_mu_
  // Signalled (with state_mu_) when state_.physical advances.
  mutable std::condition_variable physical_cv_;

  // Set while an MvccWriteBatch exists; only the apply thread touches it.
  bool batch_open_ = false;
  // Every live key with its newest version (see mvcc_latest_index.h); only the apply thread
  // touches it after Open: batches read it, Commit merges into it, Reload rebuilds it.
  mvcc::LatestIndex latest_;
  // Not ok while latest_ is incomplete (its last rebuild failed): BeginBatch refuses with it.
  // Apply thread only.
  Status index_error_;

  // Serialises physical compaction steps with Reload() and shutdown.
  std::mutex compact_mu_;
  std::optional<CompactionPass> pass_;  // guarded by compact_mu_
  Status compaction_error_;             // guarded by state_mu_: the last step's error

  // Wake-ups of the compaction thread.
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  uint64_t wake_seq_ = 0;  // guarded by wake_mu_; bumped when there may be new work
  bool stop_ = false;      // guarded by wake_mu_
  std::thread compactor_;
};

}  // namespace raftkv::storage
