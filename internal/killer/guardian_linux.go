package killer

import (
	"fmt"
	"math/rand/v2"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/guardian"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// waitFlags are the flags every wait for any of pgrun's children adds:
// from the moment a guardian is armed until it is reaped, waits see only
// the waiting thread's children (the main thread's: the command's, and
// the orphans it adopts), never the guardian, whose own thread forked it.
// Armed, not forked: a guardian forked between this call and the wait
// would otherwise count as a child of the tree.
func waitFlags() int {
	if guardian.Armed() {
		return unix.WNOTHREAD
	}
	return 0
}

// newCookie returns a fresh environment entry that marks one run's tree.
func newCookie() string {
	return fmt.Sprintf("PGRUN_TREE_%016x=1", rand.Uint64())
}

// guardedTree is a Tree with a guardian, dismissed when the tree is
// released. The guardian watches until the tree is: a pgrun killed while
// it reaps is still answered for.
type guardedTree struct {
	Tree
	g *guardian.Guardian
}

func (t *guardedTree) Release() (Exit, error) {
	t.g.Stop()
	exit, err := t.Tree.Release()
	armed, gerr := t.g.Dismiss()
	switch {
	case gerr != nil:
		exit.Guardian = "failed: " + gerr.Error()
	case armed:
		exit.Guardian = "armed"
	default:
		exit.Guardian = "not armed: the run ended within " + guardian.ArmedAfter().String()
	}
	return exit, err
}

// guard arms a guardian for tree, just started, as spec asks, and returns
// the tree that dismisses it on Release, and what -v says of it. Whether
// pgrun can execute itself again (/proc/self/exe) shows when it tries:
// Exit.Guardian then says "failed: why".
func guard(tree Tree, spec Spec, c *containment, pid, pidfd int, cookie string) (Tree, string) {
	if !spec.Guardian {
		return tree, "off"
	}
	if c.mode == Pidns {
		return tree, "not needed: the kernel ends the pid namespace when pgrun dies"
	}
	if !proc.Pidfds() {
		// With pgrun dead nothing pins any number of the tree: a
		// guardian could signal only by numbers that may name
		// another process by then.
		return tree, "unavailable: no pidfds on this system"
	}
	g := guardian.Arm(guardian.Spec{Leader: pid, Foreground: spec.Foreground, Cookie: cookie, Sweep: c.mode == Subreaper}, pidfd, c.cg)
	return &guardedTree{Tree: tree, g: g}, "armed " + guardian.ArmedAfter().String() + " after the start"
}

// treeCookie returns the cookie that marks the tree, where something needs
// one: a guardian, which with the subreaper finds the tree by it, and pgrun
// itself where it has children that are not the tree's (see family).
func treeCookie(spec Spec, c *containment, k kin) string {
	if c.mode == Subreaper && spec.Guardian || (c.mode == Subreaper || c.mode == Cgroup) && k.strangers() {
		return newCookie()
	}
	return ""
}
