package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	platformCmds["nopidfd"] = nopidfd
	platformCmds["pidfdprobe"] = pidfdprobe
}

// noPidfdCalls are the system calls nopidfd takes away: the pidfd calls
// (pidfd_send_signal came in Linux 5.1, pidfd_open in 5.3, pidfd_getfd in
// 5.6) and clone3 (5.3), without which there is no CLONE_INTO_CGROUP.
// System calls added since 4.20 have the same number on every
// architecture but alpha, ia64 and mips, which nopidfd has no filter for:
// the 32-bit ABIs of noPidfdArches number these four alike.
var noPidfdCalls = []uint32{
	unix.SYS_PIDFD_SEND_SIGNAL, // 424
	unix.SYS_PIDFD_OPEN,        // 434
	unix.SYS_CLONE3,            // 435
	unix.SYS_PIDFD_GETFD,       // 438
}

// noPidfdArches lists, for each GOARCH nopidfd has a filter for, the ABIs
// (AUDIT_ARCH_*) a process may make system calls in there: the native one
// and the 32-bit one a 64-bit kernel also runs.
var noPidfdArches = map[string][]uint32{
	"amd64": {unix.AUDIT_ARCH_X86_64, unix.AUDIT_ARCH_I386},
	"arm64": {unix.AUDIT_ARCH_AARCH64, unix.AUDIT_ARCH_ARM},
}

// x32SyscallBit marks the system calls of the x32 ABI, which come with
// AUDIT_ARCH_X86_64 and the x86_64 numbers (those of noPidfdCalls too)
// with this bit set. No other ABI has a system call with it set.
const x32SyscallBit = 0x40000000

// noPidfdFilter returns the seccomp program nopidfd installs: a system call
// in one of arches whose number (less x32SyscallBit) is one of calls fails
// with ENOSYS, any other is allowed, and one in another ABI kills the
// process (SIGSYS): its numbers mean other calls, so the filter could only
// guess, and a guess that let pidfd_open through would let a test pass
// that tested nothing.
//
// ENOSYS, not EPERM, because it is what a kernel without the call says,
// and what callers test for: glibc's pthread_create and posix_spawn fall
// back from clone3 to clone on ENOSYS only, so the programs a test runs
// under the filter work as they do on an old kernel.
func noPidfdFilter(arches, calls []uint32) []unix.SockFilter {
	const (
		// Offsets in struct seccomp_data.
		offNr   = 0
		offArch = 4

		load = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		ret  = unix.BPF_RET | unix.BPF_K
	)
	stmt := func(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }
	// jeq jumps jt instructions ahead when the accumulator is k.
	jeq := func(k uint32, jt int) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: uint8(jt), K: k}
	}
	f := []unix.SockFilter{stmt(load, offArch)}
	for i, a := range arches {
		f = append(f, jeq(a, len(arches)-i)) // past the other arches and the kill
	}
	f = append(f, stmt(ret, unix.SECCOMP_RET_KILL_PROCESS),
		stmt(load, offNr),
		stmt(unix.BPF_ALU|unix.BPF_AND|unix.BPF_K, ^uint32(x32SyscallBit)))
	for i, nr := range calls {
		f = append(f, jeq(nr, len(calls)-i)) // past the other calls and the allow
	}
	return append(f, stmt(ret, unix.SECCOMP_RET_ALLOW),
		stmt(ret, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS)&unix.SECCOMP_RET_DATA))
}

