// Model-based tests of the MVCC store: random sequences of puts, deletes, ranges (every
// option), transactions (nested, with compares) and compactions, in batches of one to four
// requests, run against MvccStore on RocksDB and against MvccModel (tests/storage/
// mvcc_model_support.h), comparing every response and error; the store is also read after each
// commit (current and historical revisions), flushed to a new table file and reopened now and
// then. Physical compaction runs
// in the background meanwhile, in tiny batches.
//
// Every failure names its seed; RAFTKV_TEST_SEED=<n> replays one seed.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <cstdlib>
#include <random>

#include "tests/storage/mvcc_harness_support.h"
#include "tests/storage/mvcc_model_support.h"

namespace raftkv::storage {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RangeRequest;
using etcdserverpb::TxnRequest;
using testing::MvccHarness;
using testing::MvccModel;
using testing::PrefixEnd;

// Keys chosen to meet at escape boundaries: 0x00 and 0xff bytes, prefixes of each other.
const std::vector<std::string> kKeys = {"a",
                                        "ab",
                                        "b",
                                        std::string("a\0", 2),
                                        std::string("\0", 1),
                                        "\xff",
                                        "\xff\xff",
                                        std::string("b\0c", 3),
                                        "c"};
const std::vector<std::string> kValues = {"", "x", "y", "zz", std::string("\0v", 2)};

class Generator {
 public:
  Generator(uint64_t seed, const MvccModel* model) : rng_(seed), model_(model) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(1, 100) <= percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  std::string Key() { return Pick(kKeys); }
  std::string RangeEnd(const std::string& key) {
    switch (Int(0, 3)) {
      case 0:
        return "";
      case 1:
        return std::string(1, '\0');
      case 2:
        return PrefixEnd(key);
      default:
        return Key();
    }
  }
  // A revision around the interesting ones: 0, negative, the compacted one, the current one.
  int64_t Revision() {
    const int64_t lo = std::max<int64_t>(model_->compacted() - 1, -1);
    return Chance(40) ? 0 : Int(static_cast<int>(lo), static_cast<int>(model_->revision() + 1));
  }

  etcdserverpb::PutRequest Put() {
    etcdserverpb::PutRequest p;
    p.set_key(Key());
    p.set_value(Pick(kValues));
    if (Chance(30)) p.set_lease(Int(1, 3));
    p.set_prev_kv(Chance(40));
    p.set_ignore_value(Chance(10));
    p.set_ignore_lease(Chance(10));
    return p;
  }
  etcdserverpb::DeleteRangeRequest Delete() {
    etcdserverpb::DeleteRangeRequest d;
    d.set_key(Key());
    d.set_range_end(Chance(50) ? "" : RangeEnd(d.key()));
    d.set_prev_kv(Chance(50));
    return d;
  }
  RangeRequest Range() {
    RangeRequest r;
    r.set_key(Key());
    r.set_range_end(RangeEnd(r.key()));
    r.set_revision(Revision());
    r.set_limit(Chance(50) ? 0 : Int(-1, 3));
    if (Chance(40)) r.set_sort_order(static_cast<RangeRequest::SortOrder>(Int(0, 2)));
    if (Chance(40)) r.set_sort_target(static_cast<RangeRequest::SortTarget>(Int(0, 4)));
    r.set_keys_only(Chance(15));
    r.set_count_only(Chance(10));
    if (Chance(20)) r.set_min_mod_revision(Int(0, static_cast<int>(model_->revision())));
    if (Chance(20)) r.set_max_mod_revision(Int(0, static_cast<int>(model_->revision())));
    if (Chance(20)) r.set_min_create_revision(Int(0, static_cast<int>(model_->revision())));
    if (Chance(20)) r.set_max_create_revision(Int(0, static_cast<int>(model_->revision())));
    return r;
  }
  Compare Cmp() {
    Compare c;
    c.set_key(Key());
    if (Chance(25)) c.set_range_end(RangeEnd(c.key()));
    c.set_target(static_cast<Compare::CompareTarget>(Int(0, 4)));
    c.set_result(static_cast<Compare::CompareResult>(Int(0, 3)));
    const int64_t n = Int(0, static_cast<int>(model_->revision()) + 1);
    // Mostly the operand matching the target; sometimes another one (compares as zero).
    const int which = Chance(85) ? static_cast<int>(c.target()) : Int(0, 4);
    switch (which) {
      case Compare::VERSION:
        c.set_version(Int(0, 3));
        break;
      case Compare::CREATE:
        c.set_create_revision(n);
        break;
      case Compare::MOD:
        c.set_mod_revision(n);
        break;
      case Compare::VALUE:
        c.set_value(Pick(kValues));
        break;
      default:
        c.set_lease(Int(0, 3));
        break;
    }
    return c;
  }
  TxnRequest Txn(int depth) {
    TxnRequest t;
    for (int i = Int(0, 2); i > 0; --i) *t.add_compare() = Cmp();
    for (auto* ops : {t.mutable_success(), t.mutable_failure()}) {
      for (int i = Int(0, 3); i > 0; --i) {
        etcdserverpb::RequestOp* op = ops->Add();
        switch (Int(0, depth > 0 ? 3 : 2)) {
          case 0:
            *op->mutable_request_range() = Range();
            break;
          case 1:
            *op->mutable_request_put() = Put();
            break;
          case 2:
            *op->mutable_request_delete_range() = Delete();
            break;
          default:
            *op->mutable_request_txn() = Txn(depth - 1);
            break;
        }
      }
    }
    return t;
  }

