//go:build unix && !linux

package killer

// InitName is the argv[0] of the init of a pid namespace; there is none on
// this system.
const InitName = "pgrun-init"

// Init is not available here: pgrun never executes itself as an init on
// this system.
func Init(args []string) int { return 2 }

func guard(tree Tree, spec Spec, c *containment, pid, pidfd int, cookie string) (Tree, string) {
	if !spec.Guardian {
		return tree, "off"
	}
	return tree, "unavailable on this system"
}

func treeCookie(spec Spec, c *containment, k kin) string { return "" }
