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

// AllChildren lists what the children files of pgrun's threads list.
func AllChildren() ([]int, error) {
	var buf [16 << 10]byte
	pids, err := childrenIn("/proc/self/task", buf[:])
	if err != nil {
		return nil, fmt.Errorf("listing pgrun's children: %w", err)
	}
	return pids, nil
}

// mainChildrenFile is the children file of pgrun's main thread.
var mainChildrenFile = sync.OnceValue(func() string {
	return "/proc/self/task/" + strconv.Itoa(os.Getpid()) + "/children"
})

// MainChildren lists what the children file of pgrun's main thread lists.
func MainChildren() ([]int, error) {
	var buf [16 << 10]byte
	path := mainChildrenFile()
	b, err := ReadAt(unix.AT_FDCWD, path, buf[:])
	if err != nil {
		if b, err = os.ReadFile(path); err != nil { // longer than buf
			return nil, fmt.Errorf("listing pgrun's children: %w", err)
		}
	}
	var pids []int
	for _, f := range bytes.Fields(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// ChildrenOf lists what the children files of pid's threads list. An
// orphan goes to another thread of a process before it goes to a
// subreaper, and a thread's children are its own forks, so every thread
// is read.
func ChildrenOf(pid int, buf []byte) ([]int, error) {
	return childrenIn("/proc/"+strconv.Itoa(pid)+"/task", buf)
}

// childrenIn lists what the children files of the threads in dir (a
// /proc/PID/task directory) list, with buf as scratch space: a file that
// does not fit is read whole all the same. Plain system calls: pgrun reads
// its own on every SIGCHLD once the command has exited, and os.File costs
// three times as many.
func childrenIn(dir string, buf []byte) ([]int, error) {
	tids, err := DirNames(dir)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, tid := range tids {
		path := dir + "/" + tid + "/children"
		b, err := ReadAt(unix.AT_FDCWD, path, buf)
		if err != nil && !os.IsNotExist(err) && !errors.Is(err, unix.ESRCH) {
			b, err = os.ReadFile(path) // longer than buf
		}
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) {
			continue // the thread exited
		}
		if err != nil {
			return nil, err
		}
		for _, f := range bytes.Fields(b) {
			if kid, err := strconv.Atoi(string(f)); err == nil {
				pids = append(pids, kid)
			}
		}
	}
	return pids, nil
}

// DirNames lists the names in dir (a /proc directory), with plain system
// calls.
func DirNames(dir string) ([]string, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	var names []string
	var buf [4096]byte
	for {
		n, err := unix.Getdents(fd, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "getdents", Path: dir, Err: err}
		}
		if n == 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

// MachineTasks is how many threads run on the machine, from
// /proc/loadavg, or 0 if unknown.
func MachineTasks() int {
	var buf [128]byte
	b, err := ReadAt(unix.AT_FDCWD, "/proc/loadavg", buf[:])
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 4 {
		return 0
	}
	_, total, found := bytes.Cut(f[3], []byte("/"))
	if !found {
		return 0
	}
	n, _ := strconv.Atoi(string(total))
	return n
}

// State is pid's state letter, or 0 if it is gone.
func State(pid int) byte {
	st, err := ReadStat(pid)
	if err != nil {
		return 0
	}
	return st.State
}
