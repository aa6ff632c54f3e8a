//go:build unix

package runner

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// terminal remembers who owned the terminal on fd 0 before the command's
// group was given it.
type terminal struct {
	owner int  // the foreground process group to give the terminal back to
	held  bool // pgrun's group was in the foreground: the command gets it
}

// foregroundTerminal reports whether pgrun's process group is the
// foreground group of the terminal on fd 0. Only then may the command's
// group take the terminal: a background pgrun must never steal it.
func foregroundTerminal() terminal {
	owner, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	if err != nil || owner != unix.Getpgrp() {
		return terminal{}
	}
	return terminal{owner: owner, held: true}
}

// restore gives the terminal back to its owner.
func (t terminal) restore(ch chan<- os.Signal) {
	if t.held {
		setForeground(t.owner, ch)
	}
}

// handBack gives the terminal to the command's group again after pgrun was
// resumed, if pgrun was resumed in the foreground (fg, not bg).
func (t terminal) handBack(pgid int, ch chan<- os.Signal) {
	if t.held && foregroundTerminal().held {
		setForeground(pgid, ch)
	}
}

// setForeground makes pgid the terminal's foreground group. pgrun may be a
// background process of the terminal by then, so tcsetpgrp raises SIGTTOU,
// which pgrun catches (catching does not let the call through); ignoring
// the signal around the call does.
func setForeground(pgid int, ch chan<- os.Signal) {
	signal.Ignore(syscall.SIGTTOU)
	unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, pgid)
	signal.Notify(ch, syscall.SIGTTOU)
}
