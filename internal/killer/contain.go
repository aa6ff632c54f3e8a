//go:build unix

package killer

import (
	"errors"
	"syscall"
)

// Containment modes, weakest to strongest; Auto picks the strongest this
// system allows.
const (
	Auto      = "auto"
	Group     = "group"     // the process group only
	Subreaper = "subreaper" // the group and every descendant that left it
	Cgroup    = "cgroup"    // the same, born in a fresh cgroup: KILL is one atomic step
)

// Modes lists the values Spec.Mode accepts.
func Modes() []string { return []string{Auto, Cgroup, Subreaper, Group} }

// Spec says how Start contains the command. The zero value asks for the
// strongest containment available.
type Spec struct {
	// Mode is Auto (or ""), Cgroup, Subreaper or Group. A mode asked for
	// by name that cannot be had fails; Auto never fails for want of one.
	Mode string

	// Foreground says that Spawn starts the command in a new process
	// group of pgrun's session rather than in a session of its own.
	Foreground bool

	// Guardian arms a guardian (Linux): a process of its own that KILLs
	// the tree if pgrun dies without releasing it (SIGKILL, the OOM
	// killer), armed GuardianDelay after the command starts. Released,
	// the tree dismisses and reaps it. It is never part of the tree.
	Guardian bool
}

// Info says how a started command's tree is contained.
type Info struct {
	Mode string // Cgroup, Subreaper or Group
	Why  string // why this mode, or where the cgroup is
	// Limits says what the mode cannot reach on this system beyond what
	// it never reaches (Group never reaches processes that left the
	// group), or is "": see ForeignProc.
	Limits string
	// Guardian says whether a guardian watches over the tree: "off",
	// "armed 5ms after the start", or "unavailable on this system".
	// Tree.Guardian says, after Release, whether it was in fact armed.
	Guardian string
}

// Spawn starts the command with attr, which Start has prepared with what
// the containment needs (the cgroup to be born in); Spawn adds the rest
// (session, Pdeathsig, the request for a pidfd). env holds entries to add
// to the command's environment. It returns the command's pid and pidfd
// (-1 when the system gives none). After an error nothing may be left
// running.
type Spawn func(attr *syscall.SysProcAttr, env []string) (pid, pidfd int, err error)

// Start prepares the containment spec asks for, makes pgrun the child
// subreaper where the system has one (before anything is forked), starts
// the command with spawn inside it and returns its Tree, which owns the
// command from then on.
//
// If the cgroup lets the command down (the clone into it fails, or the
// kernel kills the command as it is cloned into it), Start gives the
// cgroup up and calls spawn again, under the subreaper: nothing of the
// command has run then. Where the cgroup was asked for by name it fails
// instead. An error from spawn is returned as it is. After any error
// nothing is left running and nothing is left behind.
func Start(spec Spec, spawn Spawn) (Tree, Info, error) {
	mode := spec.Mode
	if mode == "" {
		mode = Auto
	}
	c, err := contain(mode)
	if err != nil {
		return nil, Info{}, err
	}
	if err := AdoptOrphans(); err != nil {
		c.discard()
		return nil, Info{}, err
	}
	for {
		attr := &syscall.SysProcAttr{}
		c.apply(attr)
		withCgroup := c.mode == Cgroup
		cookie := treeCookie(spec, c)
		var env []string
		if cookie != "" {
			env = []string{cookie}
		}
		pid, pidfd, err := spawn(attr, env)
		if err != nil {
			if withCgroup && !errors.Is(err, syscall.ENOENT) {
				why := err
				if inner := errors.Unwrap(err); inner != nil {
					why = inner
				}
				if ferr := c.fallback("starting in the cgroup failed: " + why.Error()); ferr != nil {
					return nil, Info{}, ferr
				}
				continue
			}
			c.discard()
			return nil, Info{}, err
		}
		tree, err := c.tree(pid, pidfd)
		if errors.Is(err, errKilledAtBirth) {
			if ferr := c.fallback(err.Error()); ferr != nil {
				return nil, Info{}, ferr
			}
			continue
		}
		if err != nil {
			return nil, Info{}, err
		}
		tree, guardian := guard(tree, spec, c, pid, pidfd, cookie)
		return tree, Info{Mode: c.mode, Why: c.why, Limits: c.limits(), Guardian: guardian}, nil
	}
}

// errKilledAtBirth reports that the kernel killed the command as it was
// cloned into its cgroup (a kernel bug: see containment.tree). Nothing
// ran.
var errKilledAtBirth = errors.New("the command was killed as it was cloned into its cgroup")
