package runner

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// signalWatch is the process-wide routing of what pgrun handles of its
// console: Ctrl-C and Ctrl-Break (os.Interrupt, SIGINT) and the console's
// close, log-off and shut-down events (SIGTERM), each relayed to the
// command's group as CTRL_BREAK_EVENT, which starts the grace period.
type signalWatch struct {
	ch chan os.Signal
}

var watchSignals = sync.OnceValue(func() *signalWatch {
	w := &signalWatch{ch: make(chan os.Signal, 16)}
	signal.Notify(w.ch, os.Interrupt, syscall.SIGTERM)
	return w
})

// wait returns at once: Notify has routed everything by then.
func (w *signalWatch) wait() {}

// lateRouting and routeLate: nothing is routed late on Windows.
const lateRouting = 0

func (w *signalWatch) routeLate() {}
