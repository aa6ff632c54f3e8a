//go:build unix

package runner

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

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
