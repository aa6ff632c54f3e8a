#!/bin/sh
# Usage: sh ladder.sh [END]
#
# The command of the ladder tests: it traps QUIT, TERM and HUP and logs each
# one it gets, in order, to ./log, with the time in nanoseconds to ./times;
# a child shell below it logs HUP and TERM to ./child.log, and TERM ends it. END (TERM by default; - for none) is the one signal that ends this
# shell, with status 3; it only logs the others. Once both traps are set it sends ALRM
# to pgrun, its deadline. Files: ./leader holds this shell's pid, ./pids
# the child's. Both live about $LONG seconds at most.
end_on=${1:-TERM}
ulimit -c 0 # QUIT dumps core by default: not in the test's directory
echo $$ > leader
rm -f child.fifo
mkfifo child.fifo
(
	# No QUIT here: a shell's background jobs ignore QUIT and INT, for
	# good (POSIX), so this child could not even trap it.
	trap 'echo "child HUP" >> child.log' HUP
	trap 'echo "child TERM" >> child.log; exit 0' TERM
	echo ready > child.fifo
	i=0 # no date here: it could be the process a signal kills
	while [ "$i" -lt "$LONG" ]; do sleep 1 & wait; i=$((i + 1)); done
) &
echo $! > pids
read -r _ < child.fifo
for sig in QUIT TERM HUP; do
	if [ "$sig" = "$end_on" ]; then
		trap "echo $sig >> log; date +%s%N >> times; exit 3" $sig
	else
		trap "echo $sig >> log; date +%s%N >> times" $sig
	fi
done
kill -ALRM $PPID
i=0
while [ "$i" -lt "$LONG" ]; do sleep 1 & wait; i=$((i + 1)); done
