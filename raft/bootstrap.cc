#include "raft/bootstrap.h"

#include <algorithm>

namespace raftkv::raft {

StatusOr<BootstrapState> MakeBootstrapState(const std::vector<uint64_t>& voters) {
  if (voters.empty()) return Status::InvalidArgument("bootstrap needs at least one voter");
  std::vector<uint64_t> ids = voters;
  std::sort(ids.begin(), ids.end());  // the same log on every founder, whatever the order given
  if (ids.front() == 0) return Status::InvalidArgument("member id 0 is reserved");
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
    return Status::InvalidArgument("bootstrap voters contain a duplicate id");
  }
  BootstrapState state;
  uint64_t index = 0;
  for (uint64_t id : ids) {
    raftpb::ConfChange cc;
    cc.set_type(raftpb::CONF_CHANGE_ADD_VOTER);
    cc.set_node_id(id);
    raftpb::Entry e;
    e.set_term(1);
    e.set_index(++index);
    e.set_type(raftpb::ENTRY_CONF_CHANGE);
    e.set_data(cc.SerializeAsString());
    state.entries.push_back(std::move(e));
    state.conf_state.add_voters(id);
  }
  state.hard_state.set_term(1);
  state.hard_state.set_commit(index);
  return state;
}

}  // namespace raftkv::raft
