package killer

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// children lists pgrun's direct children, from every thread's children file
// (an orphan is re-parented to some live thread of the subreaper, not
// necessarily the main one). The kernel builds these files while processes
// come and go, so the list is a hint: callers must loop until an
// authoritative condition holds.
func children() ([]int, error) {
	return childrenOf("self")
}

// childrenOf lists the children of process pid ("self" for pgrun), with
// the same caveat as children.
func childrenOf(pid string) ([]int, error) {
	tasks, err := os.ReadDir("/proc/" + pid + "/task")
	if err != nil {
		return nil, fmt.Errorf("listing threads of %s: %w", pid, err)
	}
	var pids []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + pid + "/task/" + t.Name() + "/children")
		if err != nil {
			continue // the thread exited
		}
		for _, f := range bytes.Fields(b) {
			if pid, err := strconv.Atoi(string(f)); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids, nil
}

// procStat is the part of /proc/PID/stat that pgrun reads.
type procStat struct {
	State byte
	Ppid  int
	Pgid  int
}

// readStat reads /proc/PID/stat. The command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgid, err2 := strconv.Atoi(string(f[2]))
	if err1 != nil || err2 != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	return procStat{State: f[0][0], Ppid: ppid, Pgid: pgid}, nil
}

// groupHasLiveMember reports whether a process other than the leader, and
// not a zombie, has pgid leader. It is only meaningful while the number is
// pinned by the unreaped leader.
func groupHasLiveMember(leader int) (bool, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return false, fmt.Errorf("scanning /proc: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return false, fmt.Errorf("scanning /proc: %w", err)
	}
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid == leader {
			continue
		}
		st, err := readStat(pid)
		if err != nil {
			continue // gone meanwhile
		}
		if st.Pgid == leader && st.State != 'Z' && st.State != 'X' {
			return true, nil
		}
	}
	return false, nil
}
