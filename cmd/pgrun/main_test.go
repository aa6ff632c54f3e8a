//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pgrun/pgrun/internal/killer"
	"github.com/pgrun/pgrun/internal/killer/guardian"
	"github.com/pgrun/pgrun/internal/killer/pidns"
)

// platformCmds are the scripts' commands that only some systems have.
var platformCmds = map[string]func(){}

func TestMain(m *testing.M) {
	cmds := map[string]func(){
		"pgrun": func() {
			oneProcessor()
			if os.Getenv("PGRUN_TEST_VARIANT") == "pinned" {
				killer.DisablePidfdGroups()
				guardian.SetPassesOnly(true)
				guardian.SetWatcher(false)
				os.Args = append([]string{os.Args[0], "--contain=subreaper"}, os.Args[1:]...)
			}
			// A script that must kill pgrun before its guardian is armed
			// sets this (a duration), so that it does for certain.
			if d, err := time.ParseDuration(os.Getenv("PGRUN_TEST_GUARDIAN_DELAY")); err == nil {
				guardian.SetDelay(d)
			}
			os.Exit(run(os.Args))
		},
		"escape":    escape,
		"bystander": bystander,
		// pgrun executes itself again as its guardian and as the init of
		// a pid namespace.
		guardian.Name:  helper,
		pidns.InitName: helper,
	}
	for name, f := range platformCmds {
		cmds[name] = f
	}
	if cmds[filepath.Base(os.Args[0])] == nil {
		// The test process, not one of its commands: the scripts start
		// with HUP and INT at their defaults even where go test's caller
		// ignored them (nohup ignores HUP; a shell's background job,
		// INT). pgrun keeps a signal that its caller ignored ignored, as
		// timeout does, and the scripts that send HUP or INT, or check
		// dispositions, assume the usual case. The test process goes on
		// ignoring them in effect (nobody reads the channel), while what
		// it executes starts with the default, as after any handler.
		for _, sig := range []os.Signal{syscall.SIGHUP, syscall.SIGINT} {
			if signal.Ignored(sig) {
				signal.Notify(make(chan os.Signal, 1), sig)
			}
		}
	}
	testscript.Main(m, cmds)
}

// helper is pgrun executed again as one of its helpers.
func helper() {
	os.Exit(helpers[filepath.Base(os.Args[0])](os.Args[1:]))
}

// bystander LOG PIDFILE is a process that pgrun must never touch: it
// appends its pid to PIDFILE, then lives for $LONG, appending to LOG a line
// for every signal it receives (KILL shows as its absence).
func bystander() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: bystander LOG PIDFILE")
		os.Exit(2)
	}
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs)
	appendLine := func(file, line string) {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
		if err == nil {
			fmt.Fprintln(f, line)
			f.Close()
		}
	}
	appendLine(os.Args[2], strconv.Itoa(os.Getpid()))
	long, _ := strconv.ParseFloat(os.Getenv("LONG"), 64)
	end := time.After(time.Duration(long * float64(time.Second)))
	for {
		select {
		case sig := <-sigs:
			if sig != syscall.SIGCHLD && sig != syscall.SIGURG { // the Go runtime's own
				appendLine(os.Args[1], fmt.Sprintf("%d got %v", os.Getpid(), sig))
			}
		case <-end:
			os.Exit(0)
		}
	}
}

// escape setsid|setpgid COMMAND [ARG...] leaves the process group, into a
// new session or a new group of the same session, then executes COMMAND:
// what daemons and some test runners do.
func escape() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: escape setsid|setpgid COMMAND [ARG...]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "setsid":
		_, err = syscall.Setsid()
	case "setpgid":
		err = syscall.Setpgid(0, 0)
	default:
		err = fmt.Errorf("unknown way out %q", os.Args[1])
	}
	if err == nil {
		var path string
		if path, err = exec.LookPath(os.Args[2]); err == nil {
			err = syscall.Exec(path, os.Args[2:], os.Environ())
		}
	}
	fmt.Fprintln(os.Stderr, "escape:", err)
	os.Exit(2)
}

// TestScript runs every script twice: as pgrun runs here by default (the
// process group signalled through the leader's pidfd on Linux 6.9+, and a
// cgroup where pgrun may make one), and as it runs on older kernels without
// cgroups (Debian 12's 6.1 for a user): the leader kept unreaped to pin the
// group's number, escapees found by the subreaper alone. The pinned run's
// guardian also waits itself (no watcher) and sweeps by passes over /proc,
// as on systems that cannot do better, so that those ways stay tested.
func TestScript(t *testing.T) {
	for _, variant := range []string{"auto", "pinned"} {
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			runScripts(t, variant)
		})
	}
}

