package killer

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/cgroupfs"
)

// cgroupTree is a tree born in a fresh cgroup of its own: KILL is one
// write to cgroup.kill, which the kernel applies atomically to every member
// and to forks in flight, before the walk-and-KILL rounds look for
// anything that moved out of the cgroup.
type cgroupTree struct {
	*tree
	cg *cgroupfs.Cgroup
}

func (t *cgroupTree) Signal(sig syscall.Signal, then ...syscall.Signal) (bool, error) {
	if sig != syscall.SIGKILL {
		return t.tree.Signal(sig, then...)
	}
	populated, err := t.cg.Populated()
	if err != nil {
		return false, err
	}
	if err := t.cg.Kill(); err != nil {
		return false, err
	}
	t.cg.KillLeft()
	reached, err := t.tree.Signal(sig)
	return reached || populated, err
}

// Release reaps the leader and removes the cgroup, unless processes were
// left in it on purpose (--orphans keep): then it stays until they end.
func (t *cgroupTree) Release() (Exit, error) {
	exit, err := t.tree.Release()
	if rerr := t.cg.Remove(); err == nil && rerr != nil && !errors.Is(rerr, unix.EBUSY) {
		err = rerr
	}
	return exit, err
}
