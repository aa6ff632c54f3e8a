package killer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/pgrun/pgrun/internal/killer/proc"
	"golang.org/x/sys/unix"
)

// InitName is the argv[0] by which pgrun, executed again, knows that it is
// to be the init of a pid namespace (see Init).
const InitName = "pgrun-init"

// The messages between pgrun and the init of its namespace, one per
// packet of a SOCK_SEQPACKET pair: a kind byte, then its payload in the
// machine's byte order (both ends are the same executable).
const (
	msgStarted = 'S' // init: the command runs; int32 its pid in the namespace
	msgExecErr = 'E' // init: the command could not be executed; int32 errno
	msgSetup   = 'F' // init: the namespace could not be set up; the reason as text
	msgExit    = 'X' // init: the command ended; uint32 wait status, its rusage, 1 if nothing else is left
	msgReply   = 'R' // init: 1 if the first signal of a request reached a process, else 0
	msgSignal  = 'K' // pgrun: send these signals (a byte each), in order, to the namespace
)

// initCtlFd is the init's end of its control socket.
const initCtlFd = 3

// namespace prepares the pid namespace of one start: the clone flags, a
// user namespace where pgrun is not root, and the control socket.
type namespace struct {
	userns bool
	ctl    int // pgrun's end of the control socket, -1 when none
	child  int // the init's end, until spawn has passed it on
}

func newNamespace() *namespace {
	return &namespace{userns: os.Geteuid() != 0, ctl: -1, child: -1}
}

func (ns *namespace) why() string {
	if ns.userns {
		return "asked for; in a user namespace of its own, as pgrun is not root"
	}
	return "asked for"
}

// apply makes l start pgrun's init as pid 1 of a new pid namespace, with
// a mount namespace of its own for its fresh /proc. Without root, both
// belong to a new user namespace that maps pgrun's own ids onto
// themselves, and the init keeps the one capability it needs to mount
// /proc (CAP_SYS_ADMIN in that namespace), which it drops before it
// executes the command.
func (ns *namespace) apply(a *syscall.SysProcAttr) (*via, error) {
	ns.discard()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot contain the command in a pid namespace: socketpair: %w", err)
	}
	ns.ctl, ns.child = fds[0], fds[1]
	a.Cloneflags |= unix.CLONE_NEWPID | unix.CLONE_NEWNS
	args := []string{InitName}
	if ns.userns {
		a.Cloneflags |= unix.CLONE_NEWUSER
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Geteuid(), HostID: os.Geteuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}}
		a.GidMappingsEnableSetgroups = false
		a.AmbientCaps = []uintptr{unix.CAP_SYS_ADMIN}
		args = append(args, "-userns")
	}
	return &via{path: "/proc/self/exe", args: append(args, "--"), files: []uintptr{uintptr(ns.child)}}, nil
}

// failed says why the init could not be started.
func (ns *namespace) failed(err error) error {
	hint := ""
	if ns.userns && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EACCES)) {
		hint = " (this system does not let users who are not root create user namespaces:" +
			" see kernel.unprivileged_userns_clone, user.max_user_namespaces," +
			" kernel.apparmor_restrict_unprivileged_userns)"
	}
	return fmt.Errorf("cannot contain the command in a pid namespace: starting its init: %w%s", err, hint)
}

// discard closes what apply opened and no tree took over.
func (ns *namespace) discard() {
	for _, fd := range []*int{&ns.ctl, &ns.child} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}

// tree waits for the init just started to report, and returns the tree
// it leads. If the init could not set the namespace up or execute the
// command, it has exited: it is reaped and the error returned.
func (ns *namespace) tree(pid, pidfd int) (Tree, error) {
	unix.Close(ns.child)
	ns.child = -1
	ctl := ns.ctl
	ns.ctl = -1
	fail := func(err error) (Tree, error) {
		unix.Close(ctl)
		reap(pid) // it exits on the closed socket, if it has not already
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		return nil, err
	}
	var buf [256]byte
	n, err := proc.ReadFd(ctl, buf[:])
	switch {
	case err != nil:
		return fail(fmt.Errorf("cannot contain the command in a pid namespace: %w", err))
	case n == 0:
		return fail(errors.New("cannot contain the command in a pid namespace: its init ended without a word"))
	case buf[0] == msgExecErr && n >= 5:
		return fail(&ExecError{Err: syscall.Errno(getUint32(buf[1:]))}) // Start names it
	case buf[0] == msgSetup:
		return fail(fmt.Errorf("cannot contain the command in a pid namespace: %s%s", buf[1:n], ns.setupHint()))
	case buf[0] != msgStarted || n < 5:
		return fail(fmt.Errorf("cannot contain the command in a pid namespace: unexpected message %q from its init", buf[:n]))
	}
	if err := unix.SetNonblock(ctl, true); err != nil {
		return fail(fmt.Errorf("cannot contain the command in a pid namespace: %w", err))
	}
	t := &nsTree{
		init: pid, pidfd: pidfd, ctl: os.NewFile(uintptr(ctl), "pgrun-init control"),
		changes: make(chan struct{}, 1), replies: make(chan bool, 1), done: make(chan struct{}),
	}
	t.leader = t.commandPid()
	go t.read()
	return t, nil
}

// setupHint adds what may explain a failure to set the namespace up.
func (ns *namespace) setupHint() string {
	if ns.userns {
		return " (a user namespace may not mount /proc where parts of the system's /proc are hidden, as in many containers)"
	}
	return ""
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
	ctl         *os.File

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
	var buf [256]byte
	for {
		n, err := t.ctl.Read(buf[:])
		if err != nil || n == 0 {
			return
		}
		switch {
		case buf[0] == msgReply && n == 2:
			t.replies <- buf[1] == 1
		case buf[0] == msgExit && n == 6+int(unsafe.Sizeof(syscall.Rusage{})):
			e := &Exit{Status: syscall.WaitStatus(getUint32(buf[1:]))}
			copy(rusageBytes(&e.Rusage), buf[5:n-1])
			t.mu.Lock()
			t.cmdExit, t.alone = e, buf[n-1] == 1
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
	req := []byte{msgSignal, byte(sig)}
	for _, s := range then {
		req = append(req, byte(s))
	}
	if _, err := t.ctl.Write(req); err != nil {
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

func getUint32(b []byte) uint32 { return binary.NativeEndian.Uint32(b) }

// rusageBytes is r's memory: init and pgrun are the same executable.
func rusageBytes(r *syscall.Rusage) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(r)), unsafe.Sizeof(*r))
}
