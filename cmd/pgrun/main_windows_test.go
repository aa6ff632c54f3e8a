package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/windows"
)

// The Windows end-to-end tests, run under Wine in CI (see CONTRIBUTING):
// the scripts of testdata/windows, with pgrun and treehelper copies of
// this test binary.

// windowsCmds are the programs this test binary becomes, by the name it
// was started as.
var windowsCmds = map[string]func(){
	"pgrun":      func() { os.Exit(run(os.Args)) },
	"treehelper": treehelper,
}

// TestMain does what testscript.Main does, but for the end: Wine refuses
// to remove the copies of the binary that ran ("Invalid function"), so a
// failure to clean up is said and does not fail the tests (the copies are
// in the Wine prefix's temporary directory, which CI removes).
func TestMain(m *testing.M) {
	name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	if f := windowsCmds[name]; f != nil {
		os.Args[0] = name
		f()
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "pgrun-test-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	self, err := os.Executable()
	for name := range windowsCmds {
		if err == nil {
			err = copyFile(self, filepath.Join(dir, name+".exe"))
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "installing the test's commands:", err)
		os.Exit(2)
	}
	os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "(left behind, as Wine does not remove a program that ran:", err, ")")
	}
	os.Exit(code)
}

func TestScriptWindows(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata/windows",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			// What Windows programs need of the environment, which
			// testscript does not pass on.
			for _, v := range []string{"SystemRoot", "ComSpec", "PATHEXT", "WINEDEBUG"} {
				if val := os.Getenv(v); val != "" {
					env.Setenv(v, val)
				}
			}
			env.Setenv("LONG", seconds(scaled(30*time.Second)))
			env.Setenv("SHORT", seconds(scaled(time.Second)))
			// MEDIUM is a deadline that leaves a tree of seven Wine
			// processes the time to start.
			env.Setenv("MEDIUM", seconds(scaled(8*time.Second)))
			env.Setenv("GRACE", seconds(scaled(500*time.Millisecond)))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":   cmdStatus,
			"waitfile": cmdWaitfile,
			"gone":     cmdGoneWindows,
			"still":    cmdStill,
			"stop":     cmdStop,
		},
	})
}

// pidsIn reads the pids that the pid-* files of dir hold, by file name.
func pidsIn(ts *testscript.TestScript, dir string) map[string]uint32 {
	files, _ := filepath.Glob(filepath.Join(ts.MkAbs(dir), "pid-*"))
	pids := map[string]uint32{}
	for _, f := range files {
		pid, err := strconv.ParseUint(strings.TrimSpace(ts.ReadFile(f)), 10, 32)
		if err != nil {
			ts.Fatalf("%s: %v", f, err)
		}
		pids[filepath.Base(f)] = uint32(pid)
	}
	return pids
}

// gone DIR says that every process whose pid a pid-* file of DIR holds
// has ended (waiting up to a few seconds for each, on its handle).
func cmdGoneWindows(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: gone DIR")
	}
	pids := pidsIn(ts, args[0])
	if len(pids) == 0 {
		ts.Fatalf("no pid files in %s", args[0])
	}
	for name, pid := range pids {
		h, err := windows.OpenProcess(windows.SYNCHRONIZE, false, pid)
		if err != nil {
			continue // no such process: gone
		}
		ev, _ := windows.WaitForSingleObject(h, uint32(scaled(5*time.Second)/time.Millisecond))
		windows.CloseHandle(h)
		if ev != windows.WAIT_OBJECT_0 {
			ts.Fatalf("process %d (%s) is still running", pid, name)
		}
	}
}

// stop DIR ends every process whose pid a pid-* file of DIR holds: what
// a script kept running on purpose.
func cmdStop(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: stop DIR")
	}
	for _, pid := range pidsIn(ts, args[0]) {
		if h, err := windows.OpenProcess(windows.PROCESS_TERMINATE, false, pid); err == nil {
			windows.TerminateProcess(h, 1)
			windows.CloseHandle(h)
		}
	}
}

