#!/bin/sh
# Usage: sh sleeper.sh
# Sleeps $LONG seconds in a child, appending its pid to ./pids once that
# child is started, then appends its pid to ./leaked: a process that lives
# out its life was not killed.
# IGNORE_TERM=1: ignores TERM.
# RESPAWN=1: answers TERM by starting a new escapee (a new session) and
# exiting, as a supervisor that restarts its worker would.
if [ -n "${IGNORE_TERM:-}" ]; then
	trap '' TERM
fi
if [ -n "${RESPAWN:-}" ]; then
	trap 'RESPAWN= escape setsid sh "$HELPERS/sleeper.sh" > /dev/null 2>&1 & exit 0' TERM
fi
sleep "$LONG" &
echo $$ >> pids # only now: its sleep exists too
if wait $!; then
	echo $$ >> leaked
fi
