package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// pgrun's stderr is the command's too, often a pipe to a CI runner, and a
// write to a pipe blocks while it is full. A pipe that nobody reads stays
// full for ever: a -v line written on the supervisor's way from one signal
// to the next would hold up the next one (KILL after the grace period), and
// the tree would outlive its deadline. So pgrun never writes to stderr
// itself: it queues, and one goroutine writes, in order.

// outputWait is how long pgrun, once the tree is gone, waits for its last
// lines to reach stderr (and for the step summary to reach its file)
// before it ends without them: long enough for a reader that is merely
// slow, bounded for one that never reads, so that pgrun still returns.
const outputWait = 5 * time.Second

// diagQueueMax bounds what waits for a stderr that is not read: beyond it
// (a deadline tree of tens of thousands of processes, or a flood of
// relayed signals), whole writes are dropped and counted.
const diagQueueMax = 4 << 20

// diagWriter is an io.Writer whose Write never blocks: it queues p and a
// goroutine of its own writes the queue to w.
type diagWriter struct {
	prog string // pgrun's name, for the note of what was dropped
	w    io.Writer
	wake chan struct{} // something was queued; capacity 1

	mu      sync.Mutex
	queue   []byte
	pending int           // bytes queued or being written
	dropped int           // bytes dropped since the last note of it
	drained chan struct{} // closed when pending comes to 0; nil if nobody waits
}

func newDiagWriter(prog string, w io.Writer) *diagWriter {
	d := &diagWriter{prog: prog, w: w, wake: make(chan struct{}, 1)}
	go d.loop()
	return d
}

// Write queues p whole, or drops it whole if the queue is full, and never
// fails. A caller that writes a message in one call never sees half of it
// dropped.
func (d *diagWriter) Write(p []byte) (int, error) {
	d.mu.Lock()
	switch {
	case len(d.queue)+len(p) > diagQueueMax:
		d.dropped += len(p)
	default:
		if d.dropped > 0 {
			note := fmt.Sprintf("%s: %d bytes of messages dropped: stderr was not read\n", d.prog, d.dropped)
			d.queue = append(d.queue, note...)
			d.pending += len(note)
			d.dropped = 0
		}
		d.queue = append(d.queue, p...)
		d.pending += len(p)
	}
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (d *diagWriter) loop() {
	for range d.wake {
		for {
			d.mu.Lock()
			b := d.queue
			d.queue = nil
			d.mu.Unlock()
			if len(b) == 0 {
				break
			}
			d.w.Write(b) // an error here has nowhere to be told
			d.mu.Lock()
			d.pending -= len(b)
			if d.pending == 0 && d.drained != nil {
				close(d.drained)
				d.drained = nil
			}
			d.mu.Unlock()
		}
	}
}

// flush waits until everything queued has been written, or wait has
// passed, and reports whether it was written.
func (d *diagWriter) flush(wait time.Duration) bool {
	d.mu.Lock()
	if d.pending == 0 {
		d.mu.Unlock()
		return true
	}
	if d.drained == nil {
		d.drained = make(chan struct{})
	}
	drained := d.drained
	d.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-drained:
		return true
	case <-t.C:
		return false
	}
}
