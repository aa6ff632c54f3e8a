package killer

import (
	"fmt"
	"sort"
	"syscall"
	"time"

	"golang.org/x/sys/windows"

	"github.com/pgrun/pgrun/internal/killer/jobobject"
)

// exitKilled is the exit code TerminateJobObject gives every process of
// the job: 128+KILL, the status a shell shows for a process KILLed on
// Unix, so that --preserve-status reports 137 here too.
const exitKilled = 128 + 9

// exitTerminated is the code the job's processes get when TERM cannot be
// delivered as CTRL_BREAK_EVENT and the job is ended instead (see
// jobTree.signal): 128+TERM.
const exitTerminated = 128 + 15

// jobTree is the command's job: every process the command started, and
// what they started, whatever became of their parents. Its news comes
// from two goroutines that block, one on the job's completion port and
// one on the command's process handle, so nothing polls.
//
// pgrun keeps the command's process handle open until Release: while it
// is open the command's pid, which is also its console process group's
// number, is not given to another process, so CTRL_BREAK_EVENT sent to
// that group reaches only the command's.
type jobTree struct {
	job      *jobobject.Job
	leader   windows.Handle
	pid      int
	changes  chan struct{}  // a value when there is news for Reap
	ended    chan struct{}  // closed when the leader has exited
	port     chan struct{}  // closed when the port's reader is done
	watched  chan struct{}  // closed when watchRest is done
	news     windows.Handle // event: the port had a message
	stop     windows.Handle // event: Release stops watchRest
	exit     *Exit
	released bool
	keep     bool // Spec.Keep: Release lets what is left outlive pgrun
}

func newJobTree(c *containment, leader windows.Handle, pid int) *jobTree {
	t := &jobTree{
		job: c.job, leader: leader, pid: pid, news: c.news, stop: c.stop,
		changes: make(chan struct{}, 1), ended: make(chan struct{}), port: make(chan struct{}),
		watched: make(chan struct{}),
	}
	go func() {
		defer close(t.port)
		for {
			if _, _, err := t.job.Next(); err != nil {
				return // closed by Release
			}
			if portNews {
				windows.SetEvent(t.news)
				t.nudge()
			}
		}
	}()
	go func() {
		windows.WaitForSingleObject(leader, windows.INFINITE)
		close(t.ended)
		t.nudge()
		t.watchRest()
	}()
	return t
}

// portNews is whether the port's messages are passed on; tests turn it
// off to show that watchRest alone sees the job empty.
var portNews = true

// maxWait is how many handles one WaitForMultipleObjects waits on
// (MAXIMUM_WAIT_OBJECTS).
const maxWait = 64

// watchRest tells the supervisor of the processes left in the job once
// the command has exited, until the job is empty or Release stops it.
// Windows does not promise to deliver the completion port's messages, so
// a lost JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO must not leave pgrun waiting
// for ever: it also waits on the processes themselves, up to 62 at a
// time. When any of them ends, it reads the job's list again: whatever
// was started meanwhile is still in the job, and any of the 62 alive
// means the job is not empty. A process it may not open is known only by
// the port's messages.
func (t *jobTree) watchRest() {
	defer close(t.watched)
	for {
		live, err := t.job.OpenLive(maxWait - 2)
		if err != nil || live.Listed == 0 {
			t.nudge()
			return
		}
		wait := uint32(windows.INFINITE)
		if len(live.Handles) == 0 && live.Exited > 0 {
			// The job still counts processes that have exited: it
			// stops within moments, and may not say so on the port.
			wait = 10
		}
		ev, err := windows.WaitForMultipleObjects(append([]windows.Handle{t.stop, t.news}, live.Handles...), false, wait)
		live.Close()
		if err != nil || ev == windows.WAIT_OBJECT_0 {
			return // stopped, or only the port's messages are left
		}
		t.nudge()
	}
}

// nudge says that there is news, once for all the news not yet heard.
func (t *jobTree) nudge() {
	select {
	case t.changes <- struct{}{}:
	default:
	}
}

func (t *jobTree) Changes() <-chan struct{} { return t.changes }

// Blind is "": the job holds every process of the tree.
func (t *jobTree) Blind() string { return "" }

func (t *jobTree) Signal(sig syscall.Signal, then ...syscall.Signal) (bool, error) {
	return inOrder(t.signal, sig, then)
}

// action is what a signal becomes on Windows.
type action int

const (
	sendNothing  action = iota // 0: only whether the tree lives
	ctrlBreak                  // CTRL_BREAK_EVENT to the command's console process group
	terminateJob               // TerminateJobObject
)

// actionFor maps sig onto what Windows has: KILL is TerminateJobObject
// for the whole job; TERM and INT are CTRL_BREAK_EVENT to the command's
// console process group (CTRL_C_EVENT cannot be sent to a group), which a
// console program gets as Ctrl-Break (a Go program as os.Interrupt); 0
// sends nothing. Any other signal has no meaning there.
func actionFor(sig syscall.Signal) (action, error) {
	switch sig {
	case 0:
		return sendNothing, nil
	case syscall.SIGKILL:
		return terminateJob, nil
	case syscall.SIGTERM, syscall.SIGINT:
		return ctrlBreak, nil
	}
	return 0, fmt.Errorf("signal %d has no meaning on Windows", sig)
}

