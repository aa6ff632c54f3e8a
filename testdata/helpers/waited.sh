#!/bin/sh
# Usage: sh waited.sh TIMES SECONDS
# Prints "waited" if the first two times in TIMES (nanoseconds, one per
# line) are at least SECONDS apart (and less than a minute: a ladder that
# waits for ever fails too); else what it found.
awk -v min="$2" 'NR == 1 { a = $1 } NR == 2 { b = $1 }
END { d = (b - a) / 1e9; if (NR >= 2 && d >= min && d < 60) print "waited"; else print NR " times, " d " s apart" }' "$1"