 private:
  std::mt19937_64 rng_;
  const MvccModel* model_;
};

std::string Describe(const Status& s) { return s.ok() ? "OK" : s.ToString(); }

// Compares a store result with a model result; returns a description of the difference.
template <typename Message>
std::string Diff(const StatusOr<Message>& store, const StatusOr<Message>& model) {
  if (store.ok() != model.ok() || (!store.ok() && !(store.status() == model.status()))) {
    return "status: store " + Describe(store.status()) + ", model " + Describe(model.status());
  }
  if (!store.ok()) return "";
  if (!google::protobuf::util::MessageDifferencer::Equals(*store, *model)) {
    return "response: store {" + store->ShortDebugString() + "}, model {" +
           model->ShortDebugString() + "}";
  }
  return "";
}

// Runs `steps` random requests with `seed`; returns the first difference ("" if none).
std::string RunSequence(uint64_t seed, int steps) {
  MvccOptions options;
  options.compaction_keys_per_batch = 2;
  options.compaction_deletes_per_batch = 3;
  MvccHarness h(options);
  MvccModel model;
  Generator gen(seed, &model);
  for (int step = 0; step < steps;) {
    auto batch = h.store().BeginBatch();
    if (!batch.ok()) return "BeginBatch: " + batch.status().ToString();
    std::string diff;
    std::string what;
    for (int n = gen.Int(1, 4); n > 0 && diff.empty(); --n, ++step) {
      const int kind = gen.Int(0, 99);
      if (kind < 30) {
        auto r = gen.Put();
        what = "put " + r.ShortDebugString();
        diff = Diff((*batch)->Put(r), model.Put(r));
      } else if (kind < 45) {
        auto r = gen.Delete();
        what = "delete " + r.ShortDebugString();
        diff = Diff((*batch)->DeleteRange(r), model.DeleteRange(r));
      } else if (kind < 60) {
        auto r = gen.Range();
        what = "range in batch " + r.ShortDebugString();
        diff = Diff((*batch)->Range(r), model.Range(r));
      } else if (kind < 95) {
        auto r = gen.Txn(2);
        what = "txn " + r.ShortDebugString();
        diff = Diff((*batch)->Txn(r), model.Txn(r));
      } else {
        etcdserverpb::CompactionRequest r;
        r.set_revision(gen.Revision());
        what = "compact " + r.ShortDebugString();
        diff = Diff((*batch)->Compact(r), model.Compact(r));
      }
    }
    if (!diff.empty()) return "step " + std::to_string(step) + ": " + what + ": " + diff;
    Status commit = h.store().Commit(std::move(batch).value(), h.TakeIndex(), false);
    if (!commit.ok()) return "commit: " + commit.ToString();
    if (h.store().revision() != model.revision() ||
        h.store().compacted_revision() != model.compacted()) {
      return "step " + std::to_string(step) + ": revisions differ: store " +
             std::to_string(h.store().revision()) + "/" +
             std::to_string(h.store().compacted_revision()) + ", model " +
             std::to_string(model.revision()) + "/" + std::to_string(model.compacted());
    }
    for (int i = 0; i < 3; ++i) {
      RangeRequest r = gen.Range();
      diff = Diff(h.store().Range(r), model.Range(r));
      if (!diff.empty()) {
        return "step " + std::to_string(step) + ": committed range " + r.ShortDebugString() + ": " +
               diff;
      }
    }
    if (gen.Chance(3)) {
      Status s = h.Reopen();
      if (!s.ok()) return "reopen: " + s.ToString();
    } else if (gen.Chance(10)) {
      // Spread the versions over many table files, so that reads go through the prefix filters
      // of the files that hold (or do not hold) their keys.
      rocksdb::Status s =
          h.db().db()->Flush(rocksdb::FlushOptions(), h.db().family(Family::kMvccKv));
      if (!s.ok()) return "flush: " + s.ToString();
    }
  }
  return "";
}

std::vector<uint64_t> Seeds() {
  if (const char* env = std::getenv("RAFTKV_TEST_SEED")) return {std::strtoull(env, nullptr, 10)};
  return {1, 2, 3, 4, 5, 6};
}

TEST(MvccModelTest, RandomSequencesMatchTheModel) {
  for (uint64_t seed : Seeds()) {
    const std::string diff = RunSequence(seed, 300);
    ASSERT_EQ(diff, "") << "seed " << seed << " (replay with RAFTKV_TEST_SEED=" << seed << ")";
  }
}

}  // namespace
}  // namespace raftkv::storage
