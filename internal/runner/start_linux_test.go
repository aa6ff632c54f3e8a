package runner

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer"
)

// start says whose failure it was: a command that cannot be executed is a
// *StartError (126, 127), a process that could not be made at all (here:
// cloned into a directory that is no cgroup) a *killer.CloneError, which
// is pgrun's or its containment's (125), never the command's.
func TestStartTellsCloneFromExec(t *testing.T) {
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

	_, _, err = start(notexec, []string{"notexec"}, nil, killer.Launch{Attr: &syscall.SysProcAttr{}})
	var startErr *StartError
	if !errors.As(err, &startErr) || !errors.Is(err, syscall.EACCES) || startErr.ExitCode() != ExitCannotInvoke {
		t.Errorf("a file that is not executable: %v (%T), want a *StartError for EACCES", err, err)
	}

	_, _, err = start("/bin/true", []string{"true"}, nil, killer.Launch{Attr: &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: plain}})
	var clone *killer.CloneError
	if !errors.As(err, &clone) || errors.As(err, &startErr) {
		t.Errorf("a clone into no cgroup: %v (%T), want a *killer.CloneError", err, err)
	}
}
