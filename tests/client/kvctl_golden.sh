#!/usr/bin/env bash
# kvctl's output tests (issue 5), against fresh 3-member kvd clusters on loopback:
#  1. etcdctl and kvctl agree: tests/server's script of etcdctl 3.4 commands (every get, put,
#     del, txn and compaction flag, member list, endpoint health and status) is run by etcdctl
#     on one fresh cluster and by kvctl on another of the same members and ports. The outputs
#     must be identical once raft terms, sizes, versions and timings are masked; JSON documents
#     are compared as data (tests/client/json_normalize.py). etcdctl's "-w fields" format, which
#     kvctl does not offer, and "get -w table", which etcdctl does not offer, are left out.
#  2. Golden outputs: every kvctl command in every output format (simple, json, table), its
#     --help, and its errors with their exit codes, compared with tests/client/kvctl.golden.
#     After a deliberate change of output, regenerate it with RAFTKV_UPDATE_GOLDEN=1.
# Usage: kvctl_golden.sh <kvctl-binary> <kvd-binary> [base-port]
set -uo pipefail
kvctl="$(realpath "$1")"
kvd="$(realpath "$2")"
base="${3:-}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d /tmp/raftkv-kvctl-golden-XXXXXX)"
pids=()
stop_cluster() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  pids=()
}
trap 'stop_cluster; rm -rf "$work"' EXIT

command -v etcdctl >/dev/null ||
  { echo "kvctl_golden: etcdctl is required (apt-get install etcd-client)"; exit 1; }
source "$here/../server/cluster_lib.sh"
source "$here/../support/test_ports.sh"
[[ -n "$base" ]] || claim_port_block || exit 1

normalize_all() {  # <file>: JSON as data, then the shared masks, then kvctl's extra ones
  python3 "$here/json_normalize.py" <"$1" >"$1.json"
  normalize "$1.json" | sed -E \
    -e 's/"(raft_term|ID|leader|member_id|cluster_id)":"N"/"\1":N/g' \
    -e 's/\b[0-9a-f]{13,16}\b/ID/g' \
    -e 's/took = [0-9.]+[a-zµ]+/took = T/g' \
    -e 's/[0-9.]+ (B|kB|MB|GB)\b/SIZE/g' \
    -e 's/3\.4\.[0-9]+(\+raftkv\.[0-9.]+)?/VERSION/g' \
    -e 's/^(127\.0\.0\.1:PORT, ID, VERSION, SIZE, )(true|false), (true|false), [0-9]+, [0-9]+, [0-9]+,/\1LEADER, \3, TERM, INDEX, INDEX,/' \
    -e 's/([|] *127\.0\.0\.1:PORT [|] *ID [|] *VERSION [|] *SIZE [|]) *(true|false) ([|] *(true|false) [|]) *[0-9]+ [|] *[0-9]+ [|] *[0-9]+ [|]/\1 LEADER \3 TERM | INDEX | INDEX |/' \
    -e 's/[|] *[0-9.]+[a-zµ]+s *[|]( *[|])$/| T |\1/' \
    -e "s#$work#WORK#g" |
    # Tables of members and endpoints hold masked values of varying widths: their blanks and
    # borders are collapsed. Other tables keep their exact layout.
    awk '/^\$ / { volatile = ($0 ~ / member list| endpoint (status|health)/) }
         volatile && !/^\$ / { gsub(/ +/, " "); if ($0 ~ /^[+]/) gsub(/-+/, "-") }
         { print }'
}

fresh_cluster() {  # <name>: a new 3-member kvd cluster on the same ports as every other one
  stop_cluster
  start_cluster "$kvd" "$1" 0
  wait_healthy 0 "$1"
}

head -c 2000000 /dev/zero | tr '\0' x >"$work/big"
failed=0

