#!/bin/sh
# Usage: sh leaderstate.sh
# Waits until the process in ./leader has exited, then writes to ./state
# "zombie" if it is still unreaped, or "reaped".
leader=$(cat leader)
while :; do
	if ! stat=$(cat /proc/"$leader"/stat 2> /dev/null); then
		echo reaped > state
		exit
	fi
	case $stat in
	*") Z "*)
		echo zombie > state
		exit
		;;
	esac
	sleep 0.01
done
