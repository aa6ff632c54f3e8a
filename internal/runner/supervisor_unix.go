//go:build unix

package runner

import (
	"os"
	"syscall"

	"github.com/pgrun/pgrun/internal/killer"
)

// keepMode is what Auto becomes with OrphansKeep: the subreaper, never
// a cgroup, which the kept processes would keep alive after pgrun.
const keepMode = killer.Subreaper

// handleHere acts on the signals that mean something to pgrun itself, and
// reports whether sig was one: SIGCHLD, the ALRM of the deadline, the
// terminal's and job control's.
func (s *supervisor) handleHere(sig syscall.Signal) (bool, error) {
	switch sig {
	case syscall.SIGCHLD:
		if s.term.held && commandStopped(s.pid) {
			return true, s.stopWithCommand()
		}
		return true, s.reap()
	case syscall.SIGALRM:
		return true, s.expire()
	case syscall.SIGPIPE, syscall.SIGTTIN, syscall.SIGTTOU:
		return true, nil
	case syscall.SIGWINCH, syscall.SIGCONT:
		_, err := s.tree.Signal(sig)
		return true, err
	case syscall.SIGTSTP:
		return true, s.suspend()
	}
	return false, nil
}

// followUp is what follows sig to the tree: CONT, so that stopped members
// act on it, unless sig is KILL or CONT.
func followUp(sig syscall.Signal) []syscall.Signal {
	if sig == syscall.SIGKILL || sig == syscall.SIGCONT {
		return nil
	}
	return []syscall.Signal{syscall.SIGCONT}
}

// ends reports whether a relayed sig is meant to end the command, and so
// starts the grace period, after which KILL follows. USR1 and USR2, the
// real-time signals and those of profilers and I/O readiness are messages
// that programs handle and go on (a stack dump, a log reopened): relayed,
// they start no grace period.
func ends(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGPROF, syscall.SIGVTALRM, syscall.SIGIO:
		return false
	}
	return !realtime(sig)
}

// suspend stops the command's group and then pgrun itself, as Ctrl-Z would
// stop a job. The command runs in another session, where a terminal's TSTP
// would be discarded (its group is orphaned), so it gets STOP. The CONT
// that resumes pgrun is relayed like any other.
func (s *supervisor) suspend() error {
	if _, err := s.tree.Signal(syscall.SIGSTOP); err != nil {
		return err
	}
	return syscall.Kill(os.Getpid(), syscall.SIGSTOP)
}

// stopWithCommand follows a command that was stopped at the terminal its
// group owns (Ctrl-Z): pgrun gives the terminal back and stops too, so the
// shell sees its job stopped; once continued in the foreground it hands the
// terminal to the command's group again and continues it.
func (s *supervisor) stopWithCommand() error {
	s.term.restore(s.sigs)
	if err := syscall.Kill(os.Getpid(), syscall.SIGSTOP); err != nil {
		return err
	}
	s.term.handBack(s.pid, s.sigs)
	if _, err := s.tree.Signal(syscall.SIGCONT); err != nil {
		return err
	}
	return s.reap()
}
