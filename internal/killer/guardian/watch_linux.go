package guardian

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/cgroupfs"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// Main is the guardian, pgrun executed again as Name: it waits
// on its lifeline and, if pgrun dies without dismissing it, KILLs the
// tree and exits. It returns the exit status.
//
// It must outlive what killed pgrun: it runs in a session of its own (a
// KILL of pgrun's group misses it), with /dev/null for its standard
// streams, ignoring the signals a terminal or a closed pipe would send.
// While pgrun lives it makes no system call at all.
func Main(args []string) int {
	closeInherited(cgroupFd + 1)
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE,
		syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGTSTP)
	spec, err := parseSpec(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrun guardian:", err)
		return 2
	}
	var b [1]byte
	if n, err := proc.ReadFd(lifelineFd, b[:]); err == nil && n == 1 {
		return 0 // dismissed: pgrun ends as planned
	}
	spec.kill()
	return 0
}

// closeInherited closes the descriptors from first up that the guardian
// inherited: those pgrun's caller left open without close-on-exec, which
// pgrun keeps for the command, reach the guardian too, and a pipe held
// there would keep its reader waiting after pgrun is gone. Inherited ones
// are those without close-on-exec: the Go runtime opens its own (the
// cgroup files it reads for GOMAXPROCS) with it.
func closeInherited(first int) {
	names, err := proc.DirNames("/proc/self/fd")
	if err != nil {
		return
	}
	for _, name := range names {
		// (The listing's own descriptor, closed by now, is listed too:
		// F_GETFD fails on it.)
		fd, err := strconv.Atoi(name)
		if err != nil || fd < first {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			unix.Close(fd)
		}
	}
}

// kill KILLs the tree of a pgrun that died: its group through the
// command's pidfd (exact, even if the command is gone), its cgroup, and,
// in subreaper mode, what passes over /proc find of its sessions and its
// cookie. Where /proc is another namespace's, only the first two.
func (s Spec) kill() {
	if s.Pidfd {
		unix.PidfdSendSignal(pidfdFd, unix.SIGKILL, nil, unix.PIDFD_SIGNAL_PROCESS_GROUP)
		unix.PidfdSendSignal(pidfdFd, unix.SIGKILL, nil, 0)
	}
	if s.Cgroup != "" {
		killCgroup(s.Cgroup)
		return
	}
	if s.Sweep && proc.Look().Own {
		s.sweep()
	}
}

// killCgroup KILLs everything in the cgroup (through the directory pgrun
// passed, which names it whatever happened to its path), waits until it
// is empty, and removes it.
func killCgroup(dir string) {
	cg := cgroupfs.Inherited(dir, cgroupFd)
	if cg.Kill() != nil {
		return
	}
	cg.KillLeft()
	cg.WaitEmpty(10 * time.Second)
	cg.Remove()
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
// alive). A session or group number is the tree's while a proof holds
// that nothing else took it:
//   - its leader is alive and is the one the tree knows (its start time);
//   - or no process leads it, and it has had members in every pass so far.
//     A number stays allocated while any process uses it as pid, group or
//     session: pgrun kept the command unreaped all its life, so the
//     command's number was the tree's when pgrun died, and members seen in
//     one pass keep it so until the next. A number whose members were all
//     gone at some pass may have been taken since, and is dropped.
//
// What this cannot prove is the moment between pgrun's death and the first
// pass: the command's zombie goes to init, which reaps it; if nothing else
// of the tree held the number, a process created then could take it. The
// kernel hands numbers out in turn, so that needs every other number of
// the pid space handed out in that moment, or someone choosing it
// (ns_last_pid, as root).
//
// A user who is not root skips other users' processes before reading
// anything of theirs.
func (s Spec) sweep() {
	self, uid := os.Getpid(), os.Getuid()
	type key struct {
		pid   int
		start uint64
	}
	killed := map[key]bool{}
	// Sessions and groups of the tree, by number, with the start time of
	// the leader that made them (0: not known yet).
	sessions, groups := map[int]uint64{}, map[int]uint64{}
	if s.Foreground {
		groups[s.Leader] = s.Start
	} else {
		sessions[s.Leader] = s.Start
	}
	// The numbers that some process, a zombie too, used in this pass as
	// its session or its group: those of the sets that none used are
	// dropped after the pass.
	used := map[int]bool{}
	ours := func(set map[int]uint64, id int) bool {
		start, ok := set[id]
		if !ok {
			return false
		}
		st, err := proc.ReadStat(id)
		if err != nil || (st.Sid != id && st.Pgid != id) {
			return true // no leader: its members have held the number
		}
		return start != 0 && st.Start == start
	}
	cookie := []byte(s.Cookie)
	for pass := 0; pass < maxSweeps; pass++ {
		found := false
		clear(used)
		proc.EachPid(func(pid int, buf []byte) {
			if pid == self {
				return
			}
			if uid != 0 {
				var fst unix.Stat_t
				if unix.Stat("/proc/"+strconv.Itoa(pid), &fst) != nil || int(fst.Uid) != uid {
					return
				}
			}
			// A zombie is not skipped: a process whose main thread
			// ended shows as one while its other threads run (the
			// pidfd tells them apart).
			st, err := proc.ReadStatInto(pid, buf)
			if err != nil {
				return
			}
			used[st.Sid], used[st.Pgid] = true, true
			if st.State == 'X' || killed[key{pid, st.Start}] {
				return
			}
			match := (!s.Foreground && ours(sessions, st.Sid)) || ours(groups, st.Pgid)
			if !match && len(cookie) > 0 {
				match = proc.HasEntry(pid, cookie)
			}
			if !match {
				return
			}
			fd, _, ok := proc.OpenChecked(pid, buf, func(again proc.Stat) bool { return again.Start == st.Start })
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
		for _, set := range []map[int]uint64{sessions, groups} {
			for id := range set {
				if !used[id] {
					delete(set, id)
				}
			}
		}
		if !found {
			return
		}
	}
}
