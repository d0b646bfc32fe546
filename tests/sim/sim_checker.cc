#include "tests/sim/sim_checker.h"

#include <algorithm>
#include <set>

#include "tests/sim/sim_strings.h"
#include "tests/sim/sim_trace.h"

namespace raftkv::sim {
namespace {

std::string Ids(const google::protobuf::RepeatedField<uint64_t>& ids) {
  std::vector<uint64_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (uint64_t id : sorted) {
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

uint64_t EntryHash(const raftpb::Entry& e) {
  return HashBytes(e.data(), 0xcbf29ce484222325ULL + static_cast<uint64_t>(e.type()));
}

}  // namespace

std::string DescribeConf(const raftpb::ConfState& cs) {
  std::string out = "v{" + Ids(cs.voters()) + "}";
  if (cs.learners_size() > 0) out += " l{" + Ids(cs.learners()) + "}";
  return out;
}

SimChecker::SimChecker(uint64_t bootstrap_index, const raftpb::ConfState& founding_conf) {
  conf_history_[0] = raftpb::ConfState();
  conf_history_[bootstrap_index] = founding_conf;
}

void SimChecker::Fail(std::string_view rule, std::string detail) {
  if (violation_) return;
  violation_ = Violation{std::string(rule), std::move(detail)};
}

const raftpb::ConfState& SimChecker::ConfAt(uint64_t index) const {
  auto it = conf_history_.upper_bound(index);
  return std::prev(it)->second;  // index 0 is always present
}

// ---- Cores --------------------------------------------------------------------------------------

void SimChecker::ObserveCore(const CoreView& v) {
  Observed& o = observed_[v.id];
  if (v.committed < o.commit) {
    Fail(kCoreInvariant, StrCat("n", v.id, " commit index went back from ", o.commit, " to ",
                                v.committed, " without a restart"));
    return;
  }
  if (v.committed > o.commit) {
    // Every index up to the commit index is committed; record (or compare) the entry's term.
    // The node's current term bounds from above the term in which the entry was committed.
    uint64_t from =
        std::max<uint64_t>({o.commit + 1, v.first_index > 0 ? v.first_index - 1 : 0, uint64_t{1}});
    for (uint64_t i = from; i <= v.committed && !failed(); ++i) {
      StatusOr<uint64_t> t = v.term_at(i);
      if (!t.ok()) {
        if (i + 1 >= v.first_index) {  // inside the log: it must be answerable
          Fail(kCoreInvariant,
               StrCat("n", v.id, " commit index ", v.committed, " but its log has no term for ", i,
                      ": ", t.status().ToString()));
        }
        continue;
      }
      RecordCommitted(v.id, i, *t, v.term);
    }
    o.commit = v.committed;
  }
  if (v.leader) {
    auto [it, inserted] = leaders_.emplace(v.term, v.id);
    if (!inserted && it->second != v.id) {
      Fail(kElectionSafety,
           StrCat("n", it->second, " and n", v.id, " are both leaders of term ", v.term));
      return;
    }
    if (!o.leader || o.term != v.term) CheckLeaderCompleteness(v);
  }
  o.leader = v.leader;
  o.term = v.term;
}

void SimChecker::RecordCommitted(uint64_t node, uint64_t index, uint64_t term,
                                 uint64_t commit_term) {
  auto [it, inserted] = committed_.try_emplace(index, CommittedRecord{term, commit_term, node});
  if (inserted) return;
  if (it->second.term != term) {
    Fail(kStateMachineSafety, StrCat("index ", index, " committed with term ", it->second.term,
                                     " (seen on n", it->second.first_seen_by, ") but n", node,
                                     " has term ", term, " there within its commit index"));
    return;
  }
  it->second.commit_term = std::min(it->second.commit_term, commit_term);
}

void SimChecker::CheckLeaderCompleteness(const CoreView& v) {
  uint64_t from = std::max<uint64_t>(v.first_index > 0 ? v.first_index - 1 : 0, 1);
  for (auto it = committed_.lower_bound(from); it != committed_.end(); ++it) {
    const auto& [index, rec] = *it;
    if (rec.commit_term >= v.term) continue;  // committed later: not required (yet)
    if (index > v.last_index) {
      Fail(kLeaderCompleteness,
           StrCat("n", v.id, " became leader of term ", v.term, " but its log ends at ",
                  v.last_index, " and lacks index ", index, " (term ", rec.term,
                  ") committed in term ", rec.commit_term));
      return;
    }
    StatusOr<uint64_t> t = v.term_at(index);
    if (!t.ok()) continue;  // compacted into its snapshot
    if (*t != rec.term) {
      Fail(kLeaderCompleteness,
           StrCat("n", v.id, " became leader of term ", v.term, " with term ", *t, " at index ",
                  index, " where term ", rec.term, " was committed in term ", rec.commit_term));
      return;
    }
  }
}

// ---- Persistence and sending --------------------------------------------------------------------

void SimChecker::OnPersisted(uint64_t id, const raftpb::HardState& before,
                             const raftpb::HardState& after,
                             const std::vector<raftpb::Entry>& entries,
                             const raft::MemoryStorage& storage) {
  if (after.term() < before.term()) {
    Fail(kDurability,
         StrCat("n", id, " persisted term ", after.term(), " after term ", before.term()));
    return;
  }
  if (after.term() == before.term() && before.vote() != 0 && after.vote() != before.vote()) {
    Fail(kElectionSafety, StrCat("n", id, " voted for n", before.vote(), " and then for n",
                                 after.vote(), " in term ", after.term(), " (persisted votes)"));
    return;
  }
  if (after.commit() > storage.LastIndex()) {
    Fail(kDurability, StrCat("n", id, " persisted commit ", after.commit(),
                             " beyond its persisted log, which ends at ", storage.LastIndex()));
    return;
  }
  const uint64_t snapshot_index = storage.FirstIndex() - 1;
  for (size_t k = 0; k < entries.size(); ++k) {
    const raftpb::Entry& e = entries[k];
    if (e.index() <= snapshot_index) continue;  // ignored by storage (below its snapshot)
    uint64_t prev_term = 0;
    if (k > 0 && entries[k - 1].index() + 1 == e.index() &&
        entries[k - 1].index() > snapshot_index) {
      prev_term = entries[k - 1].term();
    } else {
      StatusOr<uint64_t> t = storage.Term(e.index() - 1);
      if (!t.ok()) {
        Fail(kUnexpectedError,
             StrCat("n", id, " persisted entry ", e.index(),
                    " but storage has no term for its predecessor: ", t.status().ToString()));
        return;
      }
      prev_term = *t;
    }
    if (e.term() < prev_term) {
      Fail(kLogMatching, StrCat("n", id, " persisted entry (", e.index(), ",", e.term(),
                                ") after an entry of higher term ", prev_term));
      return;
    }
    LogRecord rec{EntryHash(e), prev_term, id};
    auto [it, inserted] = log_.try_emplace({e.index(), e.term()}, rec);
    if (inserted) continue;
    if (it->second.data_hash != rec.data_hash) {
      Fail(kLogMatching, StrCat("entry (", e.index(), ",", e.term(), ") has different content on n",
                                it->second.first_node, " and n", id));
      return;
    }
    if (it->second.prev_term != rec.prev_term) {
      Fail(kLogMatching,
           StrCat("entry (", e.index(), ",", e.term(), ") follows term ", it->second.prev_term,
                  " on n", it->second.first_node, " but term ", rec.prev_term, " on n", id));
      return;
    }
  }
}

void SimChecker::OnSend(uint64_t id, const raftpb::Message& m, const raft::MemoryStorage& storage) {
  if (m.from() != id || m.to() == 0 || m.to() == id) {
    Fail(kDurability, StrCat("n", id, " emitted a misaddressed message ", m.from(), "->", m.to()));
    return;
  }
  const raftpb::HardState& hs = storage.hard_state();
  switch (m.type()) {
    case raftpb::MSG_VOTE:
      // A candidate's request implies its own vote for itself in m.term().
      if (hs.term() < m.term() || (hs.term() == m.term() && hs.vote() != id)) {
        Fail(kDurability, StrCat("n", id, " requested votes for term ", m.term(),
                                 " before persisting its own vote (persisted term ", hs.term(),
                                 " vote ", hs.vote(), ")"));
      }
      break;
    case raftpb::MSG_VOTE_RESPONSE:
      if (m.reject()) break;
      // A granted vote must be durable before it leaves (unless the voter has durably moved to
      // a later term, in which it can never vote in m.term() again).
      if (hs.term() < m.term() || (hs.term() == m.term() && hs.vote() != m.to())) {
        Fail(kElectionSafety,
             StrCat("n", id, " granted its vote in term ", m.term(), " to n", m.to(),
                    " but its persisted hard state is term ", hs.term(), " vote ", hs.vote()));
      }
      break;
    case raftpb::MSG_APPEND_RESPONSE:
      if (m.reject()) break;
      if (storage.LastIndex() < m.index()) {
        Fail(kDurability, StrCat("n", id, " acknowledged entries up to ", m.index(),
                                 " but its persisted log ends at ", storage.LastIndex()));
      }
      break;
    default:
      break;
  }
}

// ---- Applying -----------------------------------------------------------------------------------

void SimChecker::RecordStateHash(uint64_t node, uint64_t index, uint64_t state_hash,
                                 const char* how) {
  auto [it, inserted] = state_hash_at_.try_emplace(index, state_hash, node);
  if (!inserted && it->second.first != state_hash) {
    Fail(kStateMachineSafety, StrCat("state after index ", index, " on n", node, " (", how,
                                     ") differs from n", it->second.second, "'s"));
  }
}

void SimChecker::OnApplied(uint64_t id, uint64_t incarnation, const raftpb::Entry& e,
                           const Command* cmd, uint64_t state_hash) {
  const uint64_t index = e.index();
  auto c = committed_.find(index);
  if (c == committed_.end()) {
    Fail(kStateMachineSafety, StrCat("n", id, " applied index ", index, " (term ", e.term(),
                                     ") which no node had committed"));
    return;
  }
  if (c->second.term != e.term()) {
    Fail(kStateMachineSafety, StrCat("n", id, " applied (", index, ",", e.term(),
                                     ") but the committed entry there has term ", c->second.term));
    return;
  }
  AppliedRecord rec{e.term(), EntryHash(e), id};
  auto [it, inserted] = applied_.try_emplace(index, rec);
  if (!inserted && (it->second.term != rec.term || it->second.data_hash != rec.data_hash)) {
    Fail(kStateMachineSafety,
         StrCat("n", id, " applied a different entry at index ", index, " than n",
                it->second.first_node, " (terms ", e.term(), " vs ", it->second.term, ")"));
    return;
  }
  RecordStateHash(id, index, state_hash, "applied");
  if (cmd == nullptr) return;
  if (inserted) {
    key_history_[cmd->key][index] = cmd->value;
    first_applied_.try_emplace(cmd->id, index);
  }
  auto w = writes_.find(cmd->id);
  if (w != writes_.end() && !w->second.completed && w->second.node == id &&
      w->second.incarnation == incarnation) {
    // The client that proposed on this node gets its acknowledgement now.
    w->second.completed = true;
    ++writes_completed_;
    max_completed_write_ = std::max(max_completed_write_, index);
  }
}

void SimChecker::OnConfApplied(uint64_t id, uint64_t index, const raftpb::ConfState& cs) {
  auto [it, inserted] = conf_history_.try_emplace(index, cs);
  if (inserted) return;
  if (DescribeConf(it->second) != DescribeConf(cs)) {
    Fail(kConfiguration, StrCat("n", id, " has membership ", DescribeConf(cs), " after index ",
                                index, " where another node has ", DescribeConf(it->second)));
  }
}

void SimChecker::OnSnapshotInstalled(uint64_t id, const raftpb::SnapshotMetadata& md,
                                     uint64_t state_hash) {
  auto c = committed_.find(md.index());
  if (c == committed_.end() || c->second.term != md.term()) {
    Fail(kStateMachineSafety, StrCat("n", id, " installed a snapshot at (", md.index(), ",",
                                     md.term(), ") which is not a committed entry"));
    return;
  }
  RecordStateHash(id, md.index(), state_hash, "snapshot");
  if (failed()) return;
  const raftpb::ConfState& expected = ConfAt(md.index());
  if (DescribeConf(expected) != DescribeConf(md.conf_state())) {
    Fail(kConfiguration, StrCat("n", id, " installed a snapshot at ", md.index(),
                                " with membership ", DescribeConf(md.conf_state()),
                                " but the membership there is ", DescribeConf(expected)));
  }
}

// ---- Clients ------------------------------------------------------------------------------------

void SimChecker::OnWriteProposed(const std::string& write_id, uint64_t node, uint64_t incarnation) {
  writes_.try_emplace(write_id, WriteRecord{node, incarnation, false});
}

void SimChecker::OnReadStarted(const std::string& ctx, uint64_t node, const std::string& key) {
  reads_.try_emplace(ctx, ReadRecord{node, key, max_completed_write_});
}

std::string SimChecker::ReadKey(const std::string& ctx) const {
  auto it = reads_.find(ctx);
  return it == reads_.end() ? std::string() : it->second.key;
}

void SimChecker::OnReadState(uint64_t node, const raft::ReadState& rs) {
  auto it = reads_.find(rs.request_ctx);
  if (it == reads_.end() || it->second.node != node) {
    Fail(kLinearizableRead, StrCat("n", node, " got a read state for ctx '", rs.request_ctx,
                                   "' which it never asked for"));
    return;
  }
  if (rs.index < it->second.min_index) {
    Fail(kLinearizableRead, StrCat("read ", rs.request_ctx, " on n", node, " got read index ",
                                   rs.index, " but a write at index ", it->second.min_index,
                                   " was acknowledged before the read began"));
  }
}

std::string SimChecker::ValueAt(const std::string& key, uint64_t index) const {
  auto k = key_history_.find(key);
  if (k == key_history_.end()) return "";
  auto it = k->second.upper_bound(index);
  if (it == k->second.begin()) return "";
  return std::prev(it)->second;
}

void SimChecker::OnReadServed(uint64_t node, const std::string& ctx, uint64_t applied,
                              const std::string& value) {
  auto it = reads_.find(ctx);
  if (it == reads_.end()) return;  // reported by OnReadState already
  ++reads_checked_;
  std::string expected = ValueAt(it->second.key, applied);
  if (value != expected) {
    Fail(kLinearizableRead,
         StrCat("read ", ctx, " of '", it->second.key, "' on n", node, " at applied index ",
                applied, " returned '", value, "' but the log holds '", expected, "' there"));
  }
}

std::optional<uint64_t> SimChecker::FirstAppliedIndex(const std::string& write_id) const {
  auto it = first_applied_.find(write_id);
  if (it == first_applied_.end()) return std::nullopt;
  return it->second;
}

}  // namespace raftkv::sim
