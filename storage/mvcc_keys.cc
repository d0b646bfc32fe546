#include "storage/mvcc_keys.h"

#include "storage/codec.h"

namespace raftkv::storage::mvcc {
namespace {

constexpr char kEscape = '\x00';
constexpr char kEscapedZero = '\xff';
constexpr char kTerminator = '\x01';
// Replaces kTerminator in NextUserKey: above every version of the key, below any longer key.
constexpr char kPastTerminator = '\x02';
constexpr uint8_t kTombstoneFlag = 1;

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool ReadVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string GenerationPrefix(uint64_t generation) { return BigEndian64(generation); }

std::string GenerationEnd(uint64_t generation) { return BigEndian64(generation + 1); }

std::string MetaKey(uint64_t generation, std::string_view name) {
  std::string key = GenerationPrefix(generation);
  key.append(name);
  return key;
}

std::string KeyPrefix(uint64_t generation, std::string_view user_key) {
  std::string key = GenerationPrefix(generation);
  key.reserve(key.size() + user_key.size() + 2 + 8);
  for (char c : user_key) {
    key.push_back(c);
    if (c == kEscape) key.push_back(kEscapedZero);
  }
  key.push_back(kEscape);
  key.push_back(kTerminator);
  return key;
}

std::string NextUserKey(std::string_view key_prefix) {
  std::string key(key_prefix);
  if (!key.empty()) key.back() = kPastTerminator;
  return key;
}

std::string VersionKeyFromPrefix(std::string_view key_prefix, int64_t revision) {
  std::string key(key_prefix);
  AppendBigEndian64(&key, ~static_cast<uint64_t>(revision));
  return key;
}

std::string VersionKey(uint64_t generation, std::string_view user_key, int64_t revision) {
  return VersionKeyFromPrefix(KeyPrefix(generation, user_key), revision);
}

bool ParseVersionKey(std::string_view stored, ParsedVersionKey* out) {
  // generation (8) + terminator (2) + revision (8) at the least.
  if (stored.size() < 18) return false;
  const std::string_view prefix = stored.substr(0, stored.size() - 8);
  if (prefix[prefix.size() - 2] != kEscape || prefix[prefix.size() - 1] != kTerminator) {
    return false;
  }
  out->key_prefix = prefix;
  out->revision = static_cast<int64_t>(~ReadBigEndian64(stored.substr(stored.size() - 8)));
  return true;
}

bool IsVersionKey(std::string_view stored) {
  if (stored.size() < 18) return false;
  for (size_t i = 8; i + 1 < stored.size(); ++i) {
    if (stored[i] != kEscape) continue;
    if (stored[i + 1] == kTerminator) return stored.size() - (i + 2) == 8;
    if (stored[i + 1] != kEscapedZero) return false;
    ++i;
  }
  return false;
}

bool DecodeUserKey(std::string_view key_prefix, std::string* user_key) {
  if (key_prefix.size() < 10) return false;
  std::string_view escaped = key_prefix.substr(8, key_prefix.size() - 10);
  user_key->clear();
  user_key->reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    user_key->push_back(escaped[i]);
    if (escaped[i] == kEscape) {
      if (i + 1 >= escaped.size() || escaped[i + 1] != kEscapedZero) return false;
      ++i;
    }
  }
  return true;
}

std::string EncodeRecord(const VersionRecord& record) {
  std::string out;
  if (record.tombstone) {
    out.push_back(static_cast<char>(kTombstoneFlag));
    return out;
  }
  out.reserve(1 + 3 * 10 + record.value.size());
  out.push_back('\0');
  AppendVarint(&out, static_cast<uint64_t>(record.create_revision));
  AppendVarint(&out, static_cast<uint64_t>(record.version));
  AppendVarint(&out, static_cast<uint64_t>(record.lease));
  out.append(record.value);
  return out;
}

bool DecodeRecord(std::string_view stored, VersionRecord* record) {
  if (stored.empty()) return false;
  const auto flags = static_cast<uint8_t>(stored.front());
  stored.remove_prefix(1);
  *record = VersionRecord{};
  if (flags == kTombstoneFlag) {
    record->tombstone = true;
    return stored.empty();
  }
  if (flags != 0) return false;
  uint64_t create = 0, version = 0, lease = 0;
  if (!ReadVarint(&stored, &create) || !ReadVarint(&stored, &version) ||
      !ReadVarint(&stored, &lease)) {
    return false;
  }
  record->create_revision = static_cast<int64_t>(create);
  record->version = static_cast<int64_t>(version);
  record->lease = static_cast<int64_t>(lease);
  record->value = stored;
  return true;
}

std::string EncodeInt64(int64_t v) { return BigEndian64(static_cast<uint64_t>(v)); }

bool DecodeInt64(std::string_view stored, int64_t* v) {
  if (stored.size() != 8) return false;
  *v = static_cast<int64_t>(ReadBigEndian64(stored));
  return true;
}

}  // namespace raftkv::storage::mvcc
