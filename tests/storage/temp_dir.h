// TempDir: a fresh directory under the system temp directory, removed with everything in it when
// the object goes away. Each storage test works in its own, so tests can run in parallel.
#pragma once

#include <string>

namespace raftkv::storage::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace raftkv::storage::testing
