#!/bin/sh
# Usage: sh frozen.sh
# Starts an escapee (a sleep in a session of its own, ./pids), freezes it
# with the cgroup v1 freezer, where a KILL waits until it is thawed (the
# process stays in state D: a stand-in for uninterruptible sleep), writes
# the freezer cgroup's directory to ./freezer, then sends ALRM to pgrun,
# its deadline, and waits. Thaw it with thaw.sh. Needs root.
d=/sys/fs/cgroup/freezer/pgrun-test-$$
mkdir "$d" || exit 1
echo "$d" > freezer
escape setsid sleep "$LONG" > /dev/null 2>&1 &
echo $! > pids
# Frozen before it has executed sleep, it would be frozen as escape.
until [ "$(cat /proc/$!/comm)" = sleep ]; do sleep 0.01; done
echo $! > "$d/cgroup.procs"
echo FROZEN > "$d/freezer.state"
until grep -q FROZEN "$d/freezer.state"; do sleep 0.01; done
kill -ALRM $PPID
wait
