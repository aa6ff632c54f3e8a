// Package runner runs one command under a deadline and decides what to
// signal, when: the deadline, the grace period before KILL, relaying the
// signals pgrun receives, what happens to processes the command leaves
// behind, and how the outcome maps to an exit status.
//
// On Unix the command runs in a new session (or, with
// [Options.Foreground], a new process group of pgrun's session); on Windows
// in a job object of its own and a new console process group. It gets
// pgrun's own standard streams and environment. "The group" below is the
// tree that internal/killer reaches: on Linux the process group and every
// descendant that left it, on Windows the job.
//
// Run never prints and never exits: it reports [Event]s and returns a
// [Result] that says how pgrun should end.
package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"

	"github.com/pgrun/pgrun/internal/killer"
)

// Orphans says what happens to the rest of the command's process group when
// the command itself exits first.
type Orphans int

const (
	// OrphansKill sends the termination signal to what is left, then KILL
	// after the grace period, and waits until the group is gone. The exit
	// status stays the command's. This is the zero value.
	OrphansKill Orphans = iota
	// OrphansWait waits, still under the deadline, until the rest of the
	// group exits by itself.
	OrphansWait
	// OrphansKeep returns at once and leaves the rest running, as GNU
	// timeout does.
	OrphansKeep
)

var orphanNames = [...]string{OrphansKill: "kill", OrphansWait: "wait", OrphansKeep: "keep"}

func (o Orphans) String() string {
	if o >= 0 && int(o) < len(orphanNames) {
		return orphanNames[o]
	}
	return fmt.Sprintf("Orphans(%d)", int(o))
}

// OrphanPolicies lists the valid Orphans values in order, for help texts and
// argument checking.
func OrphanPolicies() []Orphans { return []Orphans{OrphansKill, OrphansWait, OrphansKeep} }

// Options describe one run. The zero value runs the command without a
// deadline, sends the null signal (0) if a signal must be sent, never
// escalates to KILL, and kills processes the command leaves behind; callers
// wanting the coreutils defaults set Signal to SIGTERM.
type Options struct {
	// Args is the command and its arguments; Args[0] is looked up like
	// execvp(3) does and passed to the command as its argv[0]. Required.
	Args []string

	// Timeout is how long the command may run, measured from its start.
	// Zero means no limit. With a limit, the command's environment says
	// when the first signal will come, in DeadlineEnv.
	Timeout time.Duration

	// Signal is sent to the whole group when the deadline passes. Unless it
	// is KILL or CONT, CONT follows so stopped members act on it.
	Signal syscall.Signal

	// Grace is how long after the first signal pgrun sends (on timeout, on
	// relaying, or to orphans) it waits before sending KILL. Zero disables
	// the escalation.
	Grace time.Duration

	// Ladder, if not empty, replaces Signal and Grace at the deadline: the
	// first step's signal goes to the whole tree when the deadline passes,
	// each next step's once the previous step's Wait has passed (at once
	// if it is zero), and KILL once the last step's Wait has passed (never
	// if it is zero, or if the last step is KILL). Steps are sent only
	// while the tree lives. Empty means one step, {Signal, Grace}. The
	// last step's signal is also what processes left behind get (see
	// OrphansKill); relayed signals keep Grace.
	Ladder []Step

	// PreserveStatus makes a timed-out run report the command's own status
	// instead of 124 or 137.
	PreserveStatus bool

	// Foreground keeps the command in pgrun's session, in a new process
	// group that is given the terminal when pgrun holds it, so the command
	// can read the terminal. The group is still killed on timeout.
	Foreground bool

	// Orphans says what to do with the group when the command exits first.
	Orphans Orphans

	// OnEvent, if not nil, is called synchronously from Run for every
	// signal pgrun sends on purpose (not for the CONT that follows one).
	OnEvent func(Event)

	// Contain says how the tree is found and signalled: killer.Auto (the
	// zero value) picks the strongest mode available. Asking for a mode
	// that is not available fails.
	Contain killer.Mode

	// OnStart, if not nil, is called once the command has started, with
	// the containment in use.
	OnStart func(killer.Info)

	// Snapshots makes every Event carry the tree as it stood just before
	// the signal, at the cost of one pass over /proc per signal sent.
	Snapshots bool

	// Guardian arms a guardian (Linux) that KILLs the tree if pgrun is
	// killed before it ends (see killer.Spec.Guardian).
	Guardian bool
}

