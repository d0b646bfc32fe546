# Shell functions shared by the tests that run etcdctl-style command scripts against 3-member
# clusters on loopback (tests/server/etcd_diff.sh, tests/client/kvctl_golden.sh,
# tests/benchmarks/kvbench_smoke.sh). The caller sets `base` (a port base), `work` (a scratch
# directory) and `pids=()` before starting clusters -- use_scratch does the last two -- and kills
# "${pids[@]}" when it exits.

# use_scratch <name>: sets `work` to a new scratch directory and `pids=()`, and makes the shell
# kill every process in "${pids[@]}" and remove the directory when it exits, however it exits.
use_scratch() {
  work="$(mktemp -d "/tmp/raftkv-$1-XXXXXX")"
  pids=()
  trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT
}

# start_cluster <binary> <name> <port offset>: three members; prints the client endpoints.
start_cluster() {
  local bin="$1" name="$2" off="$3" cluster="" i
  for i in 1 2 3; do
    cluster+="${cluster:+,}m$i=http://127.0.0.1:$((base + off + 10 * i + 1))"
  done
  for i in 1 2 3; do
    local client="http://127.0.0.1:$((base + off + 10 * i))"
    local peer="http://127.0.0.1:$((base + off + 10 * i + 1))"
    "$bin" --name "m$i" --data-dir "$work/$name/m$i" \
      --listen-client-urls "$client" --advertise-client-urls "$client" \
      --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
      --initial-cluster "$cluster" --initial-cluster-token diff \
      --initial-cluster-state new --log-level error >"$work/$name-m$i.log" 2>&1 &
    pids+=($!)
  done
}

endpoints() {  # <port offset>
  local off="$1"
  echo "127.0.0.1:$((base + off + 10)),127.0.0.1:$((base + off + 20)),127.0.0.1:$((base + off + 30))"
}

# start_grpc_floor <binary> <host:port> <stdout file> <stderr file>: starts grpc_floor
# (benchmarks/grpc_floor.cc) in the background, adds it to "${pids[@]}" and sets `floor_pid`,
# then waits at most 10 s until it listens. Returns 1, saying why on stderr, if it exits first
# or does not listen in time.
start_grpc_floor() {
  local i
  "$1" --listen "$2" >"$3" 2>"$4" &
  floor_pid=$!
  pids+=("$floor_pid")
  for ((i = 0; i < 200; i++)); do
    grep -qs "^grpc_floor: listening on port " "$4" && return 0
    kill -0 "$floor_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "grpc_floor did not listen on $2: $(cat "$4" 2>/dev/null)" >&2
  return 1
}

wait_healthy() {  # <port offset> <name>
  local i
  for i in $(seq 1 200); do
    if ETCDCTL_API=3 etcdctl --endpoints "$(endpoints "$1")" --command-timeout=2s \
        put __ready__ 1 >/dev/null 2>&1; then
      ETCDCTL_API=3 etcdctl --endpoints "$(endpoints "$1")" del __ready__ >/dev/null 2>&1
      return 0
    fi
    sleep 0.1
  done
  echo "$(basename "$0"): $2 did not become ready"; cat "$work/$2"-m*.log | tail -20; exit 1
}

# The script: one etcdctl invocation per line ("<<txn" lines feed the following block as stdin
# up to a line "EOT"). Every command runs against the first endpoint unless it names its own.
read -r -d '' SCRIPT <<'CMDS' || true
put foo bar
put foo bar2 --prev-kv
get foo
get foo -w json
put foo1 a
put foo2 b
put fop c
put zoo z
get foo --prefix
get foo --prefix --keys-only
get foo --prefix --keys-only -w json
get foo --prefix --limit 2 -w json
get foo fop
get --from-key foo1
get foo --prefix --sort-by=MODIFY --order=DESCEND
get foo --prefix --sort-by=VALUE --order=ASCEND
get foo --prefix --print-value-only
get foo --rev=2
get foo --consistency=s
get missing
get foo --prefix -w fields
get foo --prefix -w table
get foo --prefix --hex
get foo --prefix --sort-by=CREATE --order=DESCEND --limit 2
get foo --prefix --sort-by=VERSION
get foo --prefix --sort-by=KEY --order=DESCEND
get foo --prefix --order=DESCEND
get foo --prefix --rev=4 -w json
get foo --consistency=l --prefix --limit=1 --keys-only
get --from-key "" --keys-only
get --from-key foo1 --limit 1 -w json
put foo bar3 --prev-kv -w json
put foo newval --ignore-lease
put nolease x --ignore-lease
put fop c2 --ignore-value --prev-kv
get fop -w json
put foo --ignore-value
put nokey --ignore-value
put foo x --lease=1234
del fop
del foo --prev-kv
del nothing
del foo --prefix
del zoo -w json
put k1 1
put k2 2
put k3 3
del k2 --from-key --prev-kv -w json
get k --prefix
<<txn
value("foo1") = "a"

