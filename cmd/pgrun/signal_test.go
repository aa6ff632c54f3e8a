//go:build unix

package main

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const badSignal = syscall.Signal(-1)

type signalTest struct {
	in   string
	want syscall.Signal // badSignal: a *signalError
}

// signalTests hold on every system.
var signalTests = []signalTest{
	// Names (coreutils-timeout.md §3.2).
	{"TERM", syscall.SIGTERM},
	{"SIGTERM", syscall.SIGTERM},
	{"sigterm", syscall.SIGTERM},
	{"SigTerm", syscall.SIGTERM},
	{"usr1", syscall.SIGUSR1},
	{"KILL", syscall.SIGKILL},
	{"HUP", syscall.SIGHUP},
	{"int", syscall.SIGINT},
	{"SIGCHLD", syscall.SIGCHLD},
	{"ABRT", syscall.SIGABRT},
	{"IOT", syscall.SIGABRT},
	{"sigiot", syscall.SIGABRT},
	{"EXIT", 0},
	{"exit", 0},
	{"SIGEXIT", 0},
	{"SIG", badSignal},
	{"sig", badSignal},
	{"SIGSIGTERM", badSignal},
	{"UNUSED", badSignal},
	{"BOGUS", badSignal},
	{"", badSignal},
	{"TERM ", badSignal},
	{" TERM", badSignal},
	{"SIG TERM", badSignal},
	{"SIG-TERM", badSignal},
	{"TERM\x00", badSignal},
	{"ſigterm", badSignal}, // ſ upper-cases to S, but not in ASCII
	{"kıll", badSignal},    // nor ı to I
	{"-TERM", badSignal},
	{"+TERM", badSignal},

	// Numbers (§3.1).
	{"9", syscall.SIGKILL},
	{"09", syscall.SIGKILL},
	{"00009", syscall.SIGKILL},
	{"15", syscall.SIGTERM},
	{"0", 0},
	{"000", 0},
	{"1", syscall.SIGHUP},
	{"137", syscall.SIGKILL}, // masked like a shell's $?
	{"265", syscall.SIGKILL},
	{"143", syscall.SIGTERM},
	{"129", syscall.SIGHUP},
	{"128", 0},
	{"256", 0},
	{"2147483401", syscall.SIGKILL}, // 0x7FFFFF09
	{"127", badSignal},
	{"255", badSignal},
	{"384", badSignal},
	{"+9", badSignal},
	{"-9", badSignal},
	{" 9", badSignal},
	{"9 ", badSignal},
	{"0x9", badSignal},
	{"9a", badSignal},
	{"9.0", badSignal},
	{"1_5", badSignal},
	{"2147483647", badSignal}, // fits an int, 0xFF: 255
	{"2147483648", badSignal}, // does not fit an int
	{"4294967305", badSignal}, // would be 9 after a 32-bit wrap
	{"99999999999999999999999", badSignal},
	{"９", badSignal},
}

// linuxSignalTests hold on Linux with glibc's numbering.
var linuxSignalTests = []signalTest{
	{"STKFLT", 16},
	{"CHLD", 17},
	{"CLD", 17},
	{"sigcld", 17},
	{"POLL", 29},
	{"IO", 29},
	{"PWR", 30},
	{"SYS", 31},
	{"WINCH", 28},
	{"URG", 23},
	{"CONT", 18},
	{"STOP", 19},
	{"IOT", 6},
	{"SEGV", 11},
	{"USR2", 12},

	// 9.5 and later: every number up to the highest signal is valid.
	{"31", 31},
	{"32", 32},
	{"33", 33},
	{"34", 34},
	{"64", 64},
	{"000064", 64},
	{"65", badSignal},
	{"99", badSignal},
	{"126", badSignal},
	{"127", badSignal},
	{"192", 64}, // 192 & 0x7F
	{"193", badSignal},
	{"320", 64}, // 320 & 0xFF
	{"321", badSignal},

	// Real-time names.
	{"RTMIN", 34},
	{"SIGRTMIN", 34},
	{"rtmin", 34},
	{"RTMIN+1", 35},
	{"SIGRTMIN+1", 35},
	{"sigrtmin+15", 49},
	{"rtmin+30", 64},
	{"RTMIN+0", 34}, // as gnulib: n = 0 is allowed
	{"RTMIN-0", 34},
	{"RTMIN+00", 34},
	{"RTMIN1", 35},  // strtol reads "1"
	{"RTMIN 1", 35}, // strtol skips white space
	{"RTMIN\t+2", 36},
	{"RTMAX", 64},
	{"SIGRTMAX", 64},
	{"RTMAX-1", 63},
	{"RTMAX-0", 64},
	{"RTMAX+0", 64},
	{"RTMAX-14", 50},
	{"RTMAX-30", 34},
	{"RTMIN-1", badSignal},
	{"RTMIN+31", badSignal},
	{"RTMAX+1", badSignal},
	{"RTMAX-31", badSignal},
	{"RTMIN+", badSignal},
	{"RTMIN-", badSignal},
	{"RTMIN+-1", badSignal},
	{"RTMIN++1", badSignal},
	{"RTMIN+ 1", badSignal},
	{"RTMIN+1 ", badSignal},
	{"RTMIN ", badSignal},
	{"RTMIN+1.0", badSignal},
	{"RTMIN+0x1", badSignal},
	{"RTMIN+99999999999999999999", badSignal},
	{"RTMAX-99999999999999999999", badSignal},
	{"RTMID", badSignal},
	{"RT", badSignal},
	{"SIGSIGRTMIN", badSignal},
}

