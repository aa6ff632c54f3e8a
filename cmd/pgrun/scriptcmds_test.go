package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// What the scripts of every system use: durations scaled for slow
// machines, exit statuses, ready files.

// scale multiplies every duration the scripts use, for slow machines:
// PGRUN_TEST_SCALE=3 go test ./...
func scale() float64 {
	if s, err := strconv.ParseFloat(os.Getenv("PGRUN_TEST_SCALE"), 64); err == nil && s > 0 {
		return s
	}
	return 1
}

func scaled(d time.Duration) time.Duration { return time.Duration(float64(d) * scale()) }

// seconds formats d for a shell or a pgrun DURATION.
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// status WANT command [args...] runs command and checks how it ended: WANT
// is an exit code, or a signal name (TERM, KILL...) it must have died of.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE|SIGNAL command [args...]")
	}
	err := ts.Exec(args[1], args[2:]...)
	got := "0"
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			got = signalName(ws.Signal())
		} else {
			got = strconv.Itoa(ws.ExitStatus())
		}
	case err != nil:
		ts.Fatalf("%v", err)
	}
	if got != args[0] {
		ts.Fatalf("%s ended with %s, want %s", args[1], got, args[0])
	}
}

// waitfile FILE... waits until every FILE exists: the scripts' way to say
// "ready".
func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: waitfile FILE...")
	}
	deadline := time.Now().Add(scaled(30 * time.Second))
	for _, f := range args {
		for {
			if _, err := os.Stat(ts.MkAbs(f)); err == nil {
				break
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s did not appear", f)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// copyFile copies from to a new executable file to.
func copyFile(from, to string) error {
	r, err := os.Open(from)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
