#include "tests/raft/test_util.h"

#include <gtest/gtest.h>

namespace raftkv::raft::test {

raftpb::Message Msg(raftpb::MessageType type, uint64_t from, uint64_t to, uint64_t term) {
  raftpb::Message m;
  m.set_type(type);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  return m;
}

raftpb::Entry Ent(uint64_t index, uint64_t term, std::string data) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(std::move(data));
  return e;
}

std::vector<raftpb::Entry> EntsWithTerms(const std::vector<uint64_t>& terms) {
  std::vector<raftpb::Entry> out;
  for (size_t i = 0; i < terms.size(); ++i) {
    out.push_back(Ent(i + 1, terms[i], "e" + std::to_string(i + 1)));
  }
  return out;
}

raftpb::ConfState MakeConfState(const std::vector<uint64_t>& voters,
                                const std::vector<uint64_t>& learners) {
  raftpb::ConfState cs;
  for (uint64_t v : voters) cs.add_voters(v);
  for (uint64_t l : learners) cs.add_learners(l);
  return cs;
}

void AddEntries(raftpb::Message* m, const std::vector<raftpb::Entry>& ents) {
  for (const auto& e : ents) *m->add_entries() = e;
}

std::vector<raftpb::Message> OfType(const std::vector<raftpb::Message>& msgs,
                                    raftpb::MessageType type) {
  std::vector<raftpb::Message> out;
  for (const auto& m : msgs) {
    if (m.type() == type) out.push_back(m);
  }
  return out;
}

Ready LoneCore::Flush() {
  if (!core->HasReady()) return Ready();
  Ready rd = core->GetReady();
  if (rd.snapshot) {
    Status s = storage->ApplySnapshot(*rd.snapshot);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  Status s = storage->Append(rd.entries);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (rd.hard_state) storage->SetHardState(*rd.hard_state);
  for (const raftpb::Entry& e : rd.committed_entries) {
    if (e.type() != raftpb::ENTRY_CONF_CHANGE) continue;
    raftpb::ConfChange cc;
    EXPECT_TRUE(cc.ParseFromString(e.data()));
    storage->SetConfState(core->ApplyConfChange(cc));
  }
  core->Advance();
  return rd;
}

void LoneCore::StepOk(const raftpb::Message& m) {
  Status s = core->Step(m);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

void LoneCore::Restart() {
  StatusOr<std::unique_ptr<Core>> c = Core::Create(config);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (c.ok()) core = std::move(c).value();
}

LoneCore MakeLoneCore(const LoneCoreSpec& spec) {
  LoneCore c;
  c.storage = std::make_unique<MemoryStorage>();
  c.storage->SetConfState(MakeConfState(spec.voters, spec.learners));
  Status s = c.storage->Append(EntsWithTerms(spec.log_terms));
  EXPECT_TRUE(s.ok()) << s.ToString();
  raftpb::HardState hs;
  hs.set_term(spec.term);
  hs.set_vote(spec.vote);
  hs.set_commit(spec.commit);
  c.storage->SetHardState(hs);
  c.config.id = spec.id;
  c.config.storage = c.storage.get();
  c.config.applied = spec.applied;
  c.config.pre_vote = spec.pre_vote;
  c.config.check_quorum = spec.check_quorum;
  c.config.election_tick = spec.election_tick;
  c.config.heartbeat_tick = spec.heartbeat_tick;
  c.config.seed = spec.seed;
  if (spec.tweak) spec.tweak(c.config);
  c.Restart();
  return c;
}

void MakeLeader(LoneCore& c) {
  const uint64_t id = c->id();
  c->Campaign();
  std::vector<uint64_t> others;
  for (uint64_t v : c->tracker().voters()) {
    if (v != id) others.push_back(v);
  }
  if (c->role() == Role::kPreCandidate) {
    uint64_t t = c->term() + 1;
    c.Flush();
    for (uint64_t v : others) {
      if (c->role() != Role::kPreCandidate) break;
      c.StepOk(Msg(raftpb::MSG_PRE_VOTE_RESPONSE, v, id, t));
    }
  }
  ASSERT_EQ(c->role(), Role::kCandidate);
  c.Flush();
  for (uint64_t v : others) {
    if (c->role() != Role::kCandidate) break;
    c.StepOk(Msg(raftpb::MSG_VOTE_RESPONSE, v, id, c->term()));
  }
  ASSERT_TRUE(c->is_leader());
}

}  // namespace raftkv::raft::test
