// The names and numbers below are Linux's.

//go:build linux

package main

import (
	"errors"
	"syscall"
	"testing"
)

var signalTests = []struct {
	in   string
	want syscall.Signal // -1: invalid
}{
	{"TERM", syscall.SIGTERM},
	{"SIGTERM", syscall.SIGTERM},
	{"sigterm", syscall.SIGTERM},
	{"SigTerm", syscall.SIGTERM},
	{"usr1", syscall.SIGUSR1},
	{"KILL", syscall.SIGKILL},
	{"9", syscall.SIGKILL},
	{"09", syscall.SIGKILL},
	{"00009", syscall.SIGKILL},
	{"137", syscall.SIGKILL}, // masked like $?
	{"265", syscall.SIGKILL},
	{"143", syscall.SIGTERM},
	{"128", 0},
	{"256", 0},
	{"0", 0},
	{"EXIT", 0},
	{"sigexit", 0},
	{"IOT", syscall.SIGABRT},
	{"CLD", syscall.SIGCHLD},
	{"POLL", syscall.SIGIO},
	{"RTMIN", 34},
	{"RTMIN+1", 35},
	{"SIGRTMIN+1", 35},
	{"rtmin+30", 64},
	{"RTMIN+0", 34},
	{"RTMAX", 64},
	{"RTMAX-1", 63},
	{"RTMAX-30", 34},
	{"32", 32},
	{"64", 64},
	// invalid
	{"", -1},
	{"SIG", -1},
	{"SIGSIGTERM", -1},
	{"BOGUS", -1},
	{"UNUSED", -1},
	{"65", -1},
	{"99", -1},
	{"127", -1},
	{"255", -1},
	{"384", -1},
	{"+9", -1},
	{"-9", -1},
	{" 9", -1},
	{"9 ", -1},
	{"0x9", -1},
	{"2147483648", -1},
	{"4294967305", -1},
	{"RTMAX+1", -1},
	{"RTMIN-1", -1},
	{"RTMAX-31", -1},
	{"RTMIN+31", -1},
	{"TERM ", -1},
}

func TestParseSignal(t *testing.T) {
	for _, tt := range signalTests {
		got, err := parseSignal(tt.in)
		if tt.want < 0 {
			var se *signalError
			if !errors.As(err, &se) || se.Text != tt.in {
				t.Errorf("parseSignal(%q) = %v, %v; want a signalError", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSignal(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestSignalName(t *testing.T) {
	for sig, want := range map[syscall.Signal]string{
		0: "0", 1: "HUP", 6: "ABRT", 9: "KILL", 15: "TERM", 17: "CHLD", 29: "POLL",
		32: "32", 33: "33", 34: "RTMIN", 40: "RTMIN+6", 49: "RTMIN+15",
		50: "RTMAX-14", 63: "RTMAX-1", 64: "RTMAX",
	} {
		if got := signalName(sig); got != want {
			t.Errorf("signalName(%d) = %q, want %q", sig, got, want)
		}
	}
	// Every valid number reads back from its name.
	for sig := syscall.Signal(0); sig <= maxSignal; sig++ {
		if got, err := parseSignal(signalName(sig)); err != nil || got != sig {
			t.Errorf("parseSignal(signalName(%d) = %q) = %d, %v", sig, signalName(sig), got, err)
		}
	}
}

func FuzzParseSignal(f *testing.F) {
	for _, tt := range signalTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := parseSignal(s)
		if err != nil {
			var se *signalError
			if !errors.As(err, &se) || se.Text != s {
				t.Fatalf("parseSignal(%q): error %v is not a signalError for the input", s, err)
			}
			return
		}
		if sig < 0 || sig > maxSignal {
			t.Fatalf("parseSignal(%q) = %d, out of range", s, sig)
		}
		if back, err := parseSignal(signalName(sig)); err != nil || back != sig {
			t.Fatalf("parseSignal(signalName(%d)) = %d, %v", sig, back, err)
		}
	})
}
