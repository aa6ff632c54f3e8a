//go:build unix

package runner

import (
	"errors"
	"fmt"
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
// The returned error is a *StartError when the command could not be started
// (nothing is left running then), or another error when pgrun itself failed;
// in that case the group was sent KILL first.
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
	case (spec.Mode == "" || spec.Mode == killer.Auto) && opts.Orphans == OrphansKeep:
		// Processes kept on purpose would keep a cgroup alive after
		// pgrun; without one, nothing of pgrun's outlives it.
		spec.Mode = killer.Subreaper
	case spec.Mode == killer.Pidns && opts.Orphans == OrphansKeep:
		return Result{}, errors.New("processes left in a pid namespace cannot be kept (--orphans keep): the namespace ends with pgrun")
	}
	path, err := lookPath(opts.Args[0])
	if err != nil {
		return Result{}, &StartError{Name: opts.Args[0], Err: err}
	}
	var term terminal
	if opts.Foreground {
		term = foregroundTerminal()
	}
	sigs := watch.ch
	defer drain(sigs)
	var pid int
	tree, info, err := killer.Start(spec, func(l killer.Launch) (int, int, error) {
		// Only now: the routing went on while the containment was
		// prepared (a cgroup made, pgrun's own looked up).
		watch.wait()
		place(l.Attr, opts.Foreground, term.held)
		p, pidfd, err := start(path, opts.Args, environ(opts.Timeout), l)
		pid = p
		return p, pidfd, err
	})
	if err != nil {
		// The command's group may have taken the terminal before its
		// exec failed: it goes back to its owner, as after any run.
		term.restore(sigs)
	}
	var execErr *killer.ExecError
	if errors.As(err, &execErr) {
		return Result{}, &StartError{Name: opts.Args[0], Err: execErr.Err}
	}
	if err != nil {
		return Result{}, err
	}
	late := time.AfterFunc(lateRouting, watch.routeLate)
	defer late.Stop()
	if opts.OnStart != nil {
		opts.OnStart(info)
	}
	s := &supervisor{opts: opts, tree: tree, sigs: sigs, pid: pid, term: term}
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

// supervisor is the event loop of one run. It alone waits for children and
// sends signals, so the order of reaping and signalling is its to decide.
type supervisor struct {
	opts Options
	tree killer.Tree
	sigs chan os.Signal
	pid  int      // the command, leader of the group
	term terminal // the terminal the command's group was given, if any

	grace    *time.Timer      // KILL's timer: nil until a signal arms it
	graceC   <-chan time.Time // grace's channel while it runs, else nil
	graceDue time.Time        // when grace fires
	ladder   []Step           // the deadline's steps (see Options.Ladder)
	step     int              // how many of them were sent
	stepT    *time.Timer      // the wait after the last step sent
	stepC    <-chan time.Time
	stuck    *time.Timer // a blind tree's wait after KILL (see afterKill)
	stuckC   <-chan time.Time

	exited    bool // the command has exited
	timedOut  bool // the deadline passed
	signalled bool // a signal meant to end the tree was sent to it (see ends)
	escalated bool // KILL was sent on escalation
	killed    bool // KILL reached a process
}

func (s *supervisor) run() (Result, error) {
	s.ladder = s.opts.Ladder
	if len(s.ladder) == 0 {
		s.ladder = []Step{{Signal: s.opts.Signal, Wait: s.opts.Grace}}
	}
	var deadline <-chan time.Time // stays nil where SIGALRM says it
	if s.opts.Timeout > 0 {
		var disarm func()
		deadline, disarm = armDeadline(s.opts.Timeout)
		defer disarm()
	}
	defer func() {
		if s.grace != nil {
			s.grace.Stop()
		}
		if s.stuck != nil {
			s.stuck.Stop()
		}
		if s.stepT != nil {
			s.stepT.Stop()
		}
	}()
	err := s.reap()
	for err == nil {
		var done bool
		if done, err = s.settle(); done || err != nil {
			break
		}
		select {
		case sig := <-s.sigs:
			err = s.handle(sig.(syscall.Signal))
		case <-deadline:
			deadline = nil
			err = s.expire()
		case <-s.graceC:
			err = s.escalate()
		case <-s.stepC:
			s.stepC = nil
			err = s.nextStep(Escalation)
		case <-s.stuckC:
			err = s.outOfReach()
		case <-s.tree.Changes():
			err = s.reap()
		}
	}
	if err != nil {
		// Never leave a tree behind because pgrun failed, unless it
		// failed because KILL cannot end what is left: trying again
		// would only wait as long again.
		if unended := (*killer.UnendedError)(nil); !errors.As(err, &unended) {
			s.tree.Signal(syscall.SIGKILL)
		}
		s.tree.Release()
		return Result{}, err
	}
	exit, err := s.tree.Release()
	if err != nil {
		return Result{}, err
	}
	res := s.result(exit)
	res.Guardian = s.tree.Guardian()
	return res, nil
}

