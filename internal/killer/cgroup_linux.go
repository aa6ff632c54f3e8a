package killer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/pgrun/pgrun/internal/killer/proc"
	"golang.org/x/sys/unix"
)

// containment is how the command's tree will be contained, chosen before
// pgrun forks.
type containment struct {
	mode  Mode   // Group, Subreaper, Cgroup or Pidns
	why   string // why not a stronger mode, or where the cgroup is
	cg    *cgroup
	ns    *namespace // Pidns: the namespace being made
	named bool       // mode was asked for by name: never fall back from it
}

// contain prepares the containment mode asked for (Auto: the strongest
// available). It fails only when a mode that is not available was asked
// for by name.
func contain(mode Mode) (*containment, error) {
	switch mode {
	case Group:
		return &containment{mode: Group, why: "asked for", named: true}, nil
	case Subreaper:
		return &containment{mode: Subreaper, why: "asked for", named: true}, nil
	case Pidns:
		ns := newNamespace()
		return &containment{mode: Pidns, why: ns.why(), ns: ns, named: true}, nil
	case Cgroup, Auto:
		cg, err := newCgroup(mode == Cgroup)
		if err == nil {
			return &containment{mode: Cgroup, why: cg.dir, cg: cg, named: mode == Cgroup}, nil
		}
		if mode == Cgroup {
			return nil, fmt.Errorf("cannot contain the command in a cgroup: %w", err)
		}
		return &containment{mode: Subreaper, why: "no cgroup: " + err.Error()}, nil
	}
	return nil, fmt.Errorf("unknown containment %v", mode)
}

// apply makes attr start the command inside the containment: directly in
// its cgroup (clone3 CLONE_INTO_CGROUP), so it never runs outside it, or
// under the init of a fresh pid namespace, which the command's fork then
// executes in its place.
func (c *containment) apply(attr *syscall.SysProcAttr) (*via, error) {
	if c.cg != nil {
		attr.UseCgroupFD, attr.CgroupFD = true, c.cg.fd
	}
	if c.ns != nil {
		return c.ns.apply(attr)
	}
	return nil, nil
}

// failed says why a Pidns start failed to start the init.
func (c *containment) failed(err error) error {
	c.discard()
	return c.ns.failed(err)
}

// tree returns the Tree of the command just started with an attr that
// apply prepared.
//
// Some kernels (seen on 6.18) kill a process cloned into a cgroup when that
// cgroup and the parent's differ in how often they were killed via
// cgroup.kill, as happens when pgrun itself runs in a cgroup that was
// killed once (a CI slot that is reused). The child dies before running a
// single instruction of its own. tree detects that, reaps it and returns
// errKilledAtBirth: the caller falls back and starts the command again.
//
// k says who pgrun's children were before the command (see family); fg and
// cookie, how the command's tree is marked.
func (c *containment) tree(pid, pidfd int, k kin, fg bool, cookie string) (Tree, error) {
	switch {
	case c.mode == Group:
		return NewGroup(pid, pidfd), nil
	case c.ns != nil:
		return c.ns.tree(pid, pidfd)
	case c.cg == nil:
		return newTree(pid, pidfd, k.family(pid, fg, cookie, nil)), nil
	case neverExecuted(pid):
		reap(pid) // it is dying, not running: this does not block for long
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		return nil, errKilledAtBirth
	}
	return &cgroupTree{tree: newTree(pid, pidfd, k.family(pid, fg, cookie, c.cg)), cg: c.cg}, nil
}

// fallback gives up the cgroup, after errKilledAtBirth or a failed start,
// for the subreaper, and says why. When the cgroup was asked for by name
// it fails instead, with why: the caller must not start the command.
func (c *containment) fallback(why string) error {
	c.discard()
	if c.named && c.mode == Cgroup {
		return fmt.Errorf("cannot contain the command in a cgroup: %s", why)
	}
	c.mode, c.why = Subreaper, why
	return nil
}

