# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the golden test scripts: a scratch directory ($tmp, removed on exit), check NAME COMMAND...
# (prints ok/FAIL and counts failures) and finish (prints the count; its status is the script's result).
# For scripts that run a program in the background: await (its startup line) and stop (a signal, then
# its exit status).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { if "${@:2}"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }
finish() { echo "$fails failed"; [ "$fails" -eq 0 ]; }

# await PID FILE PATTERN: wait at most 10 s for a line matching PATTERN (grep) in FILE, the output
# of process PID; false, with FILE shown, if PID ends first or the time runs out.
await() {
    local pid=$1 file=$2 pattern=$3
    for _ in $(seq 100); do
        grep -q "$pattern" "$file" && return 0
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.1
    done
    echo "no '$pattern' from process $pid in $file:"
    cat "$file"
    return 1
}

# stop SIGNAL PID: send SIGNAL to process PID (a child of the script) and wait at most 30 s for it
# to end, then SIGKILL it (status 137, a failure); its exit status in $rc.
stop() {
    kill "-$1" "$2"
    for _ in $(seq 300); do
        kill -0 "$2" 2> /dev/null || break
        sleep 0.1
    done
    if kill -0 "$2" 2> /dev/null; then
        echo "process $2 did not end within 30 s of SIG$1"
        kill -KILL "$2"
    fi
    wait "$2"
    # shellcheck disable=SC2034 # read by the scripts that source this file
    rc=$?
}

# need_tools TOOL...: end the script with status 77 (meson's "skipped"), saying which, unless every
# TOOL is on the PATH. need_root WHY TOOL...: the same, and skipped unless it runs as root (WHY:
# what for).
need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" > /dev/null || { echo "skipped: $t is not installed (scripts/install-deps.sh)"; exit 77; }
    done
}
need_root() {
    [ "$(id -u)" -eq 0 ] || { echo "skipped: needs root ($1)"; exit 77; }
    need_tools "${@:2}"
}

# For scripts that make network namespaces of their own (root): netns_add NS... adds them with IPv6
# off (so that the kernel sends nothing of its own on their links); netns_del NS... kills every
# process in them and removes them (for a teardown: no error when one is not there).
netns_add() {
    local n
    for n in "$@"; do
        ip netns add "$n" &&
            ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
                net.ipv6.conf.default.disable_ipv6=1 || return 1
    done
}
netns_del() {
    local n
    for n in "$@"; do
        ip netns pids "$n" 2> /dev/null | xargs -r kill -KILL 2> /dev/null
        ip netns del "$n" 2> /dev/null
    done
    return 0
}
