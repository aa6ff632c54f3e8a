package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/pgrun/pgrun/internal/killer"
	"github.com/pgrun/pgrun/internal/runner"
)

// In GitHub Actions, a step's GITHUB_STEP_SUMMARY names a file whose
// markdown the run's summary page shows. When the command times out,
// pgrun appends a section to it: the command, its limit, the signals sent,
// the tree as it stood at the deadline and the processes that needed KILL,
// so that the page says what was hanging. Nothing is written otherwise.

// summaryRows is how many processes the summary lists; the rest are
// counted by state. A tree of 10 000 processes must not write megabytes
// into a page meant to be read.
const summaryRows = 50

// summaryArgBytes bounds each command line shown.
const summaryArgBytes = 200

// writeStepSummary appends the timeout's section to out.summary, if it is
// set and the run timed out; code is pgrun's exit status.
func writeStepSummary(out *outcome, code int) error {
	if out.summary == "" || out.err != nil || !out.res.TimedOut || len(out.args) == 0 {
		return nil
	}
	// Never wait on the file: opened for writing, a FIFO blocks until a
	// reader comes, for ever if none does, and a write to a full one until
	// its reader reads. pgrun, its tree gone, has nothing left to wait for.
	f, err := os.OpenFile(out.summary, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NONBLOCK, 0o644)
	if errors.Is(err, syscall.ENXIO) {
		if st, serr := os.Stat(out.summary); serr == nil && st.Mode()&fs.ModeNamedPipe != 0 {
			return fmt.Errorf("%s: no process has the FIFO open for reading", quote(out.summary))
		}
	}
	if err != nil {
		return err
	}
	f.SetWriteDeadline(time.Now().Add(outputWait)) // where it can have one: a FIFO
	_, err = f.WriteString(stepSummary(out, code))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// stepSummary is the markdown section for a run that timed out.
func stepSummary(out *outcome, code int) string {
	var b strings.Builder
	limit := "(pgrun received ALRM)"
	if out.timeout > 0 {
		limit = "after " + formatLimit(out.timeout)
	}
	fmt.Fprintf(&b, "\n### pgrun: %s timed out %s\n\n", mdText(clip(quoteArgs(out.args))), limit)

	var tree []killer.Process   // as it stood at the first deadline signal
	var killed []killer.Process // what KILL had to kill, each once
	var sent []string
	atDeadline := false
	seen := map[int]bool{}
	for i, ev := range out.events {
		switch {
		case ev.Reason == runner.Deadline && !atDeadline:
			tree, atDeadline = ev.Tree, true // also what a -s KILL killed
		case ev.Signal == syscall.SIGKILL:
			for _, p := range ev.Tree {
				if !seen[p.Pid] {
					seen[p.Pid] = true
					killed = append(killed, p)
				}
			}
		}
		what := signalName(ev.Signal)
		if at := ev.At.Sub(out.events[0].At); i > 0 {
			what += fmt.Sprintf(" %s later", at.Round(time.Millisecond))
		} else {
			what += " " + reasonWords[ev.Reason]
		}
		if !ev.Reached {
			what += " (nothing left to reach)"
		}
		sent = append(sent, what)
	}
	if len(sent) > 0 {
		fmt.Fprintf(&b, "Signals sent: %s. ", strings.Join(sent, ", "))
	}
	fmt.Fprintf(&b, "pgrun exited with status %d.\n\n", code)

	if len(tree) > 0 {
		fmt.Fprintf(&b, "Still running at the deadline (%d %s):\n\n", len(tree), plural(len(tree), "process", "processes"))
		summaryTable(&b, tree[:min(len(tree), summaryRows)])
		summaryRest(&b, tree[min(len(tree), summaryRows):])
	}
	if len(killed) > 0 {
		if len(tree) > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "KILL needed for %d %s:\n\n", len(killed), plural(len(killed), "process", "processes"))
		summaryTable(&b, killed[:min(len(killed), killRows)])
		summaryRest(&b, killed[min(len(killed), killRows):])
	}
	return b.String()
}

// summaryTable writes a markdown table of procs.
func summaryTable(b *strings.Builder, procs []killer.Process) {
	b.WriteString("| PID | parent | state | age | command | place |\n|---:|---:|:---:|---:|---|---|\n")
	for _, p := range procs {
		fmt.Fprintf(b, "| %d | %d | %s | %s | %s | %s |\n", p.Pid, p.Ppid, mdText(p.State),
			p.Age.Round(100*time.Millisecond), strings.Repeat("· ", p.Depth)+mdText(clip(quoteArgs(p.Command))), placeMark(p))
	}
}

// summaryRest counts, by state, the processes a table left out.
func summaryRest(b *strings.Builder, rest []killer.Process) {
	if len(rest) == 0 {
		return
	}
	states := map[string]int{}
	for _, p := range rest {
		states[p.State]++
	}
	var counts []string
	for st, n := range states {
		counts = append(counts, fmt.Sprintf("%d %s", n, mdText(st)))
	}
	sort.Strings(counts)
	fmt.Fprintf(b, "\nand %d more not listed (by state: %s).\n", len(rest), strings.Join(counts, ", "))
}

// reasonWords says, in the summary, why the first signal was sent.
var reasonWords = map[runner.Reason]string{
	runner.Deadline:   "at the deadline",
	runner.Relay:      "relayed",
	runner.Escalation: "on escalation",
	runner.Cleanup:    "to what the command left",
}

// clip shortens s to summaryArgBytes, at a rune boundary.
func clip(s string) string {
	if len(s) <= summaryArgBytes {
		return s
	}
	cut := summaryArgBytes
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// mdText escapes s for a markdown table cell: the characters markdown or
// HTML would read as syntax are escaped, and line breaks, which would end
// the row, become spaces. A command line is the process's to choose.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '[', ']', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
