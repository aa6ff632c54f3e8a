#!/bin/sh
# Usage: sh deadline.sh LIMIT
# Prints "within" if ./deadline holds Unix seconds with a fraction, at least
# LIMIT seconds after ./before (Unix seconds, taken before pgrun started)
# and at most LIMIT seconds after this check; else what it saw.
d=$(cat deadline) before=$(cat before) now=$(date +%s)
case $d in
*[!0-9.]* | "" | .* | *. | *.*.*) echo "not a time: '$d'"; exit ;;
esac
awk -v d="$d" -v b="$before" -v n="$now" -v l="$1" \
	'BEGIN { if (d >= b + l && d <= n + 1 + l) print "within"; else print d " not in [" b + l ", " n + 1 + l "]" }'
