package proc

import (
	"errors"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// pidfds reports whether this system lets pgrun open pidfds and signal
// through them: not on Linux before 5.3 (pidfd_open), in gVisor, or under
// a seccomp profile that refuses the calls (ENOSYS). Without them pgrun
// signals only what it can hold by a number that cannot be reused: the
// command's group while the command is unreaped, and its own children.
var pidfds = sync.OnceValue(func() bool {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.PidfdSendSignal(fd, 0, nil, 0) == nil
})

// OpenChecked opens a pidfd on pid and returns it if the stat line read
// afterwards shows a process for which is holds, and the pidfd then still
// names a live process: then the number named that same process all
// along. A state of Z is no proof of death: a process whose main thread
// ended (pthread_exit) shows it while its other threads run, and only the
// pidfd tells. buf is scratch space for the stat line.
func OpenChecked(pid int, buf []byte, is func(Stat) bool) (int, Stat, bool) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, Stat{}, false
	}
	st, err := ReadStatInto(pid, buf)
	if err != nil || st.State == 'X' || !is(st) || !Alive(fd) {
		unix.Close(fd)
		return -1, Stat{}, false
	}
	return fd, st, true
}

// Alive reports whether the process behind pidfd has not exited.
func Alive(pidfd int) bool {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n == 0
}

// Live reports whether pid, a child of pgrun, has not exited: a zombie
// leader whose other threads still run is alive.
func Live(pid int) bool {
	var info unix.Siginfo
	err := retryEINTR(func() error {
		// Without WEXITED a zombie is not waitable, and does not count
		// as a child, while a leader with live threads does.
		return unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED|unix.WCONTINUED|unix.WNOHANG|unix.WNOWAIT, nil)
	})
	return err == nil
}

// Unreaped reports whether pid is a child of pgrun, alive or a zombie.
func Unreaped(pid int) bool {
	var info unix.Siginfo
	err := retryEINTR(func() error {
		return unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WSTOPPED|unix.WCONTINUED|unix.WNOHANG|unix.WNOWAIT, nil)
	})
	return err == nil
}

// retryEINTR calls f until it fails with something other than EINTR.
func retryEINTR(f func() error) error {
	for {
		if err := f(); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// Pidfds reports whether this system lets pgrun open pidfds and signal
// through them (see pidfds).
func Pidfds() bool { return pidfds() }
