package killer

import (
	"os"
	"time"

	"github.com/pgrun/pgrun/internal/killer/guardian"
	"github.com/pgrun/pgrun/internal/killer/proc"
)

// Processes lists the tree: pgrun's children that are not the tree's (see
// family) are left out, with everything below them.
func (t *tree) Processes() []Process {
	return processesBelow(os.Getpid(), t.g.leader, func(pid int) bool {
		return pid == t.fam.leader || t.fam.ours(pid)
	})
}

func (g *group) Processes() []Process { return processesBelow(os.Getpid(), g.leader, nil) }

// processesBelow lists the live descendants of root (pgrun, or the init
// of its namespace), parents before their children: from their children
// files down where that costs less than one pass over /proc. leader is
// the command, whose group they are placed against; a child of root for
// which keep (if not nil) is false is left out, with all below it.
func processesBelow(root, leader int, keep func(pid int) bool) []Process {
	if !proc.Look().Own {
		return nil // its numbers are not pgrun's: listing them would mislead
	}
	kids, ok := walkMap(root)
	if !ok {
		var err error
		if kids, err = proc.ChildMap(); err != nil {
			return nil
		}
	}
	now, gpid := proc.Uptime(), guardian.Pid() // after the pass: see guardian.Pid
	var out []Process
	var walk func(parent, depth int)
	walk = func(parent, depth int) {
		for _, e := range kids[parent] {
			pid, st := e.Pid, e.Stat
			if pid == gpid || depth == 0 && keep != nil && !keep(pid) {
				continue
			}
			p := Process{
				Pid: pid, Ppid: st.Ppid, Pgid: st.Pgid, Sid: st.Sid,
				State: string(st.State), Depth: depth, Command: proc.Cmdline(pid),
				Place: "group",
			}
			switch {
			case st.Pgid != leader:
				p.Place = "escaped"
			case st.Ppid == root && pid != leader:
				p.Place = "orphan"
			}
			if now > 0 {
				p.Age = max(now-time.Duration(st.Start)*time.Second/proc.ClockTicks, 0)
			}
			out = append(out, p)
			walk(pid, depth+1)
		}
	}
	walk(root, 0)
	return out
}
