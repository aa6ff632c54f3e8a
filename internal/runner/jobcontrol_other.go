//go:build unix && !linux

package runner

// commandStopped reports false: without waitid(2) here, pgrun does not
// follow a command stopped at the terminal (see the README's limits).
func commandStopped(pid int) bool { return false }
