//go:build unix

package runner

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer"
)

// These tests drive the supervisor's event loop alone: a fake tree stands
// for the processes, and the test feeds the signal channel itself. Options
// keep Timeout at zero: on Linux a deadline arms the process's real
// interval timer, which would send this test binary SIGALRM; the tests send
// the supervisor the ALRM that stands for the deadline instead.

// patience bounds every wait for the supervisor: far beyond what a correct
// run takes, even under -race on a loaded machine, so that a hang fails
// the test rather than the package's timeout.
const patience = 10 * time.Second

// never is a wait that must not run out during a test. Waits that must
// run out are tens of milliseconds; none of them races an event the test
// depends on, so a slow machine makes a test slower, not flaky.
const never = time.Hour

// fate is what a signal does to the fake tree.
type fate int

const (
	ignored       fate = iota // everything lives on
	leaderDies                // the command dies of it; the rest of the tree lives on
	allDie                    // the whole tree ends
	allDieUnheard             // the whole tree ends; the news waits for the test
)

// call is one Signal call the fake received, with the event the
// supervisor reported for it, if any.
type call struct {
	sig  syscall.Signal
	then []syscall.Signal
	at   time.Time
	ev   *Event
	err  error
}

// String is how tests write an expected call: the signals ("TERM,CONT"),
// then the event's reason and "leftovers" when the event says the command
// had exited; "failed" when Signal returned an error.
func (c call) String() string {
	parts := []string{sigName(c.sig)}
	for _, s := range c.then {
		parts = append(parts, sigName(s))
	}
	s := strings.Join(parts, ",")
	if c.ev != nil {
		s += " " + reasonNames[c.ev.Reason]
		if c.ev.Leftovers {
			s += " leftovers"
		}
	}
	if c.err != nil {
		s += " failed"
	}
	return s
}

var reasonNames = map[Reason]string{Deadline: "deadline", Relay: "relay", Escalation: "escalation", Cleanup: "cleanup"}

// sigName is the signal's name without SIG, or its number for one without
// a name (the real-time signals).
func sigName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return strings.TrimPrefix(name, "SIG")
	}
	return strconv.Itoa(int(sig))
}

// fakeTree is a killer.Tree whose processes are two flags: the command
// (the leader) and the rest of its tree. They end by the signals sent to
// them (fates) or when the test says (exit, end). Each change is announced
// as the kernel would, by SIGCHLD on the supervisor's channel, or through
// Changes for a tree whose news comes that way (Pidns).
type fakeTree struct {
	t       *testing.T
	fates   map[syscall.Signal]fate // absent: ignored, but KILL ends the tree
	blind   string
	unended *killer.UnendedError // returned by KILL, which then spares the rest
	fails   syscall.Signal       // sending it fails (0: none does)
	sigs    chan<- os.Signal
	changes chan struct{} // nil: news comes with SIGCHLD

	sent      chan syscall.Signal // every Signal call's signal, in order
	leftovers chan struct{}       // Alive found the command exited and the rest alive

	mu       sync.Mutex
	leader   bool // the command runs
	rest     bool // other processes of the tree run
	status   syscall.WaitStatus
	calls    []call
	released bool
}

func newFakeTree(t *testing.T, sigs chan<- os.Signal, viaChanges bool) *fakeTree {
	f := &fakeTree{
		t:         t,
		sigs:      sigs,
		sent:      make(chan syscall.Signal, 128),
		leftovers: make(chan struct{}, 1),
		leader:    true,
		rest:      true,
	}
	if viaChanges {
		f.changes = make(chan struct{}, 1)
	}
	return f
}

func exited(code int) syscall.WaitStatus { return syscall.WaitStatus(code << 8) }

func killedBy(sig syscall.Signal) syscall.WaitStatus { return syscall.WaitStatus(sig) }

var errFake = errors.New("fake signal failure")

