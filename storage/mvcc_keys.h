// The on-disk layout of the MVCC key space (storage/mvcc_store.h): how user keys, revisions and
// versions become RocksDB keys and values. Pure functions, no I/O.
//
// Family::kMvccKv, one entry per version of a user key:
//   key   = BigEndian64(generation) ‖ Escape(user key) ‖ 0x00 0x01 ‖ BigEndian64(~revision)
//   value = a VersionRecord (below)
// Escape() writes every 0x00 byte of the user key as 0x00 0xff and leaves the other bytes as
// they are; 0x00 0x01 terminates the user key. So
//   - RocksDB's bytewise order of the encoded keys is the bytewise order of the user keys, for
//     arbitrary bytes (0x00 and 0xff included): a user key and every key that extends it differ
//     at the terminator, and 0x00 0x01 sorts below both 0x00 0xff and any byte >= 0x01;
//   - all versions of one user key are adjacent, newest first (~revision ascends as the revision
//     descends), so the version visible at revision R is the first entry at or after
//     KeyPrefix(k) ‖ BigEndian64(~R);
//   - KeyPrefix(k) with its last byte raised to 0x02 sorts after every version of k and before
//     every other user key, which makes "seek to the next user key" one Seek.
//
// Family::kMvccMeta, bookkeeping, each key BigEndian64(generation) ‖ name:
//   "applied_index"   BigEndian64: the raft index of the last batch committed (absent = 0)
//   "revision"        BigEndian64: the store revision (absent = 1, a new store)
//   "compacted"       BigEndian64 of the int64: the compacted revision (absent = -1, never)
//   "physical"        BigEndian64 of the int64: revision up to which old versions are removed
//   "compact_cursor"  BigEndian64(target) ‖ KeyPrefix of the next user key of an unfinished
//                     physical compaction pass (absent = no pass in progress)
//
// Family::kNodeMeta, key "mvcc_generation": BigEndian64 of the active generation (absent = 1).
// Every key of the two MVCC families starts with its generation, so a snapshot restore can write
// a whole new generation beside the old one and switch with one batch (see MvccStore::Reload).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace raftkv::storage::mvcc {

// Key of the active generation's number in Family::kNodeMeta.
inline constexpr std::string_view kGenerationPointerKey = "mvcc_generation";
// Generation used when kGenerationPointerKey is absent.
inline constexpr uint64_t kFirstGeneration = 1;

// Names of the meta keys (without their generation prefix).
inline constexpr std::string_view kMetaAppliedIndex = "applied_index";
inline constexpr std::string_view kMetaRevision = "revision";
inline constexpr std::string_view kMetaCompacted = "compacted";
inline constexpr std::string_view kMetaPhysical = "physical";
inline constexpr std::string_view kMetaCompactCursor = "compact_cursor";
// Prefix of the cluster's member records: kMetaMemberPrefix ‖ BigEndian64(member id) -> the
// record's bytes (opaque to the store; the server keeps its members' names and client URLs
// there, so that they are replicated, survive restarts and travel with snapshots).
inline constexpr std::string_view kMetaMemberPrefix = "member/";

// BigEndian64(generation): the first 8 bytes of every key of that generation.
std::string GenerationPrefix(uint64_t generation);
// BigEndian64(generation + 1): the exclusive upper bound of the generation's keys.
std::string GenerationEnd(uint64_t generation);
// Generation prefix ‖ name: a key of Family::kMvccMeta.
std::string MetaKey(uint64_t generation, std::string_view name);

// Generation prefix ‖ Escape(user_key) ‖ terminator: the common prefix of the key's versions.
std::string KeyPrefix(uint64_t generation, std::string_view user_key);
// The first key after every version of the user key whose KeyPrefix is `key_prefix`.
std::string NextUserKey(std::string_view key_prefix);
// KeyPrefix(generation, user_key) ‖ BigEndian64(~revision).
std::string VersionKey(uint64_t generation, std::string_view user_key, int64_t revision);
// key_prefix ‖ BigEndian64(~revision).
std::string VersionKeyFromPrefix(std::string_view key_prefix, int64_t revision);

// A version key split into its parts (views into the stored key).
struct ParsedVersionKey {
  std::string_view key_prefix;  // generation ‖ escaped user key ‖ terminator
  int64_t revision = 0;
};
// False when `stored` is not a well-formed version key (damaged data).
bool ParseVersionKey(std::string_view stored, ParsedVersionKey* out);
// True only when `stored` is exactly a version key: a generation, an escaped user key (every
// 0x00 followed by 0xff), the terminator and an 8-byte revision. Stricter than ParseVersionKey:
// a key prefix, NextUserKey, a generation bound or damaged data all give false.
bool IsVersionKey(std::string_view stored);
// The user key of a key prefix. False when the escaping is malformed.
bool DecodeUserKey(std::string_view key_prefix, std::string* user_key);

// The value stored for one version.
struct VersionRecord {
  bool tombstone = false;       // the key was deleted at this revision
  int64_t create_revision = 0;  // live versions only
  int64_t version = 0;          // live versions only; 1 for the version that created the key
  int64_t lease = 0;            // live versions only
  std::string_view value;       // live versions only; a view into the encoded record
};
// Layout: flags byte (bit 0 = tombstone); for a live version then varint create_revision,
// varint version, varint lease (as uint64), and the value bytes up to the end.
std::string EncodeRecord(const VersionRecord& record);
// False when `stored` is not a well-formed record. record->value views `stored`.
bool DecodeRecord(std::string_view stored, VersionRecord* record);

// BigEndian64 of an int64 taken as its two's-complement uint64, and back (meta values).
std::string EncodeInt64(int64_t v);
// False unless `stored` is exactly 8 bytes.
bool DecodeInt64(std::string_view stored, int64_t* v);

}  // namespace raftkv::storage::mvcc
