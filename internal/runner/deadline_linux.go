package runner

import (
	"time"

	"golang.org/x/sys/unix"
)

// armDeadline makes the kernel send pgrun SIGALRM once d has passed, as
// coreutils timeout does, and returns a function that disarms it. The
// signal ends up where an ALRM sent by anyone else does (the deadline), so
// the returned channel is nil. A Go timer would do, but the runtime wakes
// for it with millisecond resolution: on average half a millisecond late
// (measured), where the kernel's interval timer is exact.
func armDeadline(d time.Duration) (<-chan time.Time, func()) {
	// Rounded up to the timer's microseconds: a zero value would disarm it.
	us := int64(d / time.Microsecond)
	if d%time.Microsecond != 0 {
		us++
	}
	it := unix.Itimerval{Value: unix.NsecToTimeval(us * 1e3)}
	if _, err := unix.Setitimer(unix.ItimerReal, it); err != nil {
		return goDeadline(d) // cannot happen for a valid duration
	}
	return nil, func() { unix.Setitimer(unix.ItimerReal, unix.Itimerval{}) }
}
