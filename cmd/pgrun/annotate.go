package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// When pgrun runs in a GitHub Actions step (GITHUB_ACTIONS=true) and the
// command times out, pgrun adds one workflow command to its other output:
//
//	::error title=pgrun::'pytest -n auto' timed out after 20m
//
// so the run's summary says which step ran out of time, not just that it
// failed. The runner reads workflow commands from a step's stderr as well
// as its stdout (both streams go through its command parser), and stdout
// is the command's data, so the line goes to stderr.
//
// The runner reads a workflow command only at the start of a line, and
// the command shares that stderr: its last line may lack its newline
// ("waiting for db..." when it was killed). pgrun cannot tell, since what
// the command writes never passes through pgrun, so the annotation always
// starts with a newline of its own: an empty line, which the runner
// ignores, is what it costs when the line was complete.

// annotateTimeout prints that line on w if env says this is GitHub Actions
// and the run timed out: the deadline passed or pgrun received ALRM (as
// timeout(1) counts it; also with --preserve-status). A signal relayed to
// the command is not a timeout.
func annotateTimeout(w io.Writer, getenv func(string) string, out *outcome) {
	if getenv("GITHUB_ACTIONS") != "true" || out.err != nil || !out.res.TimedOut || len(out.args) == 0 {
		return
	}
	msg := timedOut(out.args, out.timeout)
	fmt.Fprintf(w, "\n::error title=%s::%s\n", escapeProperty("pgrun"), escapeData(msg))
}

// timedOut says that the command args timed out, after timeout (0: at an
// ALRM pgrun received), naming it by its command line, shortened.
func timedOut(args []string, timeout time.Duration) string {
	msg := shortCommand(args) + " timed out"
	if timeout > 0 {
		return msg + " after " + formatLimit(timeout)
	}
	return msg + " (pgrun received ALRM)"
}

// shortCommandRunes bounds shortCommand: enough for a command and the
// arguments that tell it from the next step's, short enough for one line
// of a CI log.
const shortCommandRunes = 72

// shortCommand names a command by its command line, for pgrun's own
// messages: the arguments joined by spaces, cut to shortCommandRunes with
// "..." where longer, quoted as coreutils quotes (quote), so that a control
// character or a newline in an argument cannot forge a line. It names, it
// does not reproduce: an argument's own spaces are not told apart from
// those between arguments (the report has the arguments as given).
func shortCommand(args []string) string {
	s := strings.Join(args, " ")
	if utf8.RuneCountInString(s) > shortCommandRunes {
		cut := 0 // by bytes, so that quote sees invalid UTF-8 as it was
		for range shortCommandRunes - 3 {
			_, size := utf8.DecodeRuneInString(s[cut:])
			cut += size
		}
		s = s[:cut] + "..."
	}
	return quote(s)
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
