package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

func init() {
	platformCmds["mainexit"] = mainexit
}

// mainexit LOG PIDFILE is a process whose main thread has ended while its
// other threads run on, as after pthread_exit(3) in main: /proc shows it
// as a zombie (state Z), yet it lives. Like bystander it appends its pid
// to PIDFILE, logs to LOG every signal it receives (KILL shows as its
// absence) and lives for $LONG.
func mainexit() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mainexit LOG PIDFILE")
		os.Exit(2)
	}
	// TestMain's init locked main's goroutine to the main thread: exiting
	// that thread alone (exit, not exit_group) ends the main thread and
	// nothing else.
	runtime.LockOSThread()
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT, syscall.SIGCONT)
	long, _ := strconv.ParseFloat(os.Getenv("LONG"), 64)
	pid := os.Getpid()
	go func() {
		end := time.After(time.Duration(long * float64(time.Second)))
		for {
			select {
			case sig := <-sigs:
				appendLine(os.Args[1], fmt.Sprintf("%d got %v", pid, sig))
			case <-end:
				os.Exit(0)
			}
		}
	}()
	go func() {
		// Written once the main thread is gone, so that a test that reads
		// the file finds the process in its final shape.
		for {
			if st, err := os.ReadFile("/proc/self/stat"); err == nil && mainEnded(st) {
				appendLine(os.Args[2], strconv.Itoa(pid))
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	syscall.RawSyscall(syscall.SYS_EXIT, 0, 0, 0)
}

// mainEnded reports whether a stat line shows state Z: for a process that
// still runs, the main thread has ended.
func mainEnded(stat []byte) bool {
	for i := len(stat) - 1; i > 0; i-- {
		if stat[i] == ')' {
			return i+2 < len(stat) && stat[i+2] == 'Z'
		}
	}
	return false
}

// appendLine appends line to file.
func appendLine(file, line string) {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err == nil {
		fmt.Fprintln(f, line)
		f.Close()
	}
}
