package killer

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/cgroupfs"
	"github.com/pgrun/pgrun/internal/killer/guardian"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// family is the one owner of pgrun's children on Linux: it knows who each
// of them is, reaps them, and says which of them are the tree's.
//
// Besides the command (the leader), pgrun's children are
//   - children it had before the command, read once at the start: a
//     shell's background job becomes pgrun's child when the shell executes
//     pgrun (`server & exec pgrun 10m ./tests`), and, pgrun being the child
//     subreaper, the orphans of their descendants come to pgrun too;
//   - where pgrun is the init of its pid namespace (a container's
//     entrypoint), the orphans of every process of the namespace, of those
//     that entered it from outside (docker exec, nsenter) too;
//   - orphans of the tree, adopted as its child subreaper;
//   - the guardian, which a thread of its own forks and reaps.
//
// Where neither of the first two can be, every child but the guardian
// descends from the command: the subreaper adopts only its own
// descendants. Otherwise an adopted child is the tree's only with a proof
// that nothing else can show: the run's cgroup, the command's session
// (with --foreground, its process group), whose number the unreaped leader
// keeps from reuse, or the run's cookie in its environment. A child
// without one is a stranger: reaped when it exits (someone must), but
// never signalled, waited for or counted, nor anything below it.
//
// The leader stays unreaped, a zombie once it exits, until Release: its
// number is the command's session's and group's, and no other process can
// take it meanwhile.
type family struct {
	leader int
	fg     bool   // the command leads a group of pgrun's session, not a session
	cookie []byte // the run's environment entry, nil if none
	cgroup string // the run's cgroup directory, "" if none
	before map[int]uint64
	init   bool // pgrun is the init of its pid namespace

	exited  bool   // the leader has exited (it stays unreaped)
	cgName  string // cgroup as /proc/PID/cgroup names it, once looked up
	cgKnown bool
	held    map[int]int // pidfds of pgrun's children, by pid (see reapBut)
}

// kin is what pgrun knows of its children before it forks the command.
type kin struct {
	before map[int]uint64 // pid → start time (clock ticks after boot)
	init   bool
}

// readKin lists the children pgrun has before it starts the command, in one
// system call where it has none (the common case).
func readKin() (kin, error) {
	k := kin{init: os.Getpid() == 1}
	var info unix.Siginfo
	err := retryEINTR(func() error {
		return unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WSTOPPED|unix.WCONTINUED|unix.WNOHANG|unix.WNOWAIT, nil)
	})
	switch {
	case errors.Is(err, unix.ECHILD):
		return k, nil
	case err != nil:
		return k, fmt.Errorf("waitid: %w", err)
	}
	pids, err := proc.AllChildren()
	if err != nil {
		return k, err
	}
	k.before = make(map[int]uint64, len(pids))
	for _, pid := range pids {
		// Unreaped, a child's number is its own: its entry can be read.
		if st, err := proc.ReadStat(pid); err == nil {
			k.before[pid] = st.Start
		}
	}
	return k, nil
}

// strangers reports whether a child of pgrun may be something other than
// the command, the guardian or the tree's.
func (f *family) strangers() bool { return len(f.before) > 0 || f.init }

// strangers reports whether pgrun may adopt children that are not the
// tree's.
func (k kin) strangers() bool { return len(k.before) > 0 || k.init }

// family returns the owner of pgrun's children for the command leader,
// just started in the containment c (cg, its cgroup, or nil).
func (k kin) family(leader int, fg bool, cookie string, cg *cgroupfs.Cgroup) *family {
	f := &family{leader: leader, fg: fg, before: k.before, init: k.init}
	if cookie != "" {
		f.cookie = []byte(cookie)
	}
	if cg != nil {
		f.cgroup = cg.Dir
	}
	return f
}

// limits is what the containment c cannot reach, and which of pgrun's
// children are not the tree's, or "". Only the modes that follow the tree
// beyond the group have either to say.
func (k kin) limits(c *containment) string {
	if c.mode != Subreaper && c.mode != Cgroup {
		return c.limits()
	}
	var out []string
	for _, s := range []string{c.limits(), noPidfds(), k.describe()} {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "; ")
}

