package guardian

import (
	"errors"
	"fmt"
	"strconv"
)

// The guardian's descriptors, as Arm sets them up.
const (
	lifelineFd = 3 // read end: one byte means dismissed, end of file that pgrun died
	pidfdFd    = 4 // the command's pidfd, with Spec.Pidfd
	cgroupFd   = 5 // the cgroup's directory, locked, with Spec.Cgroup
	exeFd      = 6 // pgrun's executable (O_PATH), with Spec.Watched
	pgrunFd    = 7 // pgrun's pidfd, taken while it lived, with Spec.Watched
)

// Spec says what a guardian watches over: how it finds the tree of a pgrun
// that died. It travels to the guardian on its command line (args, then
// parseSpec), which nothing else reads.
type Spec struct {
	// Leader is the command's pid, leader of its session (or, with
	// Foreground, of its process group).
	Leader int
	// Start is the leader's start time (clock ticks after boot), 0 if
	// unknown: it tells the leader's session from one that a later
	// process with its number may make. Arm reads it.
	Start uint64
	// Foreground: the command shares pgrun's session, so its process
	// group, not its session, is the tree's.
	Foreground bool
	// Cookie is the environment entry that marks the tree's processes, ""
	// if none.
	Cookie string
	// Cgroup is the run's cgroup directory, "" if none: the guardian
	// kills the cgroup (its locked directory is passed as a descriptor).
	Cgroup string
	// Sweep makes the guardian, without a cgroup, pass over /proc for the
	// tree's sessions, groups and cookie (the subreaper's tree).
	Sweep bool
	// Pidfd says that the guardian holds the command's pidfd.
	Pidfd bool
	// Passes makes the sweep pass over /proc even where it could start
	// from the process that adopted pgrun's children (tests).
	Passes bool
	// Watched says that the watcher started this guardian once pgrun
	// had died (see watcher_linux.go): pgrun's pidfd is pgrunFd.
	Watched bool
}

// args encodes s as the guardian's argv, its name first.
func (s Spec) args() []string {
	args := []string{Name, "-leader", strconv.Itoa(s.Leader), "-start", strconv.FormatUint(s.Start, 10)}
	if s.Sweep {
		args = append(args, "-sweep")
	}
	if s.Pidfd {
		args = append(args, "-pidfd")
	}
	if s.Passes {
		args = append(args, "-passes")
	}
	if s.Watched {
		args = append(args, "-watched")
	}
	if s.Foreground {
		args = append(args, "-fg")
	}
	if s.Cookie != "" {
		args = append(args, "-cookie", s.Cookie)
	}
	if s.Cgroup != "" {
		args = append(args, "-cgroup", s.Cgroup)
	}
	return args
}

// parseSpec decodes what args encoded (without the name).
func parseSpec(args []string) (Spec, error) {
	var s Spec
	for i := 0; i < len(args); i++ {
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", args[i])
			}
			i++
			return args[i], nil
		}
		var err error
		switch args[i] {
		case "-leader":
			var v string
			if v, err = next(); err == nil {
				s.Leader, err = strconv.Atoi(v)
			}
		case "-start":
			var v string
			if v, err = next(); err == nil {
				s.Start, err = strconv.ParseUint(v, 10, 64)
			}
		case "-sweep":
			s.Sweep = true
		case "-pidfd":
			s.Pidfd = true
		case "-passes":
			s.Passes = true
		case "-watched":
			s.Watched = true
		case "-fg":
			s.Foreground = true
		case "-cookie":
			s.Cookie, err = next()
		case "-cgroup":
			s.Cgroup, err = next()
		default:
			err = fmt.Errorf("unknown argument %q", args[i])
		}
		if err != nil {
			return s, err
		}
	}
	if s.Leader <= 0 {
		return s, errors.New("no -leader")
	}
	return s, nil
}
