//go:build unix

package killer

import (
	"fmt"
	"syscall"
)

// reap waits for pid, a child of pgrun, to exit, reaps it and returns how
// it ended.
func reap(pid int) (*Exit, error) {
	var e Exit
	err := retryEINTR(func() error {
		_, err := syscall.Wait4(pid, &e.Status, 0, &e.Rusage)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("wait4(%d): %w", pid, err)
	}
	return &e, nil
}
