package killer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The guardian's descriptors, as pgrun sets them up (see guardian.fork).
const (
	lifelineFd = 3 // read end: one byte means dismissed, end of file that pgrun died
	pidfdFd    = 4 // the command's pidfd, with -pidfd
	cgroupFd   = 5 // the cgroup's directory, locked, with -cgroup
)

// guardSpec is what a guardian is told on its command line.
type guardSpec struct {
	mode     string
	leader   int
	start    uint64 // the leader's start time, 0 if unknown
	hasPidfd bool
	fg       bool
	cookie   string
	dir      string
}

func parseGuardSpec(args []string) (guardSpec, error) {
	var s guardSpec
	for i := 0; i < len(args); i++ {
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", args[i])
			}
			i++
			return args[i], nil
		}
		var err error
		switch args[i] {
		case "-mode":
			s.mode, err = next()
		case "-leader":
			var v string
			if v, err = next(); err == nil {
				s.leader, err = strconv.Atoi(v)
			}
		case "-start":
			var v string
			if v, err = next(); err == nil {
				s.start, err = strconv.ParseUint(v, 10, 64)
			}
		case "-pidfd":
			s.hasPidfd = true
		case "-fg":
			s.fg = true
		case "-cookie":
			s.cookie, err = next()
		case "-cgroup":
			s.dir, err = next()
		default:
			err = fmt.Errorf("unknown argument %q", args[i])
		}
		if err != nil {
			return s, err
		}
	}
	if s.leader <= 0 {
		return s, errors.New("no -leader")
	}
	return s, nil
}

// Guard is the guardian, pgrun executed again as GuardianName: it waits
// on its lifeline and, if pgrun dies without dismissing it, KILLs the
// tree and exits. It returns the exit status.
//
// It must outlive what killed pgrun: it runs in a session of its own (a
// KILL of pgrun's group misses it), with /dev/null for its standard
// streams, ignoring the signals a terminal or a closed pipe would send.
// While pgrun lives it makes no system call at all.
func Guard(args []string) int {
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE,
		syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGTSTP)
	spec, err := parseGuardSpec(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrun guardian:", err)
		return 2
	}
	var b [1]byte
	if n, err := readFd(lifelineFd, b[:]); err == nil && n == 1 {
		return 0 // dismissed: pgrun ends as planned
	}
	spec.kill()
	return 0
}

// kill KILLs the tree of a pgrun that died: its group through the
// command's pidfd (exact, even if the command is gone), its cgroup, and,
// in subreaper mode, what passes over /proc find of its sessions and its
// cookie. Where /proc is another namespace's, only the first two.
func (s guardSpec) kill() {
	if s.hasPidfd {
		unix.PidfdSendSignal(pidfdFd, unix.SIGKILL, nil, unix.PIDFD_SIGNAL_PROCESS_GROUP)
		unix.PidfdSendSignal(pidfdFd, unix.SIGKILL, nil, 0)
	}
	if s.dir != "" {
		killCgroup(s.dir)
		return
	}
	if s.mode == Subreaper && viewProc().own {
		s.sweep()
	}
}

// killCgroup KILLs everything in the cgroup (through the directory pgrun
// passed, which names it whatever happened to its path), waits until it
// is empty, and removes it.
func killCgroup(dir string) {
	cg := &cgroup{dir: dir, fd: cgroupFd}
	if cg.kill() != nil {
		return
	}
	waitEmpty(cgroupFd, 10*time.Second)
	removeTree(dir)
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

// maxSweeps bounds the passes over /proc: a tree still forking after that
// many is beyond what a guardian can stop this way.
const maxSweeps = 100

// sweep KILLs, pass after pass until one finds nothing new, every process
// of the tree that /proc shows: those of the command's session (or, for a
// command in pgrun's session, its process group), of sessions and groups
// that processes of the tree made for themselves, and those whose
// environment carries the run's cookie. With pgrun dead nothing links the
// tree to anything by parent any more.
//
// A number is signalled only through a pidfd opened on it and checked
// afterwards to name the process the pass read (same start time, still
// alive). A session or group counts as the tree's only while its number
// names the one the tree made: a leader with that pid must be the one
// first seen. A user who is not root skips other users' processes before
// reading anything of theirs.
func (s guardSpec) sweep() {
	self, uid := os.Getpid(), os.Getuid()
	type key struct {
		pid   int
		start uint64
	}
	killed := map[key]bool{}
	// Sessions and groups of the tree, by number, with the start time of
	// the leader that made them (0: not known yet).
	sessions, groups := map[int]uint64{}, map[int]uint64{}
	if s.fg {
		groups[s.leader] = s.start
	} else {
		sessions[s.leader] = s.start
	}
	// A session or group number is the tree's if the process that leads
	// it is the one the tree knows (its start time), or if none leads it:
	// then its members pin the number, and they are the tree's. A leader
	// whose start is not known might be a later process that took the
	// number: not the tree's.
	ours := func(set map[int]uint64, id int) bool {
		start, ok := set[id]
		if !ok {
			return false
		}
		st, err := readStat(id)
		if err != nil || (st.Sid != id && st.Pgid != id) {
			return true
		}
		return start != 0 && st.Start == start
	}
	cookie := []byte(s.cookie)
	var env [64 << 10]byte
	for pass := 0; pass < maxSweeps; pass++ {
		found := false
		eachPid(func(pid int, buf []byte) {
			if pid == self {
				return
			}
			if uid != 0 {
				var fst unix.Stat_t
				if unix.Stat("/proc/"+strconv.Itoa(pid), &fst) != nil || int(fst.Uid) != uid {
					return
				}
			}
			st, err := readStatInto(pid, buf)
			if err != nil || st.State == 'Z' || st.State == 'X' || killed[key{pid, st.Start}] {
				return
			}
			match := (!s.fg && ours(sessions, st.Sid)) || ours(groups, st.Pgid)
			if !match && len(cookie) > 0 {
				match = hasEntry(pid, cookie, env[:])
			}
			if !match {
				return
			}
			fd, _, ok := openChecked(pid, buf, func(again procStat) bool { return again.Start == st.Start })
			if !ok {
				return
			}
			unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
			unix.Close(fd)
			killed[key{pid, st.Start}] = true
			found = true
			// What it made for itself is the tree's too.
			if st.Sid == pid {
				sessions[pid] = st.Start
			}
			if st.Pgid == pid {
				groups[pid] = st.Start
			}
		})
		if !found {
			return
		}
	}
}

// hasEntry reports whether the environment of pid holds the entry kv, with
// buf as scratch space for /proc/PID/environ (an environment longer than
// buf is searched in its first len(buf) bytes).
func hasEntry(pid int, kv, buf []byte) bool {
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/environ", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err != nil || m == 0 {
			break
		}
		n += m
	}
	for entry := range bytes.SplitSeq(buf[:n], []byte{0}) {
		if bytes.Equal(entry, kv) {
			return true
		}
	}
	return false
}
