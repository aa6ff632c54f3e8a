package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func init() {
	platformCmds["rootsleep"] = rootsleep
}

// rootsleep PIDFILE, installed setuid root, becomes root in full (real,
// effective and saved user ids), as sudo does for the command it runs, so
// that a user who is not root may not signal it; then it writes its pid
// to PIDFILE and lives for $LONG.
func rootsleep() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rootsleep PIDFILE")
		os.Exit(2)
	}
	if err := syscall.Setresuid(0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "rootsleep: not setuid root:", err)
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "rootsleep:", err)
		os.Exit(2)
	}
	long, _ := strconv.ParseFloat(os.Getenv("LONG"), 64)
	time.Sleep(time.Duration(long * float64(time.Second)))
}