func (f *fakeTree) Signal(sig syscall.Signal, then ...syscall.Signal) (bool, error) {
	f.mu.Lock()
	if f.released {
		f.t.Errorf("%s sent after Release", sigName(sig))
	}
	reached := f.leader || f.rest
	c := call{sig: sig, then: slices.Clone(then), at: time.Now()}
	fate, ok := f.fates[sig]
	if !ok && sig == syscall.SIGKILL {
		fate = allDie
	}
	switch {
	case f.fails != 0 && sig == f.fails:
		c.err, fate = errFake, ignored
	case sig == syscall.SIGKILL && f.unended != nil:
		c.err, fate = f.unended, leaderDies
	}
	changed := false
	if fate >= leaderDies && f.leader {
		f.leader, f.status, changed = false, killedBy(sig), true
	}
	if fate >= allDie && f.rest {
		f.rest, changed = false, true
	}
	if fate == allDieUnheard {
		changed = false
	}
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if changed {
		f.announce()
	}
	f.sent <- sig
	return reached, c.err
}

// event attaches ev to the call it reports: OnEvent runs right after the
// Signal call it is about, on the same goroutine.
func (f *fakeTree) event(ev Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		f.t.Errorf("event %+v before any signal", ev)
		return
	}
	c := &f.calls[len(f.calls)-1]
	if c.ev != nil || c.sig != ev.Signal || c.err != nil {
		f.t.Errorf("event for %s follows the call %v", sigName(ev.Signal), *c)
		return
	}
	c.ev = &ev
}

// exit ends the command with status ws and leaves the rest running.
func (f *fakeTree) exit(ws syscall.WaitStatus) {
	f.mu.Lock()
	f.leader, f.status = false, ws
	f.mu.Unlock()
	f.announce()
}

// end ends the rest of the tree.
func (f *fakeTree) end() {
	f.mu.Lock()
	f.rest = false
	f.mu.Unlock()
	f.announce()
}

// endAll ends the command with status ws and the rest with it.
func (f *fakeTree) endAll(ws syscall.WaitStatus) {
	f.mu.Lock()
	f.leader, f.status, f.rest = false, ws, false
	f.mu.Unlock()
	f.announce()
}

func (f *fakeTree) announce() {
	if f.changes == nil {
		f.sigs <- syscall.SIGCHLD
		return
	}
	select {
	case f.changes <- struct{}{}:
	default: // news already waiting covers this one
	}
}

func (f *fakeTree) Alive() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.leader && f.rest {
		select {
		case f.leftovers <- struct{}{}:
		default:
		}
	}
	return f.leader || f.rest, nil
}

func (f *fakeTree) Reap() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.leader, nil
}

func (f *fakeTree) Release() (killer.Exit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.released {
		return killer.Exit{}, killer.ErrReleased
	}
	f.released = true
	if f.leader {
		// The real Release would wait for it: no script gets there.
		f.t.Errorf("Release while the command runs")
	}
	return killer.Exit{Status: f.status, Guardian: "armed"}, nil
}

func (f *fakeTree) Processes() []killer.Process { return nil }
func (f *fakeTree) Blind() string               { return f.blind }

func (f *fakeTree) Changes() <-chan struct{} {
	if f.changes == nil {
		return nil
	}
	return f.changes
}

func (f *fakeTree) record() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// harness is what a script drives the run with.
type harness struct {
	t    *testing.T
	tree *fakeTree
	sigs chan os.Signal
}

// signal delivers sigs to the supervisor, in order, as pgrun would receive
// them.
func (h *harness) signal(sigs ...syscall.Signal) {
	for _, s := range sigs {
		h.sigs <- s
	}
}

// await returns once the supervisor has sent sig, skipping what it sent
// before (the full list is checked when the run is over).
func (h *harness) await(sig syscall.Signal) {
	h.t.Helper()
	timeout := time.After(patience)
	for {
		select {
		case got := <-h.tree.sent:
			if got == sig {
				return
			}
		case <-timeout:
			h.t.Fatalf("%s never sent; calls: %v", sigName(sig), h.tree.record())
		}
	}
}

// awaitLeftovers returns once the supervisor has found the command exited
// and the rest of its tree alive, and so has applied its orphans policy.
func (h *harness) awaitLeftovers() {
	h.t.Helper()
	select {
	case <-h.tree.leftovers:
	case <-time.After(patience):
		h.t.Fatalf("the supervisor never found the command's leftovers; calls: %v", h.tree.record())
	}
}

