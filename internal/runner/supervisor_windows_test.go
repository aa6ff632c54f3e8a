package runner

import (
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pgrun/pgrun/internal/killer"
)

// What Wine cannot show: Ctrl-C or Ctrl-Break at pgrun's console
// (os.Interrupt) is passed on to the tree and starts the grace period;
// a second one sends KILL at once. A fake job stands for the processes.

// fakeJob is a killer.Tree that lives until KILL, and says so through
// Changes, as the job's completion port does.
type fakeJob struct {
	mu      sync.Mutex
	sent    []syscall.Signal
	alive   bool
	changes chan struct{}
}

func (f *fakeJob) Signal(sig syscall.Signal, then ...syscall.Signal) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(then) != 0 {
		panic("a follow-up signal on Windows")
	}
	f.sent = append(f.sent, sig)
	reached := f.alive
	if sig == syscall.SIGKILL && f.alive {
		f.alive = false
		f.changes <- struct{}{}
	}
	return reached, nil
}

func (f *fakeJob) Alive() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.alive, nil
}

func (f *fakeJob) Reap() (bool, error)         { return !f.isAlive(), nil }
func (f *fakeJob) isAlive() bool               { a, _ := f.Alive(); return a }
func (f *fakeJob) Processes() []killer.Process { return nil }
func (f *fakeJob) Blind() string               { return "" }
func (f *fakeJob) Changes() <-chan struct{}    { return f.changes }
func (f *fakeJob) Release() (killer.Exit, error) {
	return killer.Exit{Status: syscall.WaitStatus{ExitCode: 137}}, nil
}

func runFake(t *testing.T, opts Options, feed func(chan<- os.Signal)) ([]syscall.Signal, Result, time.Duration) {
	t.Helper()
	job := &fakeJob{alive: true, changes: make(chan struct{}, 1)}
	sigs := make(chan os.Signal, 8)
	s := &supervisor{opts: opts, tree: job, mode: killer.Job, sigs: sigs}
	start := time.Now()
	feed(sigs)
	done := make(chan struct{})
	var res Result
	var err error
	go func() { res, err = s.run(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the supervisor did not return")
	}
	if err != nil {
		t.Fatal(err)
	}
	return job.sent, res, time.Since(start)
}

func TestInterruptStartsGrace(t *testing.T) {
	grace := 50 * time.Millisecond
	sent, res, took := runFake(t, Options{Signal: syscall.SIGTERM, Grace: grace}, func(ch chan<- os.Signal) {
		ch <- os.Interrupt
	})
	if len(sent) != 2 || sent[0] != syscall.SIGINT || sent[1] != syscall.SIGKILL {
		t.Errorf("sent %v; want INT, then KILL after the grace period", sent)
	}
	if took < grace {
		t.Errorf("KILL came after %v, before the grace period of %v", took, grace)
	}
	if res.TimedOut || res.ExitCode != 137 {
		t.Errorf("result %+v; want the command's status, 137, without a timeout", res)
	}
}

func TestSecondInterruptKills(t *testing.T) {
	sent, _, _ := runFake(t, Options{Signal: syscall.SIGTERM, Grace: time.Hour}, func(ch chan<- os.Signal) {
		ch <- os.Interrupt
		ch <- os.Interrupt
	})
	if len(sent) != 2 || sent[0] != syscall.SIGINT || sent[1] != syscall.SIGKILL {
		t.Errorf("sent %v; want INT, then KILL at once", sent)
	}
}

func TestWindowsHelpers(t *testing.T) {
	if then := followUp(syscall.SIGTERM); then != nil {
		t.Errorf("followUp(TERM) = %v; want nothing", then)
	}
	if !ends(syscall.SIGINT) || !ends(syscall.SIGTERM) {
		t.Error("INT or TERM relayed does not start the grace period")
	}
	if keepMode != killer.Job {
		t.Errorf("keepMode = %v", keepMode)
	}
}
