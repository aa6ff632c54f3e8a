//go:build linux

// Command bench measures pgrun against its peers, side by side in one run:
// GNU timeout, busybox timeout (where installed) and, where it makes
// sense, the bare command. It builds pgrun as a release would, runs every
// case interleaved across the peers, and prints a markdown table of
// medians with the pgrun/GNU ratio.
//
//	go run ./internal/bench [-quick] [-runs 200] [-pgrun path]
//
// -quick runs every case fewer times and leaves out the run with 20 000
// unrelated processes: a few minutes instead of about fifteen.
//
// It is not part of `go test ./...` and not shipped; CI only compiles it.
// Run it on a quiet machine: it measures wall time.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// peer is one way of running a command under a time limit.
type peer struct {
	name string
	argv func(limit, grace string, cmd ...string) []string // nil grace: none
}

func main() {
	runs := flag.Int("runs", 200, "runs of the start-up case per peer")
	quick := flag.Bool("quick", false, "fewer runs, and no run with 20 000 unrelated processes")
	pgrunPath := flag.String("pgrun", "", "the pgrun binary to measure (default: build ./cmd/pgrun)")
	flag.Parse()
	others := []int{3000, 20000}
	if *quick {
		others = others[:1]
		if !flagSet("runs") {
			*runs = 40
		}
	}
	if err := run(*runs, others, *pgrunPath); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// flagSet reports whether the flag name was given.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// run measures every case; others are the numbers of unrelated processes
// to measure the tree's discovery against.
func run(runs int, others []int, pgrunPath string) error {
	tmp, err := os.MkdirTemp("", "pgrun-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if pgrunPath == "" {
		pgrunPath = filepath.Join(tmp, "pgrun")
		build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", pgrunPath, "./cmd/pgrun")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building pgrun: %w", err)
		}
	}
	peers := []peer{{"pgrun", func(limit, grace string, cmd ...string) []string {
		return append([]string{pgrunPath, "-k", grace, limit}, cmd...)
	}}}
	if p, err := exec.LookPath("timeout"); err == nil {
		peers = append(peers, peer{"GNU timeout", func(limit, grace string, cmd ...string) []string {
			args := []string{p}
			if grace != "0" {
				args = append(args, "-k", grace)
			}
			return append(append(args, limit), cmd...)
		}})
	}
	if p, err := exec.LookPath("busybox"); err == nil {
		peers = append(peers, peer{"busybox timeout", func(limit, grace string, cmd ...string) []string {
			args := []string{p, "timeout"}
			if grace != "0" {
				args = append(args, "-k", grace)
			}
			return append(append(args, limit), cmd...)
		}})
	}
	bare := peer{"bare command", func(_, _ string, cmd ...string) []string { return cmd }}
	// pgrun without its guardian: what the guardian costs, side by side.
	noGuardian := peer{"pgrun, no guardian", func(limit, grace string, cmd ...string) []string {
		return append([]string{pgrunPath, "--guardian", "off", "-k", grace, limit}, cmd...)
	}}
	// pgrun in a pid namespace of its own: what the namespace, the init
	// and its /proc mount cost a short command.
	pidns := peer{"pgrun, pidns", func(limit, grace string, cmd ...string) []string {
		return append([]string{pgrunPath, "--contain", "pidns", "-k", grace, limit}, cmd...)
	}}
	trueCmd, _ := exec.LookPath("true")
	sleepCmd, _ := exec.LookPath("sleep")

	var t table
	// 1. Start-up + exec + wait + exit of `X 10 true`, interleaved.
	t.row("wall of `X 10 true` (median)", measureEach(append(peers, noGuardian, pidns, bare), runs, func(p peer) (time.Duration, error) {
		return wall(p.argv("10", "0", trueCmd))
	}))
	// 1b. A command long enough for pgrun's guardian to be armed (5 ms
	// after the start) and dismissed.
	t.row("wall of `X 10 sleep 0.02` (the guardian armed)", measureEach(append(peers, noGuardian, bare), runs/4, func(p peer) (time.Duration, error) {
		return wall(p.argv("10", "0", sleepCmd, "0.02"))
	}))
	// 1c. pgrun SIGKILLed: from the command's start until the guardian is
	// armed (forked: it holds the lifeline from then on). Before that, a
	// SIGKILLed pgrun leaks what the command started; GNU timeout always
	// does.
	t.row("SIGKILLed: leak window, command start → guardian armed", measureEach(peers[:1], 50, func(p peer) (time.Duration, error) {
		return leakWindow(p.argv("10", "0", sleepCmd, "1"))
	}))
	// 1d. With many unrelated processes running, what finding the tree
	// costs: it must cost what the tree holds, not what the machine runs.
	for _, n := range others {
		withBystanders(n, func() {
			unrelatedRows(&t, n, runs, tmp, pgrunPath, peers, sleepCmd)
		})
	}
	// 2. How long after a 200 ms deadline each returns.
	t.row("return after a 200 ms deadline, `X 0.2 sleep 5`", measureEach(peers, 20, func(p peer) (time.Duration, error) {
		d, err := wall(p.argv("0.2", "0", sleepCmd, "5"))
		return d - 200*time.Millisecond, err
	}))
	// 3. Teardown: from the deadline until nothing of the tree is left.
	for _, tc := range []struct {
		what  string
		n     int
		trap  string
		grace string
	}{
		{"1000 TERM-obeying processes", 1000, "", "0"},
		{"300 TERM-ignoring processes, grace 0.5 s", 300, "trap '' TERM;", "0.5"},
	} {
		tc := tc
		t.row("tree gone after the deadline: "+tc.what, measureEach(peers, 5, func(p peer) (time.Duration, error) {
			return teardown(tmp, p, tc.n, tc.trap, tc.grace)
		}))
	}
	// 4. The wrapper's own CPU while a command sleeps: its rusage, which
	// counts what it waited for (the command; pgrun's guardian), less the
	// bare command's, median against median.
	cpu := measureEach(append(peers, bare), 20, func(p peer) (time.Duration, error) {
		ru, err := usage(p.argv("10", "0", sleepCmd, "0.3"))
		if err != nil {
			return 0, err
		}
		return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)), nil
	})
	if b := cpu[bare.name]; b.ok {
		for name, r := range cpu {
			if r.ok && name != bare.name {
				r.median -= b.median
				cpu[name] = r
			}
		}
	}
	t.row("own CPU (user+sys, less the bare command's) while `X 10 sleep 0.3` runs", cpu)
	// 5. Instructions, which hold on a busy machine where times do not.
	if counter, err := instructionCounter(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: no instruction counts:", err)
	} else {
		t.countRow(fmt.Sprintf("instructions of `X 10 true` (%s)", counter.name), peers, func(p peer) (int64, error) {
			return counter.count(p.argv("10", "0", trueCmd))
		}, fmtCount)
		t.countRow(fmt.Sprintf("instructions of `X 0.2 sleep 5` (%s)", counter.name), peers, func(p peer) (int64, error) {
			return counter.count(p.argv("0.2", "0", sleepCmd, "5"))
		}, fmtCount)
	}
	// 6. Peak RSS.
	t.rssRow("peak RSS (KiB) while `X 10 sleep 1` runs", peers, func(p peer) (int64, error) {
		return peakRSS(p.argv("10", "0", sleepCmd, "1"))
	})
	t.print(os.Stdout, append(peers, noGuardian, pidns), bare)
	return nil
}

