//go:build unix && !linux

package main

import (
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// No real-time names here: RTMIN and RTMAX are invalid, and real-time
// numbers beyond maxSignal too.
const rtMin, rtMax syscall.Signal = 0, 0

// signalNames and maxSignal come from x/sys's table of this system's
// signals, which gives one name per number (the canonical one), plus IOT,
// the old name of ABRT that every BSD and macOS still define. maxSignal is
// the highest named number; the bound keeps out table entries that are no
// signals (OpenBSD lists SIGSTKSZ).
var signalNames, maxSignal = systemSignals()

func systemSignals() (names []signalEntry, highest syscall.Signal) {
	for sig := syscall.Signal(1); sig < 128; sig++ {
		name, ok := strings.CutPrefix(unix.SignalName(sig), "SIG")
		if !ok || name == "" {
			continue
		}
		names = append(names, signalEntry{name, sig})
		highest = sig
	}
	if abrt := unix.SignalNum("SIGABRT"); abrt != 0 {
		names = append(names, signalEntry{"IOT", abrt})
	}
	return names, highest
}
