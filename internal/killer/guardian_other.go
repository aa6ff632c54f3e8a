//go:build unix && !linux

package killer

func guard(tree Tree, spec Spec, c *containment, pid, pidfd int, cookie string) (Tree, string) {
	if !spec.Guardian {
		return tree, "off"
	}
	return tree, "unavailable on this system"
}

func treeCookie(spec Spec, c *containment, k kin) string { return "" }
