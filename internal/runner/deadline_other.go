//go:build !linux

package runner

import "time"

// armDeadline returns a channel that receives once d has passed, and a
// function that disarms it.
func armDeadline(d time.Duration) (<-chan time.Time, func()) { return goDeadline(d) }