// describe says, for -v and the report, what pgrun does not count as the
// tree's, or "".
func (k kin) describe() string {
	switch {
	case len(k.before) > 0 && k.init:
		return fmt.Sprintf("pgrun is the init of its pid namespace and had %d children before the command: orphans adopted from elsewhere are not the tree's", len(k.before))
	case len(k.before) > 0:
		return fmt.Sprintf("pgrun had %d children before the command: they, and orphans adopted from them, are not the tree's", len(k.before))
	case k.init:
		return "pgrun is the init of its pid namespace: orphans adopted from elsewhere in it are not the tree's"
	}
	return ""
}

// ours reports whether pid, a child of pgrun other than the leader and
// the guardian, is the tree's.
func (f *family) ours(pid int) bool {
	if !f.strangers() {
		return true
	}
	st, err := proc.ReadStat(pid) // unreaped, the number is the child's own
	if err != nil {
		return false
	}
	if start, ok := f.before[pid]; ok && start == st.Start {
		return false
	}
	if (f.fg && st.Pgid == f.leader) || (!f.fg && st.Sid == f.leader) {
		return true // the leader, unreaped, keeps the number the command's
	}
	if f.cgroup != "" && f.inCgroup(pid) {
		return true
	}
	return f.cookie != nil && proc.HasEntry(pid, f.cookie)
}

// inCgroup reports whether pid is in the run's cgroup or below it.
func (f *family) inCgroup(pid int) bool {
	if !f.cgKnown {
		f.cgKnown = true
		if own, err := cgroupfs.Of("self"); err == nil {
			f.cgName = strings.TrimSuffix(own, "/") + "/" + baseName(f.cgroup)
		}
	}
	if f.cgName == "" {
		return false
	}
	cg, err := cgroupfs.Of(strconv.Itoa(pid))
	return err == nil && (cg == f.cgName || strings.HasPrefix(cg, f.cgName+"/"))
}

func baseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// children lists pgrun's children that are the tree's: the leader, and
// those that ours accepts.
func (f *family) children() ([]int, error) {
	pids, err := children()
	if err != nil || !f.strangers() {
		return pids, err
	}
	out := pids[:0]
	for _, pid := range pids {
		if pid == f.leader || f.ours(pid) {
			out = append(out, pid)
		}
	}
	return out, nil
}

// alive reports whether any process of the tree but an exited leader is
// alive: with pgrun as the child subreaper, every live process of the tree
// has a chain of live ancestors up to a live child of pgrun that is the
// tree's.
func (f *family) alive() (bool, error) {
	if !f.strangers() || !proc.Look().Own {
		// (Where /proc is another namespace's, its children files
		// cannot be read: strangers are then counted as the tree's,
		// which at worst waits for them, and never signals them.)
		// Authoritative, where the children files are hints: without
		// WEXITED, zombies are not counted, and the guardian, forked
		// by another thread, is not seen from this one (waitFlags).
		var info unix.Siginfo
		err := retryEINTR(func() error {
			return unix.Waitid(unix.P_ALL, 0, &info, unix.WSTOPPED|unix.WCONTINUED|unix.WNOHANG|unix.WNOWAIT|waitFlags(), nil)
		})
		switch {
		case errors.Is(err, unix.ECHILD):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("waitid: %w", err)
		}
		return true, nil
	}
	// pgrun's own children files are exact while pgrun does not reap:
	// only its reaps remove an entry, and forks and adoptions are added
	// at the end.
	pids, err := f.children()
	if err != nil {
		return false, err
	}
	for _, pid := range pids {
		if proc.Live(pid) {
			return true, nil
		}
	}
	return false, nil
}

