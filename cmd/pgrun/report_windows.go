package main

import (
	"os"

	"golang.org/x/sys/windows"

	"github.com/pgrun/pgrun/internal/killer"
)

// reportRusage is the report's usage on Windows: what the command's job
// counted of all its processes (see killer.Usage). Windows has no
// resident-set peak for a job; its peak committed memory stands in.
type reportRusage struct {
	UserSeconds      float64 `json:"user_seconds"`
	SystemSeconds    float64 `json:"system_seconds"`
	PeakJobMemoryKiB int64   `json:"peak_job_memory_kib"`
	Processes        uint32  `json:"processes"`
}

func usageOf(u killer.Usage) *reportRusage {
	return &reportRusage{
		UserSeconds:      u.User.Seconds(),
		SystemSeconds:    u.System.Seconds(),
		PeakJobMemoryKiB: int64(u.PeakMemory / 1024),
		Processes:        u.Processes,
	}
}

// oNoFollow is nothing: Windows's open has no such flag (O_EXCL already
// refuses a name that exists, a link included).
const oNoFollow = 0

// writable is nil: Windows has no FIFOs at a path (named pipes are
// \\.\pipe\ names, opened as files).
func writable(string) error { return nil }

// dupForWriting returns a copy of pgrun's handle for descriptor fd (0, 1
// or 2), which the command does not inherit.
func dupForWriting(fd int) (*os.File, error) {
	std := []*os.File{os.Stdin, os.Stdout, os.Stderr}
	if fd < 0 || fd >= len(std) {
		return nil, windows.ERROR_INVALID_HANDLE
	}
	var dup windows.Handle
	proc := windows.CurrentProcess()
	if err := windows.DuplicateHandle(proc, windows.Handle(std[fd].Fd()), proc, &dup, 0, false, windows.DUPLICATE_SAME_ACCESS); err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(dup), std[fd].Name()), nil
}
