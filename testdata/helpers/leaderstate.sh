#!/bin/sh
# Usage: sh leaderstate.sh
# Waits until the process in ./leader has exited, then writes to ./state
# "reaped" once it is reaped, or "zombie" if it is still unreaped two
# seconds after it exited. (A leader that is reaped at once still shows as
# a zombie for the moment its parent takes to notice; on a loaded machine
# that moment can outlast this script's start.)
leader=$(cat leader)
polls=0
while :; do
	if ! stat=$(cat /proc/"$leader"/stat 2> /dev/null); then
		echo reaped > state
		exit
	fi
	case $stat in
	*") Z "*)
		polls=$((polls + 1))
		if [ "$polls" -ge 200 ]; then
			echo zombie > state
			exit
		fi
		;;
	esac
	sleep 0.01
done
