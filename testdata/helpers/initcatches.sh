#!/bin/sh
# Usage: sh initcatches.sh
# Inside a pid namespace of pgrun's: waits until its init (pid 1) catches
# TERM, which it routes only once the command runs.
until cgt=$(awk '/^SigCgt:/ { print $2 }' /proc/1/status) && [ $(( 0x${cgt#${cgt%????}} & 0x4000 )) -ne 0 ]; do
	sleep 0.01
done
