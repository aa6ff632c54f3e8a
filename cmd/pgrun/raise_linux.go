package main

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// raise makes pgrun die of sig, so that its caller sees the wait status the
// command had. The Go runtime would not let a plain kill(self) do that for
// QUIT, ABRT, SEGV (it dumps goroutines and exits 2) or USR1 (it ignores
// it), so the default action is restored with a raw rt_sigaction, the
// signal is unblocked, and sent to this very thread. It returns only if the
// signal did not end the process.
func raise(sig syscall.Signal) {
	noCoreDump()
	// A zeroed kernel sigaction is SIG_DFL with no flags and an empty mask
	// on every architecture.
	var sa [64]byte
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
	var set unix.Sigset_t
	bits := uint(8 * unsafe.Sizeof(set.Val[0]))
	set.Val[uint(sig-1)/bits] |= 1 << (uint(sig-1) % bits)
	unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
	unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
}