// signal sends what actionFor says, to a job that still has a process.
// Where pgrun has no console to send CTRL_BREAK_EVENT on (a service, a
// detached or GUI parent) the job is terminated instead, with exit code
// 128+TERM: a process without a console could not get the event anyway.
func (t *jobTree) signal(sig syscall.Signal) (bool, error) {
	act, err := actionFor(sig)
	if err != nil || t.released {
		return false, err
	}
	active, err := t.job.Active()
	if err != nil || active == 0 {
		return false, err
	}
	switch act {
	case terminateJob:
		return true, t.job.Terminate(exitKilled)
	case ctrlBreak:
		if windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(t.pid)) != nil {
			return true, t.job.Terminate(exitTerminated)
		}
	}
	return true, nil
}

// Alive reports whether the job still has a process: the exact count,
// which the completion port's messages only announce.
func (t *jobTree) Alive() (bool, error) {
	if t.released {
		return false, nil
	}
	active, err := t.job.Active()
	return active > 0, err
}

// Reap reports whether the command has exited, and reads how, once.
func (t *jobTree) Reap() (bool, error) {
	if t.exit != nil {
		return true, nil
	}
	select {
	case <-t.ended:
	default:
		return false, nil
	}
	var code uint32
	if err := windows.GetExitCodeProcess(t.leader, &code); err != nil {
		return false, fmt.Errorf("reading the command's exit code: %w", err)
	}
	t.exit = &Exit{Status: syscall.WaitStatus{ExitCode: code}}
	return true, nil
}

// Release waits for the command to exit, reads the job's accounting,
// and closes the job, which ends whatever it still holds (nothing, unless
// pgrun failed, or what Spec.Keep keeps), and the command's handle.
func (t *jobTree) Release() (Exit, error) {
	if t.released {
		return Exit{}, ErrReleased
	}
	<-t.ended
	if _, err := t.Reap(); err != nil {
		return Exit{}, err
	}
	if acct, err := t.job.Accounting(); err == nil {
		t.exit.Rusage = usageFrom(acct)
	}
	t.released = true
	if t.keep {
		if err := t.job.KeepOnClose(); err != nil {
			return Exit{}, err
		}
	}
	windows.SetEvent(t.stop)
	<-t.watched
	t.job.Close()
	<-t.port
	t.job.ClosePort()
	windows.CloseHandle(t.leader)
	windows.CloseHandle(t.news)
	windows.CloseHandle(t.stop)
	return *t.exit, nil
}

// usageFrom is the job's accounting as a Usage: its times count in units
// of 100 ns.
func usageFrom(a jobobject.Accounting) Usage {
	return Usage{
		User:       time.Duration(a.User) * 100,
		System:     time.Duration(a.Kernel) * 100,
		PeakMemory: a.PeakJobMemory,
		Processes:  a.Total,
	}
}

// Processes lists the job's live processes, parents before their
// children: the command's descendants under it, then each process whose
// parent is not in the job (it ended) as an orphan. Windows has no
// process states (State is "-") and no way to read a process's console
// group (Pgid and Sid are 0).
func (t *jobTree) Processes() []Process {
	if t.released {
		return nil
	}
	pids, err := t.job.Pids()
	if err != nil {
		return nil
	}
	now := time.Now()
	described := jobobject.Describe(pids)
	in := make(map[uint32]jobobject.Process, len(described))
	children := map[uint32][]jobobject.Process{}
	for _, p := range described {
		in[p.Pid] = p
	}
	var roots []jobobject.Process
	for _, p := range described {
		if parent, ok := in[p.Ppid]; ok && p.Pid != uint32(t.pid) && parentOf(parent, p) {
			children[p.Ppid] = append(children[p.Ppid], p)
		} else {
			roots = append(roots, p)
		}
	}
	// The command first, then orphans by pid.
	sort.SliceStable(roots, func(i, j int) bool {
		if (roots[i].Pid == uint32(t.pid)) != (roots[j].Pid == uint32(t.pid)) {
			return roots[i].Pid == uint32(t.pid)
		}
		return roots[i].Pid < roots[j].Pid
	})
	var out []Process
	seen := map[uint32]bool{}
	var walk func(p jobobject.Process, depth int, place string)
	walk = func(p jobobject.Process, depth int, place string) {
		if seen[p.Pid] {
			return // a parent number reused by a child: never loop
		}
		seen[p.Pid] = true
		q := Process{Pid: int(p.Pid), Ppid: int(p.Ppid), State: "-", Command: p.Command, Depth: depth, Place: place}
		if q.Command == nil && p.Exe != "" {
			q.Command = []string{p.Exe}
		}
		if !p.Started.IsZero() {
			q.Age = now.Sub(p.Started)
		}
		out = append(out, q)
		for _, c := range children[p.Pid] {
			walk(c, depth+1, "group")
		}
	}
	for _, r := range roots {
		place := "group"
		if r.Pid != uint32(t.pid) {
			place = "orphan"
		}
		walk(r, 0, place)
	}
	return out
}

// parentOf reports whether parent, which has p's parent's number, can be
// p's parent: Windows gives a process's parent as a number, which names
// another process once the parent has ended, one started after p.
func parentOf(parent, p jobobject.Process) bool {
	return parent.Started.IsZero() || p.Started.IsZero() || !parent.Started.After(p.Started)
}

var _ Tree = (*jobTree)(nil)
