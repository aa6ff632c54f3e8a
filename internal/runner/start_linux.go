package runner

import "syscall"

// sysProcAttr places the command: its own session by default, or (fg) a new
// group of pgrun's session, given the terminal on fd 0 when tty is set.
// Pdeathsig kills the command if pgrun dies first; it is tied to the forking
// thread, which is why Run must run on the locked main thread.
func sysProcAttr(fg, tty bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if fg {
		a.Setpgid = true
		a.Foreground = tty
		a.Ctty = 0
	} else {
		a.Setsid = true
	}
	return a
}

func setPidfd(a *syscall.SysProcAttr, fd *int) { a.PidFD = fd }