func runScripts(t *testing.T, variant string) {
	helpers, err := filepath.Abs("../../testdata/helpers")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		// [pinned]: this run keeps the leader unreaped (see TestScript).
		// [root]: the tests run as root. [cgroup2]: a cgroup v2 file
		// system is mounted. [freezer1]: the cgroup v1 freezer is.
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "pinned":
				return variant == "pinned", nil
			case "root":
				return os.Geteuid() == 0, nil
			case "userns":
				return usernsAllowed(), nil
			case "freezer1":
				// The cgroup v1 freezer, where a KILLed process waits,
				// in state D, until it is thawed.
				_, err := os.Stat("/sys/fs/cgroup/freezer/cgroup.procs")
				return err == nil, nil
			case "cgroup2":
				b, err := os.ReadFile("/proc/self/mountinfo")
				return err == nil && bytes.Contains(b, []byte(" - cgroup2 ")), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("HELPERS", helpers)
			env.Setenv("PGRUN_TEST_VARIANT", variant)
			// LONG outlives any test: a process still running after it is
			// a leak. It is bounded so that a leak fails, never hangs.
			env.Setenv("LONG", seconds(scaled(30*time.Second)))
			// SHORT is a deadline that passes at once on any machine.
			env.Setenv("SHORT", seconds(scaled(200*time.Millisecond)))
			// GRACE is a grace period long enough to notice when it is
			// (or is not) waited for.
			env.Setenv("GRACE", seconds(scaled(500*time.Millisecond)))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":    cmdStatus,
			"waitfile":  cmdWaitfile,
			"gone":      cmdGone,
			"waitgone":  cmdWaitgone,
			"alive":     cmdAlive,
			"nogroup":   cmdNogroup,
			"killgroup": cmdKillgroup,
			"signal":    cmdSignal,
			"lines":     cmdLines,
			"noneleft":  cmdNoneleft,
			"usego":     cmdUsego,
		},
	})
}

// usernsAllowed reports whether a user who is not root may create a user
// namespace here: not where a sysctl forbids it (Debian's
// unprivileged_userns_clone, a zero max_user_namespaces, Ubuntu's AppArmor
// restriction).
func usernsAllowed() bool {
	for file, forbidden := range map[string]string{
		"/proc/sys/kernel/unprivileged_userns_clone":             "0",
		"/proc/sys/user/max_user_namespaces":                     "0",
		"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1",
	} {
		if b, err := os.ReadFile(file); err == nil && strings.TrimSpace(string(b)) == forbidden {
			return false
		}
	}
	return true
}

// usego lets the script run the go command with the caller's build cache
// and module cache: the script's HOME is /no-home, where go would find
// neither, and a cache made afresh in $WORK would rebuild the standard
// library, tens of seconds. Nothing else of the caller's go environment
// (GOFLAGS, GOTOOLCHAIN...) is passed on: testscript passes none of it.
// The script checks [exec:go] first.
func cmdUsego(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: usego")
	}
	vars := []string{"GOCACHE", "GOMODCACHE", "GOPATH"}
	out, err := exec.Command("go", append([]string{"env"}, vars...)...).Output()
	ts.Check(err)
	vals := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(vals) != len(vars) {
		ts.Fatalf("go env %s: %q", strings.Join(vars, " "), out)
	}
	for i, v := range vars {
		ts.Setenv(v, vals[i])
	}
}

// readPids reads the pids listed (separated by white space) in files.
func readPids(ts *testscript.TestScript, files []string) []int {
	var pids []int
	for _, f := range files {
		for _, field := range strings.Fields(ts.ReadFile(f)) {
			pid, err := strconv.Atoi(field)
			if err != nil || pid <= 0 {
				ts.Fatalf("%s: bad pid %q", f, field)
			}
			pids = append(pids, pid)
		}
	}
	if len(pids) == 0 {
		ts.Fatalf("no pids in %s", strings.Join(files, " "))
	}
	return pids
}

// procState returns the state letter of pid in /proc, or 0 if it does not
// exist.
func procState(pid int) (state byte, pgid int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	pgid, _ = strconv.Atoi(f[2])
	return f[0][0], pgid
}

