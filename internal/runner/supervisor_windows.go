package runner

import (
	"syscall"

	"github.com/pgrun/pgrun/internal/killer"
)

// keepMode is what Auto becomes with OrphansKeep: the job, the only
// mode, which lets kept processes outlive it (killer.Spec.Keep).
const keepMode = killer.Job

// handleHere handles nothing itself: on Windows pgrun receives only the
// console's events, which are relayed.
func (s *supervisor) handleHere(syscall.Signal) (bool, error) { return false, nil }

// followUp is nothing: Windows processes are never stopped by a signal.
func followUp(syscall.Signal) []syscall.Signal { return nil }

// ends is true: the only signals relayed on Windows (INT, TERM) end.
func ends(syscall.Signal) bool { return true }
