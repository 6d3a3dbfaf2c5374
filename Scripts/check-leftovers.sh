#!/usr/bin/env bash
# After `make test`: fails when a process the test run started is still running. Every process the
# run starts inherits SHARED_BROWSER_TEST_RUN=<id> in its environment; those left after a grace period
# (a killed browser takes a moment to go) are listed, killed, and fail the run.
set -uo pipefail
run="$1"
leftovers() {
    for environ in /proc/[0-9]*/environ; do
        pid="${environ#/proc/}"; pid="${pid%/environ}"
        [ "$pid" = "$$" ] && continue
        if { tr '\0' '\n' < "$environ"; } 2>/dev/null | grep -qx "SHARED_BROWSER_TEST_RUN=$run"; then
            state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
            [ "$state" = "Z" ] || echo "$pid"
        fi
    done
}
for _ in $(seq 1 100); do
    left=$(leftovers)
    [ -z "$left" ] && exit 0
    sleep 0.1
done
echo "make test: processes the tests started outlived them:" >&2
for pid in $left; do
    echo "  $pid: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)" >&2
    kill -9 "$pid" 2>/dev/null
done
exit 1
