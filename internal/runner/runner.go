package runner

import (
	"errors"
	"os"
	"time"

	"github.com/pgrun/pgrun/internal/killer"
)

// Run starts the command and supervises it until its process group is gone
// (or, with OrphansKeep, until the command itself is gone), then reaps it
// and returns the outcome. When Run returns, every child pgrun had is reaped
// and nothing remains in the command's process group, except with
// OrphansKeep.
//
// The returned error is a *killer.ExecError when the command could not be
// executed (nothing is left running then: see ExitCode), or another error
// when pgrun itself failed; in that case the group was sent KILL first.
//
// Run must be called from the main goroutine locked to the main OS thread
// (runtime.LockOSThread in an init function): the kernel ties Pdeathsig to
// the thread that forked, and only the main thread lives as long as pgrun.
// Nothing else in the process may wait for children, and Run takes over the
// signals pgrun receives from its first call on; the routing stays for
// the life of the process, and signals that arrive between runs are dropped.
func Run(opts Options) (Result, error) {
	if len(opts.Args) == 0 {
		return Result{}, errors.New("runner: no command given")
	}
	// Listen before forking, so that no SIGCHLD or relayed signal is lost;
	// the routing is set up while the command is looked up and the
	// containment prepared.
	watch := watchSignals()

	spec := killer.Spec{Mode: opts.Contain, Foreground: opts.Foreground, Guardian: opts.Guardian, Keep: opts.Orphans == OrphansKeep}
	switch {
	case spec.Mode == killer.Auto && opts.Orphans == OrphansKeep:
		// Processes kept on purpose would keep a cgroup alive after
		// pgrun; without one, nothing of pgrun's outlives it.
		spec.Mode = keepMode
	case spec.Mode == killer.Pidns && opts.Orphans == OrphansKeep:
		return Result{}, errors.New("processes left in a pid namespace cannot be kept (--orphans keep): the namespace ends with pgrun")
	}
	c, err := killer.Prepare(spec)
	if err != nil {
		return Result{}, err
	}
	defer c.Discard()
	var term terminal
	if opts.Foreground {
		term = foregroundTerminal()
	}
	sigs := watch.ch
	defer drain(sigs)
	// Only now: the routing went on while the containment was prepared
	// (a cgroup made, pgrun's own children looked up).
	watch.wait()
	tree, info, err := c.Start(killer.Command{Args: opts.Args, Env: environ(opts.Timeout), Terminal: term.held})
	if err != nil {
		// The command's group may have taken the terminal before its
		// exec failed: it goes back to its owner, as after any run.
		term.restore(sigs)
		return Result{}, err
	}
	late := time.AfterFunc(lateRouting, watch.routeLate)
	defer late.Stop()
	if opts.OnStart != nil {
		opts.OnStart(info)
	}
	s := &supervisor{opts: opts, tree: tree, mode: info.Mode, sigs: sigs, pid: info.Pid, term: term}
	res, err := s.run()
	term.restore(sigs)
	return res, err
}

// drain drops the signals that arrived for a run that is over, so that the
// next Run in the process does not act on them.
func drain(ch chan os.Signal) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}
