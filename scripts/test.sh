#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test: first the normal build
# (RelWithDebInfo), then the core, simulator, storage, server, client and fault-checker tests
# again under AddressSanitizer + UndefinedBehaviorSanitizer (Debug, with the core's invariant
# checks after every input).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

jobs="${RAFTKV_JOBS:-2}"

echo "== build (RelWithDebInfo) =="
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"$jobs"
echo "== tests (RelWithDebInfo) =="
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== build (Debug, ASan + UBSan) =="
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRAFTKV_SANITIZE=ON \
  -DRAFTKV_BUILD_BENCHMARKS=OFF >/dev/null
ninja -C build-asan -j"$jobs" raft_tests sim_tests raft_sim storage_tests server_tests kvd \
  kvd_process_tests kvctl client_tests config_example cas_counter_example lock_example \
  fault_checker_tests
echo "== core, simulator, storage, server, client and fault-checker tests, with kvd and kvctl" \
  "(ASan + UBSan) =="
# The snapshot memory bound is measured in the normal build only: ASan's shadow memory and
# quarantine change the resident set it measures.
# The fault harness's cluster runs (fault_*) are timed profiles of real faults: they run in the
# normal build only; the checker's own tests run in both.
ctest --test-dir build-asan -L 'core|storage|server|client|fault' -E 'SnapshotMemory|^fault_' \
  --output-on-failure -j"$jobs"
