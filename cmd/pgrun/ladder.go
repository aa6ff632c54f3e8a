package main

import (
	"strings"
	"syscall"
	"time"

	"github.com/pgrun/pgrun/internal/runner"
)

// ladderStep is one step of a --signal ladder as written: its wait is
// known only once every option is read, since -k may come after -s.
type ladderStep struct {
	sig     syscall.Signal
	wait    time.Duration
	hasWait bool // the step said :WAIT; else it waits the grace period
}

// ladderError is a --signal list that is not a ladder, for a reason that
// is not one signal or one wait (those are *signalError and
// *durationError, as for a plain -s or -k).
type ladderError struct{ Text, Why string }

func (e *ladderError) Error() string { return "invalid signal list " + e.Text + ": " + e.Why }

// parseLadder reads --signal's value, SIG[:WAIT][,SIG[:WAIT]]...: each SIG
// as parseSignal reads one, each WAIT as parseDuration reads a DURATION.
// A plain SIG is a ladder of one step. KILL may only be the last step, and
// without a wait: nothing is left to signal after it.
func parseLadder(s string) ([]ladderStep, error) {
	var steps []ladderStep
	parts := strings.Split(s, ",")
	for i, part := range parts {
		name, wait, hasWait := strings.Cut(part, ":")
		if name == "" && (len(parts) > 1 || hasWait) {
			return nil, &ladderError{Text: s, Why: "a step has no signal"}
		}
		sig, err := parseSignal(name)
		if err != nil {
			return nil, err
		}
		if why := meaningless(sig); why != "" {
			return nil, &signalMeaningError{Text: name, Why: why}
		}
		st := ladderStep{sig: sig, hasWait: hasWait}
		if hasWait {
			if st.wait, err = parseDuration(wait); err != nil {
				return nil, err
			}
		}
		if sig == syscall.SIGKILL && (i < len(parts)-1 || hasWait) {
			return nil, &ladderError{Text: s, Why: "KILL can only be the last step, without a wait"}
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// formatLadder writes steps back as parseLadder reads them.
func formatLadder(steps []ladderStep) string {
	parts := make([]string, len(steps))
	for i, st := range steps {
		parts[i] = signalName(st.sig)
		if st.hasWait {
			parts[i] += ":" + st.wait.String()
		}
	}
	return strings.Join(parts, ",")
}

// runnerLadder is the ladder with the grace period in every wait left
// unsaid; nil for a plain -s SIG, which Options.Signal and Grace say.
//
// A wait of 0 goes on to the next step at once, and after the last step
// the next is KILL: a last step that says :0 (`-s TERM:0`) is followed by
// an explicit KILL step, since the runner takes a last wait of 0 for "no
// KILL", which is what a grace period of 0 (-k 0) means, as in timeout.
func runnerLadder(steps []ladderStep, grace time.Duration) []runner.Step {
	if len(steps) == 1 && !steps[0].hasWait {
		return nil
	}
	out := make([]runner.Step, len(steps))
	for i, st := range steps {
		out[i] = runner.Step{Signal: st.sig, Wait: grace}
		if st.hasWait {
			out[i].Wait = st.wait
		}
	}
	if last := steps[len(steps)-1]; last.hasWait && last.wait == 0 && last.sig != syscall.SIGKILL {
		out = append(out, runner.Step{Signal: syscall.SIGKILL})
	}
	return out
}
