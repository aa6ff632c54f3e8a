package main

import (
	"strconv"
	"strings"
	"syscall"
)

// signalError is an invalid SIGNAL, kept as written (the caller quotes it).
type signalError struct{ Text string }

func (e *signalError) Error() string { return e.Text + ": invalid signal" }

// signalMeaningError is a valid SIGNAL that means nothing on this system
// (see meaningless), kept as written.
type signalMeaningError struct{ Text, Why string }

func (e *signalMeaningError) Error() string { return e.Text + ": " + e.Why }

// signalEntry is one name of a signal, without SIG, in upper case.
type signalEntry struct {
	name string
	sig  syscall.Signal
}

// The system's tables, in signal_$GOOS.go:
//
//	signalNames         every name (no SIG, no EXIT, no real-time name);
//	                    for a number with several, the canonical one first
//	rtMin, rtMax        the real-time range named RTMIN+n / RTMAX-n (0, 0: none)
//	maxSignal           the highest valid number

// parseSignal reads a SIGNAL as coreutils timeout (9.5 and later) does.
// When it starts with an ASCII digit it is a decimal number (the whole of
// it, fitting a C int, leading zeros allowed), reduced like a shell's $?:
// from 255 up masked with 0xFF, below with 0x7F (137 is 9, KILL), and then
// valid from 0 to maxSignal. Otherwise it is a name, in any ASCII case,
// with or without one SIG prefix: a name of signalNames, EXIT (0), or a
// real-time name RTMIN, RTMIN+n, RTMAX, RTMAX-n. The error is a
// *signalError.
func parseSignal(s string) (syscall.Signal, error) {
	if s != "" && isASCIIDigit(s[0]) {
		// The first byte is a digit, so ParseInt sees no sign; base 10
		// admits no underscore; bit size 32 is C's int.
		n, err := strconv.ParseInt(s, 10, 32)
		if err == nil {
			if n >= 255 {
				n &= 0xFF
			} else {
				n &= 0x7F
			}
			if n <= int64(maxSignal) {
				return syscall.Signal(n), nil
			}
		}
		return 0, &signalError{Text: s}
	}
	name := upperASCII(s)
	if sig, ok := signalNamed(name); ok {
		return sig, nil
	}
	if rest, ok := strings.CutPrefix(name, "SIG"); ok {
		if sig, ok := signalNamed(rest); ok {
			return sig, nil
		}
	}
	return 0, &signalError{Text: s}
}

// signalNamed looks up an upper-case name without SIG, as gnulib's
// str2sig does.
func signalNamed(name string) (syscall.Signal, bool) {
	if name == "EXIT" {
		return 0, true
	}
	for _, e := range signalNames {
		if e.name == name {
			return e.sig, true
		}
	}
	// RTMIN+n for 0 <= n <= RTMAX-RTMIN and RTMAX-n alike, where n is
	// read by C's strtol: so "RTMIN", "RTMIN+0", "RTMAX-0" and even
	// "RTMIN 1" are valid, "RTMIN+" is not.
	if rest, ok := strings.CutPrefix(name, "RTMIN"); ok && rtMin > 0 {
		if n, ok := strtolAll(rest); ok && 0 <= n && n <= int64(rtMax-rtMin) {
			return rtMin + syscall.Signal(n), true
		}
	} else if rest, ok := strings.CutPrefix(name, "RTMAX"); ok && rtMax > 0 {
		if n, ok := strtolAll(rest); ok && int64(rtMin-rtMax) <= n && n <= 0 {
			return rtMax + syscall.Signal(n), true
		}
	}
	return 0, false
}

// strtolAll reports what C's n = strtol(s, &end, 10) gives when *end must
// be '\0': white space, an optional sign and at least one digit, up to the
// end; or nothing at all ("" is 0). An overflow is a value out of any
// signal range, as strtol's LONG_MAX would be.
func strtolAll(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	digits := strings.TrimLeft(t, "+-")
	if len(t)-len(digits) > 1 || digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if !isASCIIDigit(digits[i]) {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return int64(maxSignal) + 1, true // out of range either way
	}
	return n, true
}

// signalName is the name coreutils prints for sig, without SIG: the
// canonical name (6 is ABRT, not IOT), RTMIN, RTMIN+n or RTMAX-n for a
// real-time signal (RTMIN+n up to the middle of the range), and the number
// for any other, 0 included (coreutils 9.10).
func signalName(sig syscall.Signal) string {
	for _, e := range signalNames {
		if e.sig == sig {
			return e.name
		}
	}
	if rtMin > 0 && rtMin <= sig && sig <= rtMax {
		if sig <= rtMin+(rtMax-rtMin)/2 {
			return rtName("RTMIN", int(sig-rtMin))
		}
		return rtName("RTMAX", int(sig-rtMax))
	}
	return strconv.Itoa(int(sig))
}

// rtName is base with delta as printf's "%+d", unless delta is 0.
func rtName(base string, delta int) string {
	switch {
	case delta > 0:
		return base + "+" + strconv.Itoa(delta)
	case delta < 0:
		return base + strconv.Itoa(delta)
	}
	return base
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// upperASCII upper-cases ASCII letters only, as coreutils does (so "ſ" or
// "ı" are no S or I).
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}
