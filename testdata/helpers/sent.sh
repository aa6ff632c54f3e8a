#!/bin/sh
# Usage: sh sent.sh REPORT
# Prints one line for each entry of the "signals" array of REPORT (a
# --report file, as pgrun writes it: indented, one field a line), in order:
# the time pgrun sent it, in nanoseconds since the epoch, then its signal
# and reason: "1700000000123456789 TERM deadline". The times are pgrun's
# own, so they are what to check its waits against (see waited.sh). Plain
# awk: the tests may not have jq.
[ -r "$1" ] || { echo "sent.sh: cannot read $1" >&2; exit 99; }
awk '
# ns turns an RFC 3339 time ("2006-01-02T15:04:05.999999999+07:00", no
# fraction or fewer digits, or Z) into nanoseconds since the epoch, as a
# string of digits: a double has no room for them all.
function ns(t,    y, mo, d, h, mi, s, frac, off, era, yoe, doy, days, secs) {
	if (t !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9](\.[0-9]+)?(Z|[-+][0-9][0-9]:[0-9][0-9])$/)
		return ""
	y = substr(t, 1, 4) + 0; mo = substr(t, 6, 2) + 0; d = substr(t, 9, 2) + 0
	h = substr(t, 12, 2) + 0; mi = substr(t, 15, 2) + 0; s = substr(t, 18, 2) + 0
	t = substr(t, 20)
	frac = ""
	if (substr(t, 1, 1) == ".") {
		match(t, /^\.[0-9]+/)
		frac = substr(t, 2, RLENGTH - 1)
		t = substr(t, RLENGTH + 1)
	}
	frac = substr(frac "000000000", 1, 9)
	off = 0
	if (t != "Z") {
		off = substr(t, 2, 2) * 3600 + substr(t, 5, 2) * 60
		if (substr(t, 1, 1) == "+")
			off = -off
	}
	# Days since 1970-01-01 of a date of the proleptic Gregorian calendar
	# (H. Hinnant, "chrono-compatible low-level date algorithms").
	y -= (mo <= 2)
	era = int(y / 400)
	yoe = y - era * 400
	doy = int((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1
	days = era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468
	secs = days * 86400 + h * 3600 + mi * 60 + s + off
	return sprintf("%.0f", secs) frac
}
# The value of a "key": "value" line.
function value(line) {
	sub(/^[^:]*: *"/, "", line)
	sub(/",?[ \t\r]*$/, "", line)
	return line
}
/^ *"signals": \[ *$/ { in_signals = 1; next }
!in_signals { next }
/^ *\],? *$/ { in_signals = 0; next }
/^ *"time": / { at = ns(value($0)) }
/^ *"signal": / { sig = value($0) }
/^ *"reason": / { why = value($0) }
/^ *},? *$/ {
	if (at == "") { print "sent.sh: an entry without a time" > "/dev/stderr"; bad = 1 }
	print at, sig, why
	at = sig = why = ""
}
END { exit bad ? 99 : 0 }
' "$1"
