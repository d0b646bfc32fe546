// FaultFileSystem: the fake beside RocksDB's file-system seam. It passes everything through to
// the real file system, except that while the disk is "full" every write, sync and file creation
// fails with NoSpace, as ENOSPC would, and the free space reported is zero, as statvfs would say.
// Tests use it to check that a full disk gives a clear error while the process stays up and serves
// reads, and that writes work again once space is freed.
#pragma once

#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>

namespace raftkv::storage {

class FaultFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultFileSystem(std::shared_ptr<rocksdb::FileSystem> base)
      : rocksdb::FileSystemWrapper(std::move(base)) {}

  static const char* kClassName() { return "RaftkvFaultFileSystem"; }
  const char* Name() const override { return kClassName(); }

  // While true, writes fail with NoSpace. Safe to flip from any thread.
  void SetDiskFull(bool full) { disk_full_.store(full); }
  bool disk_full() const { return disk_full_.load(); }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  // Zero bytes while the disk is full (RocksDB's own recovery polls this before resuming).
  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& options,
                                 uint64_t* free_space, rocksdb::IODebugContext* dbg) override;

 private:
  std::atomic<bool> disk_full_{false};
};

}  // namespace raftkv::storage
