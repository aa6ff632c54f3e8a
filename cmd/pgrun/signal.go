package main

import (
	"strconv"
	"strings"
	"syscall"
)

// signalError is an invalid SIGNAL, as written.
type signalError struct{ Text string }

func (e *signalError) Error() string { return e.Text + ": invalid signal" }

// parseSignal reads a SIGNAL as coreutils does: a decimal number, reduced
// like a shell's $? (137 is KILL: masked with 0xFF from 255 up, else with
// 0x7F) and valid from 0 to the highest signal; or a name in any case, with
// or without SIG (TERM, sigterm, SIGRTMIN+2, EXIT for 0).
func parseSignal(s string) (syscall.Signal, error) {
	bad := &signalError{Text: s}
	if s != "" && '0' <= s[0] && s[0] <= '9' {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return 0, bad
		}
		if n >= 255 {
			n &= 0xFF
		} else {
			n &= 0x7F
		}
		if n > int64(maxSignal) {
			return 0, bad
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if sig, ok := signalByName(name); ok {
		return sig, nil
	}
	if rest, ok := strings.CutPrefix(name, "SIG"); ok {
		if sig, ok := signalByName(rest); ok {
			return sig, nil
		}
	}
	return 0, bad
}

// signalByName looks up an upper-case name without SIG.
func signalByName(name string) (syscall.Signal, bool) {
	if name == "EXIT" {
		return 0, true
	}
	for _, e := range signalNames {
		if e.name == name {
			return e.sig, true
		}
	}
	if rtMin == 0 {
		return 0, false
	}
	// As glibc's str2sig: RTMIN+n for 0 <= n <= RTMAX-RTMIN, RTMAX-n alike.
	if rest, ok := strings.CutPrefix(name, "RTMIN"); ok {
		if n, ok := strtol(rest); ok && 0 <= n && n <= int64(rtMax-rtMin) {
			return rtMin + syscall.Signal(n), true
		}
	}
	if rest, ok := strings.CutPrefix(name, "RTMAX"); ok {
		if n, ok := strtol(rest); ok && int64(rtMin-rtMax) <= n && n <= 0 {
			return rtMax + syscall.Signal(n), true
		}
	}
	return 0, false
}

// strtol reads all of s as C's strtol(s, &end, 10) with *end == '\0' would:
// leading white space, an optional sign, digits; "" is 0.
func strtol(s string) (int64, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && s[len(s)-1] >= '0' && s[len(s)-1] <= '9'
}

// signalName is the name coreutils prints for sig: the canonical name
// without SIG, RTMIN+n or RTMAX-n for real-time signals, else the number.
func signalName(sig syscall.Signal) string {
	for _, e := range signalNames {
		if e.sig == sig {
			return e.name
		}
	}
	if rtMin != 0 && rtMin <= sig && sig <= rtMax {
		name, base := "RTMIN", rtMin
		if sig > rtMin+(rtMax-rtMin)/2 {
			name, base = "RTMAX", rtMax
		}
		if d := int(sig - base); d != 0 {
			name += strconv.FormatInt(int64(d), 10)
			if d > 0 {
				name = "RTMIN+" + strconv.Itoa(d)
			}
		}
		return name
	}
	return strconv.Itoa(int(sig))
}
