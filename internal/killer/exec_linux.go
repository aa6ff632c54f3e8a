package killer

import "syscall"

func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// setPidfd asks the kernel for the child's pidfd (CLONE_PIDFD).
func setPidfd(a *syscall.SysProcAttr, fd *int) { a.PidFD = fd }
