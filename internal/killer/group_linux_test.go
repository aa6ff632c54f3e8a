package killer

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/proc"
)

func TestMain(m *testing.M) {
	if err := AdoptOrphans(); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// startGroup forks sh -c script as the leader of a new session, the way
// pgrun does, and returns its pid and pidfd.
func startGroup(t *testing.T, script string) (pid, pidfd int) {
	t.Helper()
	pidfd = -1
	attr := &syscall.ProcAttr{
		Dir:   t.TempDir(),
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setsid: true, PidFD: &pidfd},
	}
	pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", script}, attr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-pid, syscall.SIGKILL) })
	return pid, pidfd
}

// until polls cond, as a test may, for at most ten seconds.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// readPid reads the pid a script wrote to dir/name.
func readPid(t *testing.T, dir, name string) int {
	t.Helper()
	var pid int
	until(t, name+" is written", func() bool {
		b, err := os.ReadFile(dir + "/" + name)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return pid
}

// Both ways of keeping a group signal exact: through the leader's pidfd,
// and (older kernels) by keeping the leader unreaped until the group is gone.
var groupKinds = []struct {
	name string
	new  func(pid, pidfd int) *group
}{
	{"pidfd", func(pid, pidfd int) *group { return NewGroup(pid, pidfd).(*group) }},
	{"pinned", newPinnedGroup},
}

// The leader exits, leaving a member behind: the tree is alive until the
// member is signalled, then gone; the leader's status is kept.
func TestGroupOutlivesLeader(t *testing.T) {
	for _, kind := range groupKinds {
		t.Run(kind.name, func(t *testing.T) {
			dir := t.TempDir()
			pid, pidfd := startGroup(t, "sleep 30 & echo $! > "+dir+"/member; exit 7")
			g := kind.new(pid, pidfd)
			if kind.name == "pidfd" && !g.viaPidfd {
				t.Skip("this kernel cannot signal a group through a pidfd (Linux < 6.9)")
			}
			member := readPid(t, dir, "member")
			until(t, "the leader exits", func() bool {
				exited, err := g.Reap()
				if err != nil {
					t.Fatal(err)
				}
				return exited
			})
			if kind.name == "pinned" && proc.State(pid) != 'Z' {
				t.Errorf("pinned group: leader state %q, want an unreaped zombie", proc.State(pid))
			}
			if alive, err := g.Alive(); err != nil || !alive {
				t.Fatalf("Alive() = %v, %v with a member running", alive, err)
			}
			reached, err := g.Signal(syscall.SIGTERM)
			if err != nil || !reached {
				t.Fatalf("Signal(TERM) = %v, %v", reached, err)
			}
			until(t, "the group is gone", func() bool {
				if _, err := g.Reap(); err != nil {
					t.Fatal(err)
				}
				alive, err := g.Alive()
				if err != nil {
					t.Fatal(err)
				}
				return !alive
			})
			if s := proc.State(member); s != 0 && s != 'Z' {
				t.Errorf("member %d still running (state %c)", member, s)
			}
			exit, err := g.Release()
			if err != nil {
				t.Fatal(err)
			}
			if !exit.Status.Exited() || exit.Status.ExitStatus() != 7 {
				t.Errorf("leader status %v, want exit 7", exit.Status)
			}
			if reached, err := g.Signal(syscall.SIGKILL); reached || err != nil {
				t.Errorf("Signal after Release = %v, %v; want nothing sent", reached, err)
			}
			if _, err := g.Release(); err != ErrReleased {
				t.Errorf("second Release: %v, want ErrReleased", err)
			}
		})
	}
}

// Once the group is gone, its number may name another group. Forcing the
// kernel to hand the leader's pid to a new session leader, a Signal must not
// reach it.
func TestGroupNeverSignalsRecycledPid(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to choose the next pid (/proc/sys/kernel/ns_last_pid)")
	}
	pid, pidfd := startGroup(t, "exit 0")
	g := NewGroup(pid, pidfd).(*group)
	if !g.viaPidfd {
		t.Skip("the pinned group never reaps its leader before Release; nothing to recycle")
	}
	until(t, "the leader is reaped", func() bool {
		exited, err := g.Reap()
		if err != nil {
			t.Fatal(err)
		}
		return exited && g.exit != nil
	})
	// Let the kernel go on from where it was afterwards, so that other
	// tests running now do not see their own pids recycled.
	last, err := os.ReadFile("/proc/sys/kernel/ns_last_pid")
	if err != nil {
		t.Skipf("cannot read the last pid: %v", err)
	}
	defer os.WriteFile("/proc/sys/kernel/ns_last_pid", last, 0)
	var other int
	for try := 0; try < 20 && other != pid; try++ {
		if other != 0 {
			syscall.Kill(other, syscall.SIGKILL)
			syscall.Wait4(other, nil, 0, nil)
		}
		if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(pid-1)), 0); err != nil {
			t.Skipf("cannot choose the next pid: %v", err)
		}
		other, _ = startGroup(t, "sleep 30")
	}
	if other != pid {
		t.Skip("another process took the pid first, 20 times")
	}
	reached, err := g.Signal(syscall.SIGKILL)
	if reached || err != nil {
		t.Errorf("Signal on a recycled group = %v, %v; want nothing sent", reached, err)
	}
	if s := proc.State(other); s == 0 || s == 'Z' {
		t.Fatalf("the unrelated process %d was killed", other)
	}
	syscall.Kill(other, syscall.SIGKILL)
	var ws syscall.WaitStatus
	syscall.Wait4(other, &ws, 0, nil)
	unix.Close(pidfd)
}