put txnkey yes
get foo1

put other no

EOT
<<txn
mod("foo2") > "100"

put never 1

get foo2

EOT
<<txn -i -w json
version("txnkey") = "1"
create("missing") = "0"

put txnkey second
del other

get txnkey

EOT
compaction 3
compaction 4 --physical
get foo2 --rev=2
get foo2 --rev=4
get foo2 --rev=1000
compaction 2
compaction 1000
put big < "$work/big"
member list
endpoint health
endpoint status -w json
CMDS

# Transactions that break etcd's limits: a key written twice, and one operation too many.
SCRIPT+=$'\n<<txn\n\nput dup 1\nput dup 2\n\nEOT'
SCRIPT+=$'\n<<txn\n\n'"$(for i in $(seq 1 129); do echo "put many$i x"; done)"$'\n\nEOT'
SCRIPT+=$'\nget many --prefix --keys-only'

run_script() {  # <ctl binary> <port offset> <output file>
  local ctl="$1"
  shift
  local ep="${1}" out="$2" line stdin="" in_txn=0 txn_flags=""
  ep="$(endpoints "$1" | cut -d, -f1)"
  : >"$out"
  while IFS= read -r line; do
    if ((in_txn)); then
      if [[ "$line" == "EOT" ]]; then
        in_txn=0
        echo "\$ txn $txn_flags" >>"$out"
        printf '%s\n' "$stdin" | ETCDCTL_API=3 "$ctl" --endpoints "$ep" txn $txn_flags >>"$out" 2>&1
        echo "exit=$?" >>"$out"
      else
        stdin+="$line"$'\n'
      fi
      continue
    fi
    if [[ "$line" == "<<txn"* ]]; then
      in_txn=1
      stdin=""
      txn_flags="${line#<<txn}"
      continue
    fi
    echo "\$ $line" >>"$out"
    if [[ "$line" == member* ]]; then
      # Members are listed in id order, and ids differ between the clusters: sort by name.
      eval "ETCDCTL_API=3 $ctl --endpoints $(endpoints "$1") $line" 2>&1 | sort -t, -k3 >>"$out"
    elif [[ "$line" == endpoint* ]]; then
      eval "ETCDCTL_API=3 $ctl --endpoints $(endpoints "$1") $line" >>"$out" 2>&1
    else
      eval "ETCDCTL_API=3 $ctl --endpoints $ep $line" >>"$out" 2>&1
    fi
    echo "exit=$?" >>"$out"
  done <<<"$SCRIPT"
}

# Masks what legitimately differs between two clusters.
normalize() {
  sed -E \
    -e '/^\{"level":"warn"/d' \
    -e 's/^[0-9a-f]+, started/ID, started/' \
    -e 's/^"(ClusterID|MemberID|RaftTerm)" : [0-9]+/"\1" : N/' \
    -e 's/"(cluster_id|member_id|ID|leader|raft_term|raftTerm|raftIndex|raftAppliedIndex|dbSize|dbSizeInUse)":[0-9]+/"\1":N/g' \
    -e 's/"version":"[^"]*"/"version":"V"/g' \
    -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g' \
    -e 's/is healthy: successfully committed proposal: took = [0-9.]+[a-zµ]+/is healthy/g' \
    -e 's/took = [0-9.]+[a-zµ]+//g' \
    "$1"
}

