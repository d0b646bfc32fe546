// storage_mvcc_bench: throughput of the MVCC store (storage/mvcc_store.h) on a real RocksDB in a
// temporary directory, without raft or the network.
//
// Two stores, each built once per process:
//   small  -- only the 100 keys the ranges read (a new store for puts and txns)
//   1M     -- 1,000,000 keys, loaded through MvccStore in batches of 10,000 puts, unsynced
// Keys are 8 bytes ("k" and 7 digits), values 256 bytes. Writes run on one thread, as the apply
// thread does, each request its own raft entry, committed (unsynced) every `batch` requests; the
// figures are requests per second ("ops/s"). Reads are MvccStore::Range on the committed state.
//
//   ./build/benchmarks/storage_mvcc_bench
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "storage/database.h"
#include "storage/mvcc_store.h"
#include "storage/mvcc_write_batch.h"

namespace raftkv::storage {
namespace {

constexpr int kLoadedKeys = 1'000'000;
constexpr int kLoadBatch = 10'000;
constexpr size_t kValueBytes = 256;
// The 100 keys of the prefix range: k00001xx.
constexpr int kPrefixFirst = 100;
constexpr int kPrefixKeys = 100;

std::string KeyName(int i) {
  char buf[16];
  snprintf(buf, sizeof(buf), "k%07d", i);
  return buf;
}

// A store in its own temporary directory, removed at exit.
struct BenchStore {
  std::string dir;
  std::unique_ptr<Database> db;
  std::unique_ptr<MvccStore> store;
  uint64_t next_index = 1;
  int keys = 0;  // keys k0000000..: loaded keys are [0, keys) or the prefix range only

