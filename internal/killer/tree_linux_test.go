package killer

import (
	"os"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Group members vouch for their children only while the group's number is
// the group's. Here the command's group empties (its leader reaped, its
// one escapee in a session of its own) and the kernel hands the leader's
// pid to an unrelated session leader with a child: a graceful Signal must
// reach the escapee and never that child.
func TestTreeNeverTrustsRecycledGroup(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to choose the next pid (/proc/sys/kernel/ns_last_pid)")
	}
	dir := t.TempDir()
	pid, pidfd := startGroup(t, "setsid sleep 30 & echo $! > "+dir+"/escapee; exit 0")
	tr := NewTree(pid, pidfd).(*tree)
	if !tr.g.viaPidfd {
		t.Skip("the pinned group never reaps its leader before Release; nothing to recycle")
	}
	escapee := readPid(t, dir, "escapee")
	t.Cleanup(func() { tr.Signal(syscall.SIGKILL); tr.Release() })
	until(t, "the leader is reaped", func() bool {
		exited, err := tr.Reap()
		if err != nil {
			t.Fatal(err)
		}
		return exited && tr.g.exit != nil
	})

	// An unrelated process: started while pgrun is no subreaper, by a
	// shell that exits at once, so that init adopts it.
	saved, err := os.ReadFile("/proc/sys/kernel/ns_last_pid")
	if err != nil {
		t.Skipf("cannot read the last pid: %v", err)
	}
	defer os.WriteFile("/proc/sys/kernel/ns_last_pid", saved, 0)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer AdoptOrphans()
	// The shells and the Go runtime's threads take pids of their own on
	// the way: aim by how far the last try missed.
	var leader, child int
	last := pid - 2
	for try := 0; try < 20 && leader != pid; try++ {
		if leader != 0 {
			syscall.Kill(-leader, syscall.SIGKILL)
			syscall.Kill(-child, syscall.SIGKILL)
		}
		os.Remove(dir + "/leader")
		os.Remove(dir + "/child")
		if leader != 0 {
			last += pid - leader
		}
		if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(last)), 0); err != nil {
			t.Skipf("cannot choose the next pid: %v", err)
		}
		outer, _ := startGroup(t, `setsid sh -c 'setsid sleep 30 & echo $! > `+dir+`/child; echo $$ > `+dir+`/leader; wait' &`)
		syscall.Wait4(outer, nil, 0, nil)
		leader, child = readPid(t, dir, "leader"), readPid(t, dir, "child")
	}
	t.Cleanup(func() {
		if leader > 0 && child > 0 { // never kill(0): that is the test's own group
			syscall.Kill(-leader, syscall.SIGKILL)
			syscall.Kill(-child, syscall.SIGKILL)
		}
	})
	if leader != pid {
		t.Skip("another process took the pid first, 20 times")
	}
	if err := AdoptOrphans(); err != nil {
		t.Fatal(err)
	}

	childfd, err := unix.PidfdOpen(child, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(childfd)
	reached, err := tr.Signal(syscall.SIGTERM, syscall.SIGCONT)
	if err != nil || !reached {
		t.Fatalf("Signal(TERM) = %v, %v; want the escapee reached", reached, err)
	}
	until(t, "the escapee is gone", func() bool {
		tr.Reap()
		s := state(escapee)
		return s == 0 || s == 'Z'
	})
	// The escapee died of that TERM; had the child got it too, it would
	// be gone by now, or within this generous second.
	if n, _ := unix.Poll([]unix.PollFd{{Fd: int32(childfd), Events: unix.POLLIN}}, 1000); n != 0 {
		t.Fatalf("the unrelated process %d, child of a process that took the group's number, was signalled", child)
	}
}