// send returns a script that only delivers sigs.
func send(sigs ...syscall.Signal) func(*harness) {
	return func(h *harness) { h.signal(sigs...) }
}

// supervisorCase is one scripted run.
type supervisorCase struct {
	name      string
	opts      Options
	fates     map[syscall.Signal]fate
	blind     string
	unended   bool           // KILL fails with a *killer.UnendedError
	fails     syscall.Signal // sending this signal fails
	afterKill time.Duration  // replaces afterKill when set
	script    func(*harness) // drives the run; the run must end once it returns

	want []string        // every Signal call, in order (see call.String)
	gaps []time.Duration // want[i] comes at least gaps[i] after want[i-1]

	code             int
	sig              syscall.Signal
	timedOut, killed bool
	err              string // run fails with an error saying this
}

// runSupervisorCases runs each case twice: with the tree's news announced
// by SIGCHLD and through Changes.
func runSupervisorCases(t *testing.T, cases []supervisorCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, news := range []string{"SIGCHLD", "Changes"} {
				t.Run(news, func(t *testing.T) { runSupervisorCase(t, tc, news == "Changes") })
			}
		})
	}
}

func runSupervisorCase(t *testing.T, tc supervisorCase, viaChanges bool) {
	if tc.afterKill != 0 {
		old := afterKill
		afterKill = tc.afterKill
		t.Cleanup(func() { afterKill = old })
	}
	if tc.opts.Timeout != 0 {
		t.Fatal("a case must not arm a real deadline")
	}
	sigs := make(chan os.Signal, 128)
	tree := newFakeTree(t, sigs, viaChanges)
	tree.fates, tree.blind, tree.fails = tc.fates, tc.blind, tc.fails
	if tc.unended {
		tree.unended = &killer.UnendedError{Processes: []string{"4242 (stuck): still alive after KILL"}}
	}
	opts := tc.opts
	opts.OnEvent = tree.event

	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		s := &supervisor{opts: opts, tree: tree, mode: killer.Cgroup, sigs: sigs}
		res, err := s.run()
		done <- outcome{res, err}
	}()
	tc.script(&harness{t: t, tree: tree, sigs: sigs})
	var out outcome
	select {
	case out = <-done:
	case <-time.After(patience):
		t.Fatalf("run did not return; calls: %v", tree.record())
	}

	calls := tree.record()
	var got []string
	for _, c := range calls {
		got = append(got, c.String())
	}
	if !slices.Equal(got, tc.want) {
		t.Errorf("calls:\n\t%q\nwant\n\t%q", got, tc.want)
	}
	for i, gap := range tc.gaps {
		if i == 0 || i >= len(calls) || gap == 0 {
			continue
		}
		if d := calls[i].at.Sub(calls[i-1].at); d < gap {
			t.Errorf("%v came %v after %v, want at least %v", calls[i], d, calls[i-1], gap)
		}
	}
	tree.mu.Lock()
	released := tree.released
	tree.mu.Unlock()
	if !released {
		t.Error("run returned without releasing the tree")
	}

	if tc.err != "" {
		if out.err == nil || !strings.Contains(out.err.Error(), tc.err) {
			t.Fatalf("run: %v, want an error saying %q", out.err, tc.err)
		}
		var unended *killer.UnendedError
		if as := errors.As(out.err, &unended); as != tc.unended || (as && unended != tree.unended) {
			t.Errorf("run: %v (%T), want the fake's UnendedError: %v", out.err, out.err, tc.unended)
		}
		return
	}
	if out.err != nil {
		t.Fatalf("run: %v", out.err)
	}
	r := out.res
	if r.ExitCode != tc.code || r.Signal != tc.sig || r.TimedOut != tc.timedOut || r.Killed != tc.killed {
		t.Errorf("result: exit %d, signal %v, timed out %v, killed %v; want %d, %v, %v, %v",
			r.ExitCode, r.Signal, r.TimedOut, r.Killed, tc.code, tc.sig, tc.timedOut, tc.killed)
	}
	if r.Containment != killer.Cgroup || r.Guardian != "armed" {
		t.Errorf("result's containment %v, guardian %q; want the run's (cgroup) and the released tree's (armed)", r.Containment, r.Guardian)
	}
}

