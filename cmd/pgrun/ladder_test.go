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
	bad := []struct {
		in   string
		want any // the error's type
	}{
		{"", &signalError{}},
		{"BOGUS", &signalError{}},
		{"QUIT:30s,BOGUS", &signalError{}},
		{"QUIT:3x", &durationError{}},
		{"QUIT:", &durationError{}},
		{"QUIT:-1", &durationError{}},
		{"QUIT,", &ladderError{}},
		{",TERM", &ladderError{}},
		{":5s", &ladderError{}},
		{"QUIT,,TERM", &ladderError{}},
		{"KILL,TERM", &ladderError{}},
		{"TERM,KILL:1s", &ladderError{}},
	}
	for _, c := range bad {
		_, err := parseLadder(c.in)
		var ok bool
		switch c.want.(type) {
		case *signalError:
			ok = errors.As(err, new(*signalError))
		case *durationError:
			ok = errors.As(err, new(*durationError))
		case *ladderError:
			ok = errors.As(err, new(*ladderError))
		}
		if !ok {
			t.Errorf("parseLadder(%q) = %v, want a %T", c.in, err, c.want)
		}
	}
}

func TestRunnerLadder(t *testing.T) {
	if got := runnerLadder([]ladderStep{{sig: syscall.SIGHUP}}, time.Second); got != nil {
		t.Errorf("a plain signal became a ladder: %v", got)
	}
	steps, _ := parseLadder("QUIT:30s,INT,TERM:0")
	got := runnerLadder(steps, 7*time.Second)
	want := []time.Duration{30 * time.Second, 7 * time.Second, 0}
	if len(got) != len(want) {
		t.Fatalf("runnerLadder = %v", got)
	}
	for i, st := range got {
		if st.Wait != want[i] || st.Signal != steps[i].sig {
			t.Errorf("step %d = %v, want %v after %v", i, st, steps[i].sig, want[i])
		}
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
			if !errors.As(err, new(*signalError)) && !errors.As(err, new(*durationError)) && !errors.As(err, new(*ladderError)) {
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