# ---- 1. etcdctl and kvctl agree --------------------------------------------------------------
SCRIPT="$(grep -v -e '-w fields' -e '^get .*-w table' <<<"$SCRIPT")"
# Both tools query kvd here, so etcdctl's tables of members and endpoints must match too.
SCRIPT+=$'\nmember list -w table\nendpoint status -w table\nendpoint health -w table'
fresh_cluster etcdctl
run_script etcdctl 0 "$work/etcdctl.out"
fresh_cluster kvctl
run_script "$kvctl" 0 "$work/kvctl.out"
normalize_all "$work/etcdctl.out" >"$work/etcdctl.norm"
normalize_all "$work/kvctl.out" >"$work/kvctl.norm"
if diff -u "$work/etcdctl.norm" "$work/kvctl.norm"; then
  echo "kvctl_golden: $(grep -c '^\$ ' "$work/kvctl.out") commands, etcdctl and kvctl agree"
else
  echo "kvctl_golden: etcdctl and kvctl differ (- etcdctl, + kvctl)"
  failed=1
fi

# ---- 2. golden outputs ---------------------------------------------------------------------
fresh_cluster golden
ep="$(endpoints 0 | cut -d, -f1)"
all="$(endpoints 0)"
golden_out="$work/golden.out"
: >"$golden_out"
show() {  # <prefix> <arguments...>: the command line as the golden file shows it
  local prefix="$1"
  shift
  echo "\$ $prefix$(printf ' %q' "$@")" | sed -E 's/127\.0\.0\.1:[0-9]+/EP/g' >>"$golden_out"
}
k() {  # <arguments...>: runs kvctl with them, recording output and exit code
  show kvctl "$@"
  "$kvctl" "$@" >>"$golden_out" 2>&1
  echo "exit=$?" >>"$golden_out"
}
k_stdin() {  # <stdin text> <arguments...>
  local input="$1"
  shift
  show kvctl "$@" "<<<" "$input"
  printf '%s' "$input" | "$kvctl" "$@" >>"$golden_out" 2>&1
  echo "exit=$?" >>"$golden_out"
}
# Like k, with the output lines sorted (members come in id order, ids vary). Ids and blanks are
# masked before sorting: an id with fewer hex digits pads its table row with more blanks.
k_sorted() {
  show kvctl "$@" "|" sort
  "$kvctl" "$@" 2>&1 | sed -E 's/127\.0\.0\.1:[0-9]+/EP/g; s/\b[0-9a-f]{1,16}\b/ID/g; s/ +/ /g' |
    sort >>"$golden_out"
  echo "exit=${PIPESTATUS[0]}" >>"$golden_out"
}
txn_ok=$'value("k1") = "v1"\nversion("k2") > "1"\n\nput k4 four\nget k --prefix --keys-only\ndel k3 --prev-kv\n\nput never x\n\n'
txn_fail=$'mod("k1") < "2"\n\nput never x\n\nget k1\n\n'

k version
for cmd in "" get put del txn compaction "member list" "endpoint status" "endpoint health"; do
  k $cmd --help
done
k --endpoints "$ep" put k1 v1
k --endpoints "$ep" put k2 v2 --prev-kv
k --endpoints "$ep" put k2 v3 --prev-kv -w json
k --endpoints "$ep" put k2 v4 --prev-kv -w table
k --endpoints "$ep" put k3 "x y" -w table
k_stdin "from stdin" --endpoints "$ep" put k5
k --endpoints "$ep" put k5 --ignore-value --prev-kv
k --endpoints "$ep" put k5 v --ignore-value
k --endpoints "$ep" put k6 v --lease zz
for w in simple json table; do
  k --endpoints "$ep" -w "$w" get k --prefix
  k --endpoints "$ep" -w "$w" get k --prefix --hex
  k --endpoints "$ep" -w "$w" get k --prefix --count-only
  k --endpoints "$ep" -w "$w" get k1 k5 --limit 2 --sort-by=MODIFY --order=DESCEND
  k --endpoints "$ep" -w "$w" get missing
