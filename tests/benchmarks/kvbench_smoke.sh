#!/usr/bin/env bash
# kvbench against a real 3-member kvd cluster on loopback: every workload completes every request
# without a failure and reports it in JSON (throughput, latency, the client's CPU per request);
# the keys a sequential put run writes are there afterwards; and a run against an endpoint where
# nothing listens fails every request and exits 1 instead of hanging or reporting success.
# Also grpc_floor (benchmarks/grpc_floor.cc): it answers every Range and Put kvbench sends, and
# counts them when it stops. Bounded: a few hundred requests per workload.
# Usage: kvbench_smoke.sh <kvbench> <kvd> <grpc_floor>.
set -uo pipefail
kvbench="$1"
kvd="$2"
grpc_floor="$3"
here="$(dirname "$0")"
source "$here/../server/cluster_lib.sh"
use_scratch kvbench-smoke
source "$here/../support/test_ports.sh"
claim_port_block || exit 1

fail() { echo "kvbench_smoke: $*"; exit 1; }
# poll_10s <command...>: true as soon as the command succeeds, false if it has not within 10 s.
poll_10s() {
  local i
  for ((i = 0; i < 200; i++)); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}
command -v etcdctl >/dev/null || fail "etcdctl is required (apt-get install etcd-client)"

# check_report <json file> <expected workload> <expected succeeded> <expected failed>
check_report() {
  python3 - "$@" <<'PY' || exit 1
import json, sys
path, workload, succeeded, failed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
r = json.load(open(path))
problems = []
if r["workload"] != workload: problems.append(f"workload {r['workload']}, want {workload}")
if r["succeeded"] != succeeded: problems.append(f"succeeded {r['succeeded']}, want {succeeded}")
if r["failed"] != failed: problems.append(f"failed {r['failed']}, want {failed}")
if succeeded and not r["requests_per_sec"] > 0: problems.append("no throughput")
# Sending and answering a gRPC request takes the client well over a microsecond of CPU.
if succeeded and not r["client_cpu_us_per_request"] >= 1: problems.append("no client CPU measured")
l = r["latency_ms"]
if succeeded and not 0 < l["min"] <= l["p50"] <= l["p99"] <= l["max"]:
    problems.append(f"latencies out of order: {l}")
if succeeded and sum(b["count"] for b in r["histogram"]) != succeeded:
    problems.append("histogram does not count every answered request")
if failed and sum(r["errors"].values()) != failed: problems.append("errors do not add up")
if problems:
    print(f"kvbench_smoke: {path}: " + "; ".join(problems))
    sys.exit(1)
print(f"kvbench_smoke: {workload}: {r['succeeded']} ok, {r['failed']} failed, "
      f"{r['requests_per_sec']:.0f}/s, client {r['client_cpu_us_per_request']:.0f} us/request")
PY
}

start_cluster "$kvd" kvd 0
wait_healthy 0 kvd
eps="$(endpoints 0)"

# run <name> <expected workload> <kvbench arguments...>
run() {
  local name="$1" workload="$2"
  shift 2
  timeout 60 "$kvbench" --endpoints "$eps" --json --val-size 64 "$@" >"$work/$name.json" ||
    fail "$name: kvbench exited $? ($(head -c 300 "$work/$name.json"))"
  check_report "$work/$name.json" "$workload" "$total" 0
}
total=300
run put put put --conns 2 --clients 8 --total "$total" --sequential-keys --key-space-size 300
# Every key of a sequential run over the whole key space was written.
keys="$(ETCDCTL_API=3 etcdctl --endpoints "$eps" get "" --from-key --limit 1 -w json |
  python3 -c 'import json, sys; print(json.load(sys.stdin).get("count", 0))')"
[[ "$keys" -ge 300 ]] || fail "after 300 sequential puts over 300 keys, the store holds $keys keys"
run range-l range-linearizable range --consistency l --conns 2 --clients 8 --total "$total" \
  --key-space-size 300
run range-s range-serializable range --consistency s --conns 2 --clients 8 --total "$total" \
  --key-space-size 300
run txn-put txn-put txn-put --conns 1 --clients 4 --total "$total" --key-space-size 50
run mixed mixed mixed --read-fraction 0.5 --conns 3 --clients 6 --total "$total" --key-space-size 50
total=20
run rate put put --clients 4 --total "$total" --rate 20 --key-space-size 10
# --rate paces the requests: the 20th is not sent before 19/20 s, so at most 20/0.95 = 21.05/s,
# where an unpaced run of 20 puts takes well under a second even on a loaded machine (a slow
# machine only lowers the figure).
python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["requests_per_sec"]; sys.exit(r > 21.1)' \
  "$work/rate.json" || fail "--rate 20 ran faster than 20 requests/s"

# Nothing listens on the block's last port: every request fails, fast, and kvbench says so.
timeout 60 "$kvbench" --endpoints "127.0.0.1:$((base + 99))" --json --total 5 put \
  >"$work/dead.json"
code=$?
[[ "$code" -eq 1 ]] || fail "against a dead endpoint kvbench exited $code, want 1"
check_report "$work/dead.json" put 0 5

# grpc_floor answers both workloads in full, and on SIGTERM stops and reports the requests it
# answered and a CPU time per request.
start_grpc_floor "$grpc_floor" "127.0.0.1:$((base + 98))" "$work/floor.out" "$work/floor.err" ||
  fail "grpc_floor did not start"
eps="127.0.0.1:$((base + 98))"
total=300
run floor-put put put --conns 2 --clients 8 --total "$total"
run floor-range range-serializable range --consistency s --conns 2 --clients 8 --total "$total"
kill -TERM "$floor_pid"
poll_10s eval '! kill -0 "$floor_pid" 2>/dev/null' ||
  fail "grpc_floor did not exit within 10 s of SIGTERM"
wait "$floor_pid" || fail "grpc_floor exited $? on SIGTERM"
grep -Eq "^answered 600 requests, [0-9]+\.[0-9] us of CPU per request$" "$work/floor.out" ||
  fail "grpc_floor reported: $(cat "$work/floor.out"), want 600 requests answered"
grep -q "^answered 600 requests, 0\.0 us" "$work/floor.out" &&
  fail "grpc_floor reported no CPU time for 600 requests"

echo "kvbench_smoke: passed"
