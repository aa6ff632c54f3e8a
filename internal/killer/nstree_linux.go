package killer

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/pidns"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// namespace is containment's handle on the pid namespace of one start
// (package pidns does the work): the clone flags, a user namespace where
// pgrun is not root, and the control socket.
type namespace struct {
	p *pidns.Parent
}

func newNamespace() *namespace { return &namespace{p: pidns.NewParent()} }

func (ns *namespace) why() string {
	if ns.p.UserNS() {
		return "asked for; in a user namespace of its own, as pgrun is not root"
	}
	return "asked for"
}

// apply makes a start pgrun's init as pid 1 of a new pid namespace (see
// pidns.Parent.Prepare), which executes the command in its turn.
func (ns *namespace) apply(a *syscall.SysProcAttr) (*via, error) {
	path, args, files, err := ns.p.Prepare(a)
	if err != nil {
		return nil, nsError(err)
	}
	return &via{path: path, args: args, files: files}, nil
}

// failed says why the init could not be started.
func (ns *namespace) failed(err error) error { return nsError(ns.p.StartFailed(err)) }

// discard closes what apply opened and no tree took over.
func (ns *namespace) discard() { ns.p.Discard() }

// tree waits for the init just started to report, and returns the tree
// it leads. If the init could not set the namespace up or execute the
// command, it has exited: it is reaped and the error returned.
func (ns *namespace) tree(pid, pidfd int) (Tree, error) {
	ctl, err := ns.p.WaitStarted()
	if err != nil {
		reap(pid) // it exits on the closed socket, if it has not already
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		var exec *pidns.ExecError
		if errors.As(err, &exec) {
			return nil, &ExecError{Err: exec.Err} // Start names it
		}
		return nil, nsError(err)
	}
	t := &nsTree{
		init: pid, pidfd: pidfd, ctl: ctl,
		changes: make(chan struct{}, 1), replies: make(chan bool, 1), done: make(chan struct{}),
	}
	t.leader = t.commandPid()
	go t.read()
	return t, nil
}

// nsError says that the namespace could not be made, and why.
func nsError(err error) error {
	return fmt.Errorf("cannot contain the command in a pid namespace: %w", err)
}

// nsTree is a tree in a pid namespace of its own, led by pgrun's init as
// its pid 1. Everything in the namespace is the tree: no process can leave
// it, and the kernel KILLs all of it when the init dies, which Pdeathsig
// makes happen when pgrun dies. Signals go through the init, which sends
// them to every process of the namespace, except KILL, which pgrun sends
// to the init itself.
//
// The init reports the command's end over the control socket: a reader
// goroutine keeps what it says, and Changes wakes the supervisor for it,
// as no SIGCHLD tells pgrun that the command (the init's child) ended.
// The init exits once the command has ended and the namespace is empty.
type nsTree struct {
	init, pidfd int
	leader      int // the command's pid in pgrun's numbering, 0 if unknown
	ctl         *pidns.Conn

	changes chan struct{} // a value when the command's end was reported
	replies chan bool     // the init's answers to signal requests
	done    chan struct{} // closed when the init's end of the socket is closed

	mu      sync.Mutex
	cmdExit *Exit // the command's end, once reported
	alone   bool  // nothing but the init was left when the command ended

	initExit *Exit // the init's end, once reaped
	released bool
}

// read keeps what the init reports until its end of the socket closes.
func (t *nsTree) read() {
	defer close(t.done)
	for {
		r, err := t.ctl.Receive()
		if err != nil {
			return
		}
		switch r := r.(type) {
		case pidns.Reply:
			t.replies <- r.Reached
		case pidns.Exit:
			t.mu.Lock()
			t.cmdExit, t.alone = &Exit{Status: r.Status, Rusage: r.Rusage}, r.Alone
			t.mu.Unlock()
			select {
			case t.changes <- struct{}{}:
			default:
			}
		}
	}
}

// commandPid finds the command's pid in pgrun's numbering: the init's only
// child just after it reported the start. 0 when /proc cannot say.
func (t *nsTree) commandPid() int {
	if !proc.Look().Own {
		return 0
	}
	kids, err := proc.ChildrenOf(t.init, make([]byte, 64))
	if err != nil || len(kids) != 1 {
		return 0
	}
	return kids[0]
}

