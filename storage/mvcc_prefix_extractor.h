// The prefix extractor of Family::kMvccKv, which lets a single-key read skip the table files
// that hold no version of its key.
//
// A version key's prefix is its KeyPrefix (generation, escaped user key, terminator: the key
// without its revision, mvcc_keys.h), so each table file's prefix Bloom filter answers "may this
// file hold a version of user key k?". A read of one key at revision R seeks
// VersionKeyFromPrefix(KeyPrefix(k), R) with ReadOptions::prefix_same_as_start, and RocksDB reads
// a data block only of the files whose filter says yes: in a large store, one file instead of one
// per L0 file and level. The memtables keep a filter of the same prefixes, so such a read skips
// the skiplist search of a memtable that holds no version of its key.
//
// Every other iterator over the family must set ReadOptions::total_order_seek
// (TotalOrderReadOptions, storage/database.h): in prefix mode RocksDB may leave out a file whose
// filter rejects the seek key's prefix, and so hide the other user keys the file holds. Keys that
// are not exactly version keys (key prefixes, generation bounds) are outside the extractor's
// domain, so the table filters never reject a seek to one; a prefix-mode iterator still stops
// at the first key whose prefix differs from the seek key's, so such a seek belongs in total
// order anyway.
//
// Damage: a one-key read ends at the first key of its range that is not a well-formed version
// key, where a total-order read would report it as Corruption.
#pragma once

#include <memory>

namespace rocksdb {
class SliceTransform;
}  // namespace rocksdb

namespace raftkv::storage {

// The extractor. Its name is recorded in every table file; a file written under another name (or
// none, before raftkv had one) is read without its filter, never wrongly.
std::shared_ptr<const rocksdb::SliceTransform> NewVersionKeyPrefixExtractor();

}  // namespace raftkv::storage
