#!/usr/bin/env bash
# Instructions counted by callgrind for each single-thread case of
# benches/peers.rs: dmemfs (GlobalLock and Actor) beside vfs::MemoryFS and
# the RwLock<HashMap> floor, with the ratios issue 13 sets targets on.
#
# A case's count is the difference between two processes of
# examples/peer_cases.rs, one running the case twice and one running it
# once: one run on a warm process, without process start-up or the
# building of the case's paths and payloads. The contention row is the mix
# of benches/peers.rs on one thread, per operation: the difference between
# CONTENTION_OPS operations and none, on a populated subject, divided by
# CONTENTION_OPS. Counts do not depend on machine load, but do vary between
# processes: hash seeds change the order in which maps free their entries,
# and so how often glibc's realloc moves a buffer (up to 10% on
# small_files_rw for vfs::MemoryFS, a few % on many_files_random_read), and
# the Actor's threads spin while they wait for each other. So each figure is
# the median of REPEATS differences (default 3).
#
# Usage:
#   scripts/callgrind_peers.sh
#   CASES="deep_tree_read many_files_random_read" CONTENTION_OPS=0 REPEATS=1 scripts/callgrind_peers.sh
#   PEER_CASES=/path/to/an/older/peer_cases scripts/callgrind_peers.sh   # measure a kept binary
# Prints a Markdown table. Needs valgrind.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
# shellcheck source=scripts/callgrind_count.sh
source scripts/callgrind_count.sh

read -r -a cases <<<"${CASES:-small_files_rw stream_write_read random_access_rw large_stream many_files_random_read deep_tree_read}"
contention_ops=${CONTENTION_OPS:-20000}
repeats=${REPEATS:-3}
subjects=(global_lock actor vfs_memoryfs rwlock_hashmap)

if [[ -n ${PEER_CASES:-} ]]; then
    bin=$PEER_CASES
else
    cargo build --profile bench --example peer_cases --quiet
    bin="${CARGO_TARGET_DIR:-target}/release/examples/peer_cases"
fi

# Instructions executed by one process: `instructions <peer_cases args...>`.
instructions() { callgrind_instructions "$bin" "$@"; }

# The difference of two processes' counts, each measured in parallel:
# `difference "<args of the larger>" "<args of the smaller>"`.
difference() {
    local dir
    dir=$(mktemp -d)
    # shellcheck disable=SC2086 # the arguments are words
    instructions $1 >"$dir/larger" &
    local larger=$!
    # shellcheck disable=SC2086
    instructions $2 >"$dir/smaller" &
    local smaller=$!
    wait "$larger" || exit 1
    wait "$smaller" || exit 1
    echo $(($(cat "$dir/larger") - $(cat "$dir/smaller")))
    rm -r "$dir"
}

# The median of REPEATS differences: `median_difference <larger> <smaller>`.
median_difference() {
    local differences=()
    for ((r = 0; r < repeats; r++)); do
        differences+=("$(difference "$1" "$2")")
    done
    printf '%s\n' "${differences[@]}" | sort -n | sed -n "$(((repeats + 1) / 2))p"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
thousands() { sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<<"$1"; }

row() { # row <label> <global_lock> <actor> <vfs> <floor>
    echo "| $1 | $(thousands "$2") | $(thousands "$3") | $(thousands "$4") | $(thousands "$5")" \
        "| $(ratio "$2" "$4") | $(ratio "$2" "$5") | $(ratio "$3" "$4") | $(ratio "$3" "$5") |"
}

echo "| case (instructions) | global_lock | actor | vfs_memoryfs | rwlock_hashmap | GL ÷ vfs | GL ÷ floor | actor ÷ vfs | actor ÷ floor |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for case in "${cases[@]}"; do
    counts=()
    for subject in "${subjects[@]}"; do
        counts+=("$(median_difference "$case $subject 2" "$case $subject 1")")
    done
    row "$case" "${counts[@]}"
done
if ((contention_ops > 0)); then
    counts=()
    for subject in "${subjects[@]}"; do
        total=$(median_difference "contention $subject $contention_ops 1" "contention $subject 0 1")
        counts+=("$((total / contention_ops))")
    done
    row "contention, 1 thread, per op" "${counts[@]}"
fi
