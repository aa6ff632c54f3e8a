#!/bin/sh
# Usage: sh chain.sh N
# One link of a chain of N nested shells, each waiting for the next; the
# last sleeps $LONG seconds, then appends to ./leaked. Each appends its pid
# to ./pids; the last writes a line to ./chain.fifo once it is there.
echo $$ >> pids
if [ "$1" -gt 1 ]; then
	sh "$HELPERS/chain.sh" $(($1 - 1)) &
	wait
else
	echo there > chain.fifo
	sleep "$LONG"
	echo $$ >> leaked
fi
