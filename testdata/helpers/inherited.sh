#!/bin/sh
# Usage: sh inherited.sh PGRUN-ARGUMENTS...
# Leaves pgrun two processes that are not the command's, then executes
# pgrun with PGRUN-ARGUMENTS, as `server & exec pgrun ...` does:
#   a: a background job of this shell, so pgrun's child from its start
#      (./a.pid, signals logged to ./a.log);
#   b: a background job of another of its jobs, which ends once the
#      command runs (./running), so that pgrun, the child subreaper,
#      adopts b (./b.pid, ./b.log).
# Both are bystanders (see TestMain): they log every signal but KILL, and
# live about $LONG seconds, with /dev/null for output (the test waits for
# what holds its pipes).
bystander a.log a.pid > /dev/null 2>&1 &
sh -c 'bystander b.log b.pid > /dev/null 2>&1 & while [ ! -e running ]; do sleep 0.01; done' &
exec pgrun "$@"
