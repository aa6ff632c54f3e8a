package jobobject

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

var procIsProcessInJob = windows.NewLazySystemDLL("kernel32.dll").NewProc("IsProcessInJob")

// Contains reports whether process is in the job (or in a job nested in
// it).
func (j *Job) Contains(process windows.Handle) (bool, error) {
	var in int32
	r, _, err := procIsProcessInJob.Call(uintptr(process), uintptr(j.h), uintptr(unsafe.Pointer(&in)))
	if r == 0 {
		return false, fmt.Errorf("asking whether a process is in the job: %w", err)
	}
	return in != 0, nil
}

// Live is a set of the job's live processes opened for waiting: each
// handle is to a process proven in the job after it was opened, so a
// number reused by a process outside the job is never waited for.
type Live struct {
	Handles []windows.Handle
	// Listed is how many processes the job counted; Exited, how many of
	// those had exited by the time they were opened (the job counts a
	// process for a moment after it ends).
	Listed, Exited int
}

// OpenLive lists the job's live processes and opens at most max of them
// for waiting. The caller closes the handles (Close).
func (j *Job) OpenLive(max int) (Live, error) {
	pids, err := j.Pids()
	if err != nil {
		return Live{}, err
	}
	l := Live{Listed: len(pids)}
	for _, pid := range pids {
		if len(l.Handles) == max {
			break
		}
		h, err := openForWaiting(pid)
		if err == windows.ERROR_INVALID_PARAMETER {
			l.Exited++ // no such process any more
			continue
		}
		if err != nil {
			continue // not ours to open: only the port's messages tell of it
		}
		if in, err := j.Contains(h); err != nil || !in {
			windows.CloseHandle(h)
			if err == nil {
				l.Exited++ // the number names another process now
			}
			continue
		}
		if ev, _ := windows.WaitForSingleObject(h, 0); ev == windows.WAIT_OBJECT_0 {
			l.Exited++
			windows.CloseHandle(h)
			continue
		}
		l.Handles = append(l.Handles, h)
	}
	return l, nil
}

// openForWaiting opens a process to wait for it and to ask whether it is
// in the job, which Windows allows with the limited query right and Wine
// only with the full one: the full one first, where pgrun has it.
func openForWaiting(pid uint32) (windows.Handle, error) {
	h, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_QUERY_INFORMATION, false, pid)
	if err == windows.ERROR_ACCESS_DENIED {
		h, err = windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	}
	return h, err
}

// Close closes the handles.
func (l Live) Close() {
	for _, h := range l.Handles {
		windows.CloseHandle(h)
	}
}
