//go:build unix && !linux

package killer

import (
	"fmt"
	"syscall"
)

// Containment is how the command's tree will be contained, chosen before
// pgrun forks. Here only the process group is available.
type Containment struct {
	Mode string
	Why  string
}

// Contain prepares the containment mode asked for; here only Group (and
// Auto, which picks it).
func Contain(mode string) (*Containment, error) {
	switch mode {
	case Auto, Group:
		return &Containment{Mode: Group, Why: "the only mode on this system"}, nil
	case Cgroup, Subreaper:
		return nil, fmt.Errorf("containment %q is not available on this system", mode)
	}
	return nil, fmt.Errorf("unknown containment %q", mode)
}

// Apply does nothing: the group needs no preparation.
func (c *Containment) Apply(attr *syscall.SysProcAttr) {}

// Tree returns the Tree of the command just started.
func (c *Containment) Tree(pid, pidfd int) (Tree, error) { return NewGroup(pid, pidfd), nil }

// Limits is "": the group reaches what it reaches.
func (c *Containment) Limits() string { return "" }

// Discard does nothing: the group needs no preparation.
func (c *Containment) Discard() {}

// Fallback does nothing: there is nothing to fall back from.
func (c *Containment) Fallback(why string) error { return nil }
