package cgroupfs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/proc"
)

// killLeft KILLs what a write to cgroup.kill leaves alive in the cgroup
// whose directory is dirfd, and below it: a process whose main thread has
// ended (pthread_exit in main) gets that KILL on its main thread alone,
// which no longer acts on signals, and lives on (measured on 6.18); a KILL
// to the process reaches one of its live threads. A process is signalled
// through a pidfd opened while cgroup.procs listed its number, and only if
// the number is listed there again afterwards with the pidfd still alive:
// then it named that process, in the cgroup, throughout.
func killLeft(dirfd int) {
	before, err := cgroupProcs(dirfd)
	if err != nil {
		return
	}
	fds := make(map[int]int, len(before))
	for _, pid := range before {
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			fds[pid] = fd
		}
	}
	after, _ := cgroupProcs(dirfd)
	for _, pid := range after {
		if fd, ok := fds[pid]; ok && proc.Alive(fd) {
			unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
		}
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	d, err := os.Open("/proc/self/fd/" + strconv.Itoa(dirfd))
	if err != nil {
		return
	}
	entries, _ := d.ReadDir(-1)
	d.Close()
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if sub, err := unix.Openat(dirfd, e.Name(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			killLeft(sub)
			unix.Close(sub)
		}
	}
}

// cgroupProcs lists the processes of the cgroup whose directory is dirfd.
func cgroupProcs(dirfd int) ([]int, error) {
	fd, err := unix.Openat(dirfd, "cgroup.procs", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "cgroup.procs")
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range bytes.Fields(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// writeAt writes s to the file at path below the directory dirfd.
func writeAt(dirfd int, path, s string) error {
	fd, err := unix.Openat(dirfd, path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_, err = unix.Write(fd, []byte(s))
	return err
}

// waitEmpty waits, for at most d, until the cgroup whose directory is
// dirfd has no live process: the kernel flags cgroup.events with POLLPRI
// on every change, so this sleeps until one.
func waitEmpty(dirfd int, d time.Duration) {
	fd, err := unix.Openat(dirfd, "cgroup.events", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(d)
	var buf [256]byte
	for {
		n, err := unix.Pread(fd, buf[:], 0)
		if err != nil || !bytes.Contains(buf[:n], []byte("populated 1")) {
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLPRI}}
		if _, err := unix.Poll(fds, int(left.Milliseconds())+1); err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

// KillLeft KILLs what a write to cgroup.kill leaves alive in the cgroup
// and below it (see killLeft).
func (c *Cgroup) KillLeft() { killLeft(c.fd) }

// WaitEmpty waits, for at most d, until no live process is left in the
// cgroup.
func (c *Cgroup) WaitEmpty(d time.Duration) { waitEmpty(c.fd, d) }
