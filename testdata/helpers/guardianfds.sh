#!/bin/sh
# Usage: sh guardianfds.sh PGRUN_ARG...
# Runs pgrun PGRUN_ARG... in the background, with the caller's fd 7; once
# ./ready exists and the guardian is armed (and has dropped fd 7, or 5 s
# have passed), prints "guardian holds: " and what the guardian's
# descriptors above 2 point to, then sends TERM to pgrun and waits.
escape setsid pgrun "$@" &
p=$!
until [ -e ready ]; do sleep 0.01; done
g=$(sh "$HELPERS/guardian.sh" $p) || exit 1
# The guardian is seen as soon as it is executed; what it closes, it
# closes a moment later: give it up to 5 s to drop fd 7.
i=0
while [ -e /proc/$g/fd/7 ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
printf 'guardian holds:'
for fd in /proc/$g/fd/*; do
	n=${fd##*/}
	[ "$n" -gt 2 ] && printf ' %s' "$n:$(readlink "$fd")"
done
echo
kill -TERM $p
wait $p
exit 0
