package cgroupfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer/proc"
)

// ownerAttr, set to ownerMark, marks a cgroup directory that pgrun made.
// A user.* attribute, because its owner may set one on a cgroup directory
// (Linux 5.7 and later; cgroup.kill needs 5.14): root, and a user who is
// not root in a subtree delegated to them. A trusted.* one needs
// CAP_SYS_ADMIN. Writing it needs write access to the directory: only
// root and the directory's owner can mark a cgroup as pgrun's.
const (
	ownerAttr = "user.pgrun.owner"
	ownerMark = "pgrun"
)

// Cgroup is a fresh cgroup v2 directory below pgrun's own, used once:
// after a cgroup.kill the kernel would kill what is cloned into it again.
//
// pgrun marks the directory as its own (the extended attribute
// ownerAttr) when it makes it: that, not the name, is how another pgrun
// tells a cgroup that pgrun made from one that someone else named
// pgrun-... (a CI pool's), which no sweep may ever touch. And pgrun holds
// an flock on the directory for as long as it lives: that is how another
// pgrun tells a cgroup in use from one that a SIGKILLed pgrun left behind.
// A pid in the name could not say it: the pid may be recycled, or belong
// to another pid namespace (every container's pgrun may be pid 2), and
// the lock goes with its holder's death, whatever the namespace.
type Cgroup struct {
	Dir string
	fd  int // the directory, locked
}

// cgroupPrefix starts the name of every cgroup pgrun makes.
const Prefix = "pgrun-"

// New creates pgrun's cgroup. Unless forced, it does so only where
// pgrun may manage cgroups: no systemd on the machine, or a subtree that
// systemd delegated (marked by a delegate xattr).
func New(forced bool) (*Cgroup, error) {
	parent, err := OwnDir()
	if err != nil {
		return nil, err
	}
	if !forced && !mayManage(parent) {
		return nil, fmt.Errorf("%s is managed by systemd and not delegated", parent)
	}
	// The pid is for people reading the hierarchy; the random part makes
	// the name unique across pid namespaces.
	for try := 0; ; try++ {
		dir := filepath.Join(parent, fmt.Sprintf("%s%d-%08x", Prefix, os.Getpid(), rand.Uint32()))
		cg, err := makeCgroup(dir)
		if err == nil || try == 2 || !errors.Is(err, errTaken) {
			return cg, err
		}
	}
}

// RemoveStale removes the cgroups beside c that pgruns killed with
// SIGKILL (and no guardian) left behind (see removeIfStale). It need not
// come before anything: pgrun calls it once the command has started,
// while the command executes.
func (c *Cgroup) RemoveStale() { removeStale(filepath.Dir(c.Dir)) }

// errTaken reports that a new cgroup's name was taken, or that the new
// directory was locked, removed or replaced before pgrun could lock it
// (no pgrun does that: see makeCgroup).
var errTaken = errors.New("cgroup taken")

// makeCgroup creates the cgroup dir, opens it, locks it and marks it as
// pgrun's.
//
// A directory that cannot be marked is used all the same, unmarked: no
// other pgrun will ever take it for stale, so only its maker removes it
// (pgrun on its way out, or its guardian), and one left by a pgrun killed
// with SIGKILL and no guardian stays. Sweeping unmarked directories
// instead would be the bug the mark is there to prevent.
func makeCgroup(dir string) (*Cgroup, error) {
	if err := os.Mkdir(dir, 0o755); errors.Is(err, os.ErrExist) {
		return nil, errTaken
	} else if err != nil {
		return nil, err
	}
	// Unmarked, the directory is no sweep's: the path still names it, and
	// no sweep tries its lock.
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	// The lock goes before the mark: a sweep finds every marked directory
	// of a live pgrun locked, so none can take this one from its maker,
	// however many pgruns start at once. (Marked first, a sweep could
	// take the empty, unlocked, marked directory between mark and lock,
	// and a pgrun lost its cgroup to a sibling's sweep.) From the mark on,
	// whatever a SIGKILL leaves of the directory is a stale cgroup that
	// the next pgrun removes; before it, one that stays (see above), as
	// between the mkdir and any mark. A failure to mark leaves it
	// unmarked. The checks are for what no pgrun does: another process
	// holding the lock, or the directory removed or replaced.
	var own, named unix.Stat_t
	if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) != nil || unix.Fstat(fd, &own) != nil ||
		unix.Stat(dir, &named) != nil || own.Dev != named.Dev || own.Ino != named.Ino {
		unix.Close(fd)
		return nil, errTaken
	}
	unix.Fsetxattr(fd, ownerAttr, []byte(ownerMark), 0)
	// Checked through the locked descriptor: whatever became of the path,
	// a failure here says that the kernel has no cgroup.kill.
	var st unix.Stat_t
	if err := unix.Fstatat(fd, "cgroup.kill", &st, 0); err != nil {
		(&Cgroup{Dir: dir, fd: fd}).Remove()
		return nil, fmt.Errorf("no cgroup.kill (Linux 5.14 or later): %w", err)
	}
	return &Cgroup{Dir: dir, fd: fd}, nil
}

