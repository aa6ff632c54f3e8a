#!/bin/sh
# Usage: sh incgroup.sh NAME COMMAND [ARG...]
# Runs COMMAND in the cgroup NAME below this shell's own, which it makes
# if need be, so that the pgruns a script runs there share a parent
# cgroup with no other pgrun of the test suite (each pgrun sweeps the
# stale pgrun-* cgroups beside its own). NAME must not start with
# "pgrun-", or a sweep would take it for a stale pgrun cgroup. Remove it
# with: sh incgroup.sh NAME rmdir. Needs root and cgroup v2.
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
mnt=$(grep ' - cgroup2 ' /proc/self/mountinfo | head -n 1 | cut -d' ' -f5)
case $1 in
pgrun-*) echo "incgroup.sh: $1: a sweep would remove it" >&2; exit 99 ;;
esac
dir=$mnt$own/$1
if [ "$2" = rmdir ]; then
	exec rmdir "$dir"
fi
mkdir -p "$dir" || exit 99
echo $$ > "$dir/cgroup.procs" || exit 99
shift
exec "$@"