// reap reaps every child that has exited but the leader, and reports
// whether the leader has exited.
func (f *family) reap() (bool, error) {
	for {
		var info unix.Siginfo
		err := retryEINTR(func() error {
			return unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|waitFlags(), nil)
		})
		if errors.Is(err, unix.ECHILD) {
			return f.exited, nil
		}
		if err != nil {
			return f.exited, fmt.Errorf("waitid: %w", err)
		}
		switch pid := siPid(&info); pid {
		case 0:
			return f.exited, nil // nothing has exited
		case f.leader:
			// The leader comes first, and would hide the others:
			// reap those by number.
			f.exited = true
			return true, f.reapBut(f.leader)
		default:
			if err := f.reapNow(pid); err != nil {
				return f.exited, err
			}
		}
	}
}

// reapBut reaps every exited child but keep. The children files are exact
// between reaps, so one pass finds every child, and orphans adopted during
// it raise another SIGCHLD when they exit. Only the main thread's file is
// read: the kernel gives a subreaper's orphans to its first live thread,
// the main one, which also forks the command and has the children pgrun
// started with; the guardian, another thread's, is not to be reaped here.
//
// Asking each child (wait4) would make every SIGCHLD cost a system call
// per child once the leader has exited, which a tree of many adopted
// processes that end one by one turns into a cost that grows as the
// square of their number. So each child gets a pidfd once, and one poll
// of all of them tells which have exited.
func (f *family) reapBut(keep int) error {
	if !proc.Look().Own {
		return nil // no children file to read: they stay zombies until pgrun exits
	}
	pids, err := proc.MainChildren()
	if err != nil {
		return err
	}
	var fds []unix.PollFd
	var polled []int
	for _, pid := range pids {
		if pid == keep {
			continue
		}
		fd, ok := f.held[pid]
		if !ok && proc.Pidfds() {
			// Unreaped, the child's number is its own.
			if fd, err = unix.PidfdOpen(pid, 0); err == nil {
				ok = true
				if f.held == nil {
					f.held = make(map[int]int)
				}
				f.held[pid] = fd
			}
		}
		if !ok {
			if err := f.reapNow(pid); err != nil {
				return err
			}
			continue
		}
		fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
		polled = append(polled, pid)
	}
	if len(fds) == 0 {
		return nil
	}
	if err := retryEINTR(func() error { _, err := unix.Poll(fds, 0); return err }); err != nil {
		return fmt.Errorf("poll: %w", err)
	}
	for i, pfd := range fds {
		if pfd.Revents != 0 {
			if err := f.reapNow(polled[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// reapNow reaps pid, a child of pgrun, if it has exited.
func (f *family) reapNow(pid int) error {
	var got int
	err := retryEINTR(func() (err error) {
		got, err = syscall.Wait4(pid, nil, syscall.WNOHANG, nil)
		return err
	})
	if err != nil && !errors.Is(err, syscall.ECHILD) {
		return fmt.Errorf("wait4(%d): %w", pid, err)
	}
	if got == pid || err != nil {
		f.drop(pid)
	}
	return nil
}

// drop closes the pidfd held for pid, which is gone.
func (f *family) drop(pid int) {
	if fd, ok := f.held[pid]; ok {
		unix.Close(fd)
		delete(f.held, pid)
	}
}

// release closes every pidfd held.
func (f *family) release() {
	for pid := range f.held {
		f.drop(pid)
	}
}

// siPid is the si_pid of a siginfo that waitid filled: the first field of
// the union that follows three ints, aligned as a pointer.
func siPid(info *unix.Siginfo) int {
	off := (3*unsafe.Sizeof(int32(0)) + unsafe.Sizeof(uintptr(0)) - 1) &^ (unsafe.Sizeof(uintptr(0)) - 1)
	return int(*(*int32)(unsafe.Add(unsafe.Pointer(info), off)))
}

// children lists pgrun's direct children but its guardian, from every
// thread's children file (an orphan is re-parented to some live thread of
// the subreaper, not necessarily the main one). The kernel builds these
// files while processes come and go, so the list is a hint: callers must
// loop until an authoritative condition holds.
func children() ([]int, error) {
	pids, err := proc.AllChildren()
	if gpid := guardian.Pid(); gpid != 0 { // after reading: see guardian.Pid
		for i, pid := range pids {
			if pid == gpid {
				pids = append(pids[:i], pids[i+1:]...)
				break
			}
		}
	}
	return pids, err
}