// markedOwn reports whether the directory fd is a cgroup that pgrun made:
// it carries the mark that makeCgroup sets. Anything else, whatever its
// name, is someone else's.
func markedOwn(fd int) bool {
	buf := make([]byte, len(ownerMark)+1) // a longer value fails with ERANGE
	n, err := unix.Fgetxattr(fd, ownerAttr, buf)
	return err == nil && string(buf[:n]) == ownerMark
}

// Populated reports whether a live process is in the cgroup.
func (c *Cgroup) Populated() (bool, error) {
	b, err := os.ReadFile(filepath.Join(c.Dir, "cgroup.events"))
	if err != nil {
		return false, fmt.Errorf("reading cgroup.events: %w", err)
	}
	return bytes.Contains(b, []byte("populated 1")), nil
}

// Kill KILLs every process in the cgroup, through its directory (which
// names the cgroup whatever became of the path).
func (c *Cgroup) Kill() error {
	if err := writeAt(c.fd, "cgroup.kill", "1"); err != nil {
		return fmt.Errorf("killing cgroup %s: %w", c.Dir, err)
	}
	return nil
}

// Remove deletes the cgroup, and the stale cgroups of nested pgruns in it;
// it must be empty (zombies do not count). The lock goes last, so that no
// sweep races the removal.
func (c *Cgroup) Remove() error {
	// Most often it holds no cgroup: one rmdir, without reading it.
	var err error
	if rerr := unix.Rmdir(c.Dir); rerr != nil && rerr != unix.ENOENT {
		err = removeTree(c.Dir)
	}
	if c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
	return err
}

// OwnDir is the directory of pgrun's cgroup in the cgroup v2
// hierarchy (mounted at /sys/fs/cgroup, or /sys/fs/cgroup/unified on
// hybrid systems).
func OwnDir() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	var own string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			own = rest
		}
	}
	if own == "" {
		return "", errors.New("not in a cgroup v2 hierarchy")
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options... - fstype source ...
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, fl := range fields {
			if fl == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || sep+1 >= len(fields) || fields[sep+1] != "cgroup2" {
			continue
		}
		root, point := fields[3], fields[4]
		rel, ok := strings.CutPrefix(own, root)
		if !ok {
			continue
		}
		return filepath.Join(point, rel), nil
	}
	return "", errors.New("no cgroup v2 file system mounted")
}

// mayManage reports whether pgrun may create cgroups below dir without
// stepping on systemd: systemd is not running, or it delegated dir.
func mayManage(dir string) bool {
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		return true
	}
	buf := make([]byte, 8)
	for _, attr := range []string{"trusted.delegate", "user.delegate"} {
		if n, err := unix.Getxattr(dir, attr, buf); err == nil && string(buf[:n]) == "1" {
			return true
		}
	}
	return false
}

// Of is the cgroup v2 path of /proc/WHO/cgroup.
func Of(who string) (string, error) {
	var buf [4096]byte
	b, err := proc.ReadAt(unix.AT_FDCWD, "/proc/"+who+"/cgroup", buf[:])
	if err != nil {
		return "", err
	}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if rest, ok := bytes.CutPrefix(line, []byte("0::")); ok {
			return string(rest), nil
		}
	}
	return "", errors.New("not in a cgroup v2 hierarchy")
}

// Inherited is the cgroup dir whose directory, opened and locked by the
// pgrun that made it, is fd: a guardian's, passed on by pgrun.
func Inherited(dir string, fd int) *Cgroup { return &Cgroup{Dir: dir, fd: fd} }

// Fd is the cgroup's directory, locked: clone3 starts a process in the
// cgroup through it (CLONE_INTO_CGROUP), and it names the cgroup whatever
// becomes of its path.
func (c *Cgroup) Fd() int { return c.fd }
