package jobobject

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Resume starts a process that was created suspended (CREATE_SUSPENDED),
// once it is in its job: it resumes the process's threads, which a Toolhelp
// snapshot lists (a process created suspended has one, its main thread).
// It fails if it resumed none.
func Resume(pid uint32) error {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return fmt.Errorf("listing the command's threads: %w", err)
	}
	defer windows.CloseHandle(snap)
	resumed := 0
	e := windows.ThreadEntry32{Size: uint32(unsafe.Sizeof(windows.ThreadEntry32{}))}
	for err = windows.Thread32First(snap, &e); err == nil; err = windows.Thread32Next(snap, &e) {
		if e.OwnerProcessID != pid {
			continue
		}
		th, err := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, e.ThreadID)
		if err != nil {
			return fmt.Errorf("opening the command's thread %d: %w", e.ThreadID, err)
		}
		_, err = windows.ResumeThread(th)
		windows.CloseHandle(th)
		if err != nil {
			return fmt.Errorf("resuming the command's thread %d: %w", e.ThreadID, err)
		}
		resumed++
	}
	if resumed == 0 {
		return fmt.Errorf("resuming the command: no thread of process %d found", pid)
	}
	return nil
}