var (
	termOpts = Options{Signal: syscall.SIGTERM, Grace: never}
	short    = 30 * time.Millisecond
)

func TestSupervisorDeadlineAndLadder(t *testing.T) {
	runSupervisorCases(t, []supervisorCase{{
		name:   "command that exits by itself gets nothing and keeps its status",
		opts:   termOpts,
		script: func(h *harness) { h.tree.endAll(exited(3)) },
		code:   3,
	}, {
		name:   "command that dies of a signal by itself passes it on",
		opts:   termOpts,
		script: func(h *harness) { h.tree.endAll(killedBy(syscall.SIGSEGV)) },
		code:   128 + int(syscall.SIGSEGV), sig: syscall.SIGSEGV,
	}, {
		name:   "deadline whose signal ends the tree needs no KILL",
		opts:   termOpts,
		fates:  map[syscall.Signal]fate{syscall.SIGTERM: allDie},
		script: send(syscall.SIGALRM),
		want:   []string{"TERM,CONT deadline"},
		code:   ExitTimedOut, timedOut: true,
	}, {
		name:   "deadline with preserved status reports the command's own",
		opts:   Options{Signal: syscall.SIGTERM, Grace: never, PreserveStatus: true},
		fates:  map[syscall.Signal]fate{syscall.SIGTERM: allDie},
		script: send(syscall.SIGALRM),
		want:   []string{"TERM,CONT deadline"},
		code:   128 + int(syscall.SIGTERM), timedOut: true,
	}, {
		name:   "deadline signal ignored is followed by KILL after the grace period",
		opts:   Options{Signal: syscall.SIGTERM, Grace: short},
		script: send(syscall.SIGALRM),
		want:   []string{"TERM,CONT deadline", "KILL escalation"},
		gaps:   []time.Duration{0, short},
		code:   ExitKilled, timedOut: true, killed: true,
	}, {
		// As when the grace period runs out just as the tree ends.
		name:  "KILL that finds the tree gone leaves a plain timeout",
		opts:  Options{Signal: syscall.SIGTERM, Grace: short},
		fates: map[syscall.Signal]fate{syscall.SIGTERM: allDieUnheard},
		script: func(h *harness) {
			h.signal(syscall.SIGALRM)
			h.await(syscall.SIGKILL)
			h.tree.announce()
		},
		want: []string{"TERM,CONT deadline", "KILL escalation"},
		code: ExitTimedOut, timedOut: true,
	}, {
		name:   "deadline KILL is sent alone",
		opts:   Options{Signal: syscall.SIGKILL, Grace: never},
		script: send(syscall.SIGALRM),
		want:   []string{"KILL deadline"},
		code:   ExitKilled, timedOut: true, killed: true,
	}, {
		name: "ladder sends each step after the wait before it, then KILL after the last wait",
		opts: Options{Grace: never, Ladder: []Step{
			{Signal: syscall.SIGQUIT, Wait: short}, {Signal: syscall.SIGTERM, Wait: short},
		}},
		script: send(syscall.SIGALRM),
		want:   []string{"QUIT,CONT deadline", "TERM,CONT escalation", "KILL escalation"},
		gaps:   []time.Duration{0, short, short},
		code:   ExitKilled, timedOut: true, killed: true,
	}, {
		// Were a zero wait a timer, the hour-long wait of the last step
		// would still hold nothing up; an untaken zero wait would.
		name: "ladder step with wait 0 goes on at once",
		opts: Options{Grace: never, Ladder: []Step{
			{Signal: syscall.SIGINT}, {Signal: syscall.SIGQUIT}, {Signal: syscall.SIGTERM, Wait: never},
		}},
		fates:  map[syscall.Signal]fate{syscall.SIGTERM: allDie},
		script: send(syscall.SIGALRM),
		want:   []string{"INT,CONT deadline", "QUIT,CONT escalation", "TERM,CONT escalation"},
		code:   ExitTimedOut, timedOut: true,
	}, {
		name: "ladder stops once the tree is gone",
		opts: Options{Grace: never, Ladder: []Step{
			{Signal: syscall.SIGINT, Wait: short}, {Signal: syscall.SIGQUIT, Wait: never}, {Signal: syscall.SIGTERM, Wait: never},
		}},
		fates:  map[syscall.Signal]fate{syscall.SIGQUIT: allDie},
		script: send(syscall.SIGALRM),
		want:   []string{"INT,CONT deadline", "QUIT,CONT escalation"},
		gaps:   []time.Duration{0, short},
		code:   ExitTimedOut, timedOut: true,
	}, {
		name: "ladder ending in KILL sends it as its last step",
		opts: Options{Grace: never, Ladder: []Step{
			{Signal: syscall.SIGTERM, Wait: short}, {Signal: syscall.SIGKILL, Wait: never},
		}},
		script: send(syscall.SIGALRM),
		want:   []string{"TERM,CONT deadline", "KILL escalation"},
		gaps:   []time.Duration{0, short},
		code:   ExitKilled, timedOut: true, killed: true,
	}})
}

