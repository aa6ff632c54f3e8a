package jobobject

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Message is what the job's completion port says (JOB_OBJECT_MSG_*, in
// winnt.h).
type Message uint32

// The messages pgrun acts on; the others wake it all the same.
const (
	ActiveProcessZero   Message = 4 // no process is left in the job
	NewProcess          Message = 6 // a process was born in the job
	ExitProcess         Message = 7 // a process of the job ended
	AbnormalExitProcess Message = 8 // one ended by an unhandled exception
)

// portKey is the completion key of the job's messages; Close posts
// another to end Next.
const (
	portKey  = 1
	closeKey = 2
)

// Job is a job object with its completion port.
type Job struct {
	h    windows.Handle
	port windows.Handle
}

// New creates a job that ends its processes when its last handle is
// closed and lets none of them break away, with a completion port for its
// messages.
func New() (*Job, error) {
	h, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("creating a job object: %w", err)
	}
	j := &Job{h: h}
	// No JOB_OBJECT_LIMIT_BREAKAWAY_OK nor SILENT_BREAKAWAY_OK: a process
	// of the job that asks for CREATE_BREAKAWAY_FROM_JOB is refused.
	if err := setLimits(h, windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE); err != nil {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("making the job kill its processes when closed: %w", err)
	}
	j.port, err = windows.CreateIoCompletionPort(windows.InvalidHandle, 0, 0, 1)
	if err != nil {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("creating the job's completion port: %w", err)
	}
	assoc := struct {
		key  uintptr
		port windows.Handle
	}{portKey, j.port} // JOBOBJECT_ASSOCIATE_COMPLETION_PORT
	if _, err := windows.SetInformationJobObject(h, windows.JobObjectAssociateCompletionPortInformation,
		uintptr(unsafe.Pointer(&assoc)), uint32(unsafe.Sizeof(assoc))); err != nil {
		windows.CloseHandle(j.port)
		windows.CloseHandle(h)
		return nil, fmt.Errorf("associating the job with its completion port: %w", err)
	}
	return j, nil
}

// setLimits sets the job's limit flags: JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
// or none, never a breakaway.
func setLimits(h windows.Handle, flags uint32) error {
	var limits windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	limits.BasicLimitInformation.LimitFlags = flags
	_, err := windows.SetInformationJobObject(h, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&limits)), uint32(unsafe.Sizeof(limits)))
	return err
}

// KeepOnClose lets the job's processes outlive its last handle: what
// --orphans keep asks for, once the command has exited. They stay in
// the job, which still lets none of them break away.
func (j *Job) KeepOnClose() error {
	if err := setLimits(j.h, 0); err != nil {
		return fmt.Errorf("letting the job's processes outlive it: %w", err)
	}
	return nil
}

// Assign puts a process in the job. A process created suspended runs
// nothing before it is resumed, so what it starts is in the job too.
func (j *Job) Assign(process windows.Handle) error {
	if err := windows.AssignProcessToJobObject(j.h, process); err != nil {
		return fmt.Errorf("assigning the command to its job: %w", err)
	}
	return nil
}

// Terminate ends every process of the job at once, each with exit code
// code.
func (j *Job) Terminate(code uint32) error {
	if err := windows.TerminateJobObject(j.h, code); err != nil {
		return fmt.Errorf("terminating the job: %w", err)
	}
	return nil
}

// Accounting is what the job counts of its processes, those that ended
// included.
type Accounting struct {
	User, Kernel    int64  // CPU time of all its processes, in 100 ns units
	Total, Active   uint32 // processes ever in the job; those alive now
	PeakJobMemory   uint64 // the most committed memory of the job at once, bytes
	PeakProcessPeak uint64 // the most any one of its processes committed, bytes
}

// basicAccounting is JOBOBJECT_BASIC_ACCOUNTING_INFORMATION.
type basicAccounting struct {
	TotalUserTime, TotalKernelTime           int64
	ThisPeriodUserTime, ThisPeriodKernelTime int64
	TotalPageFaultCount                      uint32
	TotalProcesses, ActiveProcesses          uint32
	TotalTerminatedProcesses                 uint32
}

