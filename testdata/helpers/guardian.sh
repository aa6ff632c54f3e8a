#!/bin/sh
# Usage: sh guardian.sh PGRUN_PID > FILE
# Waits until pgrun PGRUN_PID has armed its guardian (a child whose argv[0]
# is pgrun-guardian), and prints the guardian's pid. Gives up after 10 s
# with status 1.
i=0
while [ $i -lt 1000 ]; do
	for c in $(cat /proc/"$1"/task/*/children 2> /dev/null); do
		if tr '\0' '\n' < /proc/"$c"/cmdline 2> /dev/null | head -n 1 | grep -qx pgrun-guardian; then
			echo "$c"
			exit 0
		fi
	done
	sleep 0.01
	i=$((i + 1))
done
echo "pgrun $1 armed no guardian" >&2
exit 1
