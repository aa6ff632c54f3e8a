package killer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// ForkExec tells an execve that fails, which is the command's doing, from
// a clone that fails, which may be its cgroup's: only the clone's error is
// a *CloneError. It depends on what syscall.ForkExec does with the pidfd
// it is asked for (see forkExec): this holds Go to it.
func TestForkExecTellsCloneFromExec(t *testing.T) {
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
		_, err := ForkExec(tt.path, []string{tt.path}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}, Sys: sys})
		var clone *CloneError
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
	pid, err := ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{Sys: &syscall.SysProcAttr{PidFD: &pidfd}})
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

// A command that cannot be executed is tried once, in whatever mode: its
// own error never makes Start fall back from the cgroup and execute it
// again (it did: --contain cgroup failed with 125, auto executed the
// command a second time under the subreaper). Start returns the error as
// spawn gave it, and leaves no cgroup behind.
func TestStartExecutesOnce(t *testing.T) {
	for _, mode := range []string{Auto, Cgroup, Subreaper, Group} {
		for _, errno := range []syscall.Errno{syscall.EACCES, syscall.ETXTBSY, syscall.ENOENT, syscall.ENOEXEC} {
			calls := 0
			_, _, err := Start(Spec{Mode: mode}, func(l Launch) (int, int, error) {
				calls++
				return 0, -1, fmt.Errorf("executing the command: %w", errno)
			})
			if mode == Cgroup && calls == 0 {
				t.Logf("--contain cgroup: %v", err)
				break // no cgroups here
			}
			if calls != 1 || !errors.Is(err, errno) {
				t.Errorf("%s, the command's execve failing with %v: spawned %d times, error %v", mode, errno, calls, err)
			}
		}
	}
	noCgroupsLeft(t)
}

// When the clone into the cgroup fails, auto starts the command again
// under the subreaper (nothing of it was tried), and --contain cgroup
// fails, with no second start.
func TestStartCloneErrorFallsBack(t *testing.T) {
	clone := &CloneError{Err: syscall.EBUSY}
	var inCgroup []bool
	spawn := func(l Launch) (int, int, error) {
		inCgroup = append(inCgroup, l.Attr.UseCgroupFD)
		if l.Attr.UseCgroupFD {
			return 0, -1, clone
		}
		return 0, -1, syscall.EACCES // and then the command's own error
	}
	_, _, err := Start(Spec{Mode: Cgroup}, spawn)
	if len(inCgroup) == 0 {
		t.Skip("no cgroups here:", err)
	}
	if len(inCgroup) != 1 || err == nil || errors.Is(err, syscall.EACCES) {
		t.Errorf("--contain cgroup: spawned %d times (in the cgroup: %v), error %v; want once, and a containment error", len(inCgroup), inCgroup, err)
	}
	inCgroup = nil
	_, _, err = Start(Spec{Mode: Auto}, spawn)
	if len(inCgroup) != 2 || !inCgroup[0] || inCgroup[1] || !errors.Is(err, syscall.EACCES) {
		t.Errorf("auto: spawned %d times (in the cgroup: %v), error %v; want in the cgroup, then out of it, and its error", len(inCgroup), inCgroup, err)
	}
	noCgroupsLeft(t)
}

// noCgroupsLeft fails the test if a cgroup of this process is left where
// Start makes them.
func noCgroupsLeft(t *testing.T) {
	t.Helper()
	parent, err := ownCgroupDir()
	if err != nil {
		return
	}
	left, _ := filepath.Glob(filepath.Join(parent, fmt.Sprintf("%s%d-*", cgroupPrefix, os.Getpid())))
	if len(left) > 0 {
		t.Errorf("cgroups left: %v", left)
	}
}
