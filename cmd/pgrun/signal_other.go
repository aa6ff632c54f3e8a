//go:build unix && !linux

package main

import (
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// signalNames lists this system's signal names, from x/sys; for a number
// with several names, the one printed comes first.
var signalNames, maxSignal = func() (names []struct {
	name string
	sig  syscall.Signal
}, max syscall.Signal) {
	for sig := syscall.Signal(1); sig < 128; sig++ {
		if n := unix.SignalName(sig); n != "" {
			names = append(names, struct {
				name string
				sig  syscall.Signal
			}{strings.TrimPrefix(n, "SIG"), sig})
			max = sig
		}
	}
	return names, max
}()

// No real-time signal names here.
const rtMin, rtMax syscall.Signal = 0, 0
