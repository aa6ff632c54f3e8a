package killer

import (
	"os"
	"syscall"

	"golang.org/x/sys/windows"

	"github.com/pgrun/pgrun/internal/killer/jobobject"
)

// start creates the command suspended in a new console process group,
// puts it in the run's job and only then resumes it: it runs no
// instruction outside the job, and every process it starts is born in
// the job. After an error nothing of it is left.
func (p *Containment) start(cmd Command) (Tree, Info, error) {
	c := p.c
	path, line, err := commandLine(cmd.Args)
	if err != nil {
		c.discard()
		return nil, Info{}, &ExecError{Name: cmd.Args[0], Err: err}
	}
	attr := &syscall.ProcAttr{
		Env:   cmd.Env,
		Files: []uintptr{stdHandle(os.Stdin), stdHandle(os.Stdout), stdHandle(os.Stderr)},
		Sys: &syscall.SysProcAttr{
			CmdLine:       line,
			CreationFlags: windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP,
		},
	}
	pid, handle, err := syscall.StartProcess(path, cmd.Args, attr)
	if err != nil {
		c.discard()
		return nil, Info{}, &ExecError{Name: cmd.Args[0], Err: err}
	}
	h := windows.Handle(handle)
	if err = c.job.Assign(h); err == nil {
		err = jobobject.Resume(uint32(pid))
	}
	if err != nil {
		windows.TerminateProcess(h, exitKilled) // it never ran
		windows.CloseHandle(h)
		c.discard()
		return nil, Info{}, err
	}
	guardian := "off"
	if p.spec.Guardian {
		guardian = "not needed: the job ends with pgrun"
	}
	tree := newJobTree(c, h, pid)
	tree.keep = p.spec.Keep
	return tree, Info{Pid: pid, Mode: Job, Why: c.why, Guardian: guardian}, nil
}

// stdHandle is f's handle for the command, or 0 (none) where pgrun has
// none: StartProcess passes on only handles it can duplicate.
func stdHandle(f *os.File) uintptr {
	h := f.Fd()
	if h == uintptr(windows.InvalidHandle) {
		return 0
	}
	return h
}
