package proc

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// openEnviron opens the environment of pid. A process whose main thread
// has ended has none to show there (ESRCH): its other threads, which
// share it, show it.
func openEnviron(pid int) (int, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	fd, err := unix.Open(dir+"/environ", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		return fd, nil
	}
	tids, terr := os.ReadDir(dir + "/task")
	if terr != nil {
		return -1, err
	}
	for _, t := range tids {
		if fd, terr := unix.Open(dir+"/task/"+t.Name()+"/environ", unix.O_RDONLY|unix.O_CLOEXEC, 0); terr == nil {
			return fd, nil
		}
	}
	return -1, err
}

// HasEntry reports whether the environment of pid holds the entry kv, as
// /proc/PID/environ shows it, however long it is. pgrun puts its cookie
// first, so the first read mostly settles it; a shell below the command
// may have reordered the environment it passed on, so the rest is read
// too, a block at a time.
func HasEntry(pid int, kv []byte) bool {
	fd, err := openEnviron(pid)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	// Entries end in NUL; a NUL put before the first makes every entry
	// one between two NULs, and one after the last, the last too.
	want := append(append([]byte{0}, kv...), 0)
	var block [16 << 10]byte
	kept := 1 // bytes at the start of block carried over: a NUL, then a block's tail
	for {
		n, err := unix.Read(fd, block[kept:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		end := kept + n
		if n == 0 {
			block[end] = 0
			end++
		}
		if bytes.Contains(block[:end], want) {
			return true
		}
		if n == 0 {
			return false
		}
		// Keep what may begin a match that the next block completes.
		tail := min(len(want)-1, end)
		copy(block[:], block[end-tail:end])
		kept = tail
	}
}
