package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ReadFd reads from a blocking descriptor (one message, from a socket of
// packets), again when a signal interrupts it.
func ReadFd(fd int, buf []byte) (int, error) {
	var n int
	err := retryEINTR(func() (err error) {
		n, err = unix.Read(fd, buf)
		return err
	})
	return n, err
}

// Stat is the part of /proc/PID/stat that pgrun reads.
type Stat struct {
	State byte
	Ppid  int
	Pgid  int
	Sid   int
	Flags uint64 // the kernel's PF_* flags
	Start uint64 // clock ticks after boot
}

// PFForkNoExec is PF_FORKNOEXEC (linux/sched.h): set by fork, cleared by a
// successful execve before the new program's close-on-exec files close.
const PFForkNoExec = 0x40

// ReadStat reads /proc/PID/stat.
func ReadStat(pid int) (Stat, error) {
	var buf [StatSize]byte
	return ReadStatInto(pid, buf[:])
}

// StatSize holds any /proc/PID/stat line: 52 numbers and a command name of
// at most 64 bytes.
const StatSize = 1024

// ReadStatInto reads /proc/PID/stat with buf as scratch space, in three
// system calls: a walk of /proc makes one such read per process on the
// machine, and os.ReadFile would make twice as many calls.
func ReadStatInto(pid int, buf []byte) (Stat, error) {
	return readStatAt(unix.AT_FDCWD, "/proc/"+strconv.Itoa(pid)+"/stat", buf)
}

// readStatAt reads the stat file at path, relative to the directory dirfd.
// The command name may hold spaces and parentheses, so fields are counted
// from the last ')'.
func readStatAt(dirfd int, path string, buf []byte) (Stat, error) {
	b, err := ReadAt(dirfd, path, buf)
	if err != nil {
		return Stat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("%s: malformed", path)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("%s: malformed", path)
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgid, err2 := strconv.Atoi(string(f[2]))
	sid, err3 := strconv.Atoi(string(f[3]))
	flags, err4 := strconv.ParseUint(string(f[6]), 10, 64)
	start, err5 := strconv.ParseUint(string(f[19]), 10, 64)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return Stat{}, fmt.Errorf("%s: malformed: %w", path, err)
	}
	return Stat{State: f[0][0], Ppid: ppid, Pgid: pgid, Sid: sid, Flags: flags, Start: start}, nil
}

// ReadAt reads the whole of a small file at path, relative to dirfd, into
// buf, and returns what it read. It reads until the end: a /proc file
// made of records (a children file) gives at most a page per read.
func ReadAt(dirfd int, path string, buf []byte) ([]byte, error) {
	fd, err := unix.Openat(dirfd, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	n := 0
	for {
		m, err := unix.Read(fd, buf[n:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		case m == 0:
			return buf[:n], nil
		}
		if n += m; n == len(buf) {
			return nil, fmt.Errorf("%s: longer than %d bytes", path, len(buf))
		}
	}
}

// Entry is one process as a pass over /proc saw it.
type Entry struct {
	Pid int
	Stat
}

// ChildMap maps every process's parent to its live (not zombie) children,
// from one pass over /proc.
func ChildMap() (map[int][]Entry, error) {
	kids, _, err := Scan(0)
	return kids, err
}

// Scan is one pass over /proc. Members of process group skip (0: none)
// are only listed in members, not read: getpgid is one system call, where
// reading an entry is three and the kernel's formatting of it, ten times
// dearer (measured). Every other live (not zombie) process is listed in
// kids under its parent.
func Scan(skip int) (kids map[int][]Entry, members map[int]bool, err error) {
	kids, members = make(map[int][]Entry), make(map[int]bool)
	err = EachPid(func(pid int, buf []byte) {
		if skip != 0 {
			if pgid, err := unix.Getpgid(pid); err == nil && pgid == skip {
				members[pid] = true
				return
			}
		}
		st, err := ReadStatInto(pid, buf)
		if err == nil && st.State != 'Z' && st.State != 'X' {
			kids[st.Ppid] = append(kids[st.Ppid], Entry{pid, st})
		}
	})
	return kids, members, err
}

// EachPid calls f for every process in /proc, with a scratch buffer for
// reading its entries.
func EachPid(f func(pid int, buf []byte)) error {
	d, err := os.Open("/proc")
	if err != nil {
		return fmt.Errorf("scanning /proc: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("scanning /proc: %w", err)
	}
	var buf [StatSize]byte
	for _, name := range names {
		if pid, err := strconv.Atoi(name); err == nil {
			f(pid, buf[:])
		}
	}
	return nil
}

// GroupHasLiveMember reports whether a process other than the leader, and
// not a zombie, has pgid leader. It is only meaningful while the number is
// pinned by the unreaped leader.
func GroupHasLiveMember(leader int) (bool, error) {
	found := false
	err := EachPid(func(pid int, buf []byte) {
		if found || pid == leader {
			return
		}
		if pgid, err := unix.Getpgid(pid); err != nil || pgid != leader {
			return
		}
		st, err := ReadStatInto(pid, buf)
		found = err == nil && st.Pgid == leader && st.State != 'Z' && st.State != 'X'
	})
	return found, err
}

// ClockTicks is USER_HZ, the unit of times in /proc: 100 on every Linux
// architecture.
const ClockTicks = 100

// Uptime is the time since boot, or 0 if unknown.
func Uptime() time.Duration {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return 0
	}
	s, err := strconv.ParseFloat(string(f[0]), 64)
	if err != nil {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// Cmdline returns the arguments of pid; nil for a zombie or a process that
// is gone.
func Cmdline(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}