// limits says what this containment cannot reach here beyond what its
// mode never reaches, or "". Where /proc belongs to another pid namespace,
// processes that leave the command's process group cannot be found: in a
// cgroup they get only the KILL of cgroup.kill, otherwise nothing.
func (c *containment) limits() string {
	why := proc.Foreign()
	switch {
	case why == "" || c.mode == Group || c.mode == Pidns:
		return ""
	case c.cg != nil:
		return why + ": processes that leave the command's process group get no signal but the cgroup's KILL"
	}
	return why + ": processes that leave the command's process group are out of reach"
}

// discard frees what contain prepared, for a command that will not start.
func (c *containment) discard() {
	if c.cg != nil {
		c.cg.remove()
		c.cg = nil
	}
	if c.ns != nil {
		c.ns.discard()
	}
}

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

// cgroupTree is a tree born in a fresh cgroup of its own: KILL is one
// write to cgroup.kill, which the kernel applies atomically to every member
// and to forks in flight, before the walk-and-KILL rounds look for
// anything that moved out of the cgroup.
type cgroupTree struct {
	*tree
	cg *cgroup
}

func (t *cgroupTree) Signal(sig syscall.Signal, then ...syscall.Signal) (bool, error) {
	if sig != syscall.SIGKILL {
		return t.tree.Signal(sig, then...)
	}
	populated, err := t.cg.populated()
	if err != nil {
		return false, err
	}
	if err := t.cg.kill(); err != nil {
		return false, err
	}
	killLeft(t.cg.fd)
	reached, err := t.tree.Signal(sig)
	return reached || populated, err
}

// Release reaps the leader and removes the cgroup, unless processes were
// left in it on purpose (--orphans keep): then it stays until they end.
func (t *cgroupTree) Release() (Exit, error) {
	exit, err := t.tree.Release()
	if rerr := t.cg.remove(); err == nil && rerr != nil && !errors.Is(rerr, unix.EBUSY) {
		err = rerr
	}
	return exit, err
}

// cgroup is a fresh cgroup v2 directory below pgrun's own, used once:
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
type cgroup struct {
	dir string
	fd  int // the directory, locked
}

// cgroupPrefix starts the name of every cgroup pgrun makes.
const cgroupPrefix = "pgrun-"

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

// newCgroup creates pgrun's cgroup. Unless forced, it does so only where
// pgrun may manage cgroups: no systemd on the machine, or a subtree that
// systemd delegated (marked by a delegate xattr).
func newCgroup(forced bool) (*cgroup, error) {
	parent, err := ownCgroupDir()
	if err != nil {
		return nil, err
	}
	if !forced && !mayManage(parent) {
		return nil, fmt.Errorf("%s is managed by systemd and not delegated", parent)
	}
	removeStale(parent)
	// The pid is for people reading the hierarchy; the random part makes
	// the name unique across pid namespaces.
	for try := 0; ; try++ {
		dir := filepath.Join(parent, fmt.Sprintf("%s%d-%08x", cgroupPrefix, os.Getpid(), rand.Uint32()))
		cg, err := makeCgroup(dir)
		if err == nil || try == 2 || !errors.Is(err, errTaken) {
			return cg, err
		}
	}
}

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
func makeCgroup(dir string) (*cgroup, error) {
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
		(&cgroup{dir: dir, fd: fd}).remove()
		return nil, fmt.Errorf("no cgroup.kill (Linux 5.14 or later): %w", err)
	}
	return &cgroup{dir: dir, fd: fd}, nil
}

// markedOwn reports whether the directory fd is a cgroup that pgrun made:
// it carries the mark that makeCgroup sets. Anything else, whatever its
// name, is someone else's.
func markedOwn(fd int) bool {
	buf := make([]byte, len(ownerMark)+1) // a longer value fails with ERANGE
	n, err := unix.Fgetxattr(fd, ownerAttr, buf)
	return err == nil && string(buf[:n]) == ownerMark
}

// populated reports whether a live process is in the cgroup.
func (c *cgroup) populated() (bool, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, "cgroup.events"))
	if err != nil {
		return false, fmt.Errorf("reading cgroup.events: %w", err)
	}
	return bytes.Contains(b, []byte("populated 1")), nil
}

