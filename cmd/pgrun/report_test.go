//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO whose reader takes nothing gets what fits, then pgrun gives up:
// it never waits for the reader forever.
func TestReportFIFOStuckReader(t *testing.T) {
	defer func(d time.Duration) { reportWriteTimeout = d }(reportWriteTimeout)
	reportWriteTimeout = 100 * time.Millisecond
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	target, err := openReport(path)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0) // never reads
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	start := time.Now()
	err = target.write(bytes.Repeat([]byte("x"), 4<<20)) // more than a pipe holds
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the write took %v", took)
	}
	var re *reportError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "nothing read it for 100ms") {
		t.Errorf("write: %v, want a reportError saying nothing read it", err)
	}
}

// The file pgrun writes before renaming it over the report has a new,
// unpredictable name each time, and none is left behind.
func TestReportReplaceNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	target, err := openReport(path)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for range 100 {
		f, tmp, err := target.createTemp()
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if names[tmp] {
			t.Fatalf("%s twice", tmp)
		}
		names[tmp] = true
	}
	for tmp := range names {
		os.Remove(tmp)
	}
	if err := target.write([]byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "r.json" {
		t.Errorf("the directory holds %v, want r.json alone", entries)
	}
}
