//go:build unix && !linux && !freebsd

package runner

import "syscall"

// setPdeathsig does nothing: this system cannot kill a child when its parent
// dies.
func setPdeathsig(a *syscall.SysProcAttr) {}
