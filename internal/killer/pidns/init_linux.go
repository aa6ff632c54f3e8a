package pidns

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/proc"
)

// Init is the init of a pid namespace: pgrun executed again as
// [InitName], by a fork that [Parent.Prepare] prepared, pid 1 of the
// namespace, with its end of the control socket as fd 3. args are its argv
// without argv[0]: its flags, "--", the command's resolved path and its
// argv. It returns its exit status: 0 when the command ended and nothing
// else was left, 1 when the namespace ended otherwise, 2 when args are
// wrong. It must run on a goroutine locked to its thread, as pgrun's main
// goroutine is: capabilities are a thread's, and the thread that drops
// them must be the one that forks the command.
//
// It mounts a fresh /proc (so that the command's getpid and /proc agree),
// executes the command in a session of its own, reaps every process of the
// namespace, passes on to all of them the signals pgrun asks for, and
// reports the command's end.
// It exits once the command has ended and nothing else is left, or as
// soon as pgrun closes the socket or dies: the kernel then KILLs what is
// left of the namespace. Idle, it makes no system call.
func Init(args []string) int {
	ctl := initCtlFd
	unix.CloseOnExec(ctl) // the command must not hold pgrun's socket
	// Named for ps and the -v tree, instead of "exe" (/proc/self/exe).
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&[]byte(InitName + "\x00")[0])), 0, 0, 0)
	userns, path, argv, err := parseInitArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrun init:", err)
		return 2
	}
	// Routed before the command starts, so that no SIGCHLD is missed.
	sigs := make(chan os.Signal, 128)
	signal.Notify(sigs, syscall.SIGCHLD)
	if err := setUpNamespace(userns); err != nil {
		send(ctl, setupFailed{reason: err.Error()})
		return 1
	}
	pid, err := forkExecvp(path, argv, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			errno = syscall.EINVAL
		}
		send(ctl, execFailed{errno: errno})
		return 1
	}
	send(ctl, started{pid: pid})
	// A signal sent to the init from outside (an outer pgrun signals
	// every process of its tree, this one too) is passed on to the
	// namespace, as pgrun's own requests are: by default it would end
	// the init, and the kernel would KILL the namespace at once, with no
	// grace period. Routed only now, in the background, one signal at a
	// time: each is a round trip to the Go runtime's signal thread, about
	// 5 ms for all of them, which the command's start does not wait for.
	// One that comes sooner ends the namespace, as before.
	outside := make(chan os.Signal, 64)
	go func() {
		for _, sig := range passedOn {
			signal.Notify(outside, sig)
		}
	}()

	reqs, closed := make(chan signalRequest), make(chan struct{})
	go func() {
		defer close(closed)
		buf := make([]byte, maxMessage)
		for {
			n, err := proc.ReadFd(ctl, buf)
			if err != nil || n == 0 {
				return // pgrun is gone, or released the tree
			}
			if req, ok := decode(buf[:n]).(signalRequest); ok {
				reqs <- req
			}
		}
	}()
	cmdEnded := false
	for {
		select {
		case <-closed:
			return 1
		case req := <-reqs:
			var reply Reply
			for i, sig := range req.sigs {
				err := unix.Kill(-1, sig) // every process of the namespace but pid 1
				if i == 0 && err == nil {
					reply.Reached = true
				}
			}
			send(ctl, reply)
		case sig := <-outside:
			unix.Kill(-1, sig.(syscall.Signal)) // every process of the namespace but pid 1
		case <-sigs:
			var empty bool
			if cmdEnded, empty = reapAll(ctl, pid, cmdEnded); cmdEnded && empty {
				return 0
			}
		}
	}
}

// passedOn lists the signals that the init passes on to its namespace when
// it receives them: those whose default action would end it, and CONT,
// which follows every signal pgrun sends. Common ones first: they are
// routed in this order.
var passedOn = func() []os.Signal {
	s := []os.Signal{
		syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGCONT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGABRT,
		syscall.SIGALRM, syscall.SIGPIPE, syscall.SIGXCPU, syscall.SIGXFSZ,
		syscall.SIGVTALRM, syscall.SIGPROF, syscall.SIGIO, syscall.SIGPWR,
		syscall.SIGSTKFLT, syscall.SIGSYS, syscall.SIGTRAP,
	}
	for sig := syscall.Signal(34); sig <= 64; sig++ { // real-time
		s = append(s, sig)
	}
	return s
}()

// reapAll reaps every exited process of the namespace, reports the
// command's end when it is among them (saying whether anything else is
// left), and says whether the command has ended and whether the namespace
// holds nothing but the init.
func reapAll(ctl, cmd int, cmdEnded bool) (ended, empty bool) {
	var exit *Exit // the command's end, sent once what is left is known
	for {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, &ru)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if pid == cmd {
			cmdEnded = true
			exit = &Exit{Status: ws, Rusage: ru}
			continue
		}
		if err == nil && pid != 0 {
			continue // an orphan of the namespace
		}
		empty = err != nil // ECHILD: no process left
		if exit != nil {
			exit.Alone = empty
			send(ctl, *exit)
		}
		return cmdEnded, empty
	}
}

// setUpNamespace gives the namespace a /proc of its own, mounted over the
// one inherited, without the mount reaching the rest of the system. In a
// user namespace it then gives up the capability it was started with.
func setUpNamespace(userns bool) error {
	if err := unix.Mount("none", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making the mounts private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	if userns {
		if err := dropInheritedCaps(); err != nil {
			return fmt.Errorf("dropping capabilities: %w", err)
		}
	}
	return nil
}

// dropInheritedCaps makes sure that the command inherits none of the
// capabilities the init was started with: ambient ones would pass to it,
// inheritable ones to a program with file capabilities. Capabilities
// belong to threads: this is the locked main thread, which forks the
// command.
func dropInheritedCaps() error {
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return err
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	data[0].Inheritable, data[1].Inheritable = 0, 0
	return unix.Capset(&hdr, &data[0])
}

// send writes one message to pgrun; if pgrun is gone, that shows on the
// socket's next read.
func send(ctl int, m message) {
	b := m.encode()
	for {
		if err := unix.Sendto(ctl, b, unix.MSG_NOSIGNAL, nil); !errors.Is(err, syscall.EINTR) {
			return
		}
	}
}

// forkExecvp starts path as execvp(3) would once it has found it: a file
// the kernel cannot execute for want of a #! line (ENOEXEC) is run by
// /bin/sh.
func forkExecvp(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	pid, err := syscall.ForkExec(path, argv, attr)
	if errors.Is(err, syscall.ENOEXEC) {
		sh := append([]string{"/bin/sh", path}, argv[1:]...)
		pid, err = syscall.ForkExec("/bin/sh", sh, attr)
	}
	return pid, err
}