// unrelatedRows are the rows measured while n unrelated processes run,
// in each containment mode: a timeout of a small tree, a command that
// leaves one background child (GNU timeout leaves it and returns), and,
// for 3000, a SIGKILLed pgrun's ten escapees: the subreaper's guardian
// finds them by passes over /proc, a cgroup's by cgroup.kill, and a pid
// namespace ends with its init (GNU timeout leaves them: counted as 10 s).
func unrelatedRows(t *table, n, runs int, tmp, pgrunPath string, peers []peer, sleepCmd string) {
	var gnu []peer
	for _, p := range peers {
		if p.name == "GNU timeout" {
			gnu = append(gnu, p)
		}
	}
	for _, mode := range []string{"subreaper", "cgroup", "pidns"} {
		mode := mode
		contained := []peer{{"pgrun", func(limit, grace string, cmd ...string) []string {
			return append([]string{pgrunPath, "--contain", mode, "-k", grace, limit}, cmd...)
		}}}
		contained = append(contained, gnu...)
		what := fmt.Sprintf("%d other processes (%s): ", n, mode)
		if mode != "pidns" {
			t.row(what+"return after a 200 ms deadline, `X 0.2 sleep 5`", measureEach(contained, max(runs/10, 5), func(p peer) (time.Duration, error) {
				d, err := wall(p.argv("0.2", "0", sleepCmd, "5"))
				return d - 200*time.Millisecond, err
			}))
			t.row(what+"`X 10 sh -c 'sleep 0.01 &'`", measureEach(contained, max(runs/4, 10), func(p peer) (time.Duration, error) {
				return wall(p.argv("10", "0", "sh", "-c", "sleep 0.01 &"))
			}))
		}
		if n == 3000 {
			t.row(what+"SIGKILLed, 10 escapees gone", measureEach(contained, 10, func(p peer) (time.Duration, error) {
				return killedTeardown(tmp, p, 10, mode)
			}))
		}
	}
}

