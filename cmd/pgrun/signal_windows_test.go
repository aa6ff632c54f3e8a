package main

import (
	"encoding/json"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgrun/pgrun/internal/killer"
)

// On Windows every name of Go's table parses, but only TERM, INT, KILL
// and 0 can be sent: the others are usage errors that say so.
func TestWindowsSignals(t *testing.T) {
	for _, ok := range []string{"TERM", "sigint", "KILL", "9", "0", "EXIT", "TERM:1s,KILL", "INT:0,TERM"} {
		if _, err := parseLadder(ok); err != nil {
			t.Errorf("parseLadder(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"HUP", "QUIT:30s,TERM", "ALRM", "14", "SIGPIPE"} {
		_, err := parseLadder(bad)
		var mean *signalMeaningError
		if !errors.As(err, &mean) || !strings.Contains(mean.Why, "no meaning on Windows") {
			t.Errorf("parseLadder(%q): %v; want a *signalMeaningError", bad, err)
		}
	}
	for _, bad := range []string{"USR1", "RTMIN", "16", "WINCH"} {
		var sigErr *signalError
		if _, err := parseLadder(bad); !errors.As(err, &sigErr) {
			t.Errorf("parseLadder(%q): %v; want a *signalError", bad, err)
		}
	}
	if got := signalName(syscall.SIGTERM); got != "TERM" {
		t.Errorf("signalName(TERM) = %q", got)
	}
}

func TestWindowsSignalCompletion(t *testing.T) {
	got, _ := completeSignal(nil, nil, "")
	var words []string
	for _, c := range got {
		words = append(words, strings.SplitN(string(c), "\t", 2)[0])
	}
	if strings.Join(words, " ") != "INT KILL TERM" {
		t.Errorf("completion offers %v; want INT KILL TERM", words)
	}
}

// The report's usage is the job's, with the fields of Windows.
func TestWindowsReportUsage(t *testing.T) {
	u := usageOf(killer.Usage{User: 1500 * time.Millisecond, System: 250 * time.Millisecond, PeakMemory: 3 << 20, Processes: 7})
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"user_seconds":1.5,"system_seconds":0.25,"peak_job_memory_kib":3072,"processes":7}`
	if string(b) != want {
		t.Errorf("usage = %s; want %s", b, want)
	}
}
