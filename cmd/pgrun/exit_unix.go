//go:build unix

package main

import (
	"syscall"
	"time"
)

// noCoreDump keeps pgrun from dumping core when it re-raises a signal the
// command died of: the command's core (if any) is the one that matters.
func noCoreDump() {
	syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{})
}

// dieOf ends pgrun by sig or, if that is not possible, with 128+sig. It
// waits a moment after raising, because a signal sent to the process may be
// delivered a little later.
func dieOf(sig syscall.Signal) int {
	raise(sig)
	time.Sleep(10 * time.Millisecond)
	return 128 + int(sig)
}
