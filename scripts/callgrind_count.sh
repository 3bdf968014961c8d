# Sourced by the callgrind scripts: the one way they count instructions.
#
# `callgrind_instructions <binary> <args...>` prints the instructions callgrind
# collected over one process of <binary>, or fails naming the command.
callgrind_instructions() {
    local count
    count=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p')
    if [[ -z $count ]]; then
        echo "callgrind gave no count for: $*" >&2
        return 1
    fi
    echo "$count"
}