  ~BenchStore() {
    store.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

std::unique_ptr<BenchStore> MakeStore(bool loaded) {
  auto s = std::make_unique<BenchStore>();
  std::string pattern = (std::filesystem::temp_directory_path() / "raftkv-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return nullptr;
  s->dir = pattern;
  DatabaseOptions options;
  options.data_dir = s->dir + "/member";
  auto db = Database::Open(options);
  if (!db.ok()) return nullptr;
  s->db = std::move(db).value();
  auto store = MvccStore::Open(s->db.get());
  if (!store.ok()) return nullptr;
  s->store = std::move(store).value();

  const std::string value(kValueBytes, 'v');
  const int first = loaded ? 0 : kPrefixFirst;
  const int last = loaded ? kLoadedKeys : kPrefixFirst + kPrefixKeys;
  for (int begin = first; begin < last; begin += kLoadBatch) {
    auto batch = s->store->BeginBatch();
    if (!batch.ok()) return nullptr;
    for (int i = begin; i < std::min(last, begin + kLoadBatch); ++i) {
      etcdserverpb::PutRequest put;
      put.set_key(KeyName(i));
      put.set_value(value);
      if (!(*batch)->Put(put).ok()) return nullptr;
    }
    if (!s->store->Commit(std::move(batch).value(), s->next_index++, false).ok()) return nullptr;
  }
  s->keys = loaded ? kLoadedKeys : 0;
  return s;
}

// The stores, built on first use. They are closed by an atexit handler registered after
// RocksDB's own static objects exist, so they close before those are destroyed.
BenchStore* g_stores[2] = {};

void CloseStores() {
  for (BenchStore*& s : g_stores) {
    delete s;
    s = nullptr;
  }
}

// The store for state.range(0): 0 = small, 1 = 1M keys.
BenchStore* StoreFor(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  if (g_stores[which] == nullptr) {
    g_stores[which] = MakeStore(which == 1).release();
    static const bool registered = std::atexit(CloseStores) == 0;
    (void)registered;
  }
  if (g_stores[which] == nullptr) state.SkipWithError("cannot build the store");
  return g_stores[which];
}

void Label(benchmark::State& state, const std::string& extra) {
  state.SetLabel(std::string(state.range(0) == 1 ? "1M keys" : "small store") + extra);
}

// Runs `op` once per iteration inside write batches of state.range(1) requests.
template <typename Op>
void RunWrites(benchmark::State& state, BenchStore* s, Op op) {
  const int per_batch = static_cast<int>(state.range(1));
  std::unique_ptr<MvccWriteBatch> batch;
  int in_batch = 0;
  for (auto _ : state) {
    if (!batch) batch = std::move(s->store->BeginBatch()).value();
    if (!op(*batch)) {
      state.SkipWithError("request failed");
      break;
    }
    if (++in_batch == per_batch) {
      if (!s->store->Commit(std::move(batch), s->next_index++, false).ok()) {
        state.SkipWithError("commit failed");
        break;
      }
      in_batch = 0;
    }
  }
  if (batch && !s->store->Commit(std::move(batch), s->next_index++, false).ok()) {
    state.SkipWithError("commit failed");
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  Label(state, ", batch " + std::to_string(per_batch));
}

// Put of a random key among 1M names (an overwrite on the loaded store, mostly a new key on the
// small one).
void BM_Put(benchmark::State& state) {
  BenchStore* s = StoreFor(state);
  if (s == nullptr) return;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> key(0, kLoadedKeys - 1);
  const std::string value(kValueBytes, 'w');
  etcdserverpb::PutRequest put;
  put.set_value(value);
  RunWrites(state, s, [&](MvccWriteBatch& b) {
    put.set_key(KeyName(key(rng)));
    return b.Put(put).ok();
  });
}

// Txn: if version(key) > 0 then put key, else put key (a compare plus one put).
void BM_Txn(benchmark::State& state) {
  BenchStore* s = StoreFor(state);
  if (s == nullptr) return;
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> key(0, kLoadedKeys - 1);
  etcdserverpb::TxnRequest txn;
  etcdserverpb::Compare* cmp = txn.add_compare();
  cmp->set_target(etcdserverpb::Compare::VERSION);
  cmp->set_result(etcdserverpb::Compare::GREATER);
  cmp->set_version(0);
  etcdserverpb::PutRequest* on_success = txn.add_success()->mutable_request_put();
  etcdserverpb::PutRequest* on_failure = txn.add_failure()->mutable_request_put();
  on_success->set_value(std::string(kValueBytes, 's'));
  on_failure->set_value(std::string(kValueBytes, 'f'));
  RunWrites(state, s, [&](MvccWriteBatch& b) {
    const std::string k = KeyName(key(rng));
    cmp->set_key(k);
    on_success->set_key(k);
    on_failure->set_key(k);
    return b.Txn(txn).ok();
  });
}

// Range of one existing key (of the prefix range's keys on the small store).
void BM_RangeSingleKey(benchmark::State& state) {
  BenchStore* s = StoreFor(state);
  if (s == nullptr) return;
  std::mt19937 rng(3);
  const bool loaded = state.range(0) == 1;
  std::uniform_int_distribution<int> key(loaded ? 0 : kPrefixFirst,
                                         loaded ? kLoadedKeys - 1 : kPrefixFirst + kPrefixKeys - 1);
  etcdserverpb::RangeRequest range;
  for (auto _ : state) {
    range.set_key(KeyName(key(rng)));
    auto r = s->store->Range(range);
    if (!r.ok() || r->kvs_size() != 1) {
      state.SkipWithError("range failed");
      break;
    }
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  Label(state, "");
}

// Range of the 100 keys with prefix "k00001".
void BM_RangePrefix100(benchmark::State& state) {
  BenchStore* s = StoreFor(state);
  if (s == nullptr) return;
  etcdserverpb::RangeRequest range;
  range.set_key("k00001");
  range.set_range_end("k00002");
  for (auto _ : state) {
    auto r = s->store->Range(range);
    if (!r.ok() || r->kvs_size() != kPrefixKeys) {
      state.SkipWithError("range failed");
      break;
    }
  }
  state.counters["ops/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  Label(state, "");
}

// Reads first (they expect the stores as loaded), then writes.
BENCHMARK(BM_RangeSingleKey)->Arg(0)->Arg(1);
BENCHMARK(BM_RangePrefix100)->Arg(0)->Arg(1);
BENCHMARK(BM_Put)->Args({0, 1})->Args({0, 64})->Args({1, 1})->Args({1, 64});
BENCHMARK(BM_Txn)->Args({0, 1})->Args({0, 64})->Args({1, 1})->Args({1, 64});

}  // namespace
}  // namespace raftkv::storage
