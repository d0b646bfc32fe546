#!/usr/bin/env bash
# Installs every Debian 12 package raftkv needs to build and test. Idempotent: packages that are
# already present are left alone, so a second run costs only the dpkg query.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  # kvbench switches off Abseil's mutex deadlock detection (gRPC's Abseil, used directly).
  libabsl-dev
  librocksdb-dev
  libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev
  # kvd's memory allocator (tcmalloc).
  libgoogle-perftools-dev
  # A real etcd 3.4 and etcdctl, for the differential tests that compare kvd with etcd.
  etcd-server etcd-client
  # kvctl's output tests compare JSON documents as data.
  python3
  # The fault harness: network namespaces, veth pairs and a bridge (iproute2), partitions and
  # lossy links as packet filters inside each member's namespace (nftables).
  iproute2 nftables
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
