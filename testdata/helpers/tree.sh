#!/bin/sh
# Usage: sh tree.sh WIDTH DEPTH [THEN]
#
# Builds a process tree under this shell (the command pgrun runs), records
# it, then does THEN:
#   WIDTH  background sleepers started by this shell
#   DEPTH  length of a chain of nested shells below it, the last one sleeping
#   THEN   what to do then (see then.sh; ready by default), after which
#          it waits for its children
# Environment: IGNORE_TERM=1: this shell and every sleeper ignore TERM.
#              STOP=1: every sleeper is stopped (SIGSTOP).
# Files: ./leader holds this shell's pid, which is its process group id;
#        ./pids holds every other pid of the tree.
# Every process lives at most $LONG seconds, so a leak cannot hang a test;
# one that lives that long appends to ./leaked, so a leak cannot pass either.
set -e
width=$1 depth=$2 then=${3:-ready}
echo $$ > leader
: > pids
if [ -n "${IGNORE_TERM:-}" ]; then
	trap '' TERM # ignored dispositions survive fork and exec
fi
i=0
while [ "$i" -lt "$width" ]; do
	(sleep "$LONG"; echo $$ >> leaked) > /dev/null 2>&1 &
	echo $! >> pids
	if [ -n "${STOP:-}" ]; then kill -STOP $!; fi
	i=$((i + 1))
done
if [ "$depth" -gt 0 ]; then
	rm -f chain.fifo
	mkfifo chain.fifo
	sh "$HELPERS/chain.sh" "$depth" > /dev/null 2>&1 &
	read -r _ < chain.fifo # the last link says it is there
fi
sh "$HELPERS/then.sh" "$then" $PPID || exit $?
wait
