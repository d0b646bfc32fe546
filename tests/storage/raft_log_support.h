// Helpers shared by the raft log tests (tests/storage/raft_log_*_test.cc) and the crash-test
// writer (raft_log_writer_main.cc): entries whose payload can be verified from their index and
// term alone, and a Database + RaftLogStore pair opened on a directory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "proto/raft.pb.h"
#include "raft/status.h"
#include "storage/database.h"
#include "storage/raft_log_store.h"

// Fails the test (fatally) when `expr` yields a non-ok Status, printing the expression and it.
#define RAFTKV_ASSERT_OK(expr)                                                                    \
  do {                                                                                            \
    const ::raftkv::Status raftkv_assert_status_ = (expr);                                        \
    ASSERT_TRUE(raftkv_assert_status_.ok()) << #expr << ": " << raftkv_assert_status_.ToString(); \
  } while (0)

namespace raftkv::storage::testing {

// The payload of the entry at (index, term): 16..271 bytes, a function of both, so that an
// entry read back can be checked without knowing what was written.
std::string ExpectedPayload(uint64_t index, uint64_t term);

// A normal entry carrying ExpectedPayload(index, term).
raftpb::Entry VerifiableEntry(uint64_t index, uint64_t term);

// Ok if `entry` carries exactly ExpectedPayload(entry.index(), entry.term()); otherwise
// Corruption saying what differs.
[[nodiscard]] Status VerifyEntry(const raftpb::Entry& entry);

// A raft log open on a data directory. Members are destroyed store first, then the database.
struct OpenLog {
  std::unique_ptr<Database> db;
  std::unique_ptr<RaftLogStore> log;
};

// Opens the Database in `data_dir` (created if absent) and the RaftLogStore on it.
StatusOr<OpenLog> OpenLogAt(const std::string& data_dir,
                            std::shared_ptr<rocksdb::FileSystem> file_system = nullptr);

}  // namespace raftkv::storage::testing
