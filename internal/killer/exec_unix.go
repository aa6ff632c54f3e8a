//go:build unix

package killer

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// defaultPath is what glibc's execvp searches when PATH is unset.
const defaultPath = "/bin:/usr/bin"

// lookPath finds name the way glibc's execvp(3) does: a name with a slash
// is used as is; otherwise every PATH entry is tried in order, an empty
// entry meaning the current directory. A candidate that exists but cannot
// be executed (a directory, no execute permission) is skipped; if nothing
// is found the error is EACCES when such a candidate was seen, else ENOENT.
func lookPath(name string) (string, error) {
	if name == "" {
		return "", syscall.ENOENT
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	path, ok := os.LookupEnv("PATH")
	if !ok {
		path = defaultPath
	}
	denied := false
	for _, dir := range strings.Split(path, ":") {
		cand := name
		if dir != "" {
			cand = dir + "/" + name
		}
		st, err := os.Stat(cand)
		switch {
		case err != nil:
			continue
		case st.Mode().IsRegular() && unix.Faccessat(unix.AT_FDCWD, cand, unix.X_OK, unix.AT_EACCESS) == nil:
			if dir == "" {
				cand = "./" + name
			}
			return cand, nil
		default:
			denied = true
		}
	}
	if denied {
		return "", syscall.EACCES
	}
	return "", syscall.ENOENT
}

// via is a program executed in the command's place, which executes the
// command itself: pgrun's own init of a pid namespace.
type via struct {
	path string   // the file to execute
	args []string // its argv; the command's resolved path and argv follow
	// files are the descriptors it gets after the standard streams: the
	// first is its fd 3.
	files []uintptr
}

// launch is how Start forks; a test may stand in for it.
var launch = forkCommand

// forkCommand forks and executes cmd, found at path, with attr (prepared
// by the containment) and pgrun's standard streams, or, where v is not
// nil, executes v in its place. The command goes to a session of its own,
// or with fg to a new group of pgrun's session, given the terminal on
// fd 0 when cmd.Terminal is set; cookie, when not "", is the first entry
// of its environment, where a reader of /proc/PID/environ finds it at
// once. It returns the child's pid and, where the system has them, its
// pidfd (else -1).
//
// An error executing the command is an *ExecError; a failure to create its
// process (nothing of the command was tried) is a *cloneError; an error
// executing v is returned as it is.
func forkCommand(path string, cmd Command, attr *syscall.SysProcAttr, v *via, cookie string, fg bool) (pid, pidfd int, err error) {
	pidfd = -1
	setPidfd(attr, &pidfd)
	if fg {
		attr.Setpgid = true
		attr.Foreground = cmd.Terminal
		attr.Ctty = 0
	} else {
		attr.Setsid = true
	}
	// Where the system can, the command dies if pgrun dies first. The
	// kernel ties that to the forking thread, which is why pgrun forks on
	// its locked main thread.
	setPdeathsig(attr)
	env := cmd.Env
	if cookie != "" {
		env = append([]string{cookie}, cmd.Env...)
	}
	pa := &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}, Sys: attr}
	if v != nil {
		pa.Files = append(pa.Files, v.files...)
		argv := append(append(v.args[:len(v.args):len(v.args)], path), cmd.Args...)
		if pid, err = syscall.ForkExec(v.path, argv, pa); err != nil {
			return 0, -1, err
		}
		return pid, pidfd, nil
	}
	if pid, err = forkExecvp(path, cmd.Args, pa); err != nil {
		var clone *cloneError
		if errors.As(err, &clone) {
			return 0, -1, err // pgrun's failure (coreutils: 125), or its cgroup's
		}
		return 0, -1, &ExecError{Name: cmd.Args[0], Err: err}
	}
	return pid, pidfd, nil
}

// forkExecvp starts path as execvp(3) would once it has found it: a file
// the kernel cannot execute for want of a #! line (ENOEXEC) is run by
// /bin/sh. Where it can tell (Linux, with attr.Sys.PidFD set), an error
// from the clone itself, before any execve, is a *cloneError; any other
// error is execve's, or that of a step of the child before it.
func forkExecvp(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	pid, err := forkExec(path, argv, attr)
	if errors.Is(err, syscall.ENOEXEC) {
		sh := append([]string{"/bin/sh", path}, argv[1:]...)
		pid, err = forkExec("/bin/sh", sh, attr)
	}
	return pid, err
}

// cloneError reports that the kernel refused to create the command's
// process (clone failed; in a cgroup, perhaps for the cgroup's sake):
// nothing of the command was tried, not even its execve.
type cloneError struct{ Err error }

func (e *cloneError) Error() string { return "creating the command's process: " + e.Err.Error() }

func (e *cloneError) Unwrap() error { return e.Err }
