package killer

import (
	"github.com/pgrun/pgrun/internal/killer/guardian"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// children lists pgrun's direct children but its guardian, from every
// thread's children file (an orphan is re-parented to some live thread of
// the subreaper, not necessarily the main one). The kernel builds these
// files while processes come and go, so the list is a hint: callers must
// loop until an authoritative condition holds.
func children() ([]int, error) {
	pids, err := proc.AllChildren()
	if gpid := guardian.Pid(); gpid != 0 { // after reading: see guardian.Pid
		for i, pid := range pids {
			if pid == gpid {
				pids = append(pids[:i], pids[i+1:]...)
				break
			}
		}
	}
	return pids, err
}
