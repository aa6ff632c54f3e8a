#!/bin/sh
# Usage: sh thaw.sh
# Thaws and KILLs what frozen.sh froze, and removes its cgroup.
d=$(cat freezer)
kill -KILL $(cat pids) 2> /dev/null
echo THAWED > "$d/freezer.state"
while [ -s "$d/cgroup.procs" ]; do sleep 0.01; done
# A process that has left cgroup.procs may still hold the cgroup for a
# moment while it exits (EBUSY): try again, for up to 10 s.
i=0
until rmdir "$d" 2> /dev/null || [ $i -ge 1000 ]; do sleep 0.01; i=$((i+1)); done
[ ! -d "$d" ] || rmdir "$d"
