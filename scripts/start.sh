#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job. Until the kvd server lands, the main
# job is a demonstration of the consensus core: the deterministic cluster simulator replays one
# seed with its event trace, then checks a batch of seeds against every safety invariant.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"${RAFTKV_JOBS:-2}" raft_sim

echo "== one simulated run, seed 1 (last 40 trace lines) =="
./build/tests/sim/raft_sim --seed 1 --verbose | tail -n 40
echo "== 1000 seeds =="
./build/tests/sim/raft_sim --seeds 1000 --start 1
