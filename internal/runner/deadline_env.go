package runner

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// DeadlineEnv is the environment variable that tells the command when its
// first signal will be sent, as Unix time in seconds with a fraction
// (1764739200.250), so that a test runner can budget its own timeouts below
// pgrun's. It is absent without a time limit. A pgrun run under another
// keeps the earlier of the two deadlines, when the inherited one is a plain
// decimal time still to come (see commandEnv).
const DeadlineEnv = "PGRUN_DEADLINE"

// commandEnv is pgrun's environment for a command whose first signal
// comes at deadline: PGRUN_DEADLINE set, once, to the earliest inherited
// PGRUN_DEADLINE that is still to come and earlier than deadline, passed
// on as it was written; else to deadline, rounded down to the millisecond
// (deadline is taken before the timer is armed, so the signal never comes
// before the time it gives).
//
// An inherited value counts only if it is a plain decimal Unix time
// (digits, optionally a point and more digits: what pgrun writes); any
// other (0x1p30, 1e-9, -Infinity, 1_000, +5) is taken for absent, since a
// reader of the variable (a shell's arithmetic, Python's float, awk) may
// read it otherwise or not at all. A time already past is taken for
// absent too: it cannot be budgeted against, and it is most likely stale,
// left by a run that is over (a process kept by --orphans keep, a shell or
// a saved environment that copied it), where passing it on would leave
// every nested test runner no time at all. Where the outer pgrun is in
// fact still running (between the steps of a ladder), it still ends its
// tree when it must: the variable is advice, never the limit itself.
func commandEnv(environ []string, deadline time.Time) []string {
	prefix := DeadlineEnv + "="
	now := unixSeconds(time.Now())
	value, earliest := "", unixSeconds(deadline)
	out := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		v, ok := strings.CutPrefix(kv, prefix)
		if !ok {
			out = append(out, kv)
			continue
		}
		if t, ok := parseDeadline(v); ok && t > now && t <= earliest {
			value, earliest = v, t
		}
	}
	if value == "" {
		ms := deadline.UnixMilli()
		value = fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
	}
	return append(out, prefix+value)
}

// parseDeadline reads a PGRUN_DEADLINE as commandEnv accepts it: digits,
// optionally followed by a point and at least one digit.
func parseDeadline(v string) (float64, bool) {
	whole, frac, hasFrac := strings.Cut(v, ".")
	if !allDigits(whole) || hasFrac && !allDigits(frac) {
		return 0, false
	}
	t, err := strconv.ParseFloat(v, 64)
	return t, err == nil
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// environ is the environment the command starts with.
func environ(timeout time.Duration) []string {
	if timeout <= 0 {
		return os.Environ()
	}
	return commandEnv(os.Environ(), time.Now().Add(timeout))
}
