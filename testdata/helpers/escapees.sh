#!/bin/sh
# Usage: sh escapees.sh [THEN]
#
# Starts one process that stays in the command's process group and one of
# each kind that leaves it, waits until all five have recorded themselves
# in ./pids, then does THEN (see then.sh; ready by default) and waits.
# Each is a sleeper.sh, so a survivor appends to ./leaked.
# Files: ./leader holds this shell's pid, which is its process group id.
echo $$ > leader
: > pids
s=$HELPERS/sleeper.sh
sh "$s" > /dev/null 2>&1 &                     # stays in the group
escape setsid sh "$s" > /dev/null 2>&1 &       # a new session
escape setpgid sh "$s" > /dev/null 2>&1 &      # a new group of the session
escape setsid nohup sh "$s" > /dev/null 2>&1 & # setsid nohup, as daemons do
# A double fork: the daemon's parent exits at once, so it is orphaned.
sh -c 'escape setsid sh "$1" & exit 0' sh "$s" > /dev/null 2>&1
until [ "$(wc -l < pids)" -ge 5 ]; do sleep 0.01; done
sh "$HELPERS/then.sh" "${1:-ready}" $PPID || exit $?
wait
