package pidns

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/proc"
)

// Parent is pgrun's side of one pid namespace until its init runs the
// command: [Parent.Prepare] opens the control socket and says how to
// start the init, [Parent.WaitStarted] hears the init's first word and
// hands the socket over to a [Conn]. A Parent is for one start, and is not
// safe for concurrent use.
type Parent struct {
	userns bool
	ctl    int // pgrun's end of the control socket, -1 when none
	child  int // the init's end, until the init is started
}

// NewParent returns the Parent of a namespace that belongs, where pgrun is
// not root (its effective uid is not 0), to a new user namespace of its
// own: without root, only in one may pgrun create a pid namespace.
func NewParent() *Parent {
	return &Parent{userns: os.Geteuid() != 0, ctl: -1, child: -1}
}

// UserNS reports whether the namespace belongs to a user namespace of its
// own.
func (p *Parent) UserNS() bool { return p.userns }

// Prepare opens the control socket and sets a, the attributes of the fork
// that starts the command, so that the fork starts pgrun's init in its
// place: pid 1 of a new pid namespace, with a mount namespace of its own
// for its fresh /proc. With [Parent.UserNS], both belong to a new user
// namespace that maps pgrun's own ids onto themselves, and the init keeps
// the one capability it needs to mount /proc (CAP_SYS_ADMIN in that
// namespace), which it drops before it executes the command.
//
// The fork must execute path with the argv args followed by the command's
// resolved path and its argv, and pass files, in order, as the descriptors
// after the standard streams. What an earlier Prepare opened is closed
// first.
func (p *Parent) Prepare(a *syscall.SysProcAttr) (path string, args []string, files []uintptr, err error) {
	p.Discard()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	p.ctl, p.child = fds[0], fds[1]
	a.Cloneflags |= unix.CLONE_NEWPID | unix.CLONE_NEWNS
	if p.userns {
		a.Cloneflags |= unix.CLONE_NEWUSER
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Geteuid(), HostID: os.Geteuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}}
		a.GidMappingsEnableSetgroups = false
		a.AmbientCaps = []uintptr{unix.CAP_SYS_ADMIN}
	}
	// The init is pgrun itself (see Init), whatever its file is now called.
	return "/proc/self/exe", initArgs(p.userns), []uintptr{uintptr(p.child)}, nil
}

// StartFailed says why the fork that was to start the init failed with
// err: err, and where the namespace needs a user namespace and the error
// is one that a system refusing those gives, the settings that may be why.
func (p *Parent) StartFailed(err error) error {
	hint := ""
	if p.userns && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EACCES)) {
		hint = " (this system does not let users who are not root create user namespaces:" +
			" see kernel.unprivileged_userns_clone, user.max_user_namespaces," +
			" kernel.apparmor_restrict_unprivileged_userns)"
	}
	return fmt.Errorf("starting its init: %w%s", err, hint)
}

// Discard closes what Prepare opened and WaitStarted did not take over. It
// may be called any number of times.
func (p *Parent) Discard() {
	for _, fd := range []*int{&p.ctl, &p.child} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}

// An ExecError reports that the init could not execute the command: Err
// is the error of its execve, or of a step of the command's fork before it.
type ExecError struct{ Err syscall.Errno }

func (e *ExecError) Error() string { return "executing the command: " + e.Err.Error() }

func (e *ExecError) Unwrap() error { return e.Err }

// WaitStarted waits for the init just started, by a fork that Prepare
// prepared, to say whether the command runs. It first closes the init's
// end of the socket in pgrun, so that an init that ends without a word is
// heard to.
//
// When the command runs, WaitStarted returns the Conn to the init, which
// owns pgrun's end of the socket from then on. Otherwise it closes
// pgrun's end, upon which the init exits if it has not already, and
// returns an *ExecError when the init could not execute the command, or
// else an error that says why the namespace could not be made. Either
// way, the caller reaps the init.
func (p *Parent) WaitStarted() (*Conn, error) {
	unix.Close(p.child)
	p.child = -1
	ctl := p.ctl
	p.ctl = -1
	var buf [maxMessage]byte
	n, err := proc.ReadFd(ctl, buf[:])
	if err == nil && n == 0 {
		err = errors.New("its init ended without a word")
	}
	if err == nil {
		switch m := decode(buf[:n]).(type) {
		case started:
			err = unix.SetNonblock(ctl, true) // so that Close ends a Receive in progress
		case execFailed:
			err = &ExecError{Err: m.errno}
		case setupFailed:
			err = fmt.Errorf("%s%s", m.reason, p.setupHint())
		default:
			err = fmt.Errorf("unexpected message %q from its init", buf[:n])
		}
	}
	if err != nil {
		unix.Close(ctl)
		return nil, err
	}
	return NewConn(os.NewFile(uintptr(ctl), "pgrun-init control")), nil
}

// setupHint adds what may explain a failure to set the namespace up.
func (p *Parent) setupHint() string {
	if p.userns {
		return " (a user namespace may not mount /proc where parts of the system's /proc are hidden, as in many containers)"
	}
	return ""
}

// Conn is pgrun's end of the control socket of an init that runs the
// command. Receive and Signal may be called at the same time, from two
// goroutines; neither may be called by two at once.
type Conn struct {
	f   *os.File
	buf [maxMessage]byte
}

// NewConn returns a Conn over f, pgrun's end of the control socket of an
// init that runs the command (WaitStarted makes its own). f should be
// non-blocking, as WaitStarted makes it, for Close to end a Receive in
// progress.
func NewConn(f *os.File) *Conn { return &Conn{f: f} }

// Receive waits for the init's next Report, passing over packets that
// are none. It fails, with io.EOF, once the init's end of the socket is
// closed (the init has exited, or is exiting), or once the Conn is
// closed.
func (c *Conn) Receive() (Report, error) {
	for {
		n, err := c.f.Read(c.buf[:])
		if err == nil && n == 0 {
			err = io.EOF
		}
		if err != nil {
			return nil, err
		}
		if r, ok := decode(c.buf[:n]).(Report); ok {
			return r, nil
		}
	}
}

// Signal asks the init to send sig, then each of then, to every process of
// the namespace but itself. The init answers with a [Reply], which Receive
// returns. A signal number must fit in a byte. The write's error is
// returned as it is: EPIPE or ECONNRESET where the init's end is closed.
func (c *Conn) Signal(sig syscall.Signal, then ...syscall.Signal) error {
	_, err := c.f.Write(signalRequest{sigs: append([]syscall.Signal{sig}, then...)}.encode())
	return err
}

// Close closes pgrun's end of the socket. An init that sees it closed
// exits, and the kernel KILLs what is left of its namespace.
func (c *Conn) Close() error { return c.f.Close() }
