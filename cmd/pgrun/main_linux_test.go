package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func init() { platformCmds["undumpable"] = undumpable }

// undumpable PIDFILE makes itself non-dumpable, as ssh-agent and gpg-agent
// do (its /proc entry then belongs to root, which hidepid=2 hides from
// other users), appends its pid to PIDFILE and sleeps $LONG.
func undumpable() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: undumpable PIDFILE")
		os.Exit(2)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "undumpable:", err)
		os.Exit(2)
	}
	f, err := os.OpenFile(os.Args[1], os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		fmt.Fprintln(os.Stderr, "undumpable:", err)
		os.Exit(2)
	}
	fmt.Fprintln(f, os.Getpid())
	f.Close()
	long, _ := strconv.ParseFloat(os.Getenv("LONG"), 64)
	time.Sleep(time.Duration(long * float64(time.Second)))
}
