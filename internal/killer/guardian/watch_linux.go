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
	spec, err := parseSpec(args)
	if err == nil && spec.Watched {
		closeInherited(pgrunFd + 1)
	} else {
		closeInherited(cgroupFd + 1)
	}
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE,
		syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGTSTP)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrun guardian:", err)
		return 2
	}
	parent := pgrunFd // the watcher's: pgrun died before this started
	if !spec.Watched {
		parent = watchParent()
	}
	var b [1]byte
	if n, err := proc.ReadFd(lifelineFd, b[:]); err == nil && n == 1 {
		return 0 // dismissed: pgrun ends as planned
	}
	spec.kill(parent)
	return 0
}

// watchParent returns a pidfd on the guardian's parent, pgrun, or -1 if
// pgrun is gone already (or pidfds are missing): it says when pgrun's
// death is complete (see adopterOf).
func watchParent() int {
	ppid := unix.Getppid()
	fd, err := unix.PidfdOpen(ppid, 0)
	if err != nil {
		return -1
	}
	if unix.Getppid() != ppid {
		unix.Close(fd) // the number may name another process by now
		return -1
	}
	return fd
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
// in subreaper mode, what sweep finds of it. Where /proc is another
// namespace's, only the first two.
func (s Spec) kill(parent int) {
	if s.Cgroup == "" && s.Sweep && proc.Look().Own {
		// Before the group's KILL: a process KILLed gives its children
		// away, and with them the proof of their parent that sweep
		// follows.
		s.sweep(parent)
	}
	if s.Pidfd {
		unix.PidfdSendSignal(pidfdFd, unix.SIGKILL, nil, unix.PIDFD_SIGNAL_PROCESS_GROUP)
		unix.PidfdSendSignal(pidfdFd, unix.SIGKILL, nil, 0)
	}
	if s.Cgroup != "" {
		killCgroup(s.Cgroup)
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
// of the tree: those of the command's session (or, for a command in
// pgrun's session, its process group), of sessions and groups that
// processes of the tree made for themselves, those whose environment
// carries the run's cookie, and, found from the process that adopted
// pgrun's children, the descendants of any of them.
//
// pgrun was the tree's subreaper, so when it died every process of the
// tree was its descendant, and its children, the guardian among them, went
// to one adopter: its nearest ancestor that is a subreaper, or the init of
// its pid namespace. Once pgrun's pidfd says it has exited, the guardian's
// parent is that adopter, and the tree is what descends from the adopter's
// children that prove to be the tree's: a few children files to read,
// where a pass over /proc reads every process of the machine. Where the
// adopter is not known (no pidfds, pgrun gone before the guardian could
// watch it, the adopter in another pid namespace), passes over /proc.
//
// A number is signalled only through a pidfd opened on it and checked
// afterwards to name the process the pass read (same start time, still
// alive; for a child read from a member's children file, also still that
// member's child while the member lives). A session or group number is
// the tree's while a proof holds that nothing else took it:
//   - its leader is alive and is the one the tree knows (its start time);
//   - or no process leads it, and it has had members in every pass so far.
//     A number stays allocated while any process uses it as pid, group or
//     session: pgrun kept the command unreaped all its life, so the
//     command's number was the tree's when pgrun died, and members seen in
//     one pass keep it so until the next. A number whose members were all
//     gone at some pass may have been taken since, and is dropped.
//
// What this cannot prove is the moment between pgrun's death and the first
// pass: the command's zombie goes to the adopter, which reaps it; if
// nothing else of the tree held the number, a process created then could
// take it. The kernel hands numbers out in turn, so that needs every other
// number of the pid space handed out in that moment, or someone choosing
// it (ns_last_pid, as root).
//
// A user who is not root skips other users' processes before reading
// anything of theirs.
func (s Spec) sweep(parent int) {
	if s.Passes {
		s.sweepAll()
		return
	}
	if adopter := adopterOf(parent); adopter > 0 && s.sweepFrom(adopter) {
		return
	}
	s.sweepAll()
}

// adopterOf waits until pgrun, whose pidfd parent is (-1: none), has
// exited, a second at most, and returns the process that adopted its
// children: the guardian's parent from then on. 0 if not known. The pidfd
// says so only once pgrun's last thread has exited, after the kernel has
// given its children away; its lifeline broke earlier, as its descriptors
// were closed.
func adopterOf(parent int) int {
	if parent < 0 {
		return 0
	}
	fds := []unix.PollFd{{Fd: int32(parent), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 1000)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return 0
		}
		return unix.Getppid() // 0 for an adopter in an outer pid namespace
	}
}

// sweepAll is sweep by passes over /proc.
func (s Spec) sweepAll() {
	w := newSweeper(s)
	for pass := 0; pass < maxSweeps; pass++ {
		proc.EachPid(func(pid int, _ []byte) {
			st, ok := w.consider(pid)
			if !ok || !w.member(pid, st) {
				return
			}
			if fd, ok := w.take(pid, st, sameStart(st)); ok {
				unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
				unix.Close(fd)
			}
		})
		if !w.endPass() {
			return
		}
	}
}

// maxHeld bounds the pidfds a pass of sweepFrom holds: a pass that
// reaches it takes no more, KILLs what it holds and makes another, in
// which the rest of a larger tree has lost the proof of its KILLed
// parents (it is found by the others). Every pidfd a check relies on
// stays open until its pass ends.
const maxHeld = 512

// sweepFrom is sweep from the children of adopter, pass after pass. It
// reports false if it could not read them at the first pass: the caller
// passes over /proc instead.
//
// A pass holds the pidfd of every process it finds and reads its children
// before it KILLs any of them: a process KILLed first would give its
// children away to the adopter, and with them the proof of their parent.
func (s Spec) sweepFrom(adopter int) bool {
	w := newSweeper(s)
	buf := make([]byte, 16<<10)
	var held []int
	flush := func() {
		for _, fd := range held {
			unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
		}
		waitExited(held, time.Second)
		for _, fd := range held {
			unix.Close(fd)
		}
		held = held[:0]
	}
	// visit takes pid if it proves to be the tree's, by itself or, with
	// linked, as a child of a process the pass holds; then its children.
	var visit func(pid int, linked func(proc.Stat) bool)
	visit = func(pid int, linked func(proc.Stat) bool) {
		st, ok := w.consider(pid)
		if !ok {
			return
		}
		is := sameStart(st)
		switch {
		case linked != nil && linked(st):
			is = func(again proc.Stat) bool { return again.Start == st.Start && linked(again) }
		case !w.member(pid, st):
			return
		}
		if len(held) == maxHeld {
			w.found = true // another pass
			return
		}
		fd, ok := w.take(pid, st, is)
		if !ok {
			// One that has just died (the command, of its parent's
			// death) gave its children to the adopter after the pass
			// read the adopter's: one more pass finds them.
			if key := (procKey{pid, st.Start}); !w.ended[key] {
				w.ended[key] = true
				w.found = true
			}
			return
		}
		held = append(held, fd)
		kids, err := proc.ChildrenOf(pid, buf)
		if err != nil {
			return
		}
		for _, kid := range kids {
			visit(kid, childOf(pid, fd))
		}
	}
	for pass := 0; pass < maxSweeps; pass++ {
		if pass > 0 {
			// The adopter may have died since: its children, the
			// guardian among them, went on to the next one.
			if adopter = unix.Getppid(); adopter <= 0 {
				return true
			}
		}
		tops, err := proc.ChildrenOf(adopter, buf)
		if err != nil {
			return pass > 0
		}
		for _, pid := range tops {
			visit(pid, nil)
		}
		flush()
		if !w.endPass() {
			return true
		}
	}
	return true
}

// waitExited waits until every process of pidfds has exited, or for
// patience: a process KILLed gives its children away only as it exits,
// and the next pass must find them at the adopter. A process that KILL
// does not end at once (in the D state) is waited for no longer.
func waitExited(pidfds []int, patience time.Duration) {
	fds := make([]unix.PollFd, 0, len(pidfds))
	for _, fd := range pidfds {
		fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	deadline := time.Now().Add(patience)
	for len(fds) > 0 {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		n, err := unix.Poll(fds, int(left/time.Millisecond)+1)
		if err != nil && err != unix.EINTR {
			return
		}
		if n <= 0 {
			continue
		}
		live := fds[:0]
		for _, f := range fds {
			if f.Revents == 0 {
				live = append(live, unix.PollFd{Fd: f.Fd, Events: unix.POLLIN})
			}
		}
		fds = live
	}
}

// childOf says whether a stat line read of a process shows it a child of
// parent, whose pidfd is fd: read before the check that the parent still
// lives, the line names the parent's child at that moment.
func childOf(parent, fd int) func(proc.Stat) bool {
	return func(st proc.Stat) bool { return st.Ppid == parent && proc.Alive(fd) }
}

// sameStart says whether a stat line is of the process that st was read
// of.
func sameStart(st proc.Stat) func(proc.Stat) bool {
	return func(again proc.Stat) bool { return again.Start == st.Start }
}

// procKey names a process for as long as the machine runs.
type procKey struct {
	pid   int
	start uint64
}

// sweeper is what the passes of a sweep know of the tree.
type sweeper struct {
	spec      Spec
	self, uid int
	cookie    []byte
	killed    map[procKey]bool
	ended     map[procKey]bool // of the tree, found dead (see sweepFrom)
	// Sessions and groups of the tree, by number, with the start time
	// of the leader that made them (0: not known yet).
	sessions, groups map[int]uint64
	// The numbers that some process, a zombie too, used in this pass as
	// its session or its group: those of the sets that none used are
	// dropped after the pass.
	used  map[int]bool
	found bool // this pass took a process
	stat  []byte
}

func newSweeper(s Spec) *sweeper {
	w := &sweeper{
		spec: s, self: os.Getpid(), uid: os.Getuid(), cookie: []byte(s.Cookie),
		killed: map[procKey]bool{}, ended: map[procKey]bool{}, sessions: map[int]uint64{}, groups: map[int]uint64{},
		used: map[int]bool{}, stat: make([]byte, 4096),
	}
	if s.Foreground {
		w.groups[s.Leader] = s.Start
	} else {
		w.sessions[s.Leader] = s.Start
	}
	return w
}

// consider reads pid's stat line, counts its session and group as used,
// and returns it if pid is a process the sweep may take: not the
// guardian, another user's (unless the guardian is root's), dead or
// already KILLed. A zombie is not skipped: a process whose main thread
// ended shows as one while its other threads run (the pidfd tells them
// apart).
func (w *sweeper) consider(pid int) (proc.Stat, bool) {
	if pid == w.self {
		return proc.Stat{}, false
	}
	if w.uid != 0 {
		var fst unix.Stat_t
		if unix.Stat("/proc/"+strconv.Itoa(pid), &fst) != nil || int(fst.Uid) != w.uid {
			return proc.Stat{}, false
		}
	}
	st, err := proc.ReadStatInto(pid, w.stat)
	if err != nil {
		return proc.Stat{}, false
	}
	w.used[st.Sid], w.used[st.Pgid] = true, true
	if st.State == 'X' || w.killed[procKey{pid, st.Start}] {
		return proc.Stat{}, false
	}
	return st, true
}

// member reports whether the process pid, of stat line st, is the tree's
// by itself: by its session, its group or its environment.
func (w *sweeper) member(pid int, st proc.Stat) bool {
	if (!w.spec.Foreground && w.ours(w.sessions, st.Sid)) || w.ours(w.groups, st.Pgid) {
		return true
	}
	return len(w.cookie) > 0 && proc.HasEntry(pid, w.cookie)
}

// ours reports whether id, of set, is still the tree's (see sweep).
func (w *sweeper) ours(set map[int]uint64, id int) bool {
	start, ok := set[id]
	if !ok {
		return false
	}
	st, err := proc.ReadStatInto(id, w.stat)
	if err != nil || (st.Sid != id && st.Pgid != id) {
		return true // no leader: its members have held the number
	}
	return start != 0 && st.Start == start
}

// take opens a pidfd on pid, checked with is, and counts the process as
// the tree's: what it made for itself is the tree's too.
func (w *sweeper) take(pid int, st proc.Stat, is func(proc.Stat) bool) (int, bool) {
	fd, _, ok := proc.OpenChecked(pid, w.stat, is)
	if !ok {
		return -1, false
	}
	w.killed[procKey{pid, st.Start}] = true
	w.found = true
	if st.Sid == pid {
		w.sessions[pid] = st.Start
	}
	if st.Pgid == pid {
		w.groups[pid] = st.Start
	}
	return fd, true
}

// endPass drops the sessions and groups that no process used in the pass,
// and reports whether the pass took anything.
func (w *sweeper) endPass() bool {
	for _, set := range []map[int]uint64{w.sessions, w.groups} {
		for id := range set {
			if !w.used[id] {
				delete(set, id)
			}
		}
	}
	clear(w.used)
	found := w.found
	w.found = false
	return found
}
