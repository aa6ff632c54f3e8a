#!/bin/sh
# Usage: sh moveout.sh
# Starts two sleepers (see sleeper.sh): one stays in this shell's cgroup,
# the other moves itself to the root of the cgroup v2 hierarchy first.
# Writes ./leader and waits once both are recorded in ./pids. Needs root.
echo $$ > leader
: > pids
mnt=$(grep ' - cgroup2 ' /proc/self/mountinfo | head -n 1 | cut -d' ' -f5)
sh -c 'echo $$ > "$1/cgroup.procs" && exec sh "$HELPERS/sleeper.sh"' sh "$mnt" > /dev/null 2>&1 &
sh "$HELPERS/sleeper.sh" > /dev/null 2>&1 &
until [ "$(wc -l < pids)" -ge 2 ]; do sleep 0.01; done
wait
