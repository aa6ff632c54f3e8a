package killer

import (
	"fmt"
	"slices"
	"syscall"
	"testing"

	"github.com/pgrun/pgrun/internal/killer/proc"
)

// The walk down from pgrun's children files finds what one pass over the
// whole of /proc finds: processes that left the group (a session of their
// own, a double-forked daemon re-parented to pgrun, a chain below an
// escapee), but not zombies, nor the group's members when it is told to
// skip them.
func TestWalkFindsWhatThePassFinds(t *testing.T) {
	dir := t.TempDir()
	script := `
setsid sh -c 'sleep 30 & sleep 30 & echo $$ > ` + dir + `/escapee; wait' &
sh -c 'setsid sleep 30 & echo $! > ` + dir + `/daemon; exit 0'
sleep 30 &
sh -c 'sleep 0 & exec sleep 30' &
echo $! > ` + dir + `/reaper
wait`
	pid, pidfd := startGroup(t, script)
	tr := NewTree(pid, pidfd).(*tree)
	t.Cleanup(func() { tr.Signal(syscall.SIGKILL); tr.Release() })
	escapee, daemon, reaper := readPid(t, dir, "escapee"), readPid(t, dir, "daemon"), readPid(t, dir, "reaper")
	// The reaper is a sleep that never reaps its child: a zombie.
	until(t, "the zombie exists", func() bool {
		kids, err := proc.ChildrenOf(reaper, make([]byte, 4096))
		return err == nil && len(kids) == 1 && proc.State(kids[0]) == 'Z'
	})
	until(t, "the escapee's sleepers run", func() bool {
		kids, err := proc.ChildrenOf(escapee, make([]byte, 4096))
		return err == nil && len(kids) == 2
	})
	for _, skip := range []int{0, pid} {
		t.Run(fmt.Sprintf("skip=%d", skip), func(t *testing.T) {
			walked, ok := walkDown(tr.fam, skip)
			if !ok {
				t.Fatal("the walk gave up on a small tree")
			}
			defer closeAll(walked)
			passed, err := passDescendants(tr.fam, skip)
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll(passed)
			w, p := pidsOf(walked), pidsOf(passed)
			if !slices.Equal(w, p) {
				t.Fatalf("the walk found %v, the pass %v", w, p)
			}
			for _, want := range []int{escapee, daemon} {
				if !slices.Contains(w, want) {
					t.Errorf("the walk missed %d: %v", want, w)
				}
			}
			if skip != 0 && slices.Contains(w, pid) {
				t.Errorf("the walk listed the leader, a member of the skipped group: %v", w)
			}
			for _, p := range w {
				if proc.State(p) == 'Z' {
					t.Errorf("the walk listed zombie %d", p)
				}
			}
		})
	}
}

func pidsOf(procs []member) []int {
	var pids []int
	for _, p := range procs {
		pids = append(pids, p.pid)
	}
	slices.Sort(pids)
	return pids
}