func TestSupervisorSecondSignalKillsAtOnce(t *testing.T) {
	// Signals that programs handle and go on.
	messages := []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2}
	if rt := syscall.Signal(34); realtime(rt) { // glibc's SIGRTMIN
		messages = append(messages, rt)
	}
	var relayedMessages []string
	for _, sig := range messages {
		relayedMessages = append(relayedMessages, sigName(sig)+",CONT relay")
	}
	// The grace period is an hour: only the second signal can bring KILL.
	second := func(first, then syscall.Signal) func(*harness) {
		return func(h *harness) {
			h.signal(first)
			h.await(first)
			h.signal(then)
		}
	}
	runSupervisorCases(t, []supervisorCase{{
		name:   "TERM during the deadline's grace period",
		opts:   termOpts,
		script: func(h *harness) { h.signal(syscall.SIGALRM); h.await(syscall.SIGTERM); h.signal(syscall.SIGTERM) },
		want:   []string{"TERM,CONT deadline", "KILL escalation"},
		code:   ExitKilled, timedOut: true, killed: true,
	}, {
		name:   "INT during the deadline's grace period",
		opts:   termOpts,
		script: func(h *harness) { h.signal(syscall.SIGALRM); h.await(syscall.SIGTERM); h.signal(syscall.SIGINT) },
		want:   []string{"TERM,CONT deadline", "KILL escalation"},
		code:   ExitKilled, timedOut: true, killed: true,
	}, {
		name:   "TERM after a relayed TERM",
		opts:   termOpts,
		script: second(syscall.SIGTERM, syscall.SIGTERM),
		want:   []string{"TERM,CONT relay", "KILL escalation"},
		// No deadline: the command's own end, KILL, is pgrun's.
		code: ExitKilled, sig: syscall.SIGKILL, killed: true,
	}, {
		name:   "TERM after a relayed INT",
		opts:   termOpts,
		script: second(syscall.SIGINT, syscall.SIGTERM),
		want:   []string{"INT,CONT relay", "KILL escalation"},
		code:   ExitKilled, sig: syscall.SIGKILL, killed: true,
	}, {
		name: "TERM after a relayed HUP",
		opts: termOpts,
		script: func(h *harness) {
			h.signal(syscall.SIGHUP)
			h.await(syscall.SIGHUP)
			h.signal(syscall.SIGTERM)
		},
		want: []string{"HUP,CONT relay", "KILL escalation"},
		code: ExitKilled, sig: syscall.SIGKILL, killed: true,
	}, {
		name: "HUP during the grace period is relayed, not escalated",
		opts: termOpts,
		script: func(h *harness) {
			h.signal(syscall.SIGALRM)
			h.await(syscall.SIGTERM)
			h.signal(syscall.SIGHUP)
			h.await(syscall.SIGHUP)
			h.signal(syscall.SIGTERM)
		},
		want: []string{"TERM,CONT deadline", "HUP,CONT relay", "KILL escalation"},
		code: ExitKilled, timedOut: true, killed: true,
	}, {
		name: "relayed USR1, USR2 or real-time signal starts no grace period: the TERM after it is relayed",
		opts: termOpts,
		script: func(h *harness) {
			for _, sig := range messages {
				h.signal(sig)
				h.await(sig)
			}
			h.signal(syscall.SIGTERM)
			h.await(syscall.SIGTERM)
			h.signal(syscall.SIGTERM)
		},
		want: append(relayedMessages, "TERM,CONT relay", "KILL escalation"),
		code: ExitKilled, sig: syscall.SIGKILL, killed: true,
	}, {
		name: "TERM after KILL is relayed, not escalated again",
		opts: termOpts,
		// The tree outlives KILL until the script ends it.
		fates: map[syscall.Signal]fate{syscall.SIGKILL: ignored},
		script: func(h *harness) {
			h.signal(syscall.SIGALRM, syscall.SIGTERM)
			h.await(syscall.SIGKILL)
			h.signal(syscall.SIGTERM)
			h.await(syscall.SIGTERM)
			h.tree.endAll(killedBy(syscall.SIGKILL))
		},
		want: []string{"TERM,CONT deadline", "KILL escalation", "TERM,CONT relay"},
		code: ExitKilled, timedOut: true, killed: true,
	}})
}

