//go:build unix && !linux

package killer

import (
	"fmt"
	"syscall"
)

// containment is how the command's tree will be contained. Here only the
// process group is available.
type containment struct {
	mode Mode
	why  string
}

// contain prepares the containment mode asked for; here only Group (and
// Auto, which picks it).
func contain(mode Mode) (*containment, error) {
	switch mode {
	case Auto, Group:
		return &containment{mode: Group, why: "the only mode on this system"}, nil
	case Cgroup, Subreaper, Pidns:
		return nil, fmt.Errorf("containment %q is not available on this system", mode)
	}
	return nil, fmt.Errorf("unknown containment %v", mode)
}

// apply does nothing: the group needs no preparation.
func (c *containment) apply(attr *syscall.SysProcAttr) (*via, error) { return nil, nil }

// failed is never called: only Pidns starts through an init.
func (c *containment) failed(err error) error { return err }

// forkExec is syscall.ForkExec: without cgroups, nothing here needs to
// tell a failed fork from a failed execve.
func forkExec(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	return syscall.ForkExec(path, argv, attr)
}

// tree returns the Tree of the command just started.
func (c *containment) tree(pid, pidfd int, k kin, fg bool, cookie string) (Tree, error) {
	return NewGroup(pid, pidfd), nil
}

// limits is "": the group reaches what it reaches.
func (c *containment) limits() string { return "" }

// discard does nothing: the group needs no preparation.
func (c *containment) discard() {}

// fallback does nothing: there is nothing to fall back from.
func (c *containment) fallback(why string) error { return nil }

// kin is what pgrun knows of its children before it forks the command:
// nothing here, where the tree is the command's process group alone.
type kin struct{}

func readKin() (kin, error) { return kin{}, nil }

func (kin) limits(c *containment) string { return c.limits() }

// started has nothing to do here.
func (c *containment) started() {}
