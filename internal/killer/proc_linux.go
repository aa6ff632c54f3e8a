package killer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// children lists pgrun's direct children but its guardian, from every
// thread's children file (an orphan is re-parented to some live thread of
// the subreaper, not necessarily the main one). The kernel builds these
// files while processes come and go, so the list is a hint: callers must
// loop until an authoritative condition holds.
func children() ([]int, error) {
	pids, err := allChildren()
	if guardian := guardianPid(); guardian != 0 { // after reading: see guardianPid
		for i, pid := range pids {
			if pid == guardian {
				pids = append(pids[:i], pids[i+1:]...)
				break
			}
		}
	}
	return pids, err
}

// allChildren lists what the children files of pgrun's threads list.
func allChildren() ([]int, error) {
	var buf [16 << 10]byte
	pids, err := childrenIn("/proc/self/task", buf[:])
	if err != nil {
		return nil, fmt.Errorf("listing pgrun's children: %w", err)
	}
	return pids, nil
}

// mainChildrenFile is the children file of pgrun's main thread.
var mainChildrenFile = sync.OnceValue(func() string {
	return "/proc/self/task/" + strconv.Itoa(os.Getpid()) + "/children"
})

// mainChildren lists what the children file of pgrun's main thread lists.
func mainChildren() ([]int, error) {
	var buf [16 << 10]byte
	path := mainChildrenFile()
	b, err := readAt(unix.AT_FDCWD, path, buf[:])
	if err != nil {
		if b, err = os.ReadFile(path); err != nil { // longer than buf
			return nil, fmt.Errorf("listing pgrun's children: %w", err)
		}
	}
	var pids []int
	for _, f := range bytes.Fields(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// readFd reads from a blocking descriptor (one message, from a socket of
// packets), again when a signal interrupts it.
func readFd(fd int, buf []byte) (int, error) {
	var n int
	err := retryEINTR(func() (err error) {
		n, err = unix.Read(fd, buf)
		return err
	})
	return n, err
}

// procStat is the part of /proc/PID/stat that pgrun reads.
type procStat struct {
	State byte
	Ppid  int
	Pgid  int
	Sid   int
	Flags uint64 // the kernel's PF_* flags
	Start uint64 // clock ticks after boot
}

// pfForkNoExec is PF_FORKNOEXEC (linux/sched.h): set by fork, cleared by a
// successful execve before the new program's close-on-exec files close.
const pfForkNoExec = 0x40

// readStat reads /proc/PID/stat.
func readStat(pid int) (procStat, error) {
	var buf [statSize]byte
	return readStatInto(pid, buf[:])
}

// statSize holds any /proc/PID/stat line: 52 numbers and a command name of
// at most 64 bytes.
const statSize = 1024

// readStatInto reads /proc/PID/stat with buf as scratch space, in three
// system calls: a walk of /proc makes one such read per process on the
// machine, and os.ReadFile would make twice as many calls.
func readStatInto(pid int, buf []byte) (procStat, error) {
	return readStatAt(unix.AT_FDCWD, "/proc/"+strconv.Itoa(pid)+"/stat", buf)
}

// readStatAt reads the stat file at path, relative to the directory dirfd.
// The command name may hold spaces and parentheses, so fields are counted
// from the last ')'.
func readStatAt(dirfd int, path string, buf []byte) (procStat, error) {
	b, err := readAt(dirfd, path, buf)
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("%s: malformed", path)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("%s: malformed", path)
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgid, err2 := strconv.Atoi(string(f[2]))
	sid, err3 := strconv.Atoi(string(f[3]))
	flags, err4 := strconv.ParseUint(string(f[6]), 10, 64)
	start, err5 := strconv.ParseUint(string(f[19]), 10, 64)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return procStat{}, fmt.Errorf("%s: malformed: %w", path, err)
	}
	return procStat{State: f[0][0], Ppid: ppid, Pgid: pgid, Sid: sid, Flags: flags, Start: start}, nil
}

// readAt reads the whole of a small file at path, relative to dirfd, into
// buf, and returns what it read.
func readAt(dirfd int, path string, buf []byte) ([]byte, error) {
	fd, err := unix.Openat(dirfd, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	n, err := unix.Read(fd, buf)
	unix.Close(fd)
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	if n == len(buf) {
		return nil, fmt.Errorf("%s: longer than %d bytes", path, len(buf))
	}
	return buf[:n], nil
}

// entry is one process as a pass over /proc saw it.
type entry struct {
	pid int
	procStat
}

// childMap maps every process's parent to its live (not zombie) children,
// from one pass over /proc.
func childMap() (map[int][]entry, error) {
	kids, _, err := scan(0)
	return kids, err
}

// scan is one pass over /proc. Members of process group skip (0: none)
// are only listed in members, not read: getpgid is one system call, where
// reading an entry is three and the kernel's formatting of it, ten times
// dearer (measured). Every other live (not zombie) process is listed in
// kids under its parent.
func scan(skip int) (kids map[int][]entry, members map[int]bool, err error) {
	kids, members = make(map[int][]entry), make(map[int]bool)
	err = eachPid(func(pid int, buf []byte) {
		if skip != 0 {
			if pgid, err := unix.Getpgid(pid); err == nil && pgid == skip {
				members[pid] = true
				return
			}
		}
		st, err := readStatInto(pid, buf)
		if err == nil && st.State != 'Z' && st.State != 'X' {
			kids[st.Ppid] = append(kids[st.Ppid], entry{pid, st})
		}
	})
	return kids, members, err
}

// eachPid calls f for every process in /proc, with a scratch buffer for
// reading its entries.
func eachPid(f func(pid int, buf []byte)) error {
	d, err := os.Open("/proc")
	if err != nil {
		return fmt.Errorf("scanning /proc: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("scanning /proc: %w", err)
	}
	var buf [statSize]byte
	for _, name := range names {
		if pid, err := strconv.Atoi(name); err == nil {
			f(pid, buf[:])
		}
	}
	return nil
}

// groupHasLiveMember reports whether a process other than the leader, and
// not a zombie, has pgid leader. It is only meaningful while the number is
// pinned by the unreaped leader.
func groupHasLiveMember(leader int) (bool, error) {
	found := false
	err := eachPid(func(pid int, buf []byte) {
		if found || pid == leader {
			return
		}
		if pgid, err := unix.Getpgid(pid); err != nil || pgid != leader {
			return
		}
		st, err := readStatInto(pid, buf)
		found = err == nil && st.Pgid == leader && st.State != 'Z' && st.State != 'X'
	})
	return found, err
}
