// fault_run: the Jepsen-style fault tests (issue 6). Starts a real kvd cluster, each member in
// its own network namespace where the machine allows (network.h; else on 127.0.0.1 without
// partitions), runs a workload (workload.h: register, set or bank) against it while a seeded
// nemesis (nemesis.h) kills, pauses, partitions, slows and moves the leadership of members,
// heals everything, lets the clients run a short final phase, then checks what the clients
// recorded and writes the history and a report.
//
// Exit code: 0 valid (linearizable, no acknowledged add lost, totals intact), 1 invalid, 2 the
// check could not decide (checker budget) or a harness error.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/fault/harness/cluster.h"
#include "tests/fault/harness/nemesis.h"
#include "tests/fault/harness/network.h"
#include "tests/fault/harness/workload.h"
#include "tests/fault/history.h"
#include "tests/fault/linearizability.h"
#include "tests/fault/report.h"
#include "tests/support/test_ports.h"

namespace raftkv::fault::harness {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kExitValid = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitError = 2;

// Parses "250ms", "20s", "2m" (a bare number is seconds).
StatusOr<milliseconds> ParseDuration(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  if (digits == 0 || digits > 9) return Status::InvalidArgument("bad duration '" + text + "'");
  const long long n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (unit == "ms") return milliseconds(n);
  if (unit == "s" || unit.empty()) return milliseconds(n * 1000);
  if (unit == "m") return milliseconds(n * 60'000);
  return Status::InvalidArgument("bad duration unit in '" + text + "' (ms, s or m)");
}

// The command line.
struct Options {
  milliseconds duration{30'000};
  uint64_t seed = 1;
  std::set<std::string> nemeses;  // empty: none
  std::string nemesis_text = "none";
  std::string workload = "register";
  std::string network = "auto";  // auto, namespaces or loopback
  int members = 5;
  int clients = 8;
  int keys = 4;
  std::string kvd = RAFTKV_KVD_BINARY;
  std::string out = "fault_run_out";
  std::vector<std::string> kvd_flags;
  milliseconds check_timeout{15'000};
  milliseconds final_phase{2'000};
};

// The network --network asks for: namespaces when they can be made (auto falls back to loopback
// and says why), or loopback. Null when --network=namespaces cannot be had.
std::unique_ptr<Network> MakeNetwork(const Options& options, int base_port) {
  const int block = (base_port - raftkv::testing::kFirstPort) / raftkv::testing::kPortBlockSize;
  std::string why = "--network=loopback";
  if (options.network != "loopback") {
    auto made = NamespaceNetwork::Create(options.members, block);
    if (made.ok()) return std::move(*made);
    why = "network namespaces unavailable: " + made.status().message();
    if (options.network == "namespaces") {
      std::fprintf(stderr, "fault_run: %s\n", why.c_str());
      return nullptr;
    }
    std::fprintf(stderr, "fault_run: %s; running on loopback without partitions\n", why.c_str());
  }
  return std::make_unique<LoopbackNetwork>(base_port, why);
}

int Run(const Options& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options.out, ec);
  if (ec) {
    std::fprintf(stderr, "fault_run: cannot create %s: %s\n", options.out.c_str(),
                 ec.message().c_str());
    return kExitError;
  }
  for (int i = 1; i <= options.members; ++i) {
    fs::remove(fs::path(options.out) / ("member" + std::to_string(i) + ".log"), ec);
  }
  char data_template[] = "/tmp/fault_run.XXXXXX";
  if (mkdtemp(data_template) == nullptr) {
    std::fprintf(stderr, "fault_run: cannot create a data directory\n");
    return kExitError;
  }
  const std::string data_dir = data_template;

  ClusterOptions cluster_options;
  cluster_options.kvd_binary = options.kvd;
  cluster_options.data_dir = data_dir;
  cluster_options.log_dir = options.out;
  cluster_options.members = options.members;
  cluster_options.extra_flags = options.kvd_flags;
  // The port block also names the namespaces and the subnet, so concurrent runs never meet.
  const int base_port = raftkv::testing::ClaimPortBlock();
  if (base_port == 0) {
    std::cerr << "fault_run: no free port block (tests/support/test_ports.h)\n";
    return kExitError;
  }
  auto network = MakeNetwork(options, base_port);
  if (network == nullptr) return kExitError;
  cluster_options.network = network.get();
  std::set<std::string> nemeses = options.nemeses;
  std::string skipped_kinds;
  if (!network->supports_link_faults()) {
    for (const std::string& kind : kLinkFaultKinds) {
      if (nemeses.erase(kind) > 0) skipped_kinds += (skipped_kinds.empty() ? "" : ", ") + kind;
    }
    if (!skipped_kinds.empty()) {
      std::fprintf(stderr, "fault_run: skipping %s: %s\n", skipped_kinds.c_str(),
                   network->Describe().c_str());
    }
  }

  int exit_code = kExitError;
  std::ostringstream report;
  {
    auto owned_cluster = std::make_unique<FaultCluster>(cluster_options);
    FaultCluster& cluster = *owned_cluster;
    WorkloadOptions workload_options;
    workload_options.clients = options.clients;
    workload_options.keys = options.keys;
    workload_options.seed = options.seed;
    for (int i = 1; i <= options.members; ++i) {
      workload_options.addresses.push_back(cluster.ClientAddress(i));
    }
    std::unique_ptr<Workload> owned_workload = MakeWorkload(options.workload, workload_options);
    Workload& workload = *owned_workload;
    Nemesis nemesis(nemeses, options.seed, &cluster, network.get(), &workload);

    Status harness = Status::Ok();
    for (int i = 1; i <= options.members && harness.ok(); ++i) harness = cluster.Start(i);
    if (harness.ok() && cluster.WaitForLeader(Clock::now() + milliseconds(20'000)) == 0) {
      harness = Status::Unavailable("the cluster elected no leader within 20 s (see " +
                                    options.out + "/member*.log)");
    }
    if (harness.ok()) {
      std::fprintf(stderr, "fault_run: cluster up (%s), running %lld ms\n",
                   network->Describe().c_str(), static_cast<long long>(options.duration.count()));
      workload.Start();
      harness = nemesis.Run(Clock::now() + options.duration);
      // Heal: the network, the paused, the dead; then a final phase without faults.
      if (harness.ok()) harness = network->SetLinks({});
      for (int i = 1; i <= options.members; ++i) {
        cluster.Resume(i);
        if (!cluster.running(i) && harness.ok()) harness = cluster.Start(i);
      }
      if (harness.ok() && cluster.WaitForLeader(Clock::now() + milliseconds(20'000)) == 0) {
        harness = Status::Unavailable("no leader after healing");
      }
      if (harness.ok()) std::this_thread::sleep_for(options.final_phase);
      workload.Stop();
      if (harness.ok()) harness = workload.FinalRead(Clock::now() + milliseconds(20'000));
    }
    // Kill the cluster before the check, to free the CPU for it.
    owned_cluster.reset();

    report << "fault_run report\n"
           << "seed " << options.seed << ", duration " << options.duration.count() << " ms"
           << ", members " << options.members << ", clients " << options.clients << ", keys "
           << options.keys << ", workload " << options.workload << ", nemesis "
           << options.nemesis_text << "\n";
    report << "kvd flags:";
    for (const std::string& f : options.kvd_flags) report << " " << f;
    report << (options.kvd_flags.empty() ? " (none)\n" : "\n");
    report << "network: " << network->Describe() << "\n";
    if (!skipped_kinds.empty())
      report << "nemeses skipped (no link faults): " << skipped_kinds << "\n";
    report << "faults injected:";
    for (const auto& [kind, count] : nemesis.injected()) report << " " << kind << " " << count;
    report << (nemesis.injected().empty() ? " none\n" : "\n");
    if (!harness.ok()) {
      report << "harness error: " << harness.ToString() << "\n";
    } else {
      const WorkloadVerdict verdict = workload.Check(options.out, options.check_timeout);
      report << verdict.report;
      exit_code = verdict.verdict == RunVerdict::kValid     ? kExitValid
                  : verdict.verdict == RunVerdict::kInvalid ? kExitInvalid
                                                            : kExitError;
    }
    if (!nemesis.log().empty()) {
      report << "\nnemesis log:\n";
      for (const std::string& line : nemesis.log()) report << "  " << line << "\n";
    }
  }
  network.reset();  // after the members are gone (the cluster was destroyed above)
  fs::remove_all(data_dir, ec);
  std::ofstream(options.out + "/report.txt") << report.str();
  std::cout << report.str() << "history and report in " << options.out << "\n";
  return exit_code;
}

}  // namespace
}  // namespace raftkv::fault::harness

int main(int argc, char** argv) {
  using raftkv::fault::harness::Options;
  Options options;
  std::string duration = "30s";
  std::string check_timeout = "15s";
  CLI::App app{
      "fault_run: a kvd cluster under faults, concurrent clients recording a history, and a "
      "check of it (issue 6): linearizability for the register workload, no lost acknowledged "
      "add for the set, an unchanged total for the bank. Members live in network namespaces of "
      "their own where the machine allows it (root, iproute2, nftables), else on 127.0.0.1 "
      "without partitions.\nExit code: 0 valid, 1 invalid, 2 undecided (checker budget) or "
      "harness error.",
      "fault_run"};
  app.add_option("--duration", duration, "How long faults are injected (e.g. 30s, 500ms, 2m).")
      ->capture_default_str();
  app.add_option("--seed", options.seed, "Seed of the nemesis and the clients.")
      ->capture_default_str();
  app.add_option("--nemesis", options.nemesis_text,
                 "none, or a comma-separated set of kill, pause, partition, slow, transfer, "
                 "stale-follower (nemesis.h describes each; partition and slow need network "
                 "namespaces).")
      ->capture_default_str();
  app.add_option("--network", options.network,
                 "auto (namespaces when possible, else loopback), namespaces (fail without "
                 "them) or loopback.")
      ->check(CLI::IsMember({"auto", "namespaces", "loopback"}))
      ->capture_default_str();
  app.add_option("--workload", options.workload,
                 "Workload: register (reads, writes, compare-and-set; checked for "
                 "linearizability), set (unique adds; a final read must hold every acknowledged "
                 "one) or bank (transfers; every read's total must stay the same).")
      ->check(CLI::IsMember(raftkv::fault::harness::kWorkloadNames))
      ->capture_default_str();
  app.add_option("--members", options.members, "Cluster size.")
      ->check(CLI::Range(1, 9))
      ->capture_default_str();
  app.add_option("--clients", options.clients, "Client threads (client c talks to member c%n).")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--keys", options.keys, "Keys the clients work on.")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--kvd", options.kvd, "The kvd binary.")->capture_default_str();
  app.add_option("--out", options.out,
                 "Directory for history.txt, report.txt and the members' logs.")
      ->capture_default_str();
  app.add_option("--kvd-flag", options.kvd_flags,
                 "Extra kvd flag, repeatable; write it with '=', e.g. "
                 "--kvd-flag=--unsafe-stale-reads-for-tests.")
      ->allow_extra_args(false);
  app.add_option("--check-timeout", check_timeout, "Checker time budget per key.")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; a bad command line is a harness error (2), not a verdict.
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto parsed = raftkv::fault::harness::ParseDuration(duration);
  auto parsed_check = raftkv::fault::harness::ParseDuration(check_timeout);
  if (!parsed.ok() || !parsed_check.ok()) {
    std::fprintf(stderr, "fault_run: %s\n",
                 (!parsed.ok() ? parsed.status() : parsed_check.status()).message().c_str());
    return 2;
  }
  options.duration = *parsed;
  options.check_timeout = *parsed_check;
  std::stringstream kinds(options.nemesis_text);
  for (std::string kind; std::getline(kinds, kind, ',');) {
    if (kind == "none") continue;
    if (!raftkv::fault::harness::kNemesisKinds.count(kind)) {
      std::fprintf(stderr,
                   "fault_run: unknown nemesis '%s' (kill, pause, partition, slow, transfer, "
                   "stale-follower)\n",
                   kind.c_str());
      return 2;
    }
    options.nemeses.insert(kind);
  }
  return raftkv::fault::harness::Run(options);
}
