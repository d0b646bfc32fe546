# Sourced by shell tests: claim_port_block claims a block of 100 ports the way
# tests/support/test_ports.cc does (same lock files, same range), so shell tests and C++ tests
# running at once never share ports. The lock is held through a descriptor of this shell, which
# the kvd and etcd processes it starts inherit, so the block stays taken while any of them lives.
# Sets `base` to the block's first port; fails when every block is taken.

claim_port_block() {
  local dir="${TMPDIR:-/tmp}/raftkv-test-ports"
  local first=10000 size=100 blocks=$(((32700 - 10000) / 100))
  mkdir -p "$dir" && chmod 1777 "$dir" 2>/dev/null || true
  local start=$(($$ % blocks)) i block
  for ((i = 0; i < blocks; i++)); do
    block=$(((start + i) % blocks))
    exec {port_lock_fd}>>"$dir/block-$block.lock" || continue
    if flock -n "$port_lock_fd"; then
      base=$((first + block * size))
      return 0
    fi
    exec {port_lock_fd}>&-
  done
  echo "no free port block under $dir" >&2
  return 1
}
