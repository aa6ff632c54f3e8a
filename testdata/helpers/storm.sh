#!/bin/sh
# Usage: sh storm.sh DEPTH
# A bounded fork storm of escapees: records its pid in ./pids, starts five
# copies of itself with DEPTH-1, each in a new session, as fast as it can,
# then sleeps $LONG seconds (and appends to ./leaked if not killed by then).
# At most 5 + 25 + ... + 5^DEPTH processes, so a broken pgrun cannot
# exhaust the machine's pids. IGNORE_TERM=1: all of them ignore TERM.
if [ -n "${IGNORE_TERM:-}" ]; then
	trap '' TERM
fi
echo $$ >> pids
if [ "$1" -gt 0 ]; then
	for i in 1 2 3 4 5; do
		setsid sh "$HELPERS/storm.sh" $(($1 - 1)) > /dev/null 2>&1 &
	done
fi
sleep "$LONG" &
if wait $!; then
	echo $$ >> leaked
fi
