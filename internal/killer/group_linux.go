package killer

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/proc"
)

// AdoptOrphans makes pgrun the child subreaper of everything it starts
// (prctl(2) PR_SET_CHILD_SUBREAPER): a process whose parent dies is
// re-parented to pgrun instead of init. pgrun then hears (SIGCHLD) about
// every death in its tree and can reap every zombie. Call it before forking.
func AdoptOrphans() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
	}
	return nil
}

// group is the process group led by pgrun's child, on Linux.
//
// Since Linux 6.9 the kernel signals a group through its leader's pidfd
// (PIDFD_SIGNAL_PROCESS_GROUP), which stays exact after the leader is reaped:
// a recycled number is a different struct pid, and the call fails with
// ESRCH. Then the leader is reaped as soon as it exits.
//
// On older kernels (or without a pidfd) the group is signalled by number,
// which is only safe while the number is pinned. The leader is therefore
// kept as an unreaped zombie until the rest of the group is gone; other
// children are reaped one by one, by pid, so that wait4(-1) never takes the
// leader by accident.
type group struct {
	leader   int
	pidfd    int  // -1 when the kernel gave none
	viaPidfd bool // the kernel signals the group through pidfd
	exited   bool // the leader has exited
	exit     *Exit
	released bool
}

// pidfdGroups is whether NewGroup may use PIDFD_SIGNAL_PROCESS_GROUP.
var pidfdGroups = true

// DisablePidfdGroups makes every later NewGroup behave as on Linux before
// 6.9: the leader stays unreaped and the group is signalled by number. It
// exists so that tests can run that path on any kernel.
func DisablePidfdGroups() { pidfdGroups = false }

// NewGroup returns the Tree of the process group led by leader, an unreaped
// child of the caller that leads its own group. pidfd is the leader's pidfd,
// or -1; the Tree owns it from now on.
func NewGroup(leader, pidfd int) Tree {
	g := &group{leader: leader, pidfd: pidfd}
	if pidfd >= 0 && pidfdGroups {
		// The leader is unreaped, so the group is not empty: EINVAL here can
		// only mean that the kernel does not know the flag.
		g.viaPidfd = unix.PidfdSendSignal(pidfd, 0, nil, unix.PIDFD_SIGNAL_PROCESS_GROUP) == nil
	}
	return g
}

// newPinnedGroup is NewGroup as it behaves on kernels before 6.9. Tests use
// it to exercise that path on any kernel.
func newPinnedGroup(leader, pidfd int) *group {
	return &group{leader: leader, pidfd: pidfd}
}

func (g *group) Signal(sig syscall.Signal, then ...syscall.Signal) (bool, error) {
	return inOrder(g.signal, sig, then)
}

func (g *group) signal(sig syscall.Signal) (bool, error) {
	if g.released {
		return false, nil
	}
	var err error
	if g.viaPidfd {
		err = unix.PidfdSendSignal(g.pidfd, sig, nil, unix.PIDFD_SIGNAL_PROCESS_GROUP)
	} else if g.exit == nil {
		err = unix.Kill(-g.leader, sig) // pinned: the leader is unreaped
	} else {
		return false, nil // the number is free to be reused: never use it
	}
	reached := err == nil
	if errors.Is(err, unix.ESRCH) || errors.Is(err, unix.EPERM) {
		err = nil // nothing left that we may signal
	}
	// A command that moved itself to another group is still ours while
	// unreaped; reach it directly, as coreutils does.
	if g.exit == nil {
		if pgid, perr := unix.Getpgid(g.leader); perr == nil && pgid != g.leader {
			if unix.Kill(g.leader, sig) == nil {
				reached = true
			}
		}
	}
	if err != nil {
		return reached, fmt.Errorf("signalling process group %d: %w", g.leader, err)
	}
	return reached, nil
}