func TestSupervisorRepeatedAlarm(t *testing.T) {
	runSupervisorCases(t, []supervisorCase{{
		name: "resends the signal",
		opts: termOpts,
		script: func(h *harness) {
			h.signal(syscall.SIGALRM)
			h.await(syscall.SIGTERM)
			h.signal(syscall.SIGALRM)
			h.await(syscall.SIGTERM)
			h.tree.endAll(killedBy(syscall.SIGTERM))
		},
		want: []string{"TERM,CONT deadline", "TERM,CONT deadline"},
		code: ExitTimedOut, timedOut: true,
	}, {
		name: "resends the ladder's first step while it waits",
		opts: Options{Grace: never, Ladder: []Step{
			{Signal: syscall.SIGQUIT, Wait: never}, {Signal: syscall.SIGTERM, Wait: never},
		}},
		script: func(h *harness) {
			h.signal(syscall.SIGALRM)
			h.await(syscall.SIGQUIT)
			h.signal(syscall.SIGALRM)
			h.await(syscall.SIGQUIT)
			h.tree.endAll(exited(0))
		},
		want: []string{"QUIT,CONT deadline", "QUIT,CONT deadline"},
		code: ExitTimedOut, timedOut: true,
	}, {
		name: "resends the ladder's step sent last",
		opts: Options{Grace: never, Ladder: []Step{
			{Signal: syscall.SIGQUIT, Wait: short}, {Signal: syscall.SIGTERM, Wait: never},
		}},
		script: func(h *harness) {
			h.signal(syscall.SIGALRM)
			h.await(syscall.SIGTERM)
			h.signal(syscall.SIGALRM)
			h.await(syscall.SIGTERM)
			h.tree.endAll(exited(0))
		},
		want: []string{"QUIT,CONT deadline", "TERM,CONT escalation", "TERM,CONT deadline"},
		code: ExitTimedOut, timedOut: true,
	}, {
		name:  "sends KILL once escalated",
		opts:  Options{Signal: syscall.SIGTERM, Grace: short},
		fates: map[syscall.Signal]fate{syscall.SIGKILL: ignored},
		script: func(h *harness) {
			h.signal(syscall.SIGALRM)
			h.await(syscall.SIGKILL)
			h.signal(syscall.SIGALRM)
			h.await(syscall.SIGKILL)
			h.tree.endAll(killedBy(syscall.SIGKILL))
		},
		want: []string{"TERM,CONT deadline", "KILL escalation", "KILL deadline"},
		code: ExitKilled, timedOut: true, killed: true,
	}})
}