// Changes receives a value when the command's end is reported.
func (t *nsTree) Changes() <-chan struct{} { return t.changes }

func (t *nsTree) Signal(sig syscall.Signal, then ...syscall.Signal) (bool, error) {
	if t.released || t.initExit != nil {
		return false, nil
	}
	if sig == syscall.SIGKILL {
		return t.kill()
	}
	if err := t.ctl.Signal(sig, then...); err != nil {
		// The init's end closes only as the init exits, and the
		// namespace ends with it (on its own, the init exits once the
		// namespace is empty): nothing is left to signal, even while
		// the init cannot be waited for yet.
		if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || t.initGone() {
			return false, nil
		}
		return false, fmt.Errorf("signalling the pid namespace: %w", err)
	}
	select {
	case reached := <-t.replies:
		return reached, nil
	case <-t.done:
		return false, nil // the init has ended, and the namespace with it
	}
}

// kill KILLs the init, upon which the kernel KILLs every other process of
// the namespace, and waits until all of them, and the init, have exited.
func (t *nsTree) kill() (bool, error) {
	var err error
	if t.pidfd >= 0 && proc.Pidfds() {
		err = unix.PidfdSendSignal(t.pidfd, syscall.SIGKILL, nil, 0)
	} else {
		err = unix.Kill(t.init, syscall.SIGKILL) // an unreaped child: its number is its own
	}
	if err != nil {
		return false, nil // it has exited: nothing was left
	}
	// The init's exit completes only once the namespace is empty.
	if t.pidfd < 0 {
		var info unix.Siginfo
		return true, retryEINTR(func() error {
			return unix.Waitid(unix.P_PID, t.init, &info, unix.WEXITED|unix.WNOWAIT, nil)
		})
	}
	if waitExit([]member{{fd: t.pidfd}}, maxKillRounds*time.Second); proc.Alive(t.pidfd) {
		return true, fmt.Errorf("the pid namespace is still alive %ds after its init was KILLed", maxKillRounds)
	}
	return true, nil
}

// initGone reports whether the init has exited, without reaping it.
func (t *nsTree) initGone() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, t.init, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return err != nil || info.Signo != 0
}

func (t *nsTree) Reap() (bool, error) {
	if !t.released && t.initExit == nil {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		pid, err := syscall.Wait4(t.init, &ws, syscall.WNOHANG, &ru)
		switch {
		case errors.Is(err, syscall.EINTR):
		case err != nil:
			return false, fmt.Errorf("wait4: %w", err)
		case pid == t.init:
			t.initExit = &Exit{Status: ws, Rusage: ru}
			<-t.done // it is gone: what it said is all read
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cmdExit != nil || t.initExit != nil, nil
}

// Alive reports whether anything of the namespace but the init still
// lives: once the command has ended, the init lives exactly until the
// namespace is empty, and it says whether it already was.
func (t *nsTree) Alive() (bool, error) {
	if t.released || t.initExit != nil {
		return false, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return !(t.cmdExit != nil && t.alone), nil
}

// Processes lists the namespace's processes as pgrun's /proc numbers them
// (not as the command sees them), without the init.
func (t *nsTree) Processes() []Process {
	if t.released || t.initExit != nil {
		return nil
	}
	return processesBelow(t.init, t.leader, nil)
}

// Blind is "": the init reaches everything in the namespace, and nothing
// leaves it.
func (t *nsTree) Blind() string { return "" }

// Release ends the namespace if it still lives (the init exits when its
// socket closes, and the kernel KILLs what is left), reaps the init and
// returns how the command ended: as the init reported, or, if the
// namespace was KILLed before the command ended, as the init ended.
func (t *nsTree) Release() (Exit, error) {
	if t.released {
		return Exit{}, ErrReleased
	}
	t.released = true
	t.ctl.Close()
	var err error
	if t.initExit == nil {
		t.initExit, err = reap(t.init)
	}
	<-t.done
	if t.pidfd >= 0 {
		unix.Close(t.pidfd)
	}
	if err != nil {
		return Exit{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cmdExit != nil {
		return *t.cmdExit, nil
	}
	return *t.initExit, nil
}