func checkSignals(t *testing.T, tests []signalTest) {
	t.Helper()
	for _, tt := range tests {
		got, err := parseSignal(tt.in)
		if tt.want == badSignal {
			var se *signalError
			if !errors.As(err, &se) || se.Text != tt.in {
				t.Errorf("parseSignal(%q) = %d, %v; want a *signalError", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSignal(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSignal(t *testing.T) {
	checkSignals(t, signalTests)
}

func TestParseSignalLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux's signal numbers")
	}
	checkSignals(t, linuxSignalTests)
}

func TestSignalNameLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux's signal numbers")
	}
	for sig, want := range map[syscall.Signal]string{
		0: "0", 1: "HUP", 2: "INT", 6: "ABRT", 9: "KILL", 15: "TERM",
		16: "STKFLT", 17: "CHLD", 29: "POLL", 31: "SYS",
		32: "32", 33: "33", 34: "RTMIN", 35: "RTMIN+1", 40: "RTMIN+6",
		49: "RTMIN+15", 50: "RTMAX-14", 63: "RTMAX-1", 64: "RTMAX",
		65: "65",
	} {
		if got := signalName(sig); got != want {
			t.Errorf("signalName(%d) = %q, want %q", sig, got, want)
		}
	}
	if maxSignal != 64 {
		t.Errorf("maxSignal = %d, want 64", maxSignal)
	}
}

func TestSignalRoundTrip(t *testing.T) {
	for sig := syscall.Signal(0); sig <= maxSignal; sig++ {
		name := signalName(sig)
		for _, in := range []string{name, "SIG" + name, strings.ToLower(name), strconv.Itoa(int(sig))} {
			if name == strconv.Itoa(int(sig)) && in != name {
				continue // no name: only the number
			}
			if got, err := parseSignal(in); err != nil || got != sig {
				t.Errorf("parseSignal(%q) = %d, %v; want %d (signalName(%d) = %q)", in, got, err, sig, sig, name)
			}
		}
		if n := int(sig); n > 0 && n < 127 {
			if got, err := parseSignal(strconv.Itoa(n + 128)); err != nil || got != sig {
				t.Errorf("parseSignal(%d) = %d, %v; want %d", n+128, got, err, sig)
			}
		}
	}
	// Every name, alias or not, reads back to a number that prints
	// canonically.
	for _, e := range signalNames {
		if got, err := parseSignal(e.name); err != nil || got != e.sig {
			t.Errorf("parseSignal(%q) = %d, %v; want %d", e.name, got, err, e.sig)
		}
		if e.sig < 0 || e.sig > maxSignal {
			t.Errorf("%s is %d, beyond maxSignal %d", e.name, e.sig, maxSignal)
		}
	}
	if _, err := parseSignal(strconv.Itoa(int(maxSignal) + 1)); err == nil && maxSignal < 127 {
		t.Errorf("parseSignal(%d) accepted, beyond maxSignal", maxSignal+1)
	}
}

func TestSignalError(t *testing.T) {
	_, err := parseSignal("BOGUS")
	var se *signalError
	if !errors.As(err, &se) {
		t.Fatalf("parseSignal(\"BOGUS\") error %T, want *signalError", err)
	}
	if se.Text != "BOGUS" || err.Error() != "BOGUS: invalid signal" {
		t.Errorf("error %#v says %q", se, err)
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func FuzzParseSignal(f *testing.F) {
	for _, tt := range signalTests {
		f.Add(tt.in)
	}
	for _, tt := range linuxSignalTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := parseSignal(s)
		if err != nil {
			var se *signalError
			if !errors.As(err, &se) || se.Text != s {
				t.Fatalf("parseSignal(%q): error %#v is no *signalError for the input", s, err)
			}
			return
		}
		if sig < 0 || sig > maxSignal {
			t.Fatalf("parseSignal(%q) = %d, beyond 0..%d", s, sig, maxSignal)
		}
		name := signalName(sig)
		if back, err := parseSignal(name); err != nil || back != sig {
			t.Fatalf("parseSignal(%q) = %d; parseSignal(signalName = %q) = %d, %v", s, sig, name, back, err)
		}
		if back, err := parseSignal(strconv.Itoa(int(sig))); err != nil || back != sig {
			t.Fatalf("parseSignal(%q) = %d; parseSignal(%d) = %d, %v", s, sig, sig, back, err)
		}
		if !isASCII(s) {
			return
		}
		// ASCII case does not matter, nor does one SIG prefix.
		for _, variant := range []string{strings.ToLower(s), strings.ToUpper(s)} {
			if back, err := parseSignal(variant); err != nil || back != sig {
				t.Fatalf("parseSignal(%q) = %d but parseSignal(%q) = %d, %v", s, sig, variant, back, err)
			}
		}
		if !isASCIIDigit(s[0]) && !strings.HasPrefix(strings.ToUpper(s), "SIG") {
			if back, err := parseSignal("sig" + s); err != nil || back != sig {
				t.Fatalf("parseSignal(%q) = %d but parseSignal(%q) = %d, %v", s, sig, "sig"+s, back, err)
			}
		}
	})
}
