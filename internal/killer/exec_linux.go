package killer

import (
	"syscall"

	"github.com/pgrun/pgrun/internal/killer/proc"
)

func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// setPidfd asks the kernel for the child's pidfd (CLONE_PIDFD).
func setPidfd(a *syscall.SysProcAttr, fd *int) { a.PidFD = fd }

// neverExecuted reports whether pid, a child that ForkExec reported
// started, in fact never executed its program: it died first.
//
// ForkExec returns once the child's close-on-exec pipe is closed: by a
// successful execve, or by the child's death. execve clears PF_FORKNOEXEC
// before it closes those files, so a child still carrying the flag did not
// execute and is dying. Nothing else tells the two apart: a child that
// did execute may be a second pgrun, or may have died of SIGKILL already.
// When the flag cannot be read the child counts as started: a command that
// may have run is never started again.
func neverExecuted(pid int) bool {
	st, err := proc.ChildStat(pid)
	return err == nil && st.Flags&proc.PFForkNoExec != 0
}

// unforked is what forkExec puts in *PidFD before the fork: no pidfd and
// not -1, the value that syscall.ForkExec leaves there after a child it
// made failed.
const unforked = -2

// forkExec is syscall.ForkExec, except that where attr asks for a pidfd an
// error from the clone itself is a *CloneError: no process was made and
// nothing of the command was tried. That is how a clone3 into a cgroup
// that fails for the cgroup's sake (EACCES, EBUSY, ENOSYS under a
// seccomp filter...) is told from an execve that fails for the command's
// (EACCES for a file that is not executable, ENOENT for a missing
// interpreter, ETXTBSY...): syscall.ForkExec returns both alike.
//
// What tells them apart is the pidfd that attr asks the kernel for:
// syscall.ForkExec stores it in *PidFD as soon as the clone has succeeded,
// in the parent, before it learns from the child's close-on-exec pipe
// whether the child's steps and execve did, and sets it back to -1 when
// they failed; a failed clone returns before, and leaves *PidFD as it was.
// A test of the package holds Go to that (TestForkExecTellsCloneFromExec).
func forkExec(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	if attr.Sys == nil || attr.Sys.PidFD == nil {
		return syscall.ForkExec(path, argv, attr)
	}
	fd := attr.Sys.PidFD
	*fd = unforked
	pid, err := syscall.ForkExec(path, argv, attr)
	if *fd == unforked {
		*fd = -1
		if err != nil {
			return 0, &cloneError{Err: err}
		}
	}
	return pid, err
}
