// Core: log replication -- appends, heartbeats, snapshots, flow control and the commit rule
// (sections 5.3, 5.4.2, 7; thesis 10.2.1 for the leader's own persistence).
#include "raft/core.h"

#include <algorithm>

namespace raftkv::raft {

void Core::AppendEntries(std::vector<raftpb::Entry> entries) {
  uint64_t index = log_.LastIndex();
  for (auto& e : entries) {
    e.set_term(term_);
    e.set_index(++index);
  }
  log_.Append(std::move(entries));
  // The leader's own progress moves only when Advance() reports these entries persisted.
}

void Core::HandlePropose(const raftpb::Message& m) {
  if (m.entries_size() == 0) return;
  // Forwarded proposals are dropped silently in these cases; their proposers time out.
  if (!tracker_.IsMember(id_) || lead_transferee_ != 0) return;
  std::vector<raftpb::Entry> entries(m.entries().begin(), m.entries().end());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].type() != raftpb::ENTRY_CONF_CHANGE) continue;
    if (pending_conf_index_ > log_.applied()) {
      // One membership change at a time (4.1): a second one becomes a no-op.
      entries[i].set_type(raftpb::ENTRY_NORMAL);
      entries[i].clear_data();
    } else {
      pending_conf_index_ = log_.LastIndex() + i + 1;
    }
  }
  AppendEntries(std::move(entries));
  BroadcastAppend();
}

void Core::MaybeUpdateSelfProgress() {
  Progress* self = tracker_.Get(id_);
  if (self == nullptr) return;
  if (self->MaybeUpdate(log_.StableLastIndex()) && MaybeCommit()) BroadcastAppend();
}

bool Core::MaybeCommit() {
  // Only an entry of the current term is committed by counting replicas (5.4.2); earlier ones
  // are committed indirectly with it.
  if (!log_.MaybeCommit(tracker_.QuorumMatchIndex(), term_)) return false;
  if (!reads_waiting_for_commit_.empty()) ReleaseReadsWaitingForCommit();
  return true;
}

bool Core::MaybeSendAppend(uint64_t to, bool send_if_empty) {
  if (to == id_) return false;
  Progress* pr = tracker_.Get(to);
  if (pr == nullptr || pr->IsPaused()) return false;
  uint64_t prev_index = pr->next - 1;
  StatusOr<uint64_t> prev_term = log_.Term(prev_index);
  StatusOr<std::vector<raftpb::Entry>> entries = log_.EntriesFrom(pr->next, max_msg_size_);
  if (!prev_term.ok() || !entries.ok()) {
    // What the follower needs was compacted away: send a snapshot instead (section 7).
    return SendSnapshot(to, *pr);
  }
  if (entries->empty() && !send_if_empty) return false;
  raftpb::Message m;
  m.set_type(raftpb::MSG_APPEND);
  m.set_to(to);
  m.set_index(prev_index);
  m.set_log_term(*prev_term);
  m.set_commit(log_.committed());
  if (!entries->empty()) {
    uint64_t bytes = 0;
    for (const auto& e : *entries) bytes += EntrySize(e);
    pr->SentEntries(entries->back().index(), bytes);
    m.mutable_entries()->Reserve(static_cast<int>(entries->size()));
    for (auto& e : *entries) *m.add_entries() = std::move(e);
  } else if (pr->state == ProgressState::kProbe) {
    pr->probe_sent = true;
  }
  Send(std::move(m));
  return true;
}

bool Core::SendSnapshot(uint64_t to, Progress& pr) {
  // A snapshot is expensive: only for a follower that answered recently.
  if (!pr.recent_active) return false;
  StatusOr<raftpb::Snapshot> snap = log_.Snapshot();
  if (!snap.ok() || snap->metadata().index() == 0) return false;  // retried on a later probe
  pr.BecomeSnapshot(snap->metadata().index());
  raftpb::Message m;
  m.set_type(raftpb::MSG_SNAPSHOT);
  m.set_to(to);
  *m.mutable_snapshot() = std::move(snap).value();
  Send(std::move(m));
  return true;
}

void Core::BroadcastAppend() {
  for (auto& [id, pr] : tracker_.progress()) {
    if (id != id_) SendAppend(id);
  }
}

void Core::BroadcastHeartbeat() {
  uint64_t round = reads_.current_round();
  for (auto& [id, pr] : tracker_.progress()) {
    if (id != id_) SendHeartbeat(id, round);
  }
}

void Core::SendHeartbeat(uint64_t to, uint64_t read_round) {
  const Progress* pr = tracker_.Get(to);
  if (pr == nullptr) return;
  raftpb::Message m;
  m.set_type(raftpb::MSG_HEARTBEAT);
  m.set_to(to);
  // Never tell a follower to commit beyond what it is known to hold.
  m.set_commit(std::min(pr->match, log_.committed()));
  m.set_read_round(read_round);
  Send(std::move(m));
}