// describe says what process pid is, for a failure message.
func describe(pid int) string {
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 5 {
		return strconv.Itoa(pid) + " (gone)"
	}
	return fmt.Sprintf("%d (state %s, ppid %s, pgid %s, sid %s: %s)", pid, f[0], f[1], f[2], f[3],
		bytes.TrimSpace(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
}

// running reports whether pid is a live (not zombie) process started by
// this script. Pids are recycled, by other tests too, so a process counts as
// the script's only if it inherited the script's $WORK.
func running(ts *testscript.TestScript, pid int) bool {
	st, _ := procState(pid)
	task := pid // whose environment to read: the main thread's, while it runs
	if st == 'Z' {
		task = liveThread(pid)
	}
	if st == 0 || st == 'X' || task == 0 {
		return false
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/environ", pid, task))
	if err != nil {
		return false // gone meanwhile
	}
	want := []byte("WORK=" + ts.Getenv("WORK"))
	for _, kv := range bytes.Split(env, []byte{0}) {
		if bytes.Equal(kv, want) {
			return true
		}
	}
	return false
}

// liveThread returns a thread of pid, other than its main thread, that is
// alive, or 0: a process whose main thread ended (pthread_exit) shows as a
// zombie, and is not one.
func liveThread(pid int) int {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil || tid == pid {
			continue
		}
		if st, _ := procState(tid); st != 0 && st != 'Z' && st != 'X' {
			return tid
		}
	}
	return 0
}

// gone PIDFILE... checks, at once, that no process listed is running (a
// zombie counts as gone). pgrun promises this when it returns, so there is
// no waiting.
func cmdGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: gone PIDFILE...")
	}
	pids := readPids(ts, args)
	var alive []string
	for _, pid := range pids {
		if running(ts, pid) {
			alive = append(alive, describe(pid))
		}
	}
	if len(alive) > 0 {
		ts.Fatalf("%d of %d processes still running: %s", len(alive), len(pids), strings.Join(alive, " "))
	}
	ts.Logf("all %d processes gone", len(pids))
}

// waitgone PIDFILE... waits until no process listed is running: for what
// ends asynchronously, where gone would race. It gives up after a third of
// $LONG, so a process that merely lived out its life does not pass.
func cmdWaitgone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: waitgone PIDFILE...")
	}
	deadline := time.Now().Add(scaled(10 * time.Second))
	for _, pid := range readPids(ts, args) {
		for running(ts, pid) {
			if time.Now().After(deadline) {
				ts.Fatalf("process %s is still running", describe(pid))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// noneleft waits until no process started by this script is running, by
// its $WORK (see running): what its processes say of their pids is no help
// where they run in a pid namespace of their own. It gives up, naming
// them, after a third of $LONG. Run it when the script runs nothing in
// the background.
func cmdNoneleft(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: noneleft")
	}
	deadline := time.Now().Add(scaled(10 * time.Second))
	for {
		var left []string
		names, err := os.ReadDir("/proc")
		ts.Check(err)
		for _, n := range names {
			if pid, err := strconv.Atoi(n.Name()); err == nil && running(ts, pid) {
				left = append(left, describe(pid))
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%d processes of this script still running: %s", len(left), strings.Join(left, "; "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive PIDFILE... checks that every process listed is running.
func cmdAlive(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: alive PIDFILE...")
	}
	for _, pid := range readPids(ts, args) {
		if !running(ts, pid) {
			ts.Fatalf("process %d is not running", pid)
		}
	}
}

// nogroup PIDFILE checks that no process of this script is running in the
// process group whose id is the (first) pid in PIDFILE: the command's
// group, when the command wrote its own pid ($$).
func cmdNogroup(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: nogroup PIDFILE")
	}
	pgid := readPids(ts, args)[0]
	if pids := groupMembers(ts, pgid); len(pids) > 0 {
		ts.Fatalf("process %s of group %d is still running", describe(pids[0]), pgid)
	}
}

// groupMembers lists the running processes of this script in group pgid.
func groupMembers(ts *testscript.TestScript, pgid int) []int {
	names, err := os.ReadDir("/proc")
	ts.Check(err)
	var pids []int
	for _, n := range names {
		pid, err := strconv.Atoi(n.Name())
		if err != nil {
			continue
		}
		if _, g := procState(pid); g == pgid && running(ts, pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killgroup PIDFILE SIGKILLs every process of this script in the process
// group whose id is in PIDFILE: the clean-up of a test that leaves
// processes running on purpose.
func cmdKillgroup(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: killgroup PIDFILE")
	}
	for _, pid := range groupMembers(ts, readPids(ts, args)[0]) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// signal SIGNAL sends SIGNAL to the background command started last.
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: signal SIGNAL")
	}
	sig, err := parseSignal(args[0])
	ts.Check(err)
	bg := ts.BackgroundCmds()
	if len(bg) == 0 {
		ts.Fatalf("no background command")
	}
	ts.Check(bg[len(bg)-1].Process.Signal(sig))
}

// lines N PATTERN checks that exactly N lines of stderr contain PATTERN.
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: lines N SUBSTRING")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	for _, l := range strings.Split(ts.ReadFile("stderr"), "\n") {
		if strings.Contains(l, args[1]) {
			got++
		}
	}
	if got != want {
		ts.Fatalf("%d lines of stderr contain %q, want %d", got, args[1], want)
	}
}
