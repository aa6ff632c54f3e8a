package killer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/cgroupfs"
)

// forkExecvp tells an execve that fails, which is the command's doing,
// from a clone that fails, which may be its cgroup's: only the clone's
// error is a *cloneError. It depends on what syscall.ForkExec does with the pidfd
// it is asked for (see forkExec): this holds Go to it.
func TestForkExecvpTellsCloneFromExec(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	notexec := write("notexec", "echo never\n", 0o644)
	nointerp := write("nointerp", "#!/nonexistent/interpreter\necho never\n", 0o755)
	// A directory that is no cgroup: clone3 refuses to clone into it.
	plain, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(plain)

	for _, tt := range []struct {
		what  string
		path  string
		cgfd  int
		err   error // nil: any
		clone bool
	}{
		{"not executable", notexec, -1, syscall.EACCES, false},
		{"no interpreter", nointerp, -1, syscall.ENOENT, false},
		{"no such file", filepath.Join(dir, "missing"), -1, syscall.ENOENT, false},
		{"a directory", dir, -1, syscall.EACCES, false},
		{"not executable, in a cgroup", notexec, plain, nil, true}, // the clone fails first
		{"clone3 into no cgroup", "/bin/true", plain, nil, true},
	} {
		pidfd := 0
		sys := &syscall.SysProcAttr{PidFD: &pidfd}
		if tt.cgfd >= 0 {
			sys.UseCgroupFD, sys.CgroupFD = true, tt.cgfd
		}
		_, err := forkExecvp(tt.path, []string{tt.path}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}, Sys: sys})
		var clone *cloneError
		switch {
		case err == nil:
			t.Errorf("%s: started", tt.what)
		case tt.err != nil && !errors.Is(err, tt.err):
			t.Errorf("%s: %v, want %v", tt.what, err, tt.err)
		case errors.As(err, &clone) != tt.clone:
			t.Errorf("%s: %v (%T): a clone's error: %v, want %v", tt.what, err, err, !tt.clone, tt.clone)
		case pidfd != -1:
			t.Errorf("%s: *PidFD = %d after a failure, want -1", tt.what, pidfd)
		}
	}

	// A start hands out the child's pidfd.
	pidfd := 0
	pid, err := forkExecvp("/bin/true", []string{"true"}, &syscall.ProcAttr{Sys: &syscall.SysProcAttr{PidFD: &pidfd}})
	if err != nil {
		t.Fatal(err)
	}
	if pidfd < 0 {
		t.Errorf("*PidFD = %d after a start", pidfd)
	} else {
		unix.Close(pidfd)
	}
	reap(pid)
}

