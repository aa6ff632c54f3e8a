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
	// Pidns runs the command under an init of pgrun's in a pid namespace
	// of its own, which the kernel ends when pgrun dies. Auto never picks
	// it: the command sees other pids and a /proc of its own.
	Pidns = "pidns"
)

// Modes lists the values Spec.Mode accepts.
func Modes() []string { return []string{Auto, Cgroup, Subreaper, Group, Pidns} }

// Spec says how Start contains the command. The zero value asks for the
// strongest containment available.
type Spec struct {
	// Mode is Auto (or ""), Cgroup, Subreaper, Group or Pidns. A mode
	// asked for by name that cannot be had fails; Auto never fails for
	// want of one, and never picks Pidns.
	Mode string

	// Foreground says that Spawn starts the command in a new process
	// group of pgrun's session rather than in a session of its own. A
	// command in a pid namespace cannot be: Start fails.
	Foreground bool

	// Guardian arms a guardian (Linux): a process of its own that KILLs
	// the tree if pgrun dies without releasing it (SIGKILL, the OOM
	// killer), armed GuardianDelay after the command starts. Released,
	// the tree dismisses and reaps it. It is never part of the tree.
	Guardian bool
}

// Info says how a started command's tree is contained.
type Info struct {
	Mode string // Cgroup, Subreaper, Group or Pidns
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

// Launch is what Start asks of Spawn.
type Launch struct {
	// Attr is prepared with what the containment needs (the cgroup to be
	// born in, the namespaces); Spawn adds the rest (session, Pdeathsig,
	// the request for a pidfd).
	Attr *syscall.SysProcAttr
	// Env holds entries to add to the command's environment.
	Env []string
	// Via, when its Path is set, is executed in the command's place, and
	// executes the command itself.
	Via Via
}

// Via is a program that Spawn executes instead of the command: pgrun's own
// init of a pid namespace.
type Via struct {
	Path string   // the file to execute
	Args []string // its argv; the command's resolved path and argv follow
	// Files are the descriptors it gets after the standard streams: the
	// first is its fd 3.
	Files []uintptr
}

// Spawn starts the command as l says, with pgrun's standard streams, and
// returns its pid and pidfd (-1 when the system gives none): the pid of
// l.Via where it is set. An error executing l.Via is returned as it is;
// Start says what failed. After an error nothing may be left running.
//
// When the command's process could not be created at all, the error is
// (or wraps) a *CloneError, as ForkExec returns it: then the containment
// may be the cause, and Start may try another. Any other error is the
// command's own (it could not be executed): Start returns it as it is
// and never spawns again.
type Spawn func(l Launch) (pid, pidfd int, err error)

// CloneError reports that the kernel refused to create the command's
// process (clone failed; in a cgroup, perhaps for the cgroup's sake):
// nothing of the command was tried, not even its execve.
type CloneError struct{ Err error }

func (e *CloneError) Error() string { return "creating the command's process: " + e.Err.Error() }

func (e *CloneError) Unwrap() error { return e.Err }

// ExecError reports that the command could not be executed by the init of
// its pid namespace (see Pidns); Err is execve's error, and nothing of the
// command ran.
type ExecError struct{ Err syscall.Errno }

func (e *ExecError) Error() string { return "executing the command: " + e.Err.Error() }

func (e *ExecError) Unwrap() error { return e.Err }

// ForkExec starts path as execvp(3) would once it has found it: a file the
// kernel cannot execute for want of a #! line (ENOEXEC) is run by /bin/sh.
// Where it can tell (Linux, with attr.Sys.PidFD set), an error from the
// clone itself, before any execve, is a *CloneError; any other error is
// execve's, or that of a step of the child before it.
func ForkExec(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	pid, err := forkExec(path, argv, attr)
	if errors.Is(err, syscall.ENOEXEC) {
		sh := append([]string{"/bin/sh", path}, argv[1:]...)
		pid, err = forkExec("/bin/sh", sh, attr)
	}
	return pid, err
}

// Start prepares the containment spec asks for, makes pgrun the child
// subreaper where the system has one (before anything is forked), starts
// the command with spawn inside it and returns its Tree, which owns the
// command from then on.
//
// If the cgroup lets the command down (the clone into it fails: a
// *CloneError, or the kernel kills the command as it is cloned into it),
// Start gives the cgroup up and calls spawn again, under the subreaper:
// nothing of the command has been tried then. Where the cgroup was asked
// for by name it fails instead. The command's own errors (its execve
// failed) never make Start try again, in any mode: the command is
// executed once at most. An error from spawn is returned as it is, but
// for Pidns, where spawn starts the init: then the error says that the
// namespace could not be made. When the init cannot execute the command,
// the error is an *ExecError. After any error nothing is left running and
// nothing is left behind.
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
	if c.mode == Pidns && spec.Foreground {
		c.discard()
		return nil, Info{}, errors.New("a command in a pid namespace cannot have the terminal's foreground (--foreground)")
	}
	// Who pgrun's children are before the command exists: none of them,
	// nor what they start, is ever the tree's.
	k, err := readKin()
	if err != nil {
		c.discard()
		return nil, Info{}, err
	}
	for {
		l := Launch{Attr: &syscall.SysProcAttr{}}
		if err := c.apply(&l); err != nil {
			return nil, Info{}, err
		}
		withCgroup := c.mode == Cgroup
		cookie := treeCookie(spec, c, k)
		if cookie != "" {
			l.Env = []string{cookie}
		}
		pid, pidfd, err := spawn(l)
		if err != nil {
			if c.mode == Pidns {
				return nil, Info{}, c.failed(err)
			}
			var clone *CloneError
			if withCgroup && errors.As(err, &clone) {
				if ferr := c.fallback("starting in the cgroup failed: " + clone.Err.Error()); ferr != nil {
					return nil, Info{}, ferr
				}
				continue
			}
			c.discard()
			return nil, Info{}, err
		}
		tree, err := c.tree(pid, pidfd, k, spec.Foreground, cookie)
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
		return tree, Info{Mode: c.mode, Why: c.why, Limits: k.limits(c), Guardian: guardian}, nil
	}
}

// errKilledAtBirth reports that the kernel killed the command as it was
// cloned into its cgroup (a kernel bug: see containment.tree). Nothing
// ran.
var errKilledAtBirth = errors.New("the command was killed as it was cloned into its cgroup")