func (g *group) Reap() (bool, error) {
	if g.viaPidfd || !proc.Look().Own {
		// Pinned where /proc is another namespace's, the group is
		// signalled by number only until its leader is reaped: the other
		// children cannot be found without /proc, so whichever exits is
		// reaped, the leader too.
		return g.exited, g.reapAll()
	}
	if !g.exited {
		var info unix.Siginfo
		err := retryEINTR(func() error {
			return unix.Waitid(unix.P_PID, g.leader, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		})
		if err != nil {
			return false, fmt.Errorf("waitid(%d): %w", g.leader, err)
		}
		g.exited = info.Signo == int32(unix.SIGCHLD)
	}
	return g.exited, g.reapOthers()
}

// reapAll reaps every exited child, the leader included.
func (g *group) reapAll() error {
	for {
		var ws syscall.WaitStatus
		var ru syscall.Rusage
		var pid int
		err := retryEINTR(func() (err error) {
			pid, err = syscall.Wait4(-1, &ws, syscall.WNOHANG|waitFlags(), &ru)
			return err
		})
		if errors.Is(err, unix.ECHILD) || (err == nil && pid == 0) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("wait4: %w", err)
		}
		if pid == g.leader {
			g.exited = true
			g.exit = &Exit{Status: ws, Rusage: ru}
		}
	}
}

// reapOthers reaps every exited child except the leader. The children files
// may miss a child while others exit, so it repeats until a pass finds
// nothing to reap.
func (g *group) reapOthers() error {
	for {
		pids, err := children()
		if err != nil {
			return err
		}
		reaped := false
		for _, pid := range pids {
			if pid == g.leader && g.exit == nil {
				continue
			}
			var ws syscall.WaitStatus
			var got int
			err := retryEINTR(func() (err error) {
				got, err = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
				return err
			})
			if err == nil && got == pid {
				reaped = true
			}
		}
		if !reaped {
			return nil
		}
	}
}

func (g *group) Alive() (bool, error) {
	if !g.exited {
		return true, nil
	}
	if g.viaPidfd {
		err := unix.PidfdSendSignal(g.pidfd, 0, nil, unix.PIDFD_SIGNAL_PROCESS_GROUP)
		switch {
		case err == nil, errors.Is(err, unix.EPERM):
			return true, nil
		case errors.Is(err, unix.ESRCH):
			return false, nil
		default:
			return false, fmt.Errorf("probing process group %d: %w", g.leader, err)
		}
	}
	if g.exit != nil {
		return false, nil
	}
	// The zombie leader pins the number, so every process with this pgid
	// is a member.
	return proc.GroupHasLiveMember(g.leader)
}

// holdsNumber reports whether the group's number has named pgrun's group
// all along, so that a process found with that process group id is one of
// its members: the leader is unreaped, or the group still has a member. A
// group that has emptied never gets a member again (no process may join a
// group that has no member left), and only then can its number be
// recycled, so a yes now holds for every moment before.
func (g *group) holdsNumber() bool {
	if g.released {
		return false
	}
	if g.exit == nil {
		return true // unreaped leader: the number is pinned
	}
	if !g.viaPidfd {
		return false
	}
	err := unix.PidfdSendSignal(g.pidfd, 0, nil, unix.PIDFD_SIGNAL_PROCESS_GROUP)
	return err == nil || errors.Is(err, unix.EPERM)
}

// canSignal reports whether Signal still reaches the group.
func (g *group) canSignal() bool { return !g.released && (g.viaPidfd || g.exit == nil) }

func (g *group) Release() (Exit, error) {
	if g.released {
		return Exit{}, ErrReleased
	}
	if g.exit == nil {
		exit, err := reap(g.leader)
		if err != nil {
			return Exit{}, err
		}
		g.exit = exit
	}
	g.released, g.exited = true, true
	if g.pidfd >= 0 {
		unix.Close(g.pidfd)
		g.pidfd = -1
	}
	return *g.exit, nil
}

// Blind is "": the group never looks for processes that left it, and its
// Alive is about the group alone.
func (g *group) Blind() string { return "" }

// Changes is nil: the leader is pgrun's child, and its end raises SIGCHLD.
func (g *group) Changes() <-chan struct{} { return nil }