// Active returns how many processes of the job are alive now: exact,
// where the completion port's messages only wake.
func (j *Job) Active() (uint32, error) {
	var b basicAccounting
	if err := j.query(windows.JobObjectBasicAccountingInformation, unsafe.Pointer(&b), unsafe.Sizeof(b)); err != nil {
		return 0, err
	}
	return b.ActiveProcesses, nil
}

// Accounting returns the job's accounting.
func (j *Job) Accounting() (Accounting, error) {
	var b basicAccounting
	if err := j.query(windows.JobObjectBasicAccountingInformation, unsafe.Pointer(&b), unsafe.Sizeof(b)); err != nil {
		return Accounting{}, err
	}
	var ext windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	if err := j.query(windows.JobObjectExtendedLimitInformation, unsafe.Pointer(&ext), unsafe.Sizeof(ext)); err != nil {
		return Accounting{}, err
	}
	return Accounting{
		User: b.TotalUserTime, Kernel: b.TotalKernelTime,
		Total: b.TotalProcesses, Active: b.ActiveProcesses,
		PeakJobMemory: uint64(ext.PeakJobMemoryUsed), PeakProcessPeak: uint64(ext.PeakProcessMemoryUsed),
	}, nil
}

// Pids returns the process ids of the job's live processes
// (JobObjectBasicProcessIdList), however many there are.
func (j *Job) Pids() ([]uint32, error) {
	n := 64
	for {
		// JOBOBJECT_BASIC_PROCESS_ID_LIST: two counts, then the ids
		// (ULONG_PTR each).
		buf := make([]uintptr, 1+n)
		err := j.query(windows.JobObjectBasicProcessIdList, unsafe.Pointer(&buf[0]), uintptr(len(buf))*unsafe.Sizeof(buf[0]))
		assigned, listed := uint32(buf[0]), uint32(buf[0]>>32)
		if unsafe.Sizeof(uintptr(0)) == 4 {
			assigned, listed = uint32(buf[0]), uint32(buf[1])
			buf = buf[1:]
		}
		if errors.Is(err, windows.ERROR_MORE_DATA) || err == nil && assigned > listed {
			n = int(assigned) + 16
			continue
		}
		if err != nil {
			return nil, err
		}
		pids := make([]uint32, listed)
		for i := range pids {
			pids[i] = uint32(buf[1+i])
		}
		return pids, nil
	}
}

func (j *Job) query(class int32, p unsafe.Pointer, size uintptr) error {
	err := windows.QueryInformationJobObject(j.h, class, uintptr(p), uint32(size), nil)
	if err != nil {
		return fmt.Errorf("querying the job (class %d): %w", class, err)
	}
	return nil
}

// ErrClosed is what Next returns once Close was called.
var ErrClosed = errors.New("jobobject: job closed")

// Next blocks until the job's completion port has a message, and returns
// it with the process id it is about (none for ActiveProcessZero). Once
// Close is called it returns ErrClosed. One goroutine calls it.
//
// Windows does not promise to deliver every message: they wake the
// reader, and Active says how many processes are really left.
func (j *Job) Next() (Message, uint32, error) {
	for {
		var msg uint32
		var key uintptr
		var ov *windows.Overlapped
		err := windows.GetQueuedCompletionStatus(j.port, &msg, &key, &ov, windows.INFINITE)
		switch {
		case err != nil:
			return 0, 0, fmt.Errorf("reading the job's completion port: %w", err)
		case key == closeKey:
			return 0, 0, ErrClosed
		case key == portKey:
			// For job messages the overlapped pointer carries the
			// process id.
			return Message(msg), uint32(uintptr(unsafe.Pointer(ov))), nil
		}
	}
}

// Close closes the job: any process still in it is ended by the system
// (kill on close), unless another handle to the job is open. A goroutine
// blocked in Next returns ErrClosed; once none is left there, ClosePort
// frees the completion port.
func (j *Job) Close() error {
	err := windows.CloseHandle(j.h)
	windows.PostQueuedCompletionStatus(j.port, 0, closeKey, nil)
	return err
}

// ClosePort closes the completion port, after Close, once Next has
// returned ErrClosed (or was never called).
func (j *Job) ClosePort() error { return windows.CloseHandle(j.port) }

// String names the job for messages.
func (j *Job) String() string { return fmt.Sprintf("job %#x of pgrun %d", j.h, os.Getpid()) }
