package killer

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/cgroupfs"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// GuardianName is the argv[0] by which pgrun, executed again, knows that
// it is to be a guardian (see Guard): a mode chosen before any command
// line is read, never a subcommand a user could type.
const GuardianName = "pgrun-guardian"

// GuardianDelay is how long after the command starts the guardian is
// armed. Until then, if pgrun is killed, only the command dies (Pdeathsig).
// A command that ends sooner never pays for a guardian: starting one
// costs about a millisecond of CPU, which on two cores would slow the
// start of every short command.
const GuardianDelay = 5 * time.Millisecond

// guardianDelay is GuardianDelay, but where a test moved it.
var guardianDelay = GuardianDelay

// DelayGuardian makes every later guardian armed d after the start instead
// of GuardianDelay. It exists so that tests can kill pgrun, for certain,
// before its guardian is armed.
func DelayGuardian(d time.Duration) { guardianDelay = d }

// guardian is the process that kills the tree if pgrun dies without
// dismissing it. It is forked by a thread of its own that lives until it
// is reaped, so that it stays in that thread's list of children: pgrun's
// waits, made on the main thread with __WNOTHREAD while a guardian lives,
// never see it, and it is never counted in the tree.
//
// It is given the tree's own descriptors (the command's pidfd, the locked
// cgroup), not copies: they stay open until the tree is released, and the
// tree is released only after stop, which waits for a fork under way.
type guardian struct {
	mode   string // what the guardian reaches when it acts
	fg     bool   // the command shares pgrun's session: match by group
	leader int
	start  uint64 // the leader's start time, 0 if unknown
	cookie string // the environment entry that marks the tree, "" if none
	dir    string // the cgroup, "" if none

	timer *time.Timer
	done  chan struct{} // closed when the guardian is reaped: its thread may end

	pidfd int // the command's pidfd, the tree's; -1 when none
	cgfd  int // the cgroup directory, the tree's (its lock is shared); -1 when none

	mu       sync.Mutex
	stopped  bool // no guardian is started from now on
	pid      int  // the guardian, once started, until reaped
	lifeline int  // the write end of its lifeline pipe, once started
	err      error
}

// guarding is the guardian of this process's run.
var guarding atomic.Pointer[guardian]

// guardianPid is the pid of the guardian while it lives, 0 otherwise.
// Walks of the tree read it after their pass over /proc: the guardian is
// forked holding its mutex and recorded before that is released, so a
// guardian that the pass saw is recorded by then.
func guardianPid() int {
	g := guarding.Load()
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pid
}

// waitFlags are the flags every wait for any of pgrun's children adds:
// from the moment a guardian is armed until it is reaped, waits see only
// the waiting thread's children (the main thread's: the command's, and
// the orphans it adopts), never the guardian, whose own thread forked it.
// Armed, not forked: a guardian forked between this call and the wait
// would otherwise count as a child of the tree.
func waitFlags() int {
	if guarding.Load() != nil {
		return unix.WNOTHREAD
	}
	return 0
}

// newCookie returns a fresh environment entry that marks one run's tree.
func newCookie() string {
	return fmt.Sprintf("PGRUN_TREE_%016x=1", rand.Uint64())
}

// armGuardian starts the guardian of the tree led by leader GuardianDelay
// from now, unless stop comes first. pidfd and cg are the tree's, and must
// stay open until stop.
func armGuardian(mode string, fg bool, leader, pidfd int, cookie string, cg *cgroupfs.Cgroup) *guardian {
	g := &guardian{mode: mode, fg: fg, leader: leader, cookie: cookie, pidfd: pidfd, cgfd: -1, lifeline: -1,
		done: make(chan struct{})}
	if cg != nil {
		g.dir, g.cgfd = cg.Dir, cg.Fd()
	}
	guarding.Store(g)
	g.timer = time.AfterFunc(guardianDelay, func() { go g.run() })
	return g
}

// run forks the guardian and keeps its thread until the guardian is reaped.
func (g *guardian) run() {
	runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return
	}
	g.pid, g.lifeline, g.err = g.fork()
	g.mu.Unlock()
	if g.err == nil {
		<-g.done
	}
}

