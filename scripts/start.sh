#!/usr/bin/env bash
# Installs what is missing, builds kvd, and runs a 3-member cluster on 127.0.0.1 in the
# foreground with etcd's local ports (clients 2379, 22379, 32379; peers 12380, 22380, 32380).
# Ctrl-C stops every member cleanly (SIGTERM); the data stays in data/infra{1,2,3} for the next
# run. Try it with etcdctl (Debian's etcd-client):
#   ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:2379,127.0.0.1:22379,127.0.0.1:32379 put k v
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"${RAFTKV_JOBS:-2}" kvd

cluster="infra1=http://127.0.0.1:12380,infra2=http://127.0.0.1:22380,infra3=http://127.0.0.1:32380"
pids=()
stop() {
  trap - INT TERM
  echo "== stopping the cluster =="
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait
}
trap stop INT TERM
mkdir -p data
for i in 1 2 3; do
  client="http://127.0.0.1:${i/1/}2379"
  peer="http://127.0.0.1:${i}2380"
  ./build/kvd --name "infra$i" --data-dir "data/infra$i" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$cluster" --initial-cluster-token raftkv-local \
    --initial-cluster-state new &
  pids+=($!)
done
echo "== 3 members up: clients on 127.0.0.1:2379, :22379, :32379 (Ctrl-C stops them) =="
wait
