//go:build unix

package runner

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/pgrun/pgrun/internal/killer"
)

func TestExitCode(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want int
	}{
		{&killer.ExecError{Name: "x", Err: syscall.ENOENT}, ExitEnoent},
		{&killer.ExecError{Name: "x", Err: syscall.EACCES}, ExitCannotInvoke},
		{&killer.ExecError{Name: "x", Err: syscall.ENOTDIR}, ExitCannotInvoke},
		{&killer.ExecError{Name: "x", Err: syscall.ENOEXEC}, ExitCannotInvoke},
		{fmt.Errorf("starting: %w", &killer.ExecError{Name: "x", Err: syscall.ENOENT}), ExitEnoent},
		{syscall.ENOENT, ExitCanceled}, // pgrun's own failure, not the command's
		{errors.New("cannot contain the command in a cgroup"), ExitCanceled},
	} {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
