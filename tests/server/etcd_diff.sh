#!/usr/bin/env bash
# Differential test: the same etcdctl 3.4 commands against a 3-member real etcd 3.4 and a
# 3-member kvd cluster on loopback; outputs must be identical once member ids, cluster ids,
# raft terms, ports, versions and database sizes are masked (issue 4, "Proof").
# Usage: etcd_diff.sh <kvd-binary> [base-port]. Needs Debian's etcd-server and etcd-client.
set -uo pipefail
kvd="$1"
base="${2:-}"
source "$(dirname "$0")/cluster_lib.sh"
use_scratch etcd-diff

command -v etcd >/dev/null && command -v etcdctl >/dev/null ||
  { echo "etcd_diff: etcd and etcdctl are required (apt-get install etcd-server etcd-client)"; exit 1; }

source "$(dirname "$0")/../support/test_ports.sh"
[[ -n "$base" ]] || claim_port_block || exit 1

head -c 2000000 /dev/zero | tr '\0' x >"$work/big"
start_cluster etcd etcd 0
[[ "$kvd" == etcd ]] && kvd=etcd
start_cluster "$kvd" kvd 50
wait_healthy 0 etcd
wait_healthy 50 kvd
run_script etcdctl 0 "$work/etcd.out"
run_script etcdctl 50 "$work/kvd.out"
normalize "$work/etcd.out" >"$work/etcd.norm"
normalize "$work/kvd.out" >"$work/kvd.norm"
if diff -u "$work/etcd.norm" "$work/kvd.norm"; then
  echo "etcd_diff: $(grep -c '^\$ ' "$work/etcd.out") commands, identical outputs"
  exit 0
fi
echo "etcd_diff: outputs differ (- etcd, + kvd)"
exit 1
