package killer

import "errors"

// Containment modes, weakest to strongest; Auto picks the strongest this
// system allows.
const (
	Auto      = "auto"
	Group     = "group"     // the process group only
	Subreaper = "subreaper" // the group and every descendant that left it
	Cgroup    = "cgroup"    // the same, born in a fresh cgroup: KILL is one atomic step
)

// Modes lists the values Contain accepts.
func Modes() []string { return []string{Auto, Cgroup, Subreaper, Group} }

// ErrKilledAtBirth reports that the kernel killed the command as it was
// cloned into its cgroup (a kernel bug: see Containment.Tree). Nothing
// ran; the caller starts the command again after Containment.Fallback.
var ErrKilledAtBirth = errors.New("the command was killed as it was cloned into its cgroup")
