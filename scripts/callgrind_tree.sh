#!/usr/bin/env bash
# Instructions counted by callgrind per operation of each workload of
# crates/core-tree/examples/tree_profile.rs (the tree's own benchmarks):
# the difference between a process running OPS operations and one running
# none, divided by OPS, so building the tree is not counted; allocations per
# operation the same way, from memcheck's heap summary (a reallocation counts
# as one allocation).
#
# Usage:
#   scripts/callgrind_tree.sh
#   WORKLOADS="depth_50 wide_lookup" OPS=2000 scripts/callgrind_tree.sh
# Prints a Markdown table. Needs valgrind.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
# shellcheck source=scripts/callgrind_count.sh
source scripts/callgrind_count.sh

read -r -a workloads <<<"${WORKLOADS:-depth_1 depth_50 depth_1000 depth_50_from_str depth_50_lookup_str wide_lookup wide_lookup_from_str wide_lookup_str dentry_depth_50 dentry_wide_lookup small_insert_remove wide_insert_remove wide_create wide_create_twin}"
ops=${OPS:-5000}

cargo build --profile bench -p dmemfs-core-tree --example tree_profile --quiet
bin="${CARGO_TARGET_DIR:-target}/release/examples/tree_profile"

# Instructions executed by one process: `instructions <tree_profile args...>`.
instructions() { callgrind_instructions "$bin" "$@"; }

allocations() { # allocations <tree_profile args...>
    local count
    count=$(valgrind --tool=memcheck --leak-check=no "$bin" "$@" 2>&1 >/dev/null |
        sed -n 's/^==[0-9]*== *total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,)
    if [[ -z $count ]]; then
        echo "memcheck gave no heap summary for: tree_profile $*" >&2
        exit 1
    fi
    echo "$count"
}

echo "| workload | instructions per operation | allocations per operation |"
echo "|---|---:|---:|"
for workload in "${workloads[@]}"; do
    larger=$(instructions "$workload" "$ops")
    smaller=$(instructions "$workload" 0)
    allocated=$(($(allocations "$workload" "$ops") - $(allocations "$workload" 0)))
    per_op=$(awk -v a="$allocated" -v n="$ops" 'BEGIN { printf "%.2f", a / n }')
    echo "| $workload | $(((larger - smaller) / ops)) | $per_op |"
done
