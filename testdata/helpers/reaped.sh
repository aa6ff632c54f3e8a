#!/bin/sh
# Usage: sh reaped.sh N
# Run by pgrun as PID 1 of a pid namespace: starts N double-forked
# processes that exit at once, so that each is orphaned to PID 1, waits
# until all have run, then says "reaped" once none is left even as a
# zombie, or "zombie left" if one still is after ten seconds.
echo "pid 1 is $(cat /proc/1/comm)"
: > orphans
i=0
while [ "$i" -lt "$1" ]; do
	(sh -c 'echo $$ >> orphans' &)
	i=$((i + 1))
done
until [ "$(wc -l < orphans)" -ge "$1" ]; do sleep 0.01; done
tries=0
for pid in $(cat orphans); do
	while [ -e /proc/"$pid" ]; do
		tries=$((tries + 1))
		if [ $tries -gt 1000 ]; then
			echo "zombie left: $(cat /proc/"$pid"/stat)"
			exit 1
		fi
		sleep 0.01
	done
done
echo reaped
