package cgroupfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// testCgroupParent makes a cgroup below the test's own for the cgroups of
// one test, and removes it, with whatever the test left in it, at the end.
// Its name does not start with pgrun-: no pgrun of another test's sweep
// goes into it. It skips the test where cgroups cannot be made.
func testCgroupParent(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("cgroups need root (or a delegated subtree)")
	}
	own, err := OwnDir()
	if err != nil {
		t.Skip("no cgroup v2 here:", err)
	}
	parent := filepath.Join(own, fmt.Sprintf("killer-test-%d-%s", os.Getpid(), t.Name()))
	if err := os.Mkdir(parent, 0o755); err != nil {
		t.Skip("cannot make a cgroup here:", err)
	}
	t.Cleanup(func() { rmdirAll(t, parent) })
	return parent
}

// rmdirAll removes the empty cgroup dir and every cgroup below it,
// deepest first, whoever made them.
func rmdirAll(t *testing.T, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			rmdirAll(t, filepath.Join(dir, e.Name()))
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cleaning up: %v", err)
	}
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// staleCgroup makes a cgroup the way pgrun does, and unlocks it: what a
// pgrun killed with SIGKILL leaves behind.
func staleCgroup(t *testing.T, dir string) {
	t.Helper()
	cg, err := makeCgroup(dir)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(cg.Fd())
}

func exists(dir string) bool {
	_, err := os.Stat(dir)
	return err == nil
}

// The sweep removes the cgroups that pgrun marked and no one locks, and
// the command's cgroups in them; it leaves cgroups in use, and every
// cgroup named pgrun-... that pgrun did not mark, wherever it is, with
// what is below it (and so what is above it).
func TestRemoveStaleOnlyMarked(t *testing.T) {
	parent := testCgroupParent(t)
	at := func(p string) string { return filepath.Join(parent, p) }

	mkdirs(t, at("pgrun-ci-pool"), at("pgrun-ci-pool/job1"))
	// A mark with a value pgrun does not write is not pgrun's either.
	mkdirs(t, at("pgrun-other"))
	if err := unix.Setxattr(at("pgrun-other"), ownerAttr, []byte(ownerMark+"-not"), 0); err != nil {
		t.Skip("no user xattrs on cgroups here:", err)
	}
	staleCgroup(t, at("pgrun-1-stale"))
	mkdirs(t, at("pgrun-1-stale/job"), at("pgrun-1-stale/job/step"))
	staleCgroup(t, at("pgrun-1-stale/pgrun-2-nested"))
	staleCgroup(t, at("pgrun-1-holds-foreign"))
	mkdirs(t, at("pgrun-1-holds-foreign/pgrun-ci-job"))
	live, err := makeCgroup(at("pgrun-1-live"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Remove()
	if !markedOwn(live.fd) {
		t.Fatal("makeCgroup did not mark the cgroup")
	}

	removeStale(parent)

	for _, p := range []string{"pgrun-ci-pool/job1", "pgrun-other", "pgrun-1-holds-foreign/pgrun-ci-job", "pgrun-1-live"} {
		if !exists(at(p)) {
			t.Errorf("%s was removed", p)
		}
	}
	if exists(at("pgrun-1-stale")) {
		t.Error("pgrun-1-stale was not removed")
	}
}

// removeTree on pgrun's own cgroup, as pgrun and its guardian call it,
// removes the command's cgroups and the stale cgroups of nested pgruns,
// but no cgroup named pgrun-... that pgrun did not mark, nor one in use.
func TestRemoveTreeSparesUnmarked(t *testing.T) {
	parent := testCgroupParent(t)
	own, err := makeCgroup(filepath.Join(parent, "pgrun-1-own"))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(own.fd)
	at := func(p string) string { return filepath.Join(own.Dir, p) }
	mkdirs(t, at("job"), at("job/pgrun-ci-job"), at("pgrun-ci-pool"))
	staleCgroup(t, at("pgrun-2-nested"))
	mkdirs(t, at("pgrun-2-nested/step"))
	inUse, err := makeCgroup(at("pgrun-3-in-use"))
	if err != nil {
		t.Fatal(err)
	}

	if err := removeTree(own.Dir); !errors.Is(err, unix.EBUSY) {
		t.Errorf("removeTree: %v, want EBUSY", err)
	}
	for _, p := range []string{"job/pgrun-ci-job", "pgrun-ci-pool", "pgrun-3-in-use"} {
		if !exists(at(p)) {
			t.Errorf("%s was removed", p)
		}
	}
	if exists(at("pgrun-2-nested")) {
		t.Error("the nested stale cgroup was not removed")
	}
	inUse.Remove()
	os.Remove(at("job/pgrun-ci-job"))
	os.Remove(at("pgrun-ci-pool"))
	if err := removeTree(own.Dir); err != nil || exists(own.Dir) {
		t.Errorf("removeTree of what is left: %v", err)
	}
}

// A cgroup that makeCgroup returns is the directory its path names,
// locked, whatever sweeps run meanwhile, and no sweep takes a fresh one
// from its maker: makeCgroup never says errTaken for a name of its own,
// however many pgruns start at once (it did when it marked the directory
// before locking it, and the sweeps of a few pgruns started together made
// one of them give up its cgroup). None that it handed out is swept while
// it is held.
func TestMakeCgroupRacesSweeps(t *testing.T) {
	parent := testCgroupParent(t)
	var stop atomic.Bool
	var sweeps sync.WaitGroup
	for range 2 {
		sweeps.Go(func() {
			for !stop.Load() {
				removeStale(parent)
			}
		})
	}
	var taken, made atomic.Int64
	var makers sync.WaitGroup
	for m := range 2 {
		makers.Go(func() {
			for i := range 1000 {
				dir := filepath.Join(parent, fmt.Sprintf("pgrun-%d-%d", m, i))
				cg, err := makeCgroup(dir)
				if errors.Is(err, errTaken) {
					taken.Add(1)
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				made.Add(1)
				var own, named unix.Stat_t
				if unix.Fstat(cg.Fd(), &own) != nil || unix.Stat(dir, &named) != nil || own.Ino != named.Ino {
					t.Errorf("%s: not the directory made", dir)
				}
				other, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
				if err == nil {
					if unix.Flock(other, unix.LOCK_EX|unix.LOCK_NB) == nil {
						t.Errorf("%s: not locked", dir)
					}
					unix.Close(other)
				}
				removeStale(parent)
				if !exists(dir) {
					t.Errorf("%s: swept while held", dir)
				}
				if err := cg.Remove(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	makers.Wait()
	stop.Store(true)
	sweeps.Wait()
	if taken.Load() != 0 {
		t.Errorf("%d cgroups made, %d taken by a sweep", made.Load(), taken.Load())
	}
}