// fork starts the guardian: pgrun's own executable, in a session of its
// own, with /dev/null for its standard streams, the lifeline's read end as
// fd 3, the command's pidfd as fd 4 and the cgroup as fd 5.
func (g *guardian) fork() (pid, lifeline int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, -1, fmt.Errorf("guardian: pipe: %w", err)
	}
	null, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return 0, -1, fmt.Errorf("guardian: %w", err)
	}
	defer unix.Close(null)
	defer unix.Close(p[0])
	pidfd, cgfd := uintptr(null), uintptr(null)
	if g.pidfd >= 0 {
		pidfd = uintptr(g.pidfd)
	}
	// The leader's start time tells its session from one that a later
	// process with its number may make (see guardSpec.sweep). It is read
	// now, not at the start, where it would cost every short command.
	// It counts only if, after the read, the command is still pgrun's
	// unreaped child (a zombie's entry says when it started), or its
	// pidfd says it is alive: then the number named it throughout.
	if proc.Look().Own {
		if st, err := proc.ReadStat(g.leader); err == nil && (proc.Unreaped(g.leader) || g.pidfd >= 0 && proc.Alive(g.pidfd)) {
			g.start = st.Start
		}
	}
	args := []string{GuardianName, "-mode", g.mode, "-leader", strconv.Itoa(g.leader),
		"-start", strconv.FormatUint(g.start, 10)}
	if g.pidfd >= 0 {
		args = append(args, "-pidfd")
	}
	if g.fg {
		args = append(args, "-fg")
	}
	if g.cookie != "" {
		args = append(args, "-cookie", g.cookie)
	}
	if g.cgfd >= 0 {
		cgfd = uintptr(g.cgfd)
		args = append(args, "-cgroup", g.dir)
	}
	attr := &syscall.ProcAttr{
		Files: []uintptr{uintptr(null), uintptr(null), uintptr(null), uintptr(p[0]), pidfd, cgfd},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	pid, err = syscall.ForkExec("/proc/self/exe", args, attr)
	if err != nil {
		unix.Close(p[1])
		return 0, -1, fmt.Errorf("guardian: %w", err)
	}
	return pid, p[1], nil
}

// stop makes sure that no guardian is started from now on, waiting for a
// fork under way: afterwards the tree's descriptors may be closed.
func (g *guardian) stop() {
	g.timer.Stop()
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}

// dismiss, after stop, tells the guardian that pgrun ends as planned and
// reaps it. It reports whether one was armed, or why it failed.
func (g *guardian) dismiss() (armed bool, err error) {
	g.mu.Lock()
	pid, lifeline, err := g.pid, g.lifeline, g.err
	g.mu.Unlock()
	if pid != 0 {
		unix.Write(lifeline, []byte{'d'}) // EPIPE if it died: then there is only a zombie to reap
		unix.Close(lifeline)
		_, werr := reap(pid)
		g.mu.Lock()
		g.pid = 0
		g.mu.Unlock()
		close(g.done)
		if werr != nil && err == nil {
			err = werr
		}
	}
	guarding.CompareAndSwap(g, nil)
	return pid != 0, err
}

// guardedTree is a Tree with a guardian, dismissed when the tree is
// released. The guardian watches until the tree is: a pgrun killed while
// it reaps is still answered for.
type guardedTree struct {
	Tree
	g *guardian
}

func (t *guardedTree) Release() (Exit, error) {
	t.g.stop()
	exit, err := t.Tree.Release()
	armed, gerr := t.g.dismiss()
	switch {
	case gerr != nil:
		exit.Guardian = "failed: " + gerr.Error()
	case armed:
		exit.Guardian = "armed"
	default:
		exit.Guardian = "not armed: the run ended within " + guardianDelay.String()
	}
	return exit, err
}

// guard arms a guardian for tree, just started, as spec asks, and returns
// the tree that dismisses it on Release, and what -v says of it. Whether
// pgrun can execute itself again (/proc/self/exe) shows when it tries:
// Exit.Guardian then says "failed: why".
func guard(tree Tree, spec Spec, c *containment, pid, pidfd int, cookie string) (Tree, string) {
	if !spec.Guardian {
		return tree, "off"
	}
	if c.mode == Pidns {
		return tree, "not needed: the kernel ends the pid namespace when pgrun dies"
	}
	if !proc.Pidfds() {
		// With pgrun dead nothing pins any number of the tree: a
		// guardian could signal only by numbers that may name
		// another process by then.
		return tree, "unavailable: no pidfds on this system"
	}
	g := armGuardian(c.mode.String(), spec.Foreground, pid, pidfd, cookie, c.cg)
	return &guardedTree{Tree: tree, g: g}, "armed " + guardianDelay.String() + " after the start"
}

// treeCookie returns the cookie that marks the tree, where something needs
// one: a guardian, which with the subreaper finds the tree by it, and pgrun
// itself where it has children that are not the tree's (see family).
func treeCookie(spec Spec, c *containment, k kin) string {
	if c.mode == Subreaper && spec.Guardian || (c.mode == Subreaper || c.mode == Cgroup) && k.strangers() {
		return newCookie()
	}
	return ""
}
