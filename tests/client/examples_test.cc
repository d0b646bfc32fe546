// The programs of client/examples/ run against a real 3-member kvd cluster and exit 0; two CAS
// counters running at once count every increment; the lock example waits while the lock is held
// and takes it once released.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "tests/client/client_test_support.h"

namespace raftkv::client::testing {
namespace {

using ExamplesTest = ClusterTest;

// A running example with its stdout and stderr on a pipe. Bounded by coreutils' timeout, so a
// hung example fails the test instead of hanging it.
class Example {
 public:
  Example(const std::string& name, const std::string& args) {
    const std::string command =
        "timeout 120 " + std::string(RAFTKV_EXAMPLES_DIR) + "/" + name + " " + args + " 2>&1";
    pipe_ = popen(command.c_str(), "r");
  }
  ~Example() {
    if (pipe_ != nullptr) Finish();
  }

  // The next line it printed, or "" at the end of its output.
  std::string ReadLine() {
    char buffer[4096];
    if (pipe_ == nullptr || std::fgets(buffer, sizeof(buffer), pipe_) == nullptr) return "";
    output_ += buffer;
    return buffer;
  }
  // Reads the rest of the output and returns the exit code.
  int Finish() {
    while (!ReadLine().empty()) {
    }
    const int status = pclose(pipe_);
    pipe_ = nullptr;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& output() const { return output_; }

 private:
  FILE* pipe_ = nullptr;
  std::string output_;  // everything read so far
};

TEST_F(ExamplesTest, ConfigExampleWritesAndReadsBackItsKeys) {
  Example example("config_example", AddressList());
  ASSERT_EQ(example.Finish(), 0) << example.output();
  EXPECT_NE(example.output().find("read 3 keys under examples/config/"), std::string::npos)
      << example.output();
  GetOptions prefix;
  prefix.prefix = true;
  auto got = client().Get("examples/config/", prefix);
  ASSERT_OK(got);
  EXPECT_EQ(got->count, 3);
}

TEST_F(ExamplesTest, TwoCasCountersAtOnceCountEveryIncrement) {
  Example first("cas_counter_example", "http://" + Address(1) + " 10");
  Example second("cas_counter_example", Address(3) + "," + Address(2) + " 10");
  ASSERT_EQ(first.Finish(), 0) << first.output();
  ASSERT_EQ(second.Finish(), 0) << second.output();
  auto counter = client().Get("examples/counter");
  ASSERT_OK(counter);
  ASSERT_EQ(counter->kvs.size(), 1u);
  EXPECT_EQ(counter->kvs[0].value, "20") << first.output() << second.output();
}

TEST_F(ExamplesTest, LockExampleWaitsForAHeldLockThenTakesAndReleasesIt) {
  ASSERT_OK(client().Put("examples/lock", "the test"));
  Example example("lock_example", AddressList());
  // It reports the holder and waits (the line is the condition, no sleep).
  const std::string line = example.ReadLine();
  EXPECT_NE(line.find("lock held by the test; waiting"), std::string::npos) << line;
  ASSERT_OK(client().Delete("examples/lock"));
  ASSERT_EQ(example.Finish(), 0) << example.output();
  EXPECT_NE(example.output().find("released examples/lock"), std::string::npos) << example.output();
  auto lock = client().Get("examples/lock");
  ASSERT_OK(lock);
  EXPECT_TRUE(lock->kvs.empty()) << "released";
  auto work = client().Get("examples/lock_protected");
  ASSERT_OK(work);
  ASSERT_EQ(work->kvs.size(), 1u);
  EXPECT_EQ(work->kvs[0].value.rfind("last written by lock_example-", 0), 0u);
}

}  // namespace
}  // namespace raftkv::client::testing
