//go:build unix

package runner

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
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

	spec := killer.Spec{Mode: opts.Contain, Foreground: opts.Foreground, Guardian: opts.Guardian}
	switch {
	case spec.Mode == killer.Auto && opts.Orphans == OrphansKeep:
		// Processes kept on purpose would keep a cgroup alive after
		// pgrun; without one, nothing of pgrun's outlives it.
		spec.Mode = killer.Subreaper
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

// signalWatch is the process-wide routing of the signals pgrun handles.
type signalWatch struct {
	ch    chan os.Signal
	ready chan struct{} // closed once the signals routed before the fork are
	late  []os.Signal   // routed only once a command has run for lateRouting
	once  sync.Once     // routes late
}

// watchSignals starts routing every signal pgrun handles to one channel, in
// the background, and returns at once; wait says when the routing is in
// place for every signal that matters from the moment the command starts.
// The routing is set up once per process and never undone: each signal
// costs a round trip to the Go runtime's signal thread to route and
// another to unroute (together most of pgrun's start-up, measured), pgrun
// runs one command per process, and dieOf does not need the runtime's
// handlers gone.
//
// A terminating signal that pgrun's caller ignored stays ignored and is
// not relayed, as in coreutils 9.10 (the Go runtime keeps that knowledge
// only for HUP and INT; it has taken over the others by the time main
// runs).
var watchSignals = sync.OnceValue(func() *signalWatch {
	w := &signalWatch{ch: make(chan os.Signal, 128), ready: make(chan struct{})}
	early := []os.Signal{
		syscall.SIGCHLD, syscall.SIGALRM, syscall.SIGWINCH, syscall.SIGCONT,
		// Never let the terminal stop pgrun, nor a closed stderr kill it:
		// either would leave the tree unsupervised.
		syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGPIPE,
	}
	if !signal.Ignored(syscall.SIGTSTP) {
		early = append(early, syscall.SIGTSTP)
	}
	for _, sig := range terminating {
		switch {
		case signal.Ignored(sig):
		case routedLate(sig):
			w.late = append(w.late, sig)
		default:
			early = append(early, sig)
		}
	}
	// A goroutine of its own, not the caller's: the caller is locked to
	// the main thread, and the runtime hands each registration over
	// between threads faster from an unlocked goroutine (about 1.7 times,
	// measured).
	go func() {
		signal.Notify(w.ch, early...)
		close(w.ready)
	}()
	return w
})

// lateRouting is how long after the command's start the signals of
// routedLate are routed. A command that ends sooner never pays for them:
// each is a round trip to the Go runtime's signal thread, two context
// switches, and routing all 37 made up most of a short run's cost
// (measured: 150 context switches and 3.5 ms on a busy 2-core VM).
const lateRouting = 5 * time.Millisecond

// routeLate routes the signals of routedLate, once per process, in the
// background.
func (w *signalWatch) routeLate() {
	w.once.Do(func() {
		go func() {
			// One call each: Notify holds os/signal's lock for all the
			// signals it is given, and that lock also holds up
			// delivery, so a CHLD would wait for all of them.
			for _, sig := range w.late {
				signal.Notify(w.ch, sig)
			}
		}()
	})
}

// routedLate reports whether sig may be routed once the command has run
// for lateRouting: the Go runtime drops such a signal until then (it
// neither ends nor stops pgrun, which goes on supervising), and nothing
// sends it to a process that has just started. These are the real-time
// signals and those of timers, resource limits and I/O readiness, 37 of
// the 59 handled. A signal a command may send its parent at once (USR1 as
// "ready", ALRM, WINCH) is routed before the fork.
func routedLate(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGVTALRM, syscall.SIGPROF, syscall.SIGIO:
		return true
	}
	return routedLateHere(sig)
}

// wait returns once the signals that must be routed before the fork are.
func (w *signalWatch) wait() { <-w.ready }

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
