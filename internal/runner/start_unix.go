//go:build unix

package runner

import (
	"errors"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer"
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

// place sets where in a the command goes: its own session by default, or
// (fg) a new group of pgrun's session, given the terminal on fd 0 when tty
// is set. Where the system can, the command is killed if pgrun dies first
// (Pdeathsig); the kernel ties that to the forking thread, which is why Run
// must run on the locked main thread.
func place(a *syscall.SysProcAttr, fg, tty bool) {
	if fg {
		a.Setpgid = true
		a.Foreground = tty
		a.Ctty = 0
	} else {
		a.Setsid = true
	}
	setPdeathsig(a)
}

// start forks and executes args, found at path, with pgrun's standard
// streams and the entries of l.Env followed by the environment env, or, where l.Via is
// set, executes l.Via in its place. Like execvp, a file the kernel cannot
// execute for want of a #! line (ENOEXEC) is run by /bin/sh. It returns
// the child's pid and, where the system has them, its pidfd (else -1). An
// error executing the command is a *StartError; a failure to create its
// process (a *killer.CloneError: nothing of the command was tried), and
// an error executing l.Via, are returned as they are.
func start(path string, args, env []string, l killer.Launch) (pid, pidfd int, err error) {
	pidfd = -1
	setPidfd(l.Attr, &pidfd)
	// The containment's entries (the tree's cookie) go first, where a
	// reader of /proc/PID/environ finds them at once.
	pa := &syscall.ProcAttr{Env: append(l.Env[:len(l.Env):len(l.Env)], env...), Files: []uintptr{0, 1, 2}, Sys: l.Attr}
	if l.Via.Path != "" {
		pa.Files = append(pa.Files, l.Via.Files...)
		argv := append(append(l.Via.Args[:len(l.Via.Args):len(l.Via.Args)], path), args...)
		pid, err = syscall.ForkExec(l.Via.Path, argv, pa)
		if err != nil {
			return 0, -1, err
		}
		return pid, pidfd, nil
	}
	if pid, err = killer.ForkExec(path, args, pa); err != nil {
		var clone *killer.CloneError
		if errors.As(err, &clone) {
			return 0, -1, err // pgrun's failure (coreutils: 125), or its cgroup's
		}
		return 0, -1, &StartError{Name: args[0], Err: err}
	}
	return pid, pidfd, nil
}
