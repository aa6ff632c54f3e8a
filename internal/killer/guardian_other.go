//go:build unix && !linux

package killer

import "time"

// GuardianName is the argv[0] of a guardian; there is none on this system.
const GuardianName = "pgrun-guardian"

// Guard is not available here: pgrun never executes itself as a guardian
// on this system.
func Guard(args []string) int { return 2 }

func guard(tree Tree, spec Spec, c *containment, pid, pidfd int, cookie string) (Tree, string) {
	if !spec.Guardian {
		return tree, "off"
	}
	return tree, "unavailable on this system"
}

func treeCookie(spec Spec, c *containment, k kin) string { return "" }

// DelayGuardian does nothing: there is no guardian on this system.
func DelayGuardian(d time.Duration) {}