func TestSupervisorOrphans(t *testing.T) {
	withOrphans := func(o Orphans, grace time.Duration) Options {
		return Options{Signal: syscall.SIGTERM, Grace: grace, Orphans: o}
	}
	leaves := func(h *harness) { h.tree.exit(exited(0)) }
	// waits lets the command exit, waits until the supervisor has seen
	// what it left, then ends that.
	waits := func(h *harness) {
		h.tree.exit(exited(0))
		h.awaitLeftovers()
		h.tree.end()
	}
	relayed := func(sig syscall.Signal) func(*harness) {
		return func(h *harness) {
			h.signal(sig)
			h.awaitLeftovers()
			h.tree.end()
		}
	}
	killedCode := func(sig syscall.Signal) int { return 128 + int(sig) }
	runSupervisorCases(t, []supervisorCase{{
		name:   "kill: what the command leaves gets the signal",
		opts:   withOrphans(OrphansKill, never),
		fates:  map[syscall.Signal]fate{syscall.SIGTERM: allDie},
		script: leaves,
		want:   []string{"TERM,CONT cleanup leftovers"},
		code:   0,
	}, {
		name:   "kill: what the command leaves gets KILL after the grace period",
		opts:   withOrphans(OrphansKill, short),
		script: leaves,
		want:   []string{"TERM,CONT cleanup leftovers", "KILL escalation leftovers"},
		gaps:   []time.Duration{0, short},
		code:   0, killed: true,
	}, {
		name: "kill: what the command leaves gets the ladder's last step",
		opts: Options{Grace: never, Ladder: []Step{
			{Signal: syscall.SIGQUIT, Wait: never}, {Signal: syscall.SIGHUP, Wait: never},
		}},
		fates:  map[syscall.Signal]fate{syscall.SIGHUP: allDie},
		script: leaves,
		want:   []string{"HUP,CONT cleanup leftovers"},
	}, {
		name:   "kill: a relayed TERM is the only signal the leftovers get",
		opts:   withOrphans(OrphansKill, never),
		fates:  map[syscall.Signal]fate{syscall.SIGTERM: leaderDies},
		script: relayed(syscall.SIGTERM),
		want:   []string{"TERM,CONT relay"},
		code:   killedCode(syscall.SIGTERM), sig: syscall.SIGTERM,
	}, {
		name:  "kill: after a relayed USR1 the leftovers still get the signal",
		opts:  withOrphans(OrphansKill, never),
		fates: map[syscall.Signal]fate{syscall.SIGUSR1: leaderDies, syscall.SIGTERM: allDie},
		// The command ends on USR1 (its default action).
		script: send(syscall.SIGUSR1),
		want:   []string{"USR1,CONT relay", "TERM,CONT cleanup leftovers"},
		code:   killedCode(syscall.SIGUSR1), sig: syscall.SIGUSR1,
	}, {
		name:   "wait: nothing is sent to what the command leaves",
		opts:   withOrphans(OrphansWait, short),
		script: waits,
		code:   0,
	}, {
		name:   "wait: a relayed TERM is the only signal the leftovers get",
		opts:   withOrphans(OrphansWait, never),
		fates:  map[syscall.Signal]fate{syscall.SIGTERM: leaderDies},
		script: relayed(syscall.SIGTERM),
		want:   []string{"TERM,CONT relay"},
		code:   killedCode(syscall.SIGTERM), sig: syscall.SIGTERM,
	}, {
		name:   "wait: a relayed USR1 is the only signal the leftovers get",
		opts:   withOrphans(OrphansWait, never),
		fates:  map[syscall.Signal]fate{syscall.SIGUSR1: leaderDies},
		script: relayed(syscall.SIGUSR1),
		want:   []string{"USR1,CONT relay"},
		code:   killedCode(syscall.SIGUSR1), sig: syscall.SIGUSR1,
	}, {
		name:   "keep: the run ends with the command, the leftovers untouched",
		opts:   withOrphans(OrphansKeep, short),
		script: leaves,
		code:   0,
	}, {
		name:   "keep: the run ends with the command after a relayed TERM",
		opts:   withOrphans(OrphansKeep, never),
		fates:  map[syscall.Signal]fate{syscall.SIGTERM: leaderDies},
		script: send(syscall.SIGTERM),
		want:   []string{"TERM,CONT relay"},
		code:   killedCode(syscall.SIGTERM), sig: syscall.SIGTERM,
	}, {
		name:   "keep: the run ends with the command after a relayed USR1",
		opts:   withOrphans(OrphansKeep, never),
		fates:  map[syscall.Signal]fate{syscall.SIGUSR1: leaderDies},
		script: send(syscall.SIGUSR1),
		want:   []string{"USR1,CONT relay"},
		code:   killedCode(syscall.SIGUSR1), sig: syscall.SIGUSR1,
	}})
}

