// Package killer is pgrun's mechanism for finding, signalling and observing
// the processes it started: how, on this operating system, a tree is reached
// and how pgrun learns that it is gone. It decides nothing; internal/runner
// chooses what to send and when.
//
// A command is started in two steps: [Prepare] makes the containment
// ready without forking anything, and [Containment.Start] starts the
// command in it and returns its [Tree]. Four modes ([Mode]): the command's
// process group alone ([Group]); the group plus every descendant that left
// it, which pgrun, as child subreaper, keeps as its own ([Subreaper],
// Linux); the same, born in a fresh cgroup whose cgroup.kill makes KILL one
// atomic step ([Cgroup], Linux, where pgrun may manage cgroups); and, asked
// for by name, a pid namespace of its own under pgrun's init ([Pidns],
// Linux, as root or in a user namespace), which the kernel ends with
// pgrun. On Windows the one mode is [Job]: the command is born in a job
// object of its own, created suspended, assigned and resumed, which lets
// nothing break away and which the system ends when pgrun ends; TERM and
// INT are CTRL_BREAK_EVENT to the command's console process group, KILL is
// TerminateJobObject (see tree_windows.go).
//
// # Membership
//
// The tree is the command and what descends from it, and nothing else.
// pgrun acts on a process (signals it, waits for it, counts it) only with
// a proof of membership that an inherited child, a foreign orphan or a
// reused number cannot fake:
//   - being in the run's cgroup, or in the run's pid namespace;
//   - being linked to the command by live parents, each checked through a
//     pidfd after it was opened;
//   - being in the command's session (with Spec.Foreground, its process
//     group), whose number pgrun keeps from reuse by keeping the command
//     unreaped (a number stays allocated while any process uses it as pid,
//     group or session);
//   - carrying the run's environment cookie.
//
// Prepare reads pgrun's children once before the command is forked: they, and
// orphans adopted from them, are never the tree's. Where there are none
// and pgrun is not the init of its pid namespace, every orphan that pgrun
// adopts as the child subreaper descends from the command; otherwise an
// orphan is the tree's only with one of the proofs above, and one without
// is reaped when it exits but never signalled or waited for (Info.Limits
// says so). What each mode can prove: Group, the command's group;
// Subreaper, that and all that is linked or adopted as above; Cgroup, the
// same and everything in the cgroup; Pidns, everything in the namespace.
//
// A number is signalled only while pgrun can prove that it still names the
// process it proved to be the tree's. A process group is signalled through
// its leader's pidfd, or by number only while the leader is an unreaped
// child of pgrun; other descendants only through pidfds checked after
// opening; in a pid namespace of pgrun's, the init signals every process
// of the namespace, which is exactly the tree. After [Tree.Release] a Tree
// signals nothing.
//
// A Tree is not safe for concurrent use: one goroutine owns it, and that
// goroutine must be the only one in the process that waits for children.
package killer

import (
	"errors"
	"strings"
	"syscall"
	"time"
)

// Exit is how the leader (the command pgrun forked) ended.
type Exit struct {
	Status syscall.WaitStatus
	// Rusage is, on Unix, the leader's rusage as wait4(2) gives it; on
	// Windows, what the job counted of all its processes (see Usage).
	Rusage Usage
	// Guardian says whether a guardian watched over the tree (see
	// Spec.Guardian): "armed", "not armed: ..." or "failed: ..."; "" for
	// a tree without one.
	Guardian string
}

// Tree is the set of processes pgrun answers for, rooted at the command it
// started (the leader): what reaches them from outside (signalling them,
// telling whether any lives, listing them), and what only their parent can
// do (learn that the command ended, reap, release).
type Tree interface {
	// Signal sends sig to every live member of the tree, then each signal
	// of then in turn (CONT after TERM, say) to the members found for sig:
	// finding them is the costly part. It reports whether sig reached any
	// member; a tree with nothing left to signal is not an error. After
	// KILL nothing is left, and then is not sent.
	//
	// KILL returns once no member is alive, or fails with an
	// *UnendedError naming what KILL cannot end: each is given up after
	// UnendedAfter without news, everything else of the tree KILLed.
	Signal(sig syscall.Signal, then ...syscall.Signal) (reached bool, err error)

	// Alive reports whether any member of the tree other than an exited
	// leader is still alive. It is exact only after Reap.
	Alive() (bool, error)

	// Processes lists the live processes of the tree as they stand, parents
	// before their children, for diagnostics, numbered as pgrun sees them;
	// it may miss a process that is starting or ending meanwhile, and is
	// empty where unsupported or where /proc cannot be trusted (see
	// proc.Foreign).
	Processes() []Process

	// Blind says why the tree cannot find processes that left the
	// command's process group, or is "" when it can. A blind tree signals
	// the group (and, for KILL, its cgroup) only; Alive stays true while
	// pgrun has any child, so processes out of its reach keep it waiting
	// until they end.
	Blind() string

	// Reap collects every child of pgrun that has exited and reports whether
	// the leader has exited. It never blocks. Call it on every SIGCHLD and
	// on every value from Changes: with pgrun as child subreaper, the last
	// death in a tree always raises one or the other, so no other wake-up
	// is needed. The leader itself may be kept unreaped (a zombie) for as
	// long as the tree needs it to signal safely; Release reaps it.
	Reap() (leaderExited bool, err error)

	// Changes, when not nil, receives a value when Reap has news that no
	// SIGCHLD announces: the end of a command that is not pgrun's child
	// (Pidns). It is nil for trees whose news always comes with one.
	Changes() <-chan struct{}

	// Release reaps the leader, waiting for it if it has not exited yet,
	// and returns how it ended. Afterwards the tree signals nothing and its
	// resources are freed.
	Release() (Exit, error)
}

// Process describes one process of a tree.
type Process struct {
	Pid, Ppid, Pgid, Sid int
	State                string        // as in /proc: R running, S sleeping, T stopped, Z zombie...
	Age                  time.Duration // since the process started
	Command              []string      // its arguments; nil if unknown
	Depth                int           // 0 for pgrun's children, 1 for theirs...
	// Place says where the process stands relative to the command's
	// process group: "group" (still in it), "orphan" (in it, but its
	// parent died and pgrun adopted it) or "escaped" (it left the group:
	// setsid, setpgid).
	Place string
}

// UnendedAfter is how long KILL rounds go on for processes that were sent
// KILL and live on, when nothing new shows up.
const UnendedAfter = 5 * time.Second

// UnendedError reports processes of the tree that KILL cannot end: pgrun
// may not signal them, or they live on after KILL. Everything else of the
// tree has been KILLed.
type UnendedError struct {
	Processes []string // each "PID (command): why"
}

func (e *UnendedError) Error() string {
	return "KILL cannot end " + strings.Join(e.Processes, "; ")
}

// ErrReleased is returned by Release when it is called a second time.
var ErrReleased = errors.New("killer: tree already released")

// inOrder sends sig, then each of then, with send, stopping at the first
// error, and reports whether sig reached anything.
func inOrder(send func(syscall.Signal) (bool, error), sig syscall.Signal, then []syscall.Signal) (bool, error) {
	reached, err := send(sig)
	for _, s := range then {
		if err != nil || sig == syscall.SIGKILL {
			break
		}
		_, err = send(s)
	}
	return reached, err
}

// retryEINTR calls f until it fails with something other than EINTR.
func retryEINTR(f func() error) error {
	for {
		if err := f(); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