void Core::HandleAppend(const raftpb::Message& m) {
  raftpb::Message resp;
  resp.set_to(m.from());
  resp.set_type(raftpb::MSG_APPEND_RESPONSE);
  if (m.index() < log_.committed()) {
    // Everything up to our commit index matches the leader (Log Matching): say so.
    resp.set_index(log_.committed());
    Send(std::move(resp));
    return;
  }
  std::vector<raftpb::Entry> entries(m.entries().begin(), m.entries().end());
  StatusOr<std::optional<uint64_t>> appended =
      log_.MaybeAppend(m.index(), m.log_term(), m.commit(), entries);
  if (!appended.ok()) return;  // a leader asking to overwrite committed entries: ignore it
  if (appended->has_value()) {
    resp.set_index(**appended);
    Send(std::move(resp));
    return;
  }
  // Consistency check failed (5.3). Fast backtracking: suggest the last index whose term is at
  // most the leader's prevLogTerm, so the leader can skip a whole term per round trip.
  auto [hint_index, hint_term] =
      log_.FindConflictByTerm(std::min(m.index(), log_.LastIndex()), m.log_term());
  resp.set_reject(true);
  resp.set_index(m.index());
  resp.set_reject_hint(hint_index);
  resp.set_log_term(hint_term);
  Send(std::move(resp));
}

void Core::HandleHeartbeat(const raftpb::Message& m) {
  log_.CommitTo(m.commit());
  raftpb::Message resp;
  resp.set_to(m.from());
  resp.set_type(raftpb::MSG_HEARTBEAT_RESPONSE);
  resp.set_read_round(m.read_round());
  Send(std::move(resp));
}

void Core::HandleSnapshot(const raftpb::Message& m) {
  const raftpb::SnapshotMetadata& md = m.snapshot().metadata();
  raftpb::Message resp;
  resp.set_to(m.from());
  resp.set_type(raftpb::MSG_APPEND_RESPONSE);
  if (md.index() <= log_.committed()) {
    resp.set_index(log_.committed());  // we are past it already
  } else if (log_.MatchTerm(md.index(), md.term())) {
    // We hold the snapshot's last entry: it and everything before it is committed.
    log_.CommitTo(md.index());
    resp.set_index(log_.committed());
  } else if (ready_outstanding_) {
    // The application may still be applying membership changes handed out in the outstanding
    // Ready; installing a configuration from the future under them would corrupt it. Ignore the
    // snapshot: the leader probes again and re-sends it.
    return;
  } else {
    log_.Restore(m.snapshot());
    tracker_.Reset(md.conf_state(), log_.LastIndex() + 1);
    resp.set_index(log_.LastIndex());
  }
  Send(std::move(resp));
}

void Core::HandleAppendResponse(const raftpb::Message& m) {
  Progress* pr = tracker_.Get(m.from());
  if (pr == nullptr) return;
  pr->recent_active = true;
  if (m.reject()) {
    uint64_t next_probe = m.reject_hint();
    if (m.log_term() > 0) {
      // Skip every entry of ours whose term is above the follower's term at the hint.
      next_probe = log_.FindConflictByTerm(m.reject_hint(), m.log_term()).first;
    }
    if (pr->MaybeDecreaseTo(m.index(), next_probe)) {
      if (pr->state == ProgressState::kReplicate) pr->BecomeProbe();
      SendAppend(m.from());
    }
    return;
  }
  // An acknowledgement that raises nothing still answers a probe when it confirms the match.
  bool confirms_probe = pr->state == ProgressState::kProbe && pr->match == m.index();
  if (!pr->MaybeUpdate(m.index()) && !confirms_probe) return;
  switch (pr->state) {
    case ProgressState::kProbe:
      pr->BecomeReplicate();
      break;
    case ProgressState::kSnapshot:
      if (pr->match >= pr->pending_snapshot) {
        pr->BecomeProbe();
        pr->BecomeReplicate();
      }
      break;
    case ProgressState::kReplicate:
      pr->inflights.FreeLE(m.index());
      break;
  }
  if (MaybeCommit()) {
    BroadcastAppend();
  }
  // Pipelining: keep the window full.
  while (MaybeSendAppend(m.from(), false)) {
  }
  if (m.from() == lead_transferee_ && pr->match == log_.LastIndex()) SendTimeoutNow(m.from());
}

void Core::HandleHeartbeatResponse(const raftpb::Message& m) {
  Progress* pr = tracker_.Get(m.from());
  if (pr == nullptr) return;
  pr->recent_active = true;
  pr->probe_sent = false;
  // The follower is alive: let one more append through a full window.
  if (pr->state == ProgressState::kReplicate && pr->inflights.Full()) pr->inflights.FreeFirstOne();
  if (pr->match < log_.LastIndex()) SendAppend(m.from());
  if (m.read_round() != 0) {
    const std::set<uint64_t>* acks = reads_.Ack(m.read_round(), m.from());
    if (acks != nullptr && tracker_.HasQuorum(*acks)) FinishReadRound();
  }
}

}  // namespace raftkv::raft