// Step is one rung of a signal ladder (see Options.Ladder).
type Step struct {
	Signal syscall.Signal
	Wait   time.Duration // before the next step, or KILL after the last
}

// Reason says why a signal was sent.
type Reason int

const (
	// Deadline: the timeout passed, or pgrun received ALRM.
	Deadline Reason = iota
	// Relay: pgrun received the signal and passes it on.
	Relay
	// Escalation: the grace period ran out, or a second INT or TERM came
	// while it ran, so KILL is sent; or the wait of a step of the ladder
	// ran out, so the next step's signal is sent.
	Escalation
	// Cleanup: the command exited and left processes in its group.
	Cleanup
)

// Event reports one signal sent to the command's process group.
type Event struct {
	At      time.Time // when it was sent
	Signal  syscall.Signal
	Reason  Reason
	Reached bool // at least one process received it
	// Leftovers is set when the command had already exited: the signal
	// went to what it left behind in its group.
	Leftovers bool
	// Tree is, with Options.Snapshots, the live processes of the tree just
	// before the signal: for a Deadline event, what was still running when
	// time ran out; for a KILL, what had to be killed.
	Tree []killer.Process
}

// Result says how the run ended and how pgrun should end.
type Result struct {
	// Status is the command's own, as wait4(2) reported it (on Windows,
	// its exit code); Rusage is killer.Exit.Rusage: the command's own on
	// Unix, its whole job's on Windows.
	Status syscall.WaitStatus
	Rusage killer.Usage

	// TimedOut is set once the deadline passed (or pgrun received ALRM)
	// before the group was gone.
	TimedOut bool
	// Killed is set when pgrun had to send KILL and it reached a process.
	Killed bool

	// ExitCode is what pgrun exits with, coreutils timeout's mapping: the
	// command's code; 124 after a timeout; 137 after a timeout that needed
	// KILL; the command's status (128+n for signal n) with PreserveStatus.
	ExitCode int
	// Signal, when not zero, is the signal the command died of without a
	// timeout: pgrun should die of it too, so that its caller sees the
	// same wait status. ExitCode is then 128+Signal, for when it cannot.
	Signal syscall.Signal
	// CoreDumped reports that the command dumped core.
	CoreDumped bool
	// Containment is how the tree was found and signalled.
	Containment killer.Mode
	// Guardian says whether a guardian was armed: "armed", "not armed:
	// why", "failed: why", or "" without one (see killer.Exit.Guardian).
	Guardian string
}

// Exit codes of pgrun's own making, named as in coreutils.
const (
	ExitTimedOut     = 124 // the deadline passed
	ExitCanceled     = 125 // pgrun itself failed
	ExitCannotInvoke = 126 // the command was found but could not be run
	ExitEnoent       = 127 // the command was not found
	ExitKilled       = 128 + int(syscall.SIGKILL)
)

// ExitCode is the status pgrun exits with when Run failed with err: 127
// when the command was not found, 126 when it could not be executed
// (see killer.ExecError), else 125.
func ExitCode(err error) int {
	var execErr *killer.ExecError
	switch {
	case !errors.As(err, &execErr):
		return ExitCanceled
	case errors.Is(execErr.Err, fs.ErrNotExist): // ENOENT; on Windows, not found by the lookup too
		return ExitEnoent
	}
	return ExitCannotInvoke
}
