//go:build unix

package main

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

func TestParseLadder(t *testing.T) {
	good := []struct {
		in   string
		want string // formatLadder of the result
	}{
		{"TERM", "TERM"},
		{"sigquit:30s,TERM", "QUIT:30s,TERM"},
		{"QUIT:0,HUP:1m30s,15,KILL", "QUIT:0s,HUP:1m30s,TERM,KILL"},
		{"TERM:2", "TERM:2s"},
		{"RTMIN+1:0.5", "RTMIN+1:500ms"},
	}
	for _, c := range good {
		steps, err := parseLadder(c.in)
		if err != nil {
			t.Errorf("parseLadder(%q): %v", c.in, err)
			continue
		}
		if got := formatLadder(steps); got != c.want {
			t.Errorf("parseLadder(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	bad := []struct{ in, want string }{ // want: errKind of the error
		{"", "signal"},
		{"BOGUS", "signal"},
		{"QUIT:30s,BOGUS", "signal"},
		{"QUIT:3x", "duration"},
		{"QUIT:", "duration"},
		{"QUIT:-1", "duration"},
		{"QUIT,", "ladder"},
		{",TERM", "ladder"},
		{":5s", "ladder"},
		{"QUIT,,TERM", "ladder"},
		{"KILL,TERM", "ladder"},
		{"TERM,KILL:1s", "ladder"},
	}
	for _, c := range bad {
		if _, err := parseLadder(c.in); errKind(err) != c.want {
			t.Errorf("parseLadder(%q) = %v, want a %s error", c.in, err, c.want)
		}
	}
}

// errKind names which of the errors pgrun reports for a --signal value
// err is: "signal", "duration" or "ladder"; "" for none of them.
func errKind(err error) string {
	switch {
	case errors.As(err, new(*signalError)):
		return "signal"
	case errors.As(err, new(*durationError)):
		return "duration"
	case errors.As(err, new(*ladderError)):
		return "ladder"
	}
	return ""
}

func TestRunnerLadder(t *testing.T) {
	if got := runnerLadder([]ladderStep{{sig: syscall.SIGHUP}}, time.Second); got != nil {
		t.Errorf("a plain signal became a ladder: %v", got)
	}
	steps, _ := parseLadder("QUIT:30s,INT,TERM:0")
	got := runnerLadder(steps, 7*time.Second)
	// A last step that says :0 is followed by KILL at once.
	steps = append(steps, ladderStep{sig: syscall.SIGKILL})
	want := []time.Duration{30 * time.Second, 7 * time.Second, 0, 0}
	if len(got) != len(want) {
		t.Fatalf("runnerLadder = %v", got)
	}
	for i, st := range got {
		if st.Wait != want[i] || st.Signal != steps[i].sig {
			t.Errorf("step %d = %v, want %v after %v", i, st, steps[i].sig, want[i])
		}
	}
	// A last wait of 0 that is the grace period (-k 0) adds nothing.
	steps, _ = parseLadder("QUIT:30s,TERM")
	if got := runnerLadder(steps, 0); len(got) != 2 || got[1].Wait != 0 {
		t.Errorf("runnerLadder with -k 0 = %v, want 2 steps, no KILL", got)
	}
}

// FuzzParseLadder checks that any text either parses to a ladder that
// formats back to one that parses the same, or fails with one of the three
// errors pgrun reports; never a panic.
func FuzzParseLadder(f *testing.F) {
	for _, s := range []string{"TERM", "QUIT:30s,TERM", "QUIT:0,HUP,KILL", ",", ":", "KILL,", "TERM:1e3", "1:1:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := parseLadder(s)
		if err != nil {
			if errKind(err) == "" {
				t.Fatalf("parseLadder(%q): unexpected error %T %v", s, err, err)
			}
			return
		}
		if len(steps) == 0 {
			t.Fatalf("parseLadder(%q): no steps and no error", s)
		}
		again, err := parseLadder(formatLadder(steps))
		if err != nil || formatLadder(again) != formatLadder(steps) {
			t.Fatalf("parseLadder(%q) = %s, which reads back as %s, %v", s, formatLadder(steps), formatLadder(again), err)
		}
		for i, st := range steps {
			if st.sig == syscall.SIGKILL && i != len(steps)-1 {
				t.Fatalf("parseLadder(%q): KILL before the last step", s)
			}
		}
	})
}
