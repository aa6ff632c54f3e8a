#!/bin/sh
# Usage: sh killedcgroup.sh COMMAND [ARG...]
# Runs COMMAND inside a new cgroup that was killed once (cgroup.kill) while
# empty, as a CI runner that reuses a slot's cgroup leaves it; the cgroup
# is removed afterwards. Some kernels then kill every process cloned from
# there into another cgroup at birth. Needs root and cgroup v2.
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
mnt=$(grep ' - cgroup2 ' /proc/self/mountinfo | head -n 1 | cut -d' ' -f5)
dir=$mnt$own/test-killed-$$ # not pgrun-*: a sweep would take it for stale
mkdir "$dir" || exit 99
echo 1 > "$dir/cgroup.kill"
sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$dir" "$@"
status=$?
rmdir "$dir"
exit $status
