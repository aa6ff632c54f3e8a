package guardian

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/cgroupfs"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// delay is Delay, but where a test moved it.
var delay = Delay

// SetDelay makes every later guardian armed d after the start instead of
// Delay. It exists so that tests can kill pgrun, for certain, before its
// guardian is armed.
func SetDelay(d time.Duration) { delay = d }

// passesOnly is SetPassesOnly's.
var passesOnly bool

// SetPassesOnly makes every later guardian sweep by passes over /proc
// alone, as it does where it cannot tell who adopted pgrun's children
// (see Spec.Passes). It exists so that tests cover that way too.
func SetPassesOnly(on bool) { passesOnly = on }

// ArmedAfter is how long after the start a guardian armed now is.
func ArmedAfter() time.Duration { return delay }

// Guardian is the process that kills the tree if pgrun dies without
// dismissing it. It is forked by a thread of its own that lives until it
// is reaped, so that it stays in that thread's list of children: pgrun's
// waits, made on the main thread with __WNOTHREAD while a guardian lives
// (see Armed), never see it, and it is never counted in the tree.
//
// It is given the tree's own descriptors (the command's pidfd, the locked
// cgroup), not copies: they stay open until the tree is released, and the
// tree is released only after Stop, which waits for a fork under way.
type Guardian struct {
	spec  Spec
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
var guarding atomic.Pointer[Guardian]

// Pid is the pid of this process's guardian while it lives, 0 otherwise.
// Walks of the tree read it after their pass over /proc: the guardian is
// forked holding its mutex and recorded before that is released, so a
// guardian that the pass saw is recorded by then.
func Pid() int {
	g := guarding.Load()
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pid
}

// Armed reports whether a guardian is armed in this process, forked or
// not, and not yet dismissed: from then on every wait for pgrun's children
// must see only the waiting thread's (__WNOTHREAD), or a guardian forked
// between the check and the wait would count as a child of the tree.
func Armed() bool { return guarding.Load() != nil }

// Arm starts the guardian of the tree that spec describes, ArmedAfter from
// now, unless Stop comes first; Start and Pidfd are filled in here. pidfd
// (-1 when none) and cg (nil when none) are the tree's, and must stay open
// until Stop.
func Arm(spec Spec, pidfd int, cg *cgroupfs.Cgroup) *Guardian {
	g := &Guardian{spec: spec, pidfd: pidfd, cgfd: -1, lifeline: -1, done: make(chan struct{})}
	g.spec.Pidfd = pidfd >= 0
	g.spec.Passes = g.spec.Sweep && passesOnly
	if cg != nil {
		g.spec.Cgroup, g.cgfd = cg.Dir, cg.Fd()
	}
	guarding.Store(g)
	g.timer = time.AfterFunc(delay, func() { go g.run() })
	return g
}

// run forks the guardian and keeps its thread until the guardian is reaped.
func (g *Guardian) run() {
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
func (g *Guardian) fork() (pid, lifeline int, err error) {
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
	if g.cgfd >= 0 {
		cgfd = uintptr(g.cgfd)
	}
	// The leader's start time tells its session from one that a later
	// process with its number may make (see Spec.sweep). It is read
	// now, not at the start, where it would cost every short command.
	// It counts only if, after the read, the command is still pgrun's
	// unreaped child (a zombie's entry says when it started), or its
	// pidfd says it is alive: then the number named it throughout.
	spec := g.spec
	if proc.Look().Own {
		if st, err := proc.ReadStat(spec.Leader); err == nil && (proc.Unreaped(spec.Leader) || g.pidfd >= 0 && proc.Alive(g.pidfd)) {
			spec.Start = st.Start
		}
	}
	attr := &syscall.ProcAttr{
		Files: []uintptr{uintptr(null), uintptr(null), uintptr(null), uintptr(p[0]), pidfd, cgfd},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	if pid, ok := forkWatcher(spec, attr); ok {
		return pid, p[1], nil
	}
	pid, err = syscall.ForkExec("/proc/self/exe", spec.args(), attr)
	if err != nil {
		unix.Close(p[1])
		return 0, -1, fmt.Errorf("guardian: %w", err)
	}
	return pid, p[1], nil
}

// Stop makes sure that no guardian is started from now on, waiting for a
// fork under way: afterwards the tree's descriptors may be closed.
func (g *Guardian) Stop() {
	g.timer.Stop()
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}

// Dismiss, after Stop, ends the guardian, as pgrun ends as planned, and
// reaps it. It reports whether one was armed, or why it failed.
//
// The guardian is KILLed: it acts only once its lifeline breaks, which
// cannot happen while pgrun lives, so it has nothing to finish, and a KILL
// spares it waking up and exiting as a Go program does (measured: about
// 0.4 ms of wall time at the end of every run that armed one, and its CPU).
// It is pgrun's unreaped child: its number names no other process. Should
// the KILL fail, the lifeline's byte dismisses it.
func (g *Guardian) Dismiss() (armed bool, err error) {
	g.mu.Lock()
	pid, lifeline, err := g.pid, g.lifeline, g.err
	g.mu.Unlock()
	if pid != 0 {
		if unix.Kill(pid, unix.SIGKILL) != nil {
			unix.Write(lifeline, []byte{'d'}) // EPIPE if it died: then there is only a zombie to reap
		}
		unix.Close(lifeline)
		werr := reap(pid)
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

// reap waits for the guardian pid to exit and reaps it.
func reap(pid int) error {
	for {
		_, err := syscall.Wait4(pid, nil, 0, nil)
		if !errors.Is(err, syscall.EINTR) {
			if err != nil {
				return fmt.Errorf("wait4(%d): %w", pid, err)
			}
			return nil
		}
	}
}
