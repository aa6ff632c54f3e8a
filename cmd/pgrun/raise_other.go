//go:build unix && !linux

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// raise makes pgrun die of sig, so that its caller sees the wait status the
// command had. Here the Go runtime's own handling is only reset, so some
// signals (QUIT, ABRT, USR1...) may not end the process; raise then returns.
func raise(sig syscall.Signal) {
	noCoreDump()
	signal.Reset(sig)
	syscall.Kill(os.Getpid(), sig)
}
