// The network of a fault-harness cluster: where each member listens, and the faults of the links
// between members.
//
// NamespaceNetwork gives every member its own network namespace, joined to the others by a veth
// pair into one bridge that the harness creates in its own namespace (and removes again). Member
// i has the address 10.77.<block>.i (block: the harness's port block, so concurrent runs never
// share a subnet) and listens on etcd's ports 2379 (clients) and 2380 (peers); the harness's
// clients reach it through the bridge's address 10.77.<block>.254. Link faults are packet
// filters (nftables) in the receiving member's namespace: a cut link drops every packet from the
// sender, a lossy one drops a share of them at random. Clients' packets are never filtered, so a
// partition separates members from members, as Jepsen's do.
//
// LoopbackNetwork is the fallback where namespaces cannot be created (no root, no iproute2 or
// nftables): members on 127.0.0.1 with ports of the harness's block, and no link faults.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "raft/status.h"

namespace raftkv::fault::harness {

// The faults of every link at one moment, by (from, to) member pair (1-based). A link absent
// from both maps is healthy.
struct LinkFaults {
  std::set<std::pair<int, int>> cut;        // every packet from .first to .second is dropped
  std::map<std::pair<int, int>, int> loss;  // percent (1..99) of packets dropped at random

  bool empty() const { return cut.empty() && loss.empty(); }
};

// Where members listen, how a member process enters its network, and link faults.
class Network {
 public:
  virtual ~Network() = default;

  // "host:port" a member listens on for clients and for peers.
  virtual std::string ClientAddress(int member) const = 0;
  virtual std::string PeerAddress(int member) const = 0;
  // A descriptor of member's network namespace, for setns() in the child between fork and exec,
  // or -1 when members run in the harness's own namespace. Stays valid while this lives.
  virtual int NamespaceFd(int member) const = 0;
  // Whether SetLinks can do anything.
  virtual bool supports_link_faults() const = 0;
  // Replaces every link fault with `faults` (an empty set heals the network).
  [[nodiscard]] virtual Status SetLinks(const LinkFaults& faults) = 0;
  // One line for the report: what kind of network this is and, for the fallback, why.
  virtual std::string Describe() const = 0;
};

// The fallback: 127.0.0.1, member i on base_port + 10*i (clients) and + 1 (peers).
class LoopbackNetwork : public Network {
 public:
  LoopbackNetwork(int base_port, std::string why);
  std::string ClientAddress(int member) const override;
  std::string PeerAddress(int member) const override;
  int NamespaceFd(int) const override { return -1; }
  bool supports_link_faults() const override { return false; }
  [[nodiscard]] Status SetLinks(const LinkFaults& faults) override;
  std::string Describe() const override;

 private:
  const int base_port_;
  const std::string why_;  // why namespaces were not used
};

// One network namespace per member (see the top of this file). Create it with Create; the
// destructor removes the namespaces, the veth pairs and the bridge. Members' processes must be
// gone before it is destroyed (their namespace then disappears with them).
class NamespaceNetwork : public Network {
 public:
  // Builds the namespaces, veths and bridge for `members` members in subnet 10.77.<block>.0/24,
  // after removing leftovers of an earlier run that used the same block and was killed. Fails
  // (having removed whatever it made) when any step fails, e.g. without root.
  static StatusOr<std::unique_ptr<NamespaceNetwork>> Create(int members, int block);
  ~NamespaceNetwork() override;
  NamespaceNetwork(const NamespaceNetwork&) = delete;
  NamespaceNetwork& operator=(const NamespaceNetwork&) = delete;

  std::string ClientAddress(int member) const override;
  std::string PeerAddress(int member) const override;
  int NamespaceFd(int member) const override;
  bool supports_link_faults() const override { return true; }
  [[nodiscard]] Status SetLinks(const LinkFaults& faults) override;
  std::string Describe() const override;

 private:
  NamespaceNetwork(int members, int block);
  // The steps of Create; each fails with the command that failed and what it printed.
  [[nodiscard]] Status Build();
  // Removes namespaces, veths and bridge of this block, ignoring what does not exist.
  void TearDown();
  std::string NamespaceName(int member) const;
  std::string MemberIp(int member) const;
  // Replaces member's filter rules (the chain of the receiving side) with `rules`.
  [[nodiscard]] Status LoadRules(int member, const std::string& rules);

  const int members_;
  const int block_;                   // 0..255: names and the subnet's third byte
  std::vector<int> namespace_fds_;    // index member-1; open /run/netns/<name>, close-on-exec
  std::map<int, std::string> rules_;  // member -> rules loaded now (skip reloading the same)
};

}  // namespace raftkv::fault::harness
