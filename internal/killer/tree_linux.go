package killer

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/guardian"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// NewTree returns the Tree of everything pgrun started: the process group
// led by leader, and every other live descendant of pgrun. Processes that
// leave the group (setsid, setpgid, a daemon's double fork) are reached
// too: as pgrun is the child subreaper (AdoptOrphans, before forking), all
// of them stay pgrun's descendants, and the tree is gone exactly when pgrun
// has no child left.
//
// Descendants outside the group are found by walking /proc from pgrun's
// children and are signalled through pidfds verified to name them, never
// by bare pid. KILL is repeated, walk after walk, until no descendant is
// alive, so a process forking while it is killed does not slip through.
//
// NewTree takes every child of pgrun but its guardian for the tree's: see
// family for the children that Start tells apart.
func NewTree(leader, pidfd int) Tree {
	return newTree(leader, pidfd, &family{leader: leader})
}

func newTree(leader, pidfd int, f *family) *tree {
	return &tree{g: NewGroup(leader, pidfd).(*group), fam: f}
}

type tree struct {
	g   *group
	fam *family // pgrun's children: which are the tree's, reaping them
	// unended is set once KILL gave up on processes it cannot end:
	// Release then does not wait for a leader that lives on.
	unended bool
}

// maxKillRounds bounds the walk-and-KILL rounds: a tree that is still
// forking after that many is beyond what pgrun can stop this way.
const maxKillRounds = 100

func (t *tree) Signal(sig syscall.Signal, then ...syscall.Signal) (bool, error) {
	if t.Blind() != "" {
		// No number in /proc names a process of pgrun's: only the group
		// is reached.
		return t.g.Signal(sig, then...)
	}
	if sig == syscall.SIGKILL {
		return t.kill()
	}
	// Walk first: once the group's members die, their children are
	// re-parented to pgrun and a walk could miss them; the pidfds taken
	// now stay valid.
	viaGroup := t.g.canSignal()
	skip := 0
	if viaGroup {
		skip = t.g.leader
	}
	procs, err := descendants(t.fam, skip)
	if err == nil && skip != 0 && !t.g.holdsNumber() {
		// The members vouched for their children by their group's
		// number, which may have been recycled meanwhile: verify all.
		closeAll(procs)
		procs, err = descendants(t.fam, 0)
	}
	defer closeAll(procs)
	if err != nil {
		return false, err
	}
	return inOrder(func(sig syscall.Signal) (bool, error) {
		reached, err := t.g.signal(sig)
		if err != nil {
			return reached, err
		}
		for _, p := range procs {
			if viaGroup && p.pgid == t.g.leader {
				continue // the group signal reached it
			}
			if p.signal(sig) == nil {
				reached = true
			}
		}
		return reached, nil
	}, sig, then)
}

// kill sends KILL to the group (atomic for its members, forks in flight
// included), then walks and KILLs the descendants until none is alive.
//
// It gives up, with an *UnendedError naming what is left, as soon as KILL
// cannot change anything: every process still alive refuses it (EPERM: a
// setuid program that another user's pgrun may not signal), or has been
// sent it and lived on for UnendedAfter without a new process showing up
// (uninterruptible sleep, a frozen cgroup). Retrying neither helps.
func (t *tree) kill() (bool, error) {
	reached, err := t.g.signal(syscall.SIGKILL)
	if err != nil {
		return reached, err
	}
	denied := map[int]string{} // processes that refuse KILL, described
	killed := map[int]bool{}   // processes sent KILL, by pid
	lastNew := time.Now()      // when a round last KILLed a process for the first time
	for round := 0; round < maxKillRounds; round++ {
		// Every process, group members included: the rounds wait on
		// their pidfds for the KILLed to be gone.
		procs, err := descendants(t.fam, 0)
		if err != nil {
			return reached, err
		}
		var sent []member
		for _, p := range procs {
			if _, ok := denied[p.pid]; ok {
				continue
			}
			switch err := p.signal(syscall.SIGKILL); {
			case err == nil:
				reached = true
				sent = append(sent, p)
				if !killed[p.pid] {
					killed[p.pid], lastNew = true, time.Now()
				}
			case errors.Is(err, unix.EPERM):
				denied[p.pid] = describe(p.pid) + ": " + err.Error()
			}
		}
		waitExit(sent, time.Second)
		alive := describeAlive(sent)
		closeAll(procs)
		// A walk can miss a process forked while it ran; only pgrun
		// having no live child proves that nothing is left.
		if done, err := t.dead(); done || err != nil {
			return reached, err
		}
		stuck := time.Since(lastNew) >= UnendedAfter
		if len(denied) > 0 && len(sent) == 0 || stuck && len(alive) > 0 {
			e := &UnendedError{Processes: append(mapValues(denied), alive...)}
			t.unended = true
			return reached, e
		}
	}
	return reached, fmt.Errorf("the tree is still alive after %d rounds of KILL (%s)", maxKillRounds, t.unreached())
}

