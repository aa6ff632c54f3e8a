//go:build unix

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
// keeps the earlier of the two deadlines.
const DeadlineEnv = "PGRUN_DEADLINE"

// commandEnv is pgrun's environment for a command whose first signal
// comes at deadline: PGRUN_DEADLINE set to it, unless an
// inherited PGRUN_DEADLINE is earlier. The value is rounded down to the
// millisecond, and deadline is taken before the timer is armed, so the
// signal never comes before the time it gives.
func commandEnv(environ []string, deadline time.Time) []string {
	prefix := DeadlineEnv + "="
	out := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, prefix); ok {
			if outer, err := strconv.ParseFloat(v, 64); err == nil && outer <= unixSeconds(deadline) {
				return environ
			}
			continue
		}
		out = append(out, kv)
	}
	ms := deadline.UnixMilli()
	return append(out, fmt.Sprintf("%s%d.%03d", prefix, ms/1000, ms%1000))
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// environ is the environment the command starts with.
func environ(timeout time.Duration) []string {
	if timeout <= 0 {
		return os.Environ()
	}
	return commandEnv(os.Environ(), time.Now().Add(timeout))
}
