//go:build unix && !linux && !freebsd

package killer

import "syscall"

// setPdeathsig does nothing: this system cannot kill a child when its
// parent dies.
func setPdeathsig(a *syscall.SysProcAttr) {}

// setPidfd does nothing: no pidfds here; *fd stays -1.
func setPidfd(a *syscall.SysProcAttr, fd *int) {}
