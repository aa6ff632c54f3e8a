//go:build unix

package main

import (
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pgrun/pgrun/internal/killer"
)

// reportRusage is the report's usage: the command's own rusage.
type reportRusage struct {
	UserSeconds   float64 `json:"user_seconds"`
	SystemSeconds float64 `json:"system_seconds"`
	MaxRSSKiB     int64   `json:"max_rss_kib"`
}

func usageOf(ru killer.Usage) *reportRusage {
	return &reportRusage{
		UserSeconds:   time.Duration(syscall.TimevalToNsec(ru.Utime)).Seconds(),
		SystemSeconds: time.Duration(syscall.TimevalToNsec(ru.Stime)).Seconds(),
		MaxRSSKiB:     maxRSSKiB(ru),
	}
}

// oNoFollow makes the report's new file's open refuse a link.
const oNoFollow = syscall.O_NOFOLLOW

// writable checks that pgrun may write to path (a FIFO's reader comes
// later).
func writable(path string) error { return unix.Access(path, unix.W_OK) }

// dupForWriting returns a copy of descriptor fd, which must be open for
// writing. Written through a copy, a broken pipe on fd 1 or 2 is an error
// to report, where Go would make it pgrun's death by SIGPIPE; and the
// copy is closed on exec, so the command does not inherit it.
func dupForWriting(fd int) (*os.File, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	fl, err := unix.FcntlInt(uintptr(dup), unix.F_GETFL, 0)
	if err == nil && fl&unix.O_ACCMODE == unix.O_RDONLY {
		err = syscall.EBADF // as write(2) would say
	}
	if err != nil {
		unix.Close(dup)
		return nil, err
	}
	return os.NewFile(uintptr(dup), "/dev/fd/"+strconv.Itoa(fd)), nil
}
