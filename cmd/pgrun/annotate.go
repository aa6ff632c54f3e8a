package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// When pgrun runs in a GitHub Actions step (GITHUB_ACTIONS=true) and the
// command times out, pgrun adds one workflow command to its other output:
//
//	::error title=pgrun::'pytest' timed out after 20m
//
// so the run's summary says which step ran out of time, not just that it
// failed. The runner reads workflow commands from a step's stderr as well
// as its stdout (both streams go through its command parser), and stdout
// is the command's data, so the line goes to stderr.

// annotateTimeout prints that line on w if env says this is GitHub Actions
// and the run timed out: the deadline passed or pgrun received ALRM (as
// timeout(1) counts it; also with --preserve-status). A signal relayed to
// the command is not a timeout.
func annotateTimeout(w io.Writer, getenv func(string) string, out *outcome) {
	if getenv("GITHUB_ACTIONS") != "true" || out.err != nil || !out.res.TimedOut || len(out.args) == 0 {
		return
	}
	msg := quote(out.args[0]) + " timed out"
	if out.timeout > 0 {
		msg += " after " + formatLimit(out.timeout)
	} else {
		msg += " (pgrun received ALRM)"
	}
	fmt.Fprintf(w, "::error title=%s::%s\n", escapeProperty("pgrun"), escapeData(msg))
}

// formatLimit writes d as a Go duration without the zero units that
// time.Duration.String leaves at the end: 20m, 1h, 1h30m, 90s, 200ms.
func formatLimit(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// escapeData escapes a workflow command's message: % first, then the line
// breaks that would end the command.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value, in which
// ":" would end the properties and "," would start the next one.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
