package killer

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/cgroupfs"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// containment is how the command's tree will be contained, chosen before
// pgrun forks.
type containment struct {
	mode  Mode   // Group, Subreaper, Cgroup or Pidns
	why   string // why not a stronger mode, or where the cgroup is
	cg    *cgroupfs.Cgroup
	ns    *namespace // Pidns: the namespace being made
	named bool       // mode was asked for by name: never fall back from it
}

// contain prepares the containment mode asked for (Auto: the strongest
// available). It fails only when a mode that is not available was asked
// for by name.
func contain(mode Mode) (*containment, error) {
	// What the start would learn of /proc and pidfds once the command has
	// been forked is learnt now, while pgrun waits for the routing of its
	// signals anyway.
	proc.Look()
	proc.Pidfds()
	switch mode {
	case Group:
		return &containment{mode: Group, why: "asked for", named: true}, nil
	case Subreaper:
		return &containment{mode: Subreaper, why: "asked for", named: true}, nil
	case Pidns:
		ns := newNamespace()
		return &containment{mode: Pidns, why: ns.why(), ns: ns, named: true}, nil
	case Cgroup, Auto:
		cg, err := cgroupfs.New(mode == Cgroup)
		if err == nil {
			return &containment{mode: Cgroup, why: cg.Dir, cg: cg, named: mode == Cgroup}, nil
		}
		if mode == Cgroup {
			return nil, fmt.Errorf("cannot contain the command in a cgroup: %w", err)
		}
		return &containment{mode: Subreaper, why: "no cgroup: " + err.Error()}, nil
	}
	return nil, fmt.Errorf("unknown containment %v", mode)
}

// apply makes attr start the command inside the containment: directly in
// its cgroup (clone3 CLONE_INTO_CGROUP), so it never runs outside it, or
// under the init of a fresh pid namespace, which the command's fork then
// executes in its place.
func (c *containment) apply(attr *syscall.SysProcAttr) (*via, error) {
	if c.cg != nil {
		attr.UseCgroupFD, attr.CgroupFD = true, c.cg.Fd()
	}
	if c.ns != nil {
		return c.ns.apply(attr)
	}
	return nil, nil
}

// failed says why a Pidns start failed to start the init.
func (c *containment) failed(err error) error {
	c.discard()
	return c.ns.failed(err)
}

// tree returns the Tree of the command just started with an attr that
// apply prepared.
//
// Some kernels (seen on 6.18) kill a process cloned into a cgroup when that
// cgroup and the parent's differ in how often they were killed via
// cgroup.kill, as happens when pgrun itself runs in a cgroup that was
// killed once (a CI slot that is reused). The child dies before running a
// single instruction of its own. tree detects that, reaps it and returns
// errKilledAtBirth: the caller falls back and starts the command again.
//
// k says who pgrun's children were before the command (see family); fg and
// cookie, how the command's tree is marked.
func (c *containment) tree(pid, pidfd int, k kin, fg bool, cookie string) (Tree, error) {
	switch {
	case c.mode == Group:
		return NewGroup(pid, pidfd), nil
	case c.ns != nil:
		return c.ns.tree(pid, pidfd)
	case c.cg == nil:
		return newTree(pid, pidfd, k.family(pid, fg, cookie, nil)), nil
	case neverExecuted(pid):
		reap(pid) // it is dying, not running: this does not block for long
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		return nil, errKilledAtBirth
	}
	return &cgroupTree{tree: newTree(pid, pidfd, k.family(pid, fg, cookie, c.cg)), cg: c.cg}, nil
}

// fallback gives up the cgroup, after errKilledAtBirth or a failed start,
// for the subreaper, and says why. When the cgroup was asked for by name
// it fails instead, with why: the caller must not start the command.
func (c *containment) fallback(why string) error {
	c.discard()
	if c.named && c.mode == Cgroup {
		return fmt.Errorf("cannot contain the command in a cgroup: %s", why)
	}
	c.mode, c.why = Subreaper, why
	return nil
}

// limits says what this containment cannot reach here beyond what its
// mode never reaches, or "". Where /proc belongs to another pid namespace,
// processes that leave the command's process group cannot be found: in a
// cgroup they get only the KILL of cgroup.kill, otherwise nothing.
func (c *containment) limits() string {
	why := proc.Foreign()
	switch {
	case why == "" || c.mode == Group || c.mode == Pidns:
		return ""
	case c.cg != nil:
		return why + ": processes that leave the command's process group get no signal but the cgroup's KILL"
	}
	return why + ": processes that leave the command's process group are out of reach"
}

// discard frees what contain prepared, for a command that will not start.
func (c *containment) discard() {
	if c.cg != nil {
		c.cg.Remove()
		c.cg = nil
	}
	if c.ns != nil {
		c.ns.discard()
	}
}

// started does, once the command runs, what need not come before it: the
// removal of stale cgroups beside the run's, while the command executes.
func (c *containment) started() {
	if c.cg != nil {
		c.cg.RemoveStale()
	}
}
