#!/bin/sh
# Usage: sh strangers.sh alarm|exit
# The command of the membership tests: it says it runs (./running), waits
# until every process named in the files ./*.pid that it is told of (a
# space-separated list in $ADOPTED; the bystanders a parent left) is a
# child of pgrun, its own parent, then ends its run: "alarm" sends ALRM
# to pgrun (its deadline, now) and waits to be signalled; "exit" exits 0.
touch running
for f in $ADOPTED; do
	while [ ! -s "$f" ] || [ "$(cut -d' ' -f4 "/proc/$(cat "$f")/stat" 2>/dev/null)" != "$PPID" ]; do
		sleep 0.01
	done
done
case $1 in
alarm)
	kill -ALRM $PPID
	i=0
	while [ "$i" -lt "$LONG" ]; do sleep 1; i=$((i + 1)); done
	;;
exit) exit 0 ;;
esac
