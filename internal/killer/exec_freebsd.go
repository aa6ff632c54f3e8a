package killer

import "syscall"

func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// setPidfd does nothing: no pidfds here; *fd stays -1.
func setPidfd(a *syscall.SysProcAttr, fd *int) {}
