package killer

import (
	"syscall"
	"testing"

	"github.com/pgrun/pgrun/internal/killer/proc"
)

// The tree keeps its leader unreaped until Release, whatever the kernel
// offers: the leader's number is the command's session's and group's, and
// while it is a zombie of pgrun's no other process can take it (the
// guardian and the proofs of membership rely on it). Reap reports the
// exit, Alive and Signal leave the zombie alone, Release reaps it.
func TestTreeKeepsLeaderNumber(t *testing.T) {
	dir := t.TempDir()
	pid, pidfd := startGroup(t, "setsid sleep 30 & echo $! > "+dir+"/escapee; exit 7")
	tr := NewTree(pid, pidfd).(*tree)
	escapee := readPid(t, dir, "escapee")
	t.Cleanup(func() { tr.Signal(syscall.SIGKILL); tr.Release() })
	until(t, "the leader has exited", func() bool {
		exited, err := tr.Reap()
		if err != nil {
			t.Fatal(err)
		}
		return exited
	})
	if alive, err := tr.Alive(); err != nil || !alive {
		t.Fatalf("Alive() = %v, %v with the escapee %d running", alive, err, escapee)
	}
	if s := proc.State(pid); s != 'Z' {
		t.Fatalf("the leader %d is in state %q, want an unreaped zombie", pid, s)
	}
	if reached, err := tr.Signal(syscall.SIGKILL); err != nil || !reached {
		t.Fatalf("Signal(KILL) = %v, %v; want the escapee reached", reached, err)
	}
	if alive, err := tr.Alive(); err != nil || alive {
		t.Fatalf("Alive() = %v, %v after KILL", alive, err)
	}
	if s := proc.State(pid); s != 'Z' {
		t.Fatalf("after KILL the leader %d is in state %q, want still unreaped", pid, s)
	}
	exit, err := tr.Release()
	if err != nil || exit.Status.ExitStatus() != 7 {
		t.Fatalf("Release() = %v, %v; want exit status 7", exit.Status.ExitStatus(), err)
	}
	if s := proc.State(pid); s != 0 {
		t.Fatalf("after Release the leader %d is in state %q, want reaped", pid, s)
	}
}