// still DIR says that no tick-* file of DIR grows for a while: nothing
// that ticks into them lives. With !, that one of them does.
func cmdStill(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: [!] still DIR")
	}
	sizes := func() map[string]int64 {
		files, _ := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), "tick-*"))
		m := map[string]int64{}
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				m[filepath.Base(f)] = fi.Size()
			}
		}
		return m
	}
	before := sizes()
	if len(before) == 0 {
		ts.Fatalf("no tick files in %s", args[0])
	}
	time.Sleep(scaled(time.Second)) // ten ticks
	after := sizes()
	var grew []string
	for f, n := range after {
		if n != before[f] {
			grew = append(grew, f)
		}
	}
	switch {
	case neg && len(grew) == 0:
		ts.Fatalf("nothing ticks in %s", args[0])
	case !neg && len(grew) > 0:
		ts.Fatalf("still ticking: %s", strings.Join(grew, " "))
	}
}

// treehelper tree|leave DIR starts a tree and writes DIR/ready once every
// process of it ticks: children a (plain), b (a new console process group)
// and c (asks to break away from the job), each with a grandchild started
// the same way. A process asked to break away must be refused: its parent
// writes DIR/breakaway-refused-NAME, then starts it as a plain one. "tree"
// then ticks itself for $LONG; "leave" exits 3, leaving them. Every
// process writes DIR/pid-NAME and appends to DIR/tick-NAME every 100 ms
// for $LONG.
//
// treehelper tick DIR NAME [FLAGS] is one of them: with FLAGS (a number,
// the creation flags) it first starts its grandchild, NAME.g.
func treehelper() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: treehelper tree|leave DIR | tick DIR NAME [FLAGS]")
		os.Exit(2)
	}
	mode, dir := os.Args[1], os.Args[2]
	switch mode {
	case "tree", "leave":
		flags := map[string]uint32{"a": 0, "b": windows.CREATE_NEW_PROCESS_GROUP, "c": windows.CREATE_BREAKAWAY_FROM_JOB}
		for _, n := range []string{"a", "b", "c"} {
			if err := startTick(dir, n, flags[n], flags[n]); err != nil {
				fmt.Fprintln(os.Stderr, "treehelper:", err)
				os.Exit(2)
			}
		}
		for _, n := range []string{"a", "a.g", "b", "b.g", "c", "c.g"} {
			waitTick(filepath.Join(dir, "tick-"+n))
		}
		os.WriteFile(filepath.Join(dir, "ready"), nil, 0o666)
		if mode == "leave" {
			os.Exit(3)
		}
		tick(dir, "top")
	case "tick":
		if len(os.Args) == 5 {
			flags, _ := strconv.ParseUint(os.Args[4], 10, 32)
			if err := startTick(dir, os.Args[3]+".g", uint32(flags), 0); err != nil {
				fmt.Fprintln(os.Stderr, "treehelper:", err)
			}
		}
		tick(dir, os.Args[3])
	}
	os.Exit(0)
}

// startTick starts "treehelper tick DIR NAME" with creation flags, its
// own grandchild to be started with childFlags (none for a grandchild).
// A breakaway that is refused is written down, and the process started
// without it.
func startTick(dir, name string, flags, childFlags uint32) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	argv := []string{"treehelper", "tick", dir, name}
	if !strings.HasSuffix(name, ".g") {
		argv = append(argv, strconv.FormatUint(uint64(childFlags), 10))
	}
	start := func(flags uint32) error {
		_, h, err := syscall.StartProcess(self, argv, &syscall.ProcAttr{
			Env: os.Environ(), Files: []uintptr{0, 0, 0},
			Sys: &syscall.SysProcAttr{CreationFlags: flags},
		})
		if err == nil {
			syscall.CloseHandle(syscall.Handle(h))
		}
		return err
	}
	err = start(flags)
	if err != nil && flags&windows.CREATE_BREAKAWAY_FROM_JOB != 0 {
		os.WriteFile(filepath.Join(dir, "breakaway-refused-"+name), []byte(err.Error()), 0o666)
		err = start(flags &^ windows.CREATE_BREAKAWAY_FROM_JOB)
	}
	return err
}

// tick writes DIR/pid-NAME, then appends to DIR/tick-NAME every 100 ms
// for $LONG.
func tick(dir, name string) {
	os.WriteFile(filepath.Join(dir, "pid-"+name), []byte(strconv.Itoa(os.Getpid())), 0o666)
	long, _ := strconv.ParseFloat(os.Getenv("LONG"), 64)
	end := time.Now().Add(time.Duration(long * float64(time.Second)))
	path := filepath.Join(dir, "tick-"+name)
	for time.Now().Before(end) {
		if f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666); err == nil {
			f.WriteString(".")
			f.Close()
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitTick waits until path exists, for $LONG at most.
func waitTick(path string) {
	for i := 0; i < 3000; i++ {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
