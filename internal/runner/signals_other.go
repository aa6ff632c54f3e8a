//go:build unix && !linux

package runner

import "syscall"

// terminating lists the signals whose default action ends a process and
// that a process can catch: pgrun relays each of them to the command's
// group, as coreutils timeout does since 9.10. SIGPIPE is not among them
// (pgrun drops it, so a closed stderr cannot end pgrun or the command);
// ALRM is the deadline.
var terminating = []syscall.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGILL,
	syscall.SIGTRAP, syscall.SIGABRT, syscall.SIGBUS, syscall.SIGFPE,
	syscall.SIGUSR1, syscall.SIGSEGV, syscall.SIGUSR2, syscall.SIGTERM,
	syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGVTALRM, syscall.SIGPROF,
	syscall.SIGSYS,
}

// routedLateHere adds nothing on systems without real-time signals.
func routedLateHere(syscall.Signal) bool { return false }

// realtime reports whether sig is one of the real-time signals, which
// pgrun does not handle here.
func realtime(syscall.Signal) bool { return false }
