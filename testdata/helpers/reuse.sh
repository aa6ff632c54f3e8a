#!/bin/sh
# Usage: sh reuse.sh session|group
# Run as PID 1 of a pid namespace of its own (unshare --pid --fork
# --mount-proc), where it may choose the next pid (ns_last_pid). Runs
# pgrun (subreaper, a guardian, --orphans wait) on a command that ends at
# once and leaves an escapee (./pids); with group, the command leads a
# group of pgrun's session (--foreground), else a session. Once the
# command has exited, it has an unrelated process try to take the
# command's number, by choosing it as the next pid, and make it its
# session's (or group's) number: it leaves a bystander (./b.pid, ./b.log)
# there and ends. Then it SIGKILLs pgrun and waits for the guardian to be
# done. Prints whether the number was "taken" or "pinned" (pgrun kept it),
# whether the bystander was "untouched" and whether the escapee is "gone".
fg= way=setsid
if [ "$1" = group ]; then
	fg=--foreground way=setpgid
fi
escape setsid pgrun --contain subreaper --orphans wait $fg 60 sh -c 'echo $$ > leader; escape setsid sh $HELPERS/sleeper.sh > /dev/null 2>&1 & exit 0' > /dev/null 2>&1 &
p=$!
until [ -s pids ]; do sleep 0.01; done
g=$(sh "$HELPERS/guardian.sh" $p) || exit 1
leader=$(cat leader)
# The command has exited: pgrun has reaped it, or keeps it a zombie.
while [ -e /proc/"$leader" ] && [ "$(cut -d' ' -f3 /proc/"$leader"/stat)" != Z ]; do sleep 0.01; done
echo $((leader - 1)) > /proc/sys/kernel/ns_last_pid
escape $way sh -c 'bystander b.log b.pid > /dev/null 2>&1 & echo $$ > taker; until [ -s b.pid ]; do sleep 0.01; done'
if [ "$(cat taker)" = "$leader" ]; then echo taken; else echo pinned; fi
kill -KILL $p
wait $p
while [ -e /proc/"$g" ] && [ "$(cut -d' ' -f3 /proc/"$g"/stat)" != Z ]; do sleep 0.01; done
b=$(cat b.pid)
if [ ! -e b.log ] && [ -e /proc/"$b" ] && [ "$(cut -d' ' -f3 /proc/"$b"/stat)" != Z ]; then
	echo untouched
fi
kill -KILL "$b" 2> /dev/null
e=$(cat pids)
if ! [ -e /proc/"$e" ] || [ "$(cut -d' ' -f3 /proc/"$e"/stat)" = Z ]; then
	echo gone
fi
