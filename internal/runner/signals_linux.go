package runner

import "syscall"

// terminating lists the signals whose default action ends a process and
// that a process can catch: pgrun relays each of them to the command's
// group, as coreutils timeout does since 9.10. SIGPIPE is not among them
// (pgrun drops it, so a closed stderr cannot end pgrun or the command);
// ALRM is the deadline.
var terminating = func() []syscall.Signal {
	s := []syscall.Signal{
		syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGILL,
		syscall.SIGTRAP, syscall.SIGABRT, syscall.SIGBUS, syscall.SIGFPE,
		syscall.SIGUSR1, syscall.SIGSEGV, syscall.SIGUSR2, syscall.SIGTERM,
		syscall.SIGSTKFLT, syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGVTALRM,
		syscall.SIGPROF, syscall.SIGIO, syscall.SIGPWR, syscall.SIGSYS,
	}
	// Real-time signals, from glibc's SIGRTMIN (34; 32 and 33 are
	// reserved by the C library) to SIGRTMAX.
	for sig := syscall.Signal(34); sig <= 64; sig++ {
		s = append(s, sig)
	}
	return s
}()

// routedLateHere adds the Linux-only signals that routedLate allows: the
// real-time ones and PWR.
func routedLateHere(sig syscall.Signal) bool {
	return sig >= 34 || sig == syscall.SIGPWR
}

// realtime reports whether sig is one of the real-time signals.
func realtime(sig syscall.Signal) bool { return sig >= 34 }