// removeStale removes the cgroups that pgruns killed with SIGKILL left in
// parent: named pgrun-..., marked as pgrun's, and locked by no one (see
// removeIfStale). A cgroup still holding processes cannot be removed and
// is left alone.
func removeStale(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), cgroupPrefix) {
			removeIfStale(filepath.Join(parent, e.Name()))
		}
	}
}

// removeIfStale removes the cgroup dir, named pgrun-..., and what it
// holds, if it is a stale cgroup of pgrun's: marked as made by pgrun, and
// locked by no one. One that is not marked is someone else's and is left
// alone, locked or not.
func removeIfStale(dir string) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	// The mark is read before any lock is tried: an unmarked directory may
	// be a pgrun's between its mkdir and its lock, and a sweep that held
	// its lock then would make that pgrun give the directory up, for no
	// one to remove. A marked one was locked by its maker before it was
	// marked: if its lock is free, its maker is gone.
	if !markedOwn(fd) {
		return
	}
	if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) != nil {
		return // in use
	}
	removeTree(dir)
}

// removeTree removes the cgroup dir after the cgroups below it, deepest
// first: a cgroup with children cannot be removed. A nested pgrun's cgroup
// (an inner pgrun killed with the outer's tree) goes too if it is stale
// (see removeIfStale); one named pgrun-... but not marked as pgrun's is
// never removed, nor what is below it, and so neither is dir. Other
// cgroups the command made are removed when empty.
func removeTree(dir string) error {
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			sub := filepath.Join(dir, e.Name())
			switch {
			case !e.IsDir():
			case strings.HasPrefix(e.Name(), cgroupPrefix):
				removeIfStale(sub)
			default:
				removeTree(sub)
			}
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing cgroup: %w", err)
	}
	return nil
}

// kill KILLs every process in the cgroup, through its directory (which
// names the cgroup whatever became of the path).
func (c *cgroup) kill() error {
	if err := writeAt(c.fd, "cgroup.kill", "1"); err != nil {
		return fmt.Errorf("killing cgroup %s: %w", c.dir, err)
	}
	return nil
}

// killLeft KILLs what a write to cgroup.kill leaves alive in the cgroup
// whose directory is dirfd, and below it: a process whose main thread has
// ended (pthread_exit in main) gets that KILL on its main thread alone,
// which no longer acts on signals, and lives on (measured on 6.18); a KILL
// to the process reaches one of its live threads. A process is signalled
// through a pidfd opened while cgroup.procs listed its number, and only if
// the number is listed there again afterwards with the pidfd still alive:
// then it named that process, in the cgroup, throughout.
func killLeft(dirfd int) {
	before, err := cgroupProcs(dirfd)
	if err != nil {
		return
	}
	fds := make(map[int]int, len(before))
	for _, pid := range before {
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			fds[pid] = fd
		}
	}
	after, _ := cgroupProcs(dirfd)
	for _, pid := range after {
		if fd, ok := fds[pid]; ok && proc.Alive(fd) {
			unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
		}
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	d, err := os.Open("/proc/self/fd/" + strconv.Itoa(dirfd))
	if err != nil {
		return
	}
	entries, _ := d.ReadDir(-1)
	d.Close()
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if sub, err := unix.Openat(dirfd, e.Name(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			killLeft(sub)
			unix.Close(sub)
		}
	}
}

// cgroupProcs lists the processes of the cgroup whose directory is dirfd.
func cgroupProcs(dirfd int) ([]int, error) {
	fd, err := unix.Openat(dirfd, "cgroup.procs", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "cgroup.procs")
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range bytes.Fields(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// remove deletes the cgroup, and the stale cgroups of nested pgruns in it;
// it must be empty (zombies do not count). The lock goes last, so that no
// sweep races the removal.
func (c *cgroup) remove() error {
	err := removeTree(c.dir)
	if c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
	return err
}

// ownCgroupDir is the directory of pgrun's cgroup in the cgroup v2
// hierarchy (mounted at /sys/fs/cgroup, or /sys/fs/cgroup/unified on
// hybrid systems).
func ownCgroupDir() (string, error) {
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
