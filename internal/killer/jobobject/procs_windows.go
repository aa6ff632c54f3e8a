package jobobject

import (
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Process is what can be read of one process of the job, for listings.
type Process struct {
	Pid, Ppid uint32
	Exe       string    // the executable's file name, from Toolhelp
	Command   []string  // its command line split as the C runtime does; nil if unreadable
	Started   time.Time // zero if unreadable
}

// Describe reads what Toolhelp and the processes themselves say of pids,
// in their order; a process that ended meanwhile is left out. Only the
// numbers that Pids just returned are worth describing: a number may
// name another process once its own has ended.
func Describe(pids []uint32) []Process {
	want := make(map[uint32]bool, len(pids))
	for _, pid := range pids {
		want[pid] = true
	}
	found := map[uint32]Process{}
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err == nil {
		e := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
		for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
			if want[e.ProcessID] {
				found[e.ProcessID] = Process{Pid: e.ProcessID, Ppid: e.ParentProcessID, Exe: windows.UTF16ToString(e.ExeFile[:])}
			}
		}
		windows.CloseHandle(snap)
	}
	out := make([]Process, 0, len(pids))
	for _, pid := range pids {
		p, ok := found[pid]
		if !ok {
			p = Process{Pid: pid}
		}
		h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
		if err != nil {
			if ok {
				out = append(out, p)
			}
			continue
		}
		p.Command = commandLine(h)
		var created, exited, kernel, user windows.Filetime
		if windows.GetProcessTimes(h, &created, &exited, &kernel, &user) == nil {
			p.Started = time.Unix(0, created.Nanoseconds())
		}
		windows.CloseHandle(h)
		out = append(out, p)
	}
	return out
}

// commandLine reads a process's command line
// (ProcessCommandLineInformation, Windows 8.1 and later), or nil.
func commandLine(h windows.Handle) []string {
	buf := make([]byte, 4096)
	for {
		var n uint32
		err := windows.NtQueryInformationProcess(h, windows.ProcessCommandLineInformation,
			unsafe.Pointer(&buf[0]), uint32(len(buf)), &n)
		if err == nil {
			break
		}
		if int(n) <= len(buf) || len(buf) >= 1<<20 {
			return nil
		}
		buf = make([]byte, n)
	}
	u := (*windows.NTUnicodeString)(unsafe.Pointer(&buf[0]))
	args, err := windows.DecomposeCommandLine(u.String())
	if err != nil {
		return nil
	}
	return args
}