// describe names pid for an error: its number and command line.
func describe(pid int) string {
	return fmt.Sprintf("%d (%s)", pid, strings.Join(proc.Cmdline(pid), " "))
}

// describeAlive describes the processes of procs that are still alive,
// with their state: what KILL has not ended.
func describeAlive(procs []member) []string {
	var out []string
	for _, p := range procs {
		if !p.alive() {
			continue
		}
		why := "alive after KILL"
		if st, err := proc.ReadStat(p.pid); err == nil {
			why = fmt.Sprintf("alive after KILL, in state %c", st.State)
		}
		out = append(out, describe(p.pid)+": "+why)
	}
	return out
}

func mapValues(m map[int]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// unreached describes pgrun's children of the tree that are still alive,
// for an error saying what KILL could not end.
func (t *tree) unreached() string {
	direct, err := t.fam.children()
	if err != nil {
		return err.Error()
	}
	var alive []string
	for _, pid := range direct {
		st, err := proc.ReadStat(pid)
		switch {
		case err != nil:
			alive = append(alive, fmt.Sprintf("%d, whose /proc entry cannot be read", pid))
		case st.State != 'Z' && st.State != 'X':
			alive = append(alive, fmt.Sprintf("%d (%s), state %c", pid, strings.Join(proc.Cmdline(pid), " "), st.State))
		}
	}
	if len(alive) == 0 {
		return "pgrun lists no live child: something forks faster than it dies"
	}
	return "pgrun's children still alive: " + strings.Join(alive, "; ")
}

// dead reaps what has exited and reports whether nothing of the tree is
// alive.
func (t *tree) dead() (bool, error) {
	if _, err := t.Reap(); err != nil {
		return false, err
	}
	alive, err := t.Alive()
	return !alive, err
}

// Reap reaps what has exited, but keeps the leader unreaped until Release
// (see family), so that the group's number stays pinned: the group is
// then signalled by number as safely as through the pidfd.
func (t *tree) Reap() (bool, error) {
	exited, err := t.fam.reap()
	t.g.exited = exited
	return exited, err
}

func (t *tree) Alive() (bool, error) { return t.fam.alive() }

func (t *tree) Release() (Exit, error) {
	t.fam.release()
	if t.unended && proc.Live(t.g.leader) {
		// Waiting for it could be forever: leave it to init.
		t.g.released = true
		if t.g.pidfd >= 0 {
			unix.Close(t.g.pidfd)
			t.g.pidfd = -1
		}
		return Exit{}, fmt.Errorf("the command (%s) is still running after KILL", describe(t.g.leader))
	}
	return t.g.Release()
}

// Blind says why descendants that left the group cannot be found, or "":
// where /proc is another pid namespace's, none of its numbers may be
// taken for a pid of pgrun's.
func (t *tree) Blind() string { return proc.Foreign() }

// proc is a live descendant of pgrun, held by a pidfd, or, where the
// system has none, a child of pgrun held by its number, which cannot be
// reused while pgrun has not reaped it.
type member struct {
	pid, pgid, fd int // fd is -1 for a child held by its number
}

// signal sends sig to p.
func (p member) signal(sig syscall.Signal) error {
	if p.fd < 0 {
		return unix.Kill(p.pid, sig)
	}
	return unix.PidfdSendSignal(p.fd, sig, nil, 0)
}

// alive reports whether p has not exited.
func (p member) alive() bool {
	if p.fd < 0 {
		return proc.Live(p.pid)
	}
	return proc.Alive(p.fd)
}

// noPidfds says what pgrun cannot do without pidfds, or "" where it has
// them.
func noPidfds() string {
	if proc.Pidfds() {
		return ""
	}
	return "no pidfds on this system (pidfd_open or pidfd_send_signal refused: Linux before 5.3, gVisor, a seccomp profile): a process that left the command's group gets a signal only once pgrun has adopted it (its parent ended), and no guardian can be armed"
}

// descendants lists pgrun's live descendants, each with a pidfd verified
// to name it: walking down from pgrun's children files where that costs
// less (walkDown: what the tree holds), else from one pass over /proc
// (what the machine runs; its parent links are read from every entry, so
// it misses nothing that a children file drops while a sibling exits).
// A child's pid cannot be reused while pgrun
// has not reaped it; below, a process counts as the child of a listed
// parent only if, after its pidfd was opened and its /proc entry read
// again, both it and the parent are alive and the entry names that parent.
//
// Members of process group skip (0: none) are left out: the caller reaches
// them through the group. They are pgrun's by being members (a process
// cannot join a group of another session), so they vouch for their
// children as a verified parent does, and the pass over /proc need not
// read their entries: a tree of a thousand jobs of one shell costs a
// thousand getpgid calls instead of a thousand reads of /proc/PID/stat,
// and a pidfd each. That holds only while the number names the group
// throughout: the caller checks it afterwards (group.holdsNumber) and
// otherwise discards the result.
func descendants(f *family, skip int) ([]member, error) {
	if procs, ok := walkDown(f, skip); ok {
		return procs, nil
	}
	return passDescendants(f, skip)
}

// passDescendants is descendants from one pass over /proc: its cost is
// the machine's, where walkDown's is the tree's.
func passDescendants(f *family, skip int) ([]member, error) {
	kids, members, err := proc.Scan(skip)
	if err != nil {
		return nil, err
	}
	self, gpid := os.Getpid(), guardian.Pid() // after the pass: see guardian.Pid
	var out []member
	add := func(pid, ppid int, parentAlive func() bool) bool {
		p, ok := open(pid, ppid, parentAlive)
		if ok {
			out = append(out, p)
		}
		return ok
	}
	listed := make(map[int]bool, len(kids[self]))
	for _, e := range kids[self] {
		listed[e.Pid] = true
		if e.Pid == gpid {
			continue
		}
		if e.Pid != f.leader && !f.ours(e.Pid) {
			continue // a stranger, with all that it leads
		}
		if p, ok := openChild(e.Pid); ok {
			out = append(out, p)
			continue
		}
		// A child that just died had its children re-parented to pgrun
		// before the pass read its own entry: take them as pgrun's.
		for _, orphan := range kids[e.Pid] {
			if p, ok := openChild(orphan.Pid); ok && f.ours(orphan.Pid) {
				out = append(out, p)
			} else if ok {
				closeAll([]member{p})
			}
		}
	}
	// pgrun's children files list children that the pass cannot see:
	// under hidepid, one that made itself non-dumpable (ssh-agent,
	// gpg-agent) has an entry that pgrun may not read. It is pgrun's
	// child all the same, and its number cannot be reused before pgrun
	// reaps it, so its pidfd needs no check but that it is alive.
	if direct, err := f.children(); err == nil {
		for _, pid := range direct {
			if listed[pid] || members[pid] {
				continue
			}
			if p, ok := openChild(pid); ok {
				out = append(out, p)
			}
		}
	}
	for m := range members {
		stillMember := func() bool {
			pgid, err := unix.Getpgid(m)
			return err == nil && pgid == skip
		}
		for _, e := range kids[m] {
			add(e.Pid, m, stillMember)
		}
	}
	for i := 0; i < len(out); i++ {
		parent := out[i]
		for _, e := range kids[parent.pid] {
			add(e.Pid, parent.pid, parent.alive)
		}
	}
	return out, nil
}

// open returns pid's pidfd if pid is alive and, after the pidfd was
// opened, still the child of ppid, which parentAlive says is still the
// process that was listed.
func open(pid, ppid int, parentAlive func() bool) (member, bool) {
	var buf [proc.StatSize]byte
	fd, st, ok := proc.OpenChecked(pid, buf[:], func(st proc.Stat) bool { return st.Ppid == ppid && parentAlive() })
	if !ok {
		return member{}, false
	}
	return member{pid: pid, pgid: st.Pgid, fd: fd}, true
}

// openChild returns pid if it is a live child of pgrun, with its pidfd
// where the system has them: a child's number is its own until pgrun reaps
// it, so a pidfd opened before it was found to be one names it.
func openChild(pid int) (member, bool) {
	fd := -1
	if proc.Pidfds() {
		var err error
		if fd, err = unix.PidfdOpen(pid, 0); err != nil {
			return member{}, false
		}
	}
	if !proc.Live(pid) {
		if fd >= 0 {
			unix.Close(fd)
		}
		return member{}, false
	}
	pgid, err := unix.Getpgid(pid)
	if err != nil {
		pgid = -1
	}
	return member{pid: pid, pgid: pgid, fd: fd}, true
}

// waitExit waits until every process in procs has exited, or for at most
// d. Processes held by their number are looked at every few milliseconds:
// without pidfds nothing else says when one of them exits.
func waitExit(procs []member, d time.Duration) {
	deadline := time.Now().Add(d)
	var fds []unix.PollFd
	var pinned []member
	for _, p := range procs {
		if p.fd < 0 {
			pinned = append(pinned, p)
		} else {
			fds = append(fds, unix.PollFd{Fd: int32(p.fd), Events: unix.POLLIN})
		}
	}
	for len(fds) > 0 || len(pinned) > 0 {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		wait := int(left.Milliseconds()) + 1
		if len(pinned) > 0 {
			wait = min(wait, 5)
		}
		if _, err := unix.Poll(fds, wait); err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		pinned = slices.DeleteFunc(pinned, func(p member) bool { return !p.alive() })
		live := fds[:0]
		for _, f := range fds {
			if f.Revents == 0 {
				live = append(live, unix.PollFd{Fd: f.Fd, Events: unix.POLLIN})
			}
		}
		fds = live
	}
}

func closeAll(procs []member) {
	for _, p := range procs {
		if p.fd >= 0 {
			unix.Close(p.fd)
		}
	}
}

// Changes is nil: every death in the tree raises a SIGCHLD in pgrun.
func (t *tree) Changes() <-chan struct{} { return nil }
