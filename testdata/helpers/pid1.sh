#!/bin/sh
# Usage: sh pid1.sh [-userns] PGRUN-ARGUMENTS...
# Runs pgrun with PGRUN-ARGUMENTS as PID 1 of a pid namespace of its own,
# with a /proc of its own (a container's entrypoint), and once the command
# runs (./running) enters the namespace from outside, as `docker exec`
# does, to start a background job there and leave it: the namespace's
# init, pgrun, adopts it. It is a bystander (see TestMain): ./c.pid holds
# its pid in the namespace, ./c.log the signals it got. With -userns the
# namespaces belong to a user namespace of their own, for a user who is
# not root. Exits with pgrun's status.
enter=
if [ "$1" = -userns ]; then
	enter=-U
	shift
	unshare --user --map-root-user --pid --fork --mount-proc pgrun "$@" &
else
	unshare --pid --fork --mount-proc pgrun "$@" &
fi
u=$!
while [ ! -e running ]; do sleep 0.01; done
read -r init _ < /proc/$u/task/$u/children
nsenter -t "$init" $enter --preserve-credentials -p -m --wd="$PWD" sh -c 'bystander c.log c.pid > /dev/null 2>&1 &'
wait $u