// measureEach runs f for every peer, round robin, n times, and returns the
// median per peer (or the error that stopped a peer).
func measureEach(peers []peer, n int, f func(peer) (time.Duration, error)) map[string]result {
	samples := map[string][]time.Duration{}
	errs := map[string]error{}
	for i := 0; i < n; i++ {
		for _, p := range peers {
			if errs[p.name] != nil {
				continue
			}
			d, err := f(p)
			if err != nil {
				errs[p.name] = err
				continue
			}
			samples[p.name] = append(samples[p.name], d)
		}
	}
	out := map[string]result{}
	for _, p := range peers {
		if errs[p.name] != nil {
			out[p.name] = result{err: errs[p.name]}
			continue
		}
		s := samples[p.name]
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		out[p.name] = result{median: s[len(s)/2], ok: true}
	}
	return out
}

type result struct {
	median time.Duration
	ok     bool
	err    error
}

// wall runs argv and returns how long it took; the command's own exit
// status is not an error (timeouts exit 124).
func wall(argv []string) (time.Duration, error) {
	start := time.Now()
	err := exec.Command(argv[0], argv[1:]...).Run()
	d := time.Since(start)
	if _, ok := err.(*exec.ExitError); ok {
		err = nil
	}
	return d, err
}

// usage runs argv and returns its resource usage as wait4 reports it.
func usage(argv []string) (*syscall.Rusage, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); ok {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return cmd.ProcessState.SysUsage().(*syscall.Rusage), nil
}

// peakRSS starts argv and reads its high-water RSS (VmHWM) once it has
// settled. ru_maxrss from wait4 will not do: the child of a Go program
// shares its parent's memory until it executes, and counts it.
func peakRSS(argv []string) (int64, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer cmd.Wait()
	time.Sleep(300 * time.Millisecond)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM for %s", argv[0])
}

// teardown runs a command that starts n sleepers (with trap, e.g. ignoring
// TERM), writes their pids and then waits, under a deadline of one second
// after the tree is complete, and returns the time from the deadline until
// the peer has returned and every sleeper is gone (some peers return
// before their leftovers die, or never kill them: then it stops at 10 s).
func teardown(tmp string, p peer, n int, trap, grace string) (time.Duration, error) {
	pids := filepath.Join(tmp, "pids")
	os.Remove(pids)
	script := fmt.Sprintf(`%s i=0; while [ $i -lt %d ]; do sleep 60 & echo $! >> %s; i=$((i+1)); done; wait`, trap, n, pids)
	limit := 2 * time.Second
	start := time.Now()
	argv := p.argv(seconds(limit), grace, "sh", "-c", script)
	if err := exec.Command(argv[0], argv[1:]...).Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			return 0, err
		}
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		return 0, err
	}
	if got := len(strings.Fields(string(b))); got < n {
		return 0, fmt.Errorf("only %d of %d processes started before the deadline", got, n)
	}
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		for running(pid) {
			if time.Since(start) > limit+10*time.Second {
				cleanup(b)
				return 10 * time.Second, nil
			}
			time.Sleep(time.Millisecond)
		}
	}
	return time.Since(start) - limit, nil
}