done
k --endpoints "$ep" get k --prefix --keys-only
k --endpoints "$ep" get k --prefix --print-value-only --consistency=s
k --endpoints "$ep" get k --prefix --min-mod-rev 3 --max-mod-rev 4 --keys-only
k --endpoints "$ep" get k --prefix --min-create-rev 4 --keys-only -w table
k --endpoints "$ep" get k2 --rev 3
k --endpoints "$ep" get k2 --rev 1000
k --endpoints "$ep" get k1 --from-key --keys-only
k --endpoints "$ep" get k --prefix --from-key
k --endpoints "$ep" get k1 k3 --prefix
k --endpoints "$ep" get k1 --consistency=x
k --endpoints "$ep" get k1 --order=SIDEWAYS
k --endpoints "$ep" get k1 --sort-by=SIZE
k --endpoints "$ep" get
k --endpoints "$ep" get k1 --no-such-flag
k --endpoints "$ep" -w yaml get k1
for w in simple json table; do
  k_stdin "$txn_ok" --endpoints "$ep" -w "$w" txn
  k_stdin "$txn_fail" --endpoints "$ep" -w "$w" txn
done
k_stdin "$txn_fail" --endpoints "$ep" txn --interactive
printf '%s' "$txn_ok" >"$work/txn.txt"
k --endpoints "$ep" txn --file "$work/txn.txt"
k_stdin $'value("k1") == "v1"\n\n\n\n' --endpoints "$ep" txn
k_stdin $'size("k1") = "1"\n\n\n\n' --endpoints "$ep" txn
k_stdin $'version("k1") = "one"\n\n\n\n' --endpoints "$ep" txn
k_stdin $'\nfrobnicate k1\n\n\n' --endpoints "$ep" txn
k_stdin $'\nput "unterminated\n\n\n' --endpoints "$ep" txn
k_stdin $'\nput "a b" "c\\x00d"\nget "a b"\n\n\n' --endpoints "$ep" --hex txn
k --endpoints "$ep" del k1 -w table
k --endpoints "$ep" del k --prefix --prev-kv
k --endpoints "$ep" put k7 seven
k --endpoints "$ep" del k7 --prev-kv -w json
k --endpoints "$ep" del nothing
k --endpoints "$ep" del a k --prefix
k --endpoints "$ep" compaction 3
k --endpoints "$ep" compaction 3
k --endpoints "$ep" compaction 4 --physical -w json
k --endpoints "$ep" compaction 5 -w table
k --endpoints "$ep" compaction 1000
k --endpoints "$ep" compaction three
for w in simple table; do
  k_sorted --endpoints "$all" -w "$w" member list
done
k --endpoints "$all" -w json member list
for w in simple json table; do
  k --endpoints "$all" -w "$w" endpoint status
  k --endpoints "$all" -w "$w" endpoint health
done
k --endpoints "$ep" endpoint health --cluster
# Unreachable: the error names every endpoint tried, within the command timeout.
k --endpoints "127.0.0.1:1,127.0.0.1:2" --command-timeout 2s get k1
k --endpoints "127.0.0.1:1" --command-timeout 2s put k1 v
k --endpoints "127.0.0.1:1" --command-timeout 2s endpoint health
k --endpoints "$ep" --command-timeout soon get k1
k --endpoints "https://$ep" get k1
# The endpoint list from the environment.
echo "\$ KVCTL_ENDPOINTS=EP kvctl get k2" >>"$golden_out"
KVCTL_ENDPOINTS="$ep" "$kvctl" get k2 >>"$golden_out" 2>&1
echo "exit=$?" >>"$golden_out"

normalize_all "$golden_out" >"$work/golden.norm"
if [[ "${RAFTKV_UPDATE_GOLDEN:-0}" == 1 ]]; then
  cp "$work/golden.norm" "$here/kvctl.golden"
  echo "kvctl_golden: wrote $here/kvctl.golden"
elif diff -u "$here/kvctl.golden" "$work/golden.norm"; then
  echo "kvctl_golden: $(grep -c '^\$ ' "$golden_out") kvctl commands match kvctl.golden"
else
  echo "kvctl_golden: kvctl's outputs differ from kvctl.golden (- golden, + now)"
  failed=1
fi
exit "$failed"
