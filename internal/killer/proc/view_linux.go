package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// View is what /proc is to pgrun. A pid namespace's /proc numbers its
// processes as that namespace does; mounted for another one (unshare
// --pid without --mount-proc, bwrap --unshare-pid without --proc), every
// number in it names, in pgrun's own namespace, nothing or an unrelated
// process. pgrun then reads no number from /proc as a pid of its own.
type View struct {
	Own  bool   // /proc numbers processes as pgrun's namespace does
	Why  string // why not, when not
	Self int    // pgrun's number in /proc's namespace; 0 if /proc does not show it
	// Depth is how many pid namespaces lie between /proc's and pgrun's,
	// both included: the length of the NSpid line of /proc/self/status;
	// 0 where the kernel has no such line.
	Depth int
}

var look = sync.OnceValue(lookAtProc)

// lookAtProc tells whether /proc describes pgrun's own pid namespace.
// /proc/self is pgrun's number there, and NSpid lists its numbers from
// /proc's namespace down to its own: with its own /proc, one number, and
// the one getpid returns.
func lookAtProc() View {
	link, err := os.Readlink("/proc/self")
	if err != nil {
		return View{Why: fmt.Sprintf("/proc shows no process of pgrun's pid namespace (%v)", err)}
	}
	self, err := strconv.Atoi(link)
	if err != nil {
		return View{Why: fmt.Sprintf("/proc/self is %q", link)}
	}
	var buf [4096]byte
	nspid, err := nsPidsAt(unix.AT_FDCWD, "/proc/self/status", buf[:])
	if err != nil {
		return View{Why: fmt.Sprintf("reading /proc/self/status: %v", err)}
	}
	v := View{Self: self, Depth: len(nspid)}
	switch pid := os.Getpid(); {
	case self != pid:
		v.Why = fmt.Sprintf("/proc belongs to another pid namespace (it numbers pgrun %d, not %d)", self, pid)
	case len(nspid) > 1:
		v.Why = "/proc belongs to an outer pid namespace"
	default:
		v.Own = true
	}
	return v
}

// Foreign reports, when /proc does not describe pgrun's own pid
// namespace, why; "" when it does. pgrun then reaches only what it can
// name without /proc: the command's process group, and a cgroup's
// cgroup.kill.
func Foreign() string {
	if v := look(); !v.Own {
		return v.Why
	}
	return ""
}

// nsPidsAt reads the NSpid line of the status file at path (relative to
// dirfd): a process's numbers, from the namespace of that /proc down to
// its own. It is empty, without error, on kernels before 4.1.
func nsPidsAt(dirfd int, path string, buf []byte) ([]int, error) {
	b, err := ReadAt(dirfd, path, buf)
	if err != nil {
		return nil, err
	}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		rest, ok := bytes.CutPrefix(line, []byte("NSpid:"))
		if !ok {
			continue
		}
		var pids []int
		for _, f := range bytes.Fields(rest) {
			pid, err := strconv.Atoi(string(f))
			if err != nil {
				return nil, fmt.Errorf("%s: malformed NSpid", path)
			}
			pids = append(pids, pid)
		}
		return pids, nil
	}
	return nil, nil
}

// ChildStat reads the stat line of pid, an unreaped child of pgrun (so its
// number cannot be reused meanwhile). Where /proc is another namespace's,
// pid means nothing there: the child is looked for among the entries that
// /proc lists as pgrun's children, each opened and then checked through
// the open directory (which keeps naming the same process) to be pgrun's
// child with pid as its number in pgrun's namespace.
func ChildStat(pid int) (Stat, error) {
	v := look()
	if v.Own {
		return ReadStat(pid)
	}
	if v.Self == 0 || v.Depth == 0 {
		return Stat{}, errors.New(v.Why)
	}
	kids, err := AllChildren() // numbers in /proc's namespace
	if err != nil {
		return Stat{}, err
	}
	var buf [4096]byte
	for _, n := range kids {
		dir, err := unix.Open("/proc/"+strconv.Itoa(n), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		st, err := readStatAt(dir, "stat", buf[:])
		var nspid []int
		if err == nil && st.Ppid == v.Self {
			nspid, err = nsPidsAt(dir, "status", buf[:])
		}
		unix.Close(dir)
		if err == nil && len(nspid) == v.Depth && nspid[len(nspid)-1] == pid {
			return st, nil
		}
	}
	return Stat{}, fmt.Errorf("child %d: not found in /proc (%s)", pid, v.Why)
}

// Look says what /proc is to pgrun, looked at once per process: what it
// is cannot change while pgrun runs.
func Look() View { return look() }
