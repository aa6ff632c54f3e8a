//go:build unix && !linux

package runner

import "syscall"

// sysProcAttr places the command: its own session by default, or (fg) a new
// group of pgrun's session, given the terminal on fd 0 when tty is set.
func sysProcAttr(fg, tty bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{}
	if fg {
		a.Setpgid = true
		a.Foreground = tty
		a.Ctty = 0
	} else {
		a.Setsid = true
	}
	setPdeathsig(a)
	return a
}

func setPidfd(a *syscall.SysProcAttr, fd *int) {}
