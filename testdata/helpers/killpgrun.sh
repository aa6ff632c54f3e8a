#!/bin/sh
# Usage: sh killpgrun.sh [-group] [-now] [-wait FILE] [-gone FILE] PGRUN_ARG...
# Starts afresh (removes ./ready, ./leader, ./pids, ./leaked), runs pgrun
# PGRUN_ARG... in the background, in a session of its own; once ./ready
# (or FILE) exists, the command's tree being in place, and pgrun has armed
# its guardian, SIGKILLs pgrun (with -group, pgrun's whole process group,
# as a CI runner does) and waits for it. With -now, it does not wait for
# a guardian (there is none, or it is not armed yet). With -gone FILE, it
# first waits until the processes listed in FILE are gone (a step of the
# run: the grace period has begun, say). The guardian's pid is left in
# ./guardian.
group=
now=
wait=ready
gone=
while :; do
	case $1 in
	-group) group=1; shift ;;
	-now) now=1; shift ;;
	-wait) wait=$2; shift 2 ;;
	-gone) gone=$2; shift 2 ;;
	*) break ;;
	esac
done
rm -f ready leader pids leaked
escape setsid pgrun "$@" &
p=$!
until [ -e "$wait" ]; do sleep 0.01; done
if [ -z "$now" ]; then
	sh "$HELPERS/guardian.sh" $p > guardian || exit 1
fi
if [ -n "$gone" ]; then
	for pid in $(cat "$gone"); do
		while kill -0 "$pid" 2> /dev/null && [ "$(cut -d' ' -f3 /proc/$pid/stat)" != Z ]; do sleep 0.01; done
	done
fi
if [ -n "$group" ]; then
	kill -KILL -$p
else
	kill -KILL $p
fi
wait $p
echo "pgrun: $?"