// nopidfd COMMAND [ARG...] executes COMMAND, found in $PATH, where
// pidfd_open, pidfd_send_signal, pidfd_getfd and clone3 fail with ENOSYS,
// as on kernels before 5.1, under gVisor and under seccomp profiles that
// predate these calls. Every other system call works as usual, clone too:
// clone(CLONE_PIDFD) still returns a pidfd (as on 5.2), through which
// nothing can then be signalled. It is a seccomp filter: COMMAND and
// everything it starts keep it for good, and none of them can gain
// privileges by executing a set-user-ID file (no_new_privs), which is also
// why it needs none: root and any other user may run it. It checks that
// the filter holds before executing COMMAND.
//
// It fails with status 2 when it cannot install the filter, on an
// architecture it has no filter for (it has for amd64 and arm64), 127 when
// COMMAND is not found and 126 when it cannot be executed.
func nopidfd() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: nopidfd COMMAND [ARG...]")
		os.Exit(2)
	}
	fail := func(code int, err error) {
		fmt.Fprintln(os.Stderr, "nopidfd:", err)
		os.Exit(code)
	}
	arches := noPidfdArches[runtime.GOARCH]
	if arches == nil {
		fail(2, fmt.Errorf("no seccomp filter for %s here, only for amd64 and arm64", runtime.GOARCH))
	}
	path, err := exec.LookPath(os.Args[1])
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		fail(127, err)
	} else if err != nil {
		fail(126, err)
	}

	// no_new_privs and seccomp filters are attributes of a thread, not
	// of the process, and a Go program runs on several threads. seccomp(2)
	// takes a filter from a user who is not root only if the calling
	// thread has no_new_privs (EACCES otherwise), so prctl and seccomp
	// must run on one thread: the goroutine is locked to its thread from
	// here on.
	//
	// The lock alone would also hand the filter to the command: execve
	// ends every other thread and the process goes on with the caller's
	// filter, and the locked goroutine calls execve from the filtered
	// thread (from another, the command would run unfiltered). TSYNC sets
	// the filter and no_new_privs on every thread of the process in the
	// same call, so that it holds whichever thread runs execve, and the
	// check below speaks for the whole process. TSYNC fails only where a
	// thread has a filter the caller lacks: nothing here installs one.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail(2, fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err))
	}
	filter := noPidfdFilter(arches, noPidfdCalls)
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	switch {
	case errno != 0:
		fail(2, fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %w", errno))
	case r != 0: // TSYNC's failure: the thread it could not synchronise
		fail(2, fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): thread %d has a filter of its own", r))
	}
	// A filter that does not hold would make every test under it pass
	// without testing anything.
	if fd, err := unix.PidfdOpen(os.Getpid(), 0); !errors.Is(err, unix.ENOSYS) {
		if err == nil {
			unix.Close(fd)
		}
		fail(2, fmt.Errorf("pidfd_open still answers (%v) under the filter", err))
	}
	err = syscall.Exec(path, os.Args[1:], os.Environ())
	fail(126, err)
}

// pidfdprobe prints, one line each, what the calls nopidfd takes away and
// some it leaves return here: the call's name, then "ok" or the error's
// name (ENOSYS...). The lines are:
//
//	uid 0                    its user id, then
//	getpid ok
//	kill ok                  kill(getpid(), 0)
//	pidfd_open ok            of itself
//	pidfd_send_signal ok     signal 0 through that pidfd (or -1: EBADF)
//	pidfd_getfd ok           of that pidfd itself (or -1: EBADF)
//	clone3 EINVAL            clone3(NULL, 0): EINVAL where the kernel has it
//	forkexec ok              syscall.ForkExec of true
//	forkexec_pidfd ok        the same with SysProcAttr.PidFD (plain clone,
//	                         CLONE_PIDFD): "nopidfd" when it gave none
//	forkexec_cgroupfd ok     the same with UseCgroupFD, into its own cgroup
//	                         (clone3, CLONE_INTO_CGROUP): "-" without
//	                         cgroup v2
func pidfdprobe() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	say := func(name string, err error) {
		res := "ok"
		var errno syscall.Errno
		if errors.As(err, &errno) {
			res = unix.ErrnoName(errno)
		} else if err != nil {
			res = err.Error()
		}
		fmt.Fprintln(w, name, res)
	}
	pid := os.Getpid()
	fmt.Fprintln(w, "uid", os.Getuid())
	say("getpid", nil)
	say("kill", unix.Kill(pid, 0))
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		fd = -1
	}
	say("pidfd_open", err)
	say("pidfd_send_signal", unix.PidfdSendSignal(fd, 0, nil, 0))
	got, err := unix.PidfdGetfd(fd, fd, 0)
	if err == nil {
		unix.Close(got)
	}
	say("pidfd_getfd", err)
	// A NULL clone_args smaller than the smallest version is refused
	// before anything is cloned.
	if _, _, errno := unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0); errno != 0 {
		say("clone3", errno)
	} else {
		say("clone3", nil)
	}
	if fd >= 0 {
		unix.Close(fd)
	}

	truePath, err := exec.LookPath("true")
	if err != nil {
		say("forkexec", err)
		return
	}
	forkExec := func(sys *syscall.SysProcAttr) error {
		pid, err := syscall.ForkExec(truePath, []string{"true"}, &syscall.ProcAttr{Sys: sys})
		if err == nil {
			var ws syscall.WaitStatus
			_, err = syscall.Wait4(pid, &ws, 0, nil)
		}
		return err
	}
	say("forkexec", forkExec(nil))
	pidfd := -1
	if err := forkExec(&syscall.SysProcAttr{PidFD: &pidfd}); err != nil || pidfd >= 0 {
		say("forkexec_pidfd", err)
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
	} else {
		fmt.Fprintln(w, "forkexec_pidfd nopidfd")
	}
	cg, err := ownCgroup()
	if err != nil {
		fmt.Fprintln(w, "forkexec_cgroupfd -")
		return
	}
	defer unix.Close(cg)
	say("forkexec_cgroupfd", forkExec(&syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cg}))
}