func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z'
}

func cleanup(pids []byte) {
	for _, f := range strings.Fields(string(pids)) {
		if pid, err := strconv.Atoi(f); err == nil && running(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// leakWindow starts argv (a pgrun) and returns the time from its command's
// appearance among its children until a second child, the guardian,
// appears: polled every 50 µs, which the figure may overstate by as much.
func leakWindow(argv []string) (time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	var first time.Time
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n := len(childrenOf(cmd.Process.Pid))
		if n >= 1 && first.IsZero() {
			first = time.Now()
		}
		if n >= 2 {
			return time.Since(first), nil
		}
		time.Sleep(50 * time.Microsecond)
	}
	return 0, fmt.Errorf("no guardian within 5 s")
}

// childrenOf lists pid's children, from every thread's children file.
func childrenOf(pid int) []string {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		out = append(out, strings.Fields(string(b))...)
	}
	return out
}

// descendantsOf lists pid's descendants.
func descendantsOf(pid int) []string {
	var out []string
	for _, c := range childrenOf(pid) {
		out = append(out, c)
		n, _ := strconv.Atoi(c)
		out = append(out, descendantsOf(n)...)
	}
	return out
}

// withBystanders runs f while n unrelated sleepers run, then kills them.
// One shell forks them all, in a process group of its own: a handle per
// process would hold a pidfd each, more than the descriptor limit allows
// for 20 000.
func withBystanders(n int, f func()) {
	script := fmt.Sprintf(`i=0; while [ $i -lt %d ]; do sleep 600 & i=$((i+1)); done; echo started; wait`, n)
	sh := exec.Command("sh", "-c", script)
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := sh.StdoutPipe()
	if err == nil {
		err = sh.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: starting the unrelated processes:", err)
		return
	}
	defer func() {
		syscall.Kill(-sh.Process.Pid, syscall.SIGKILL)
		sh.Wait()
	}()
	var b [8]byte
	out.Read(b[:]) // "started": all of them are forked
	f()
}

// killedTeardown starts p over a command that starts n escapees (each in
// a session of its own) and records their pids, SIGKILLs p once all are
// recorded, and returns the time from the kill until every escapee is
// gone (10 s for a peer that leaves them). In mode pidns the escapees
// record the namespace's pids: they are found as descendants of pgrun's
// init instead, and there is no guardian to wait for.
func killedTeardown(tmp string, p peer, n int, mode string) (time.Duration, error) {
	pids := filepath.Join(tmp, "escapees")
	os.Remove(pids)
	script := fmt.Sprintf(`i=0; while [ $i -lt %d ]; do setsid sleep 60 & echo $! >> %s; i=$((i+1)); done; wait`, n, pids)
	argv := p.argv("60", "0", "sh", "-c", script)
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	var b []byte
	for len(strings.Fields(string(b))) < n {
		time.Sleep(time.Millisecond)
		b, _ = os.ReadFile(pids)
	}
	if strings.HasPrefix(p.name, "pgrun") && mode == "pidns" {
		b = []byte(strings.Join(descendantsOf(cmd.Process.Pid), " "))
	} else if strings.HasPrefix(p.name, "pgrun") {
		// Until the guardian is armed: its second child.
		for deadline := time.Now().Add(5 * time.Second); len(childrenOf(cmd.Process.Pid)) < 2; {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				cleanup(b)
				return 0, fmt.Errorf("no guardian within 5 s")
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	start := time.Now()
	cmd.Process.Kill()
	cmd.Wait()
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		for running(pid) {
			if time.Since(start) > 10*time.Second {
				cleanup(b)
				return 10 * time.Second, nil
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	return time.Since(start), nil
}