func TestSupervisorOtherSignals(t *testing.T) {
	runSupervisorCases(t, []supervisorCase{{
		name: "WINCH and CONT are passed on alone, with no event and no grace period",
		opts: termOpts,
		script: func(h *harness) {
			h.signal(syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGTERM)
			h.await(syscall.SIGTERM)
			h.signal(syscall.SIGTERM)
		},
		want: []string{"WINCH", "CONT", "TERM,CONT relay", "KILL escalation"},
		code: ExitKilled, sig: syscall.SIGKILL, killed: true,
	}, {
		name: "PIPE, TTIN and TTOU are dropped",
		opts: termOpts,
		script: func(h *harness) {
			// The WINCH passed on says that the signals before it
			// were handled.
			h.signal(syscall.SIGPIPE, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGWINCH)
			h.await(syscall.SIGWINCH)
			h.tree.endAll(exited(0))
		},
		want: []string{"WINCH"},
		code: 0,
	}, {
		name:   "a failed signal ends the run with KILL and the error",
		opts:   termOpts,
		fails:  syscall.SIGTERM,
		script: send(syscall.SIGALRM),
		want:   []string{"TERM,CONT failed", "KILL"},
		err:    errFake.Error(),
	}})
}

func TestSupervisorBlindTree(t *testing.T) {
	const why = "the fake's /proc is another namespace's"
	runSupervisorCases(t, []supervisorCase{{
		name:      "alive after KILL fails the run saying why",
		opts:      Options{Signal: syscall.SIGTERM, Grace: short},
		blind:     why,
		fates:     map[syscall.Signal]fate{syscall.SIGKILL: leaderDies},
		afterKill: short,
		script:    send(syscall.SIGALRM),
		// The last KILL is run's own on failing, with no event.
		want: []string{"TERM,CONT deadline", "KILL escalation", "KILL"},
		gaps: []time.Duration{0, short, short},
		err:  "out of pgrun's reach: " + why,
	}, {
		name:   "that KILL ends returns as any other",
		opts:   Options{Signal: syscall.SIGTERM, Grace: short},
		blind:  why,
		script: send(syscall.SIGALRM),
		want:   []string{"TERM,CONT deadline", "KILL escalation"},
		code:   ExitKilled, timedOut: true, killed: true,
	}, {
		name:      "whose leftovers end after KILL returns as any other",
		opts:      termOpts,
		blind:     why,
		fates:     map[syscall.Signal]fate{syscall.SIGKILL: leaderDies},
		afterKill: never,
		script: func(h *harness) {
			h.signal(syscall.SIGALRM, syscall.SIGTERM)
			h.await(syscall.SIGKILL)
			h.tree.end()
		},
		want: []string{"TERM,CONT deadline", "KILL escalation"},
		code: ExitKilled, timedOut: true, killed: true,
	}})
}

func TestSupervisorUnendedKill(t *testing.T) {
	// A second KILL round would be a second call; waiting for a blind
	// tree's afterKill would outlast patience.
	runSupervisorCases(t, []supervisorCase{{
		name:    "after the grace period fails the run at once, without another KILL",
		opts:    Options{Signal: syscall.SIGTERM, Grace: short},
		unended: true,
		script:  send(syscall.SIGALRM),
		want:    []string{"TERM,CONT deadline", "KILL failed"},
		err:     "KILL cannot end 4242",
	}, {
		name:      "on a second TERM, in a blind tree, fails the run at once",
		opts:      termOpts,
		blind:     "blind",
		afterKill: never,
		unended:   true,
		script:    send(syscall.SIGALRM, syscall.SIGTERM),
		want:      []string{"TERM,CONT deadline", "KILL failed"},
		err:       "KILL cannot end 4242",
	}, {
		name: "as a ladder's last step fails the run at once",
		opts: Options{Grace: never, Ladder: []Step{
			{Signal: syscall.SIGTERM}, {Signal: syscall.SIGKILL},
		}},
		unended: true,
		script:  send(syscall.SIGALRM),
		want:    []string{"TERM,CONT deadline", "KILL failed"},
		err:     "KILL cannot end 4242",
	}})
}
