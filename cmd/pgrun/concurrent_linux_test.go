package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer"
)

// TestConcurrentStarts is the README's xargs -P recipe pushed hard: 16
// pgruns at once, each running short commands one after the other, in
// every containment mode. No run may fail; every run must report the
// mode asked for, and under auto the mode a lone pgrun picks here (a race
// between pgruns is no reason to pick another); and no cgroup and no
// process of any run may be left. The pgruns run in a cgroup of the
// test's own where it can make one, so that what they leave is theirs.
//
// Each pgrun runs 20 commands by default; PGRUN_STRESS_RUNS sets another
// number (the measure: PGRUN_STRESS_RUNS=500 go test ./cmd/pgrun
// -run TestConcurrentStarts -v, which logs the time of each mode).
func TestConcurrentStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const par = 16
	runs := 20
	if s := os.Getenv("PGRUN_STRESS_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PGRUN_STRESS_RUNS=%q: want a number of runs", s)
		}
		runs = n
	}
	pgrun, err := exec.LookPath("pgrun") // set up by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	parent, cgfd := stressCgroup(t)
	// start runs one pgrun -vv in the test's cgroup (if any) and returns
	// its standard error and error.
	start := func(mode string, args ...string) (string, error) {
		cmd := exec.Command(pgrun, append([]string{"-vv", "--contain", mode, "10"}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if cgfd >= 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cgfd}
		}
		err := cmd.Run()
		return stderr.String(), err
	}
	commands := [][]string{
		{"true"},
		{"sh", "-c", "sleep 0.01 &"}, // leaves a process for pgrun to end
	}
	for _, m := range killer.Modes() {
		mode := m.String()
		t.Run(mode, func(t *testing.T) {
			// What a lone pgrun reports: the mode, and its reason
			// unless it is the cgroup's directory.
			stderr, err := start(mode, "true")
			want, ok := containment(stderr)
			switch {
			case err != nil && m != killer.Auto:
				t.Skipf("--contain %s is not available here: %v: %s", mode, err, stderr)
			case err != nil || !ok:
				t.Fatalf("a lone pgrun: %v: %s", err, stderr)
			}
			var mu sync.Mutex
			var fails []string
			modes := map[string]int{}
			begin := time.Now()
			var wg sync.WaitGroup
			for w := range par {
				wg.Go(func() {
					for i := range runs {
						stderr, err := start(mode, commands[(w+i)%len(commands)]...)
						got, ok := containment(stderr)
						mu.Lock()
						modes[got]++
						if err != nil || !ok || got != want {
							fails = append(fails, fmt.Sprintf("%v: %s", err, strings.TrimSpace(stderr)))
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			t.Logf("%d x %d runs in %v; containments: %v", par, runs, time.Since(begin).Round(time.Millisecond), modes)
			if len(fails) > 0 {
				t.Errorf("%d of %d runs failed or were not contained as %q; the first: %s", len(fails), par*runs, want, fails[0])
			}
			if parent != "" {
				if left := leftCgroups(parent); len(left) > 0 {
					t.Errorf("cgroups left: %v", left)
				}
				if populated(parent) {
					t.Error("processes left in the test's cgroup")
				}
			}
		})
	}
}

// containmentLine is what -vv prints of the containment, reason and all.
var containmentLine = regexp.MustCompile(`(?m)^pgrun: containment: (\w+) \((.*)\)$`)

// containment returns the containment a pgrun -vv reported on stderr: its
// mode, and its reason unless the mode is cgroup (then the reason is the
// cgroup's directory, new for each run).
func containment(stderr string) (string, bool) {
	m := containmentLine.FindStringSubmatch(stderr)
	switch {
	case m == nil:
		return "", false
	case m[1] == killer.Cgroup.String():
		return m[1], true
	}
	return m[1] + " (" + m[2] + ")", true
}

// stressCgroup makes a cgroup below the test's own for the pgruns of
// TestConcurrentStarts, and returns it and a descriptor of it; "" and -1
// where cgroups cannot be made. Its name does not start with pgrun-: no
// other pgrun's sweep goes into it. At the end it is removed, with the
// empty cgroups left in it.
func stressCgroup(t *testing.T) (string, int) {
	if os.Geteuid() != 0 {
		return "", -1
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	own, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "0::")
	if err != nil || !ok || strings.Contains(own, "\n") {
		return "", -1 // not (only) in a cgroup v2 hierarchy
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", -1
	}
	var mnt string
	for _, line := range strings.Split(string(mi), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.Contains(line, " - cgroup2 ") && f[3] == "/" {
			mnt = f[4]
			break
		}
	}
	if mnt == "" {
		return "", -1
	}
	dir := filepath.Join(mnt, own, fmt.Sprintf("stress-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Logf("no cgroup of the test's own: %v", err)
		return "", -1
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(dir)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(fd)
		for _, d := range leftCgroups(dir) {
			os.Remove(d)
		}
		if err := os.Remove(dir); err != nil {
			t.Errorf("removing the test's cgroup: %v", err)
		}
	})
	return dir, fd
}

// leftCgroups lists the cgroups named pgrun-... in dir.
func leftCgroups(dir string) []string {
	left, _ := filepath.Glob(filepath.Join(dir, "pgrun-*"))
	return left
}

// populated reports whether a process is left in the cgroup dir or below.
func populated(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	return err == nil && bytes.Contains(b, []byte("populated 1"))
}