// goDeadline is armDeadline with a Go timer.
func goDeadline(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// settle reports whether the run is over, and applies the orphans policy the
// first time the command is found exited with its group still alive.
func (s *supervisor) settle() (bool, error) {
	if !s.exited {
		return false, nil
	}
	if s.opts.Orphans == OrphansKeep {
		return true, nil
	}
	alive, err := s.tree.Alive()
	if err != nil || !alive {
		return !alive, err
	}
	if s.opts.Orphans == OrphansKill && !s.signalled {
		if err := s.send(s.ladder[len(s.ladder)-1].Signal, Cleanup); err != nil {
			return false, err
		}
		s.killIn(s.opts.Grace)
	}
	return false, nil
}

func (s *supervisor) handle(sig syscall.Signal) error {
	switch sig {
	case syscall.SIGCHLD:
		if s.term.held && commandStopped(s.pid) {
			return s.stopWithCommand()
		}
		return s.reap()
	case syscall.SIGALRM:
		return s.expire()
	case syscall.SIGPIPE, syscall.SIGTTIN, syscall.SIGTTOU:
		return nil
	case syscall.SIGWINCH, syscall.SIGCONT:
		_, err := s.tree.Signal(sig)
		return err
	case syscall.SIGTSTP:
		return s.suspend()
	}
	if s.grace != nil && !s.escalated && (sig == syscall.SIGINT || sig == syscall.SIGTERM) {
		return s.escalate() // asked twice: do not make the caller wait
	}
	if err := s.send(sig, Relay); err != nil {
		return err
	}
	if ends(sig) {
		s.killIn(s.opts.Grace)
	}
	return nil
}

// ends reports whether a relayed sig is meant to end the command, and so
// starts the grace period, after which KILL follows. USR1 and USR2, the
// real-time signals and those of profilers and I/O readiness are messages
// that programs handle and go on (a stack dump, a log reopened): relayed,
// they start no grace period.
func ends(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGPROF, syscall.SIGVTALRM, syscall.SIGIO:
		return false
	}
	return !realtime(sig)
}

func (s *supervisor) reap() error {
	exited, err := s.tree.Reap()
	s.exited = s.exited || exited
	return err
}

// expire handles the deadline: the ladder's first step; at a deadline
// that comes again (pgrun received ALRM), the step sent last once more, or
// KILL once the escalation has happened.
func (s *supervisor) expire() error {
	s.timedOut = true
	switch {
	case s.escalated:
		return s.send(syscall.SIGKILL, Deadline)
	case s.step > 0:
		return s.send(s.ladder[s.step-1].Signal, Deadline)
	}
	return s.nextStep(Deadline)
}

// nextStep sends the ladder's next step, and every one after it that has
// no wait before it, then arms the wait after the last one sent: for the
// next step, or, after the last, for KILL.
func (s *supervisor) nextStep(why Reason) error {
	for {
		st := s.ladder[s.step]
		s.step++
		if st.Signal == syscall.SIGKILL {
			return s.escalateWith(why)
		}
		if err := s.send(st.Signal, why); err != nil {
			return err
		}
		if s.step == len(s.ladder) {
			s.killIn(st.Wait)
			return nil
		}
		if st.Wait > 0 {
			s.stepT = time.NewTimer(st.Wait)
			s.stepC = s.stepT.C
			return nil
		}
		why = Escalation
	}
}

// killIn arms KILL d from now, unless it is already due sooner; zero
// arms nothing.
func (s *supervisor) killIn(d time.Duration) {
	if d <= 0 || s.escalated {
		return
	}
	due := time.Now().Add(d)
	if s.grace != nil {
		if !s.graceDue.After(due) {
			return
		}
		s.grace.Stop()
	}
	s.grace, s.graceDue = time.NewTimer(d), due
	s.graceC = s.grace.C
}

