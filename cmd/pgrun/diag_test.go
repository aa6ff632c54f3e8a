package main

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// gatedWriter is a stderr that nobody reads until open is closed; entered
// is told of each write that waits for it.
type gatedWriter struct {
	open    chan struct{}
	entered chan struct{}
	mu      sync.Mutex
	got     bytes.Buffer
}

func newGatedWriter() *gatedWriter {
	return &gatedWriter{open: make(chan struct{}), entered: make(chan struct{}, 100)}
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.entered <- struct{}{}
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.got.Write(p)
}

func (g *gatedWriter) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.got.String()
}

// TestDiagWriterNeverBlocks: writes to a stderr that nobody reads return at
// once; flush waits for it within its bound only; once read, everything
// arrives, in order.
func TestDiagWriterNeverBlocks(t *testing.T) {
	g := newGatedWriter()
	d := newDiagWriter("pgrun", g)
	start := time.Now()
	var want strings.Builder
	for i := range 1000 {
		line := strings.Repeat("x", i%80) + "\n"
		d.Write([]byte(line))
		want.WriteString(line)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("1000 writes to a stderr nobody reads took %v", took)
	}
	if d.flush(50 * time.Millisecond) {
		t.Error("flush reported everything written to a stderr nobody reads")
	}
	close(g.open)
	if !d.flush(5 * time.Second) {
		t.Fatal("flush gave up on a stderr that is read")
	}
	if g.String() != want.String() {
		t.Error("what reached stderr is not what was written, in order")
	}
	if !d.flush(0) {
		t.Error("flush with nothing queued did not return true at once")
	}
}

// TestDiagWriterDropsWhole: past diagQueueMax waiting, a write is dropped
// whole, and the next one that fits says how much was.
func TestDiagWriterDropsWhole(t *testing.T) {
	g := newGatedWriter()
	d := newDiagWriter("pgrun", g)
	d.Write([]byte("first\n"))
	<-g.entered // being written, out of the queue
	half := strings.Repeat("y", diagQueueMax/2) + "\n"
	d.Write([]byte(half))
	d.Write([]byte(half)) // does not fit
	close(g.open)
	if !d.flush(5 * time.Second) {
		t.Fatal("flush gave up")
	}
	d.Write([]byte("after\n"))
	if !d.flush(5 * time.Second) {
		t.Fatal("flush gave up")
	}
	note := "pgrun: " + strconv.Itoa(len(half)) + " bytes of messages dropped: stderr was not read\n"
	if got, want := g.String(), "first\n"+half+note+"after\n"; got != want {
		t.Errorf("got %d bytes ending %q, want %d ending %q", len(got), got[max(0, len(got)-100):], len(want), want[len(want)-100:])
	}
}
