//go:build unix && !linux

package killer

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// AdoptOrphans does nothing here: this system has no subreaper that pgrun
// uses yet, so orphans go to init and pgrun cannot follow them.
func AdoptOrphans() error { return nil }

// DisablePidfdGroups does nothing: there are no pidfds here.
func DisablePidfdGroups() {}

// group is the process group led by pgrun's child. Without a way to observe
// the group after its leader is reaped, pgrun signals it only while the
// leader is unreaped, and considers the tree gone with the leader.
type group struct {
	leader   int
	exit     *Exit
	released bool
}

// NewGroup returns the Tree of the process group led by leader, an unreaped
// child of the caller that leads its own group. pidfd must be -1.
func NewGroup(leader, pidfd int) Tree { return &group{leader: leader} }

func (g *group) Signal(sig syscall.Signal, then ...syscall.Signal) (bool, error) {
	return inOrder(g.signal, sig, then)
}

func (g *group) signal(sig syscall.Signal) (bool, error) {
	if g.exit != nil || g.released {
		return false, nil
	}
	err := unix.Kill(-g.leader, sig)
	if errors.Is(err, unix.ESRCH) || errors.Is(err, unix.EPERM) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("signalling process group %d: %w", g.leader, err)
	}
	return true, nil
}

func (g *group) Reap() (bool, error) {
	if g.exit != nil {
		return true, nil
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	var pid int
	err := retryEINTR(func() (err error) {
		pid, err = syscall.Wait4(g.leader, &ws, syscall.WNOHANG, &ru)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("wait4(%d): %w", g.leader, err)
	}
	if pid == g.leader {
		g.exit = &Exit{Status: ws, Rusage: ru}
	}
	return g.exit != nil, nil
}

func (g *group) Alive() (bool, error) { return g.exit == nil, nil }

// Processes returns nil: listing processes is not supported here yet.
func (g *group) Processes() []Process { return nil }

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
	g.released = true
	return *g.exit, nil
}

// NewTree is NewGroup here: without a subreaper, processes that leave the
// group cannot be followed.
func NewTree(leader, pidfd int) Tree { return NewGroup(leader, pidfd) }

// Blind is "": the group never looks for processes that left it.
func (g *group) Blind() string { return "" }

// Changes is nil: the leader is pgrun's child, and its end raises SIGCHLD.
func (g *group) Changes() <-chan struct{} { return nil }
