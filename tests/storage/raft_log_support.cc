#include "tests/storage/raft_log_support.h"

#include <utility>

#include "storage/codec.h"

namespace raftkv::storage::testing {
namespace {

// SplitMix64: a cheap, well-mixed function of its input.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::string ExpectedPayload(uint64_t index, uint64_t term) {
  std::string out;
  AppendBigEndian64(&out, index);
  AppendBigEndian64(&out, term);
  uint64_t state = Mix(index * 1000003 + term);
  const size_t filler = state % 256;
  for (size_t i = 0; i < filler; ++i) {
    state = Mix(state);
    out.push_back(static_cast<char>(state));
  }
  return out;
}

raftpb::Entry VerifiableEntry(uint64_t index, uint64_t term) {
  raftpb::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_type(raftpb::ENTRY_NORMAL);
  e.set_data(ExpectedPayload(index, term));
  return e;
}

Status VerifyEntry(const raftpb::Entry& entry) {
  if (entry.type() != raftpb::ENTRY_NORMAL) {
    return Status::Corruption("entry " + std::to_string(entry.index()) + " has the wrong type");
  }
  if (entry.data() != ExpectedPayload(entry.index(), entry.term())) {
    return Status::Corruption("entry " + std::to_string(entry.index()) + " (term " +
                              std::to_string(entry.term()) + ") carries a wrong payload of " +
                              std::to_string(entry.data().size()) + " bytes");
  }
  return Status::Ok();
}

StatusOr<OpenLog> OpenLogAt(const std::string& data_dir,
                            std::shared_ptr<rocksdb::FileSystem> file_system) {
  DatabaseOptions options;
  options.data_dir = data_dir;
  options.file_system = std::move(file_system);
  StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
  if (!db.ok()) return db.status();
  OpenLog out;
  out.db = std::move(db).value();
  StatusOr<std::unique_ptr<RaftLogStore>> log = RaftLogStore::Open(out.db.get());
  if (!log.ok()) return log.status();
  out.log = std::move(log).value();
  return out;
}

}  // namespace raftkv::storage::testing
