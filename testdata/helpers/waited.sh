#!/bin/sh
# Usage: sh waited.sh TIMES SECONDS [SHARE]
# Prints "waited" if the first two times in TIMES (nanoseconds since the
# epoch, first on each line: ./times of ladder.sh, or what sent.sh prints)
# are at least SHARE (1 by default) times SECONDS apart, and less than a
# minute (a ladder that waits for ever fails too); else what it found.
# The seconds and the nanoseconds are subtracted apart: a double cannot
# hold all the digits of a time.
awk -v min="$2" -v share="${3:-1}" '
function istime(t) { return t ~ /^[0-9]+$/ && length(t) > 9 }
function sec(t) { return substr(t, 1, length(t) - 9) }
function nsec(t) { return substr(t, length(t) - 8) }
NR == 1 { a = $1 } NR == 2 { b = $1 }
END {
	ok = NR >= 2 && istime(a) && istime(b)
	d = ok ? (sec(b) - sec(a)) + (nsec(b) - nsec(a)) / 1e9 : 0
	if (ok && d >= share * min && d < 60) print "waited"
	else printf "%d times, %.9f s apart, want at least %g\n", NR, d, share * min
}' "$1"
