#!/bin/sh
# Usage: sh foreignproc.sh [-user] PGRUN_ARG...
# Runs pgrun as pid 2 of a new pid namespace that still sees the outer
# namespace's /proc (unshare --pid without --mount-proc), beside ten
# bystanders of that namespace in sessions of their own, at pids 10 and
# up. In the outer /proc, pid 2 is the parent of the kernel's threads and
# low numbers are theirs: numbers read there name the bystanders here.
# Prints pgrun's status, then every bystander that is gone; the bystanders
# log in ./bystanders.log every signal they get. Needs root, or with
# -user a user namespace of its own (as a user who is not root may make
# where the system allows it), in which it is root.
if [ "${1:-}" != inside ]; then
	userns=
	if [ "${1:-}" = -user ]; then
		userns='--user --map-root-user'
		shift
	fi
	exec unshare $userns --pid --fork sh "$0" inside "$@"
fi
shift
: > bystanders
echo 9 > /proc/sys/kernel/ns_last_pid
for i in 0 1 2 3 4 5 6 7 8 9; do
	escape setsid bystander bystanders.log bystanders &
done
until [ "$(wc -l < bystanders)" -ge 10 ]; do sleep 0.01; done
echo 1 > /proc/sys/kernel/ns_last_pid
status=0
pgrun "$@" 2> pgrun.err || status=$?
echo "status $status"
for pid in $(cat bystanders); do
	kill -0 "$pid" 2> /dev/null || echo "bystander $pid gone"
done
