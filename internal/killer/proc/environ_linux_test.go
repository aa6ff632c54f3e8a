package proc

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The guardian and pgrun find the run's cookie in an environment of any
// length, at any place, and only as a whole entry.
func TestHasEntry(t *testing.T) {
	const cookie = "PGRUN_TREE_0123456789abcdef=1"
	filler := func(n int) string { return "F=" + strings.Repeat("x", n) }
	for _, tc := range []struct {
		name string
		env  []string
		want bool
	}{
		{"first", []string{cookie, "A=1"}, true},
		{"last", []string{"A=1", cookie}, true},
		{"alone", []string{cookie}, true},
		{"past 64 KiB", []string{filler(70 << 10), cookie}, true},
		// The entry straddles the end of the first 16 KiB block read.
		{"across two reads", []string{filler(16<<10 - 15), cookie, "B=2"}, true},
		{"absent", []string{"A=1", filler(40 << 10)}, false},
		{"a longer value", []string{cookie + "2"}, false},
		{"a longer name", []string{"X" + cookie}, false},
		{"a prefix", []string{cookie[:len(cookie)-1]}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pid, err := syscall.ForkExec("/bin/sleep", []string{"sleep", "30"}, &syscall.ProcAttr{Env: tc.env})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				syscall.Kill(pid, syscall.SIGKILL)
				syscall.Wait4(pid, nil, 0, nil)
			}()
			// The kernel sets the new environment up only after exec
			// has closed the descriptors that tell ForkExec it worked.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ"); err == nil && len(b) > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("timed out waiting for the environment to be set up")
				}
			}
			if got := HasEntry(pid, []byte(cookie)); got != tc.want {
				t.Errorf("HasEntry = %v, want %v", got, tc.want)
			}
		})
	}
}
