package killer

import (
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/pidns"
)

// An init that has closed its end of the control socket is exiting, and
// its namespace with it, even while it cannot be waited for yet: a signal
// then reaches nothing, and is no error. (Under 16 pgruns at once, a
// command that left a process which ended as pgrun signalled it made
// pgrun fail with "signalling the pid namespace: ... broken pipe".)
func TestNsTreeSignalInitExiting(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(fds[1]) // the init's end, closed as the init exits
	// The init, caught between closing its files and becoming a zombie:
	// a process that lives on.
	pid, pidfd := startGroup(t, "sleep 30")
	unix.Close(pidfd)
	tr := &nsTree{
		init: pid, pidfd: -1, ctl: pidns.NewConn(os.NewFile(uintptr(fds[0]), "pgrun-init control")),
		changes: make(chan struct{}, 1), replies: make(chan bool, 1), done: make(chan struct{}),
	}
	go tr.read()
	reached, err := tr.Signal(syscall.SIGTERM, syscall.SIGCONT)
	if reached || err != nil {
		t.Errorf("Signal = %v, %v; want false, nil", reached, err)
	}
	tr.ctl.Close()
	<-tr.done
	syscall.Kill(pid, syscall.SIGKILL)
	reap(pid)
}