// ownCgroup opens the cgroup v2 directory of this process.
func ownCgroup() (int, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return -1, err
	}
	var cg string
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			cg = p
		}
	}
	// The cgroup2 file system is mounted at /sys/fs/cgroup, or (hybrid
	// hierarchies) elsewhere beside the v1 ones.
	if b, err = os.ReadFile("/proc/self/mountinfo"); err != nil {
		return -1, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if cg != "" && len(f) > 4 && strings.Contains(l, " - cgroup2 ") {
			rel, ok := strings.CutPrefix(cg, f[3])
			if ok {
				return unix.Open(filepath.Join(f[4], rel), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			}
		}
	}
	return -1, errors.New("no cgroup v2")
}

// probe runs cmd (whose output is pidfdprobe's) and returns what each call
// returned, by name.
func probe(t *testing.T, cmd *exec.Cmd) map[string]string {
	t.Helper()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, stderr.String())
	}
	t.Logf("%v:\n%s", cmd.Args, out)
	res := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, r, _ := strings.Cut(l, " ")
		res[name] = r
	}
	return res
}

// checkProbe checks what pidfdprobe said under nopidfd.
func checkProbe(t *testing.T, res map[string]string) {
	t.Helper()
	want := map[string]string{
		"getpid":            "ok",
		"kill":              "ok",
		"pidfd_open":        "ENOSYS",
		"pidfd_send_signal": "ENOSYS",
		"pidfd_getfd":       "ENOSYS",
		"clone3":            "ENOSYS",
		"forkexec":          "ok",
		// A plain clone still hands out a pidfd, as on 5.2.
		"forkexec_pidfd": "ok",
		// Go's ForkExec does not fall back to clone without clone3.
		"forkexec_cgroupfd": "ENOSYS",
	}
	if res["forkexec_cgroupfd"] == "-" {
		delete(want, "forkexec_cgroupfd")
	}
	for name, w := range want {
		if res[name] != w {
			t.Errorf("under nopidfd, %s: %q, want %q", name, res[name], w)
		}
	}
}

// needPidfds skips a test of nopidfd where it cannot run, or where the
// calls it takes away are missing anyway: there it would prove nothing.
func needPidfds(t *testing.T) {
	t.Helper()
	if noPidfdArches[runtime.GOARCH] == nil {
		t.Skipf("nopidfd has no filter for %s", runtime.GOARCH)
	}
	if res := probe(t, exec.Command("pidfdprobe")); res["pidfd_open"] != "ok" || res["clone3"] == "ENOSYS" {
		t.Skip("this kernel lacks pidfd_open or clone3 already")
	}
}

// TestNoPidfd checks that nopidfd takes the pidfd calls and clone3 away
// from the command it runs and from that command's children, and leaves
// the rest: here, the probe is a child of a shell.
func TestNoPidfd(t *testing.T) {
	needPidfds(t)
	// "; exit" keeps the shell from executing the probe in its place.
	checkProbe(t, probe(t, exec.Command("nopidfd", "sh", "-c", "pidfdprobe; exit $?")))
}

// TestNoPidfdAsUser runs nopidfd as nobody, who may install the filter
// too (no_new_privs).
func TestNoPidfdAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing user needs root (TestNoPidfd runs as this user)")
	}
	needPidfds(t)
	// The scripts' commands and t.TempDir are out of nobody's reach: a
	// directory of its own, with a copy of the test binary named
	// pidfdprobe. It runs as nopidfd (a command is picked by argv[0]),
	// which finds the probe, itself, in $PATH.
	dir, err := os.MkdirTemp("", "nopidfd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	exe, err := exec.LookPath("pidfdprobe")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "pidfdprobe")
	if err := copyFile(exe, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "pidfdprobe")
	cmd.Args[0] = "nopidfd"
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+dir+string(filepath.ListSeparator)+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
	res := probe(t, cmd)
	if res["uid"] != "65534" {
		t.Fatalf("the probe ran as %q, not as nobody", res["uid"])
	}
	checkProbe(t, res)
}