func (s *supervisor) escalate() error { return s.escalateWith(Escalation) }

// escalateWith sends KILL, for why, and ends every wait for a later step.
func (s *supervisor) escalateWith(why Reason) error {
	s.escalated = true
	s.graceC, s.stepC = nil, nil
	return s.send(syscall.SIGKILL, why)
}

// suspend stops the command's group and then pgrun itself, as Ctrl-Z would
// stop a job. The command runs in another session, where a terminal's TSTP
// would be discarded (its group is orphaned), so it gets STOP. The CONT
// that resumes pgrun is relayed like any other.
func (s *supervisor) suspend() error {
	if _, err := s.tree.Signal(syscall.SIGSTOP); err != nil {
		return err
	}
	return syscall.Kill(os.Getpid(), syscall.SIGSTOP)
}

// stopWithCommand follows a command that was stopped at the terminal its
// group owns (Ctrl-Z): pgrun gives the terminal back and stops too, so the
// shell sees its job stopped; once continued in the foreground it hands the
// terminal to the command's group again and continues it.
func (s *supervisor) stopWithCommand() error {
	s.term.restore(s.sigs)
	if err := syscall.Kill(os.Getpid(), syscall.SIGSTOP); err != nil {
		return err
	}
	s.term.handBack(s.pid, s.sigs)
	if _, err := s.tree.Signal(syscall.SIGCONT); err != nil {
		return err
	}
	return s.reap()
}

// send signals the group and follows up with CONT so that stopped members
// act on the signal. Arming KILL is the caller's to decide.
func (s *supervisor) send(sig syscall.Signal, why Reason) error {
	ev := Event{At: time.Now(), Signal: sig, Reason: why, Leftovers: s.exited}
	if s.opts.Snapshots {
		ev.Tree = s.tree.Processes()
	}
	var then []syscall.Signal
	if sig != syscall.SIGKILL && sig != syscall.SIGCONT {
		then = []syscall.Signal{syscall.SIGCONT}
	}
	reached, err := s.tree.Signal(sig, then...)
	if err != nil {
		return err
	}
	if why != Relay || ends(sig) {
		s.signalled = true
	}
	if sig == syscall.SIGKILL && reached {
		s.killed = true
	}
	if s.opts.OnEvent != nil {
		ev.Reached = reached
		s.opts.OnEvent(ev)
	}
	if sig == syscall.SIGKILL && s.stuck == nil && s.tree.Blind() != "" {
		s.stuck = time.NewTimer(afterKill)
		s.stuckC = s.stuck.C
	}
	return nil
}

// afterKill is how long a blind tree (see killer.Tree.Blind) may stay
// alive after KILL before pgrun gives up on it: the group's members die at
// once, so what lives on after that is out of reach, and waiting for it
// could be forever. A variable so that tests can shorten it.
var afterKill = 5 * time.Second

// outOfReach fails the run if the tree is still alive afterKill after KILL.
func (s *supervisor) outOfReach() error {
	s.stuckC = nil
	if err := s.reap(); err != nil {
		return err
	}
	alive, err := s.tree.Alive()
	if err != nil || !alive {
		return err
	}
	return fmt.Errorf("processes of the command's tree are still running %v after KILL, out of pgrun's reach: %s", afterKill, s.tree.Blind())
}

// result maps the command's end to pgrun's, as coreutils timeout does.
func (s *supervisor) result(exit killer.Exit) Result {
	ws := exit.Status
	r := Result{
		Status:      ws,
		Rusage:      exit.Rusage,
		TimedOut:    s.timedOut,
		Killed:      s.killed,
		CoreDumped:  ws.CoreDump(),
		Containment: s.tree.Mechanism(),
	}
	own := ws.ExitStatus()
	if ws.Signaled() {
		own = 128 + int(ws.Signal())
	}
	switch {
	case s.timedOut && s.opts.PreserveStatus:
		r.ExitCode = own
	case s.timedOut && s.killed:
		r.ExitCode = ExitKilled
	case s.timedOut:
		r.ExitCode = ExitTimedOut
	default:
		r.ExitCode = own
		if ws.Signaled() {
			r.Signal = ws.Signal()
		}
	}
	return r
}
