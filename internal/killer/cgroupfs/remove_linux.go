package cgroupfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

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
		if e.IsDir() && strings.HasPrefix(e.Name(), Prefix) {
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
			case strings.HasPrefix(e.Name(), Prefix):
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