// forkCommand says whose failure it was: a command that cannot be
// executed is an *ExecError (126, 127), a process that could not be made
// at all (here: cloned into a directory that is no cgroup) a *cloneError,
// which is pgrun's or its containment's (125), never the command's.
func TestForkCommandTellsCloneFromExec(t *testing.T) {
	dir := t.TempDir()
	notexec := filepath.Join(dir, "notexec")
	if err := os.WriteFile(notexec, []byte("echo never\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(plain)

	_, _, err = forkCommand(notexec, Command{Args: []string{"notexec"}}, &syscall.SysProcAttr{}, nil, "", false)
	var execErr *ExecError
	if !errors.As(err, &execErr) || !errors.Is(err, syscall.EACCES) || execErr.Name != "notexec" {
		t.Errorf("a file that is not executable: %v (%T), want an *ExecError for EACCES", err, err)
	}

	_, _, err = forkCommand("/bin/true", Command{Args: []string{"true"}}, &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: plain}, nil, "", false)
	var clone *cloneError
	if !errors.As(err, &clone) || errors.As(err, &execErr) {
		t.Errorf("a clone into no cgroup: %v (%T), want a *cloneError", err, err)
	}
}

// startWith prepares mode and starts a command in it, with fork standing
// in for the real one: it is given the attributes the containment made.
func startWith(mode Mode, fork func(attr *syscall.SysProcAttr) (int, int, error)) error {
	defer func(real func(string, Command, *syscall.SysProcAttr, *via, string, bool) (int, int, error)) {
		launch = real
	}(launch)
	launch = func(_ string, _ Command, attr *syscall.SysProcAttr, _ *via, _ string, _ bool) (int, int, error) {
		return fork(attr)
	}
	c, err := Prepare(Spec{Mode: mode})
	if err != nil {
		return err
	}
	defer c.Discard()
	_, _, err = c.Start(Command{Args: []string{"/bin/true"}})
	return err
}

// A command that cannot be executed is tried once, in whatever mode: its
// own error never makes Start fall back from the cgroup and execute it
// again (it did: --contain cgroup failed with 125, auto executed the
// command a second time under the subreaper). Start returns the error as
// the fork gave it, and leaves no cgroup behind.
func TestStartExecutesOnce(t *testing.T) {
	for _, mode := range []Mode{Auto, Cgroup, Subreaper, Group} {
		for _, errno := range []syscall.Errno{syscall.EACCES, syscall.ETXTBSY, syscall.ENOENT, syscall.ENOEXEC} {
			calls := 0
			err := startWith(mode, func(*syscall.SysProcAttr) (int, int, error) {
				calls++
				return 0, -1, &ExecError{Name: "true", Err: errno}
			})
			if mode == Cgroup && calls == 0 {
				t.Logf("--contain cgroup: %v", err)
				break // no cgroups here
			}
			if calls != 1 || !errors.Is(err, errno) {
				t.Errorf("%s, the command's execve failing with %v: forked %d times, error %v", mode, errno, calls, err)
			}
		}
	}
	noCgroupsLeft(t)
}

// A command that is not found is never forked, and nothing is left.
func TestStartLooksUpFirst(t *testing.T) {
	c, err := Prepare(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Start(Command{Args: []string{"pgrun-test-no-such-command"}})
	var execErr *ExecError
	if !errors.As(err, &execErr) || !errors.Is(err, syscall.ENOENT) || execErr.Name != "pgrun-test-no-such-command" {
		t.Errorf("a missing command: %v (%T), want an *ExecError for ENOENT", err, err)
	}
	c.Discard() // after Start, and twice: nothing happens
	c.Discard()
	noCgroupsLeft(t)
}

// When the clone into the cgroup fails, auto starts the command again
// under the subreaper (nothing of it was tried), and --contain cgroup
// fails, with no second start.
func TestStartCloneErrorFallsBack(t *testing.T) {
	clone := &cloneError{Err: syscall.EBUSY}
	var inCgroup []bool
	fork := func(attr *syscall.SysProcAttr) (int, int, error) {
		inCgroup = append(inCgroup, attr.UseCgroupFD)
		if attr.UseCgroupFD {
			return 0, -1, clone
		}
		return 0, -1, &ExecError{Name: "true", Err: syscall.EACCES} // and then the command's own error
	}
	err := startWith(Cgroup, fork)
	if len(inCgroup) == 0 {
		t.Skip("no cgroups here:", err)
	}
	if len(inCgroup) != 1 || err == nil || errors.Is(err, syscall.EACCES) {
		t.Errorf("--contain cgroup: forked %d times (in the cgroup: %v), error %v; want once, and a containment error", len(inCgroup), inCgroup, err)
	}
	inCgroup = nil
	err = startWith(Auto, fork)
	if len(inCgroup) != 2 || !inCgroup[0] || inCgroup[1] || !errors.Is(err, syscall.EACCES) {
		t.Errorf("auto: forked %d times (in the cgroup: %v), error %v; want in the cgroup, then out of it, and its error", len(inCgroup), inCgroup, err)
	}
	noCgroupsLeft(t)
}

// noCgroupsLeft fails the test if a cgroup of this process is left where
// Start makes them.
func noCgroupsLeft(t *testing.T) {
	t.Helper()
	parent, err := cgroupfs.OwnDir()
	if err != nil {
		return
	}
	left, _ := filepath.Glob(filepath.Join(parent, fmt.Sprintf("%s%d-*", cgroupfs.Prefix, os.Getpid())))
	if len(left) > 0 {
		t.Errorf("cgroups left: %v", left)
	}
}
