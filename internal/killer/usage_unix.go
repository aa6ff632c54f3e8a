//go:build unix

package killer

import "syscall"

// Usage is what a tree's end tells of the resources it used: on Unix the
// leader's rusage, as wait4(2) gives it.
type Usage = syscall.Rusage
