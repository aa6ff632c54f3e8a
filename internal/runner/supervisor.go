package runner

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/pgrun/pgrun/internal/killer"
)

// supervisor is the event loop of one run. It alone waits for children and
// sends signals, so the order of reaping and signalling is its to decide.
type supervisor struct {
	opts Options
	tree killer.Tree
	mode killer.Mode // how tree is contained
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
	return s.result(exit), nil
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

// handle acts on a signal pgrun received: what the system's own signals
// mean (handleHere), else it is relayed to the tree.
func (s *supervisor) handle(sig syscall.Signal) error {
	if handled, err := s.handleHere(sig); handled {
		return err
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

// send signals the group and follows up (see followUp) so that stopped
// members act on the signal. Arming KILL is the caller's to decide.
func (s *supervisor) send(sig syscall.Signal, why Reason) error {
	ev := Event{At: time.Now(), Signal: sig, Reason: why, Leftovers: s.exited}
	if s.opts.Snapshots {
		ev.Tree = s.tree.Processes()
	}
	reached, err := s.tree.Signal(sig, followUp(sig)...)
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
		Containment: s.mode,
		Guardian:    exit.Guardian,
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
