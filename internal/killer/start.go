package killer

import "errors"

// Spec says how the command is contained. The zero value asks for the
// strongest containment available.
type Spec struct {
	// Mode is the containment asked for. A mode asked for by name that
	// cannot be had fails; Auto never fails for want of one, and never
	// picks Pidns.
	Mode Mode

	// Foreground starts the command in a new process group of pgrun's
	// session rather than in a session of its own (see
	// Command.Terminal). A command in a pid namespace cannot be: Prepare
	// fails.
	Foreground bool

	// Keep lets the processes left in the tree outlive pgrun once Release
	// has been called (--orphans keep). It matters only on Windows, where
	// the job would end them with pgrun; on Unix nothing ends them.
	Keep bool

	// Guardian arms a guardian (Linux): a process of its own that KILLs
	// the tree if pgrun dies without releasing it (SIGKILL, the OOM
	// killer), armed guardian.Delay after the command starts. Released,
	// the tree dismisses and reaps it. It is never part of the tree.
	Guardian bool
}

// Command is the command to start: pgrun's standard streams are its own.
type Command struct {
	// Args is its argv; Args[0] is looked up as execvp(3) does.
	Args []string
	// Env is its environment; Start adds the entry that marks the tree
	// where one is needed, first.
	Env []string
	// Terminal, with Spec.Foreground, makes the command's group the
	// foreground group of the terminal on fd 0.
	Terminal bool
}

// Info says how a started command's tree is contained.
type Info struct {
	// Pid is the process pgrun forked: the command, or in Pidns the init
	// that runs it.
	Pid  int
	Mode Mode   // Cgroup, Subreaper, Group or Pidns: never Auto
	Why  string // why this mode, or where the cgroup is
	// Limits says what the mode cannot reach on this system beyond what
	// it never reaches (Group never reaches processes that left the
	// group), or is "": see proc.Foreign.
	Limits string
	// Guardian says whether a guardian watches over the tree: "off",
	// "armed 5ms after the start", or "unavailable on this system".
	// Exit.Guardian says, after Release, whether it was in fact armed.
	Guardian string
}

// ExecError reports that the command itself could not be executed: it
// was not found, or execve(2) refused it. Nothing of the command ran, and
// nothing is left running.
type ExecError struct {
	Name string // Args[0] as given
	Err  error  // a syscall.Errno: ENOENT when there is no such command
}

func (e *ExecError) Error() string {
	return "executing " + e.Name + ": " + e.Err.Error()
}

func (e *ExecError) Unwrap() error { return e.Err }

// Containment is a containment prepared for one command (see Prepare).
type Containment struct {
	spec Spec
	c    *containment
	k    kin
	done bool // started or discarded: nothing more to do
}

// Prepare makes ready the containment that spec asks for, without forking
// anything: pgrun becomes the child subreaper where the system has one,
// the cgroup is made and locked, or the namespace's control socket opened.
// pgrun's children at this point are never the tree's. An error means that
// the containment cannot be had (or spec cannot be met); nothing is left
// behind then.
func Prepare(spec Spec) (*Containment, error) {
	c, err := contain(spec.Mode)
	if err != nil {
		return nil, err
	}
	if err := AdoptOrphans(); err != nil {
		c.discard()
		return nil, err
	}
	if err := c.refuse(spec); err != nil {
		c.discard()
		return nil, err
	}
	// Who pgrun's children are before the command exists: none of them,
	// nor what they start, is ever the tree's.
	k, err := readKin()
	if err != nil {
		c.discard()
		return nil, err
	}
	return &Containment{spec: spec, c: c, k: k}, nil
}

// Discard frees what Prepare made, for a command that will not be
// started. It is safe to call more than once, and after Start.
func (p *Containment) Discard() {
	if !p.done {
		p.done = true
		p.c.discard()
	}
}

// Start starts cmd in the containment and returns its Tree, which owns the
// command from then on, and says how it is contained. It may be called
// once.
//
// The command is executed once at most. An *ExecError says that it could
// not be executed (not found, not executable); any other error, that the
// containment failed. If the cgroup lets the command down before anything
// of it was tried (the clone into it fails, or the kernel kills the
// command as it is cloned into it), Start gives the cgroup up for the
// subreaper, unless the cgroup was asked for by name. After any error
// nothing is left running and nothing is left behind.
func (p *Containment) Start(cmd Command) (Tree, Info, error) {
	if p.done {
		return nil, Info{}, errors.New("killer: containment already used")
	}
	p.done = true
	if len(cmd.Args) == 0 {
		p.c.discard()
		return nil, Info{}, errors.New("killer: no command given")
	}
	return p.start(cmd)
}
