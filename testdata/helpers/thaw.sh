#!/bin/sh
# Usage: sh thaw.sh
# Thaws and KILLs what frozen.sh froze, and removes its cgroup.
d=$(cat freezer)
kill -KILL $(cat pids) 2> /dev/null
echo THAWED > "$d/freezer.state"
while [ -s "$d/cgroup.procs" ]; do sleep 0.01; done
rmdir "$d"
