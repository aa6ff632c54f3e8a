package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/pgrun/pgrun/internal/runner"
)

// reportSchema names the version of the --report document. A change that
// could break a reader (a field renamed, removed or given another meaning)
// gets a new number; new fields do not.
const reportSchema = "pgrun-report/1"

// report is the --report document: what pgrun ran, how it ended, and what
// it had to signal and kill. The README documents every field.
type report struct {
	Schema          string    `json:"schema"`
	Command         []string  `json:"command"`
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	DurationSeconds float64   `json:"duration_seconds"`
	TimeoutSeconds  float64   `json:"timeout_seconds"`
	GraceSeconds    float64   `json:"grace_seconds"`
	Outcome         string    `json:"outcome"`
	ExitCode        int       `json:"exit_code"`
	Signal          string    `json:"signal,omitempty"`
	Error           string    `json:"error,omitempty"`
	Containment     string    `json:"containment,omitempty"`
	// ContainmentLimits is runner.Containment.Limits.
	ContainmentLimits string `json:"containment_limits,omitempty"`
	// Guardian is runner.Containment.Guardian at the start, then
	// runner.Result.Guardian: whether one was in fact armed.
	Guardian string          `json:"guardian,omitempty"`
	Signals  []reportSignal  `json:"signals"`
	Killed   []reportProcess `json:"killed"`
	Usage    *reportRusage   `json:"usage,omitempty"`
}

type reportSignal struct {
	Time      time.Time `json:"time"`
	Signal    string    `json:"signal"`
	Reason    string    `json:"reason"`
	Processes int       `json:"processes"`
}

type reportProcess struct {
	Pid     int      `json:"pid"`
	Ppid    int      `json:"ppid"`
	Command []string `json:"command"`
	Place   string   `json:"place"`
}

type reportRusage struct {
	UserSeconds   float64 `json:"user_seconds"`
	SystemSeconds float64 `json:"system_seconds"`
	MaxRSSKiB     int64   `json:"max_rss_kib"`
}

var reasonNames = map[runner.Reason]string{
	runner.Deadline:   "deadline",
	runner.Relay:      "relay",
	runner.Escalation: "escalation",
	runner.Cleanup:    "cleanup",
}

func newReport(args []string, timeout, grace time.Duration) *report {
	return &report{
		Schema: reportSchema, Command: args, Start: time.Now(),
		TimeoutSeconds: timeout.Seconds(), GraceSeconds: grace.Seconds(),
		Signals: []reportSignal{}, Killed: []reportProcess{},
	}
}

// record adds one signal sent, and for a KILL the processes it had to kill.
func (r *report) record(ev runner.Event) {
	r.Signals = append(r.Signals, reportSignal{
		Time: ev.At, Signal: signalName(ev.Signal), Reason: reasonNames[ev.Reason], Processes: len(ev.Tree),
	})
	if ev.Signal == syscall.SIGKILL {
		for _, p := range ev.Tree {
			r.Killed = append(r.Killed, reportProcess{Pid: p.Pid, Ppid: p.Ppid, Command: p.Command, Place: p.Place})
		}
	}
}

// finish fills in how the run ended.
func (r *report) finish(res runner.Result, err error, code int) {
	r.End = time.Now()
	r.DurationSeconds = r.End.Sub(r.Start).Seconds()
	r.ExitCode = code
	var startErr *runner.StartError
	switch {
	case errors.As(err, &startErr):
		r.Outcome, r.Error = "start_failed", strerror(startErr.Err)
		return
	case err != nil:
		r.Outcome, r.Error = "failed", err.Error()
		return
	case res.TimedOut && res.Killed:
		r.Outcome = "killed_after_grace"
	case res.TimedOut:
		r.Outcome = "timed_out"
	case res.Status.Signaled():
		r.Outcome = "signaled"
	default:
		r.Outcome = "exited"
	}
	if res.Status.Signaled() {
		r.Signal = signalName(res.Status.Signal())
	}
	r.Containment = res.Containment
	if res.Guardian != "" {
		r.Guardian = res.Guardian
	}
	ru := res.Rusage
	r.Usage = &reportRusage{
		UserSeconds:   time.Duration(syscall.TimevalToNsec(ru.Utime)).Seconds(),
		SystemSeconds: time.Duration(syscall.TimevalToNsec(ru.Stime)).Seconds(),
		MaxRSSKiB:     maxRSSKiB(ru),
	}
}

// write stores the report in path, replacing it whole: a reader never sees
// half a document.
func (r *report) write(path string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // command lines are full of & and <
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
