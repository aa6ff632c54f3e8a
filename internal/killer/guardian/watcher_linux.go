package guardian

import (
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// The watcher is a small program (watcher/watcher_amd64.asm, under 1 KiB)
// that stands in for the guardian while pgrun lives: it blocks on the
// lifeline and, only if pgrun dies, executes pgrun's executable in its
// place, which makes it the guardian proper in the same process. A Go
// program that only waits costs its runtime's start (about 3 ms of CPU
// on a 2-core VM, measured, more than pgrun's own run of a short
// command), its threads and memory, and its teardown when it is KILLed
// at the end (about 0.45 ms before it can be reaped); the watcher costs
// an exec. A run almost always ends as planned.
//
// It is executed from a memfd, made once per process, sealed. Where
// there is no image (an architecture without one), or the system refuses
// a memfd, its execution (vm.memfd_noexec, a security module) or
// close_range (before Linux 5.9, which the watcher needs to drop what it
// inherited), the guardian proper is started directly, as before.

// watcherPath is the watcher's memfd as a path, "" where there is none.
var watcherPath = sync.OnceValue(func() string {
	if len(watcherImage) == 0 {
		return ""
	}
	// Closing nothing tells whether the kernel has close_range.
	if unix.CloseRange(math.MaxInt32, math.MaxInt32, 0) != nil {
		return ""
	}
	fd, err := unix.MemfdCreate("pgrun-guardian", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if err == unix.EINVAL { // before Linux 6.3, which knows MFD_EXEC
		fd, err = unix.MemfdCreate("pgrun-guardian", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return ""
	}
	// Well above the descriptors a fork puts in place (0 to pgrunFd),
	// which would replace it before the child executes it.
	high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 64)
	unix.Close(fd)
	if err != nil {
		return ""
	}
	if n, err := unix.Write(high, watcherImage); err != nil || n != len(watcherImage) {
		unix.Close(high)
		return ""
	}
	unix.FcntlInt(uintptr(high), unix.F_ADD_SEALS, unix.F_SEAL_WRITE|unix.F_SEAL_GROW|unix.F_SEAL_SHRINK|unix.F_SEAL_SEAL)
	return "/proc/self/fd/" + strconv.Itoa(high)
})

// watcherOff is set once the system refused to execute the watcher, and
// by SetWatcher: later guardians of the process are started directly.
var watcherOff atomic.Bool

// SetWatcher turns the watcher off (or back on) for later guardians. It
// exists so that tests cover the guardian that waits itself too.
func SetWatcher(on bool) { watcherOff.Store(!on) }

// forkWatcher starts the watcher in the guardian's place, where it can,
// as attr says plus pgrun's executable as exeFd and pgrun's pidfd as
// pgrunFd, which it passes on to the guardian it becomes. It reports
// false where it cannot: the caller starts the guardian proper.
func forkWatcher(spec Spec, attr *syscall.ProcAttr) (int, bool) {
	path := watcherPath()
	if path == "" || watcherOff.Load() {
		return 0, false
	}
	exe, err := unix.Open("/proc/self/exe", unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	defer unix.Close(exe)
	self, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return 0, false
	}
	defer unix.Close(self)
	spec.Watched = true
	wattr := *attr
	wattr.Files = append(slices.Clip(attr.Files), uintptr(exe), uintptr(self))
	pid, err := syscall.ForkExec(path, spec.args(), &wattr)
	if err != nil {
		watcherOff.Store(true) // as it will every time
		return 0, false
	}
	return pid, true
}
