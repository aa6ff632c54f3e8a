//go:build !linux

package guardian

import "time"

// Main is not available here: pgrun never executes itself as a guardian
// on this system.
func Main(args []string) int { return 2 }

// SetDelay does nothing: there is no guardian on this system.
func SetDelay(d time.Duration) {}

// SetWatcher does nothing: there is no guardian on this system.
func SetWatcher(bool) {}

// SetPassesOnly does nothing: there is no guardian on this system.
func SetPassesOnly(bool) {}
