package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pgrun/pgrun/internal/killer"
	"github.com/pgrun/pgrun/internal/runner"
)

// reportSchema names the version of the --report document. A change that
// could break a reader (a field renamed, removed or given another meaning)
// gets a new number; new fields do not.
const reportSchema = "pgrun-report/1"

// report is the --report document: what pgrun ran, how it ended, and what
// it had to signal and kill. docs/report.md documents every field.
type report struct {
	Schema          string    `json:"schema"`
	Command         []string  `json:"command"`
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	DurationSeconds float64   `json:"duration_seconds"`
	TimeoutSeconds  float64   `json:"timeout_seconds"`
	GraceSeconds    float64   `json:"grace_seconds"`
	Outcome         string    `json:"outcome"`
	ExitCode        int       `json:"exit_code"`
	Signal          string    `json:"signal,omitempty"`
	Error           string    `json:"error,omitempty"`
	Containment     string    `json:"containment,omitempty"`
	// ContainmentLimits is killer.Info.Limits.
	ContainmentLimits string `json:"containment_limits,omitempty"`
	// Guardian is killer.Info.Guardian at the start, then
	// runner.Result.Guardian: whether one was in fact armed.
	Guardian string          `json:"guardian,omitempty"`
	Signals  []reportSignal  `json:"signals"`
	Killed   []reportProcess `json:"killed"`
	Usage    *reportRusage   `json:"usage,omitempty"`
}

type reportSignal struct {
	Time      time.Time `json:"time"`
	Signal    string    `json:"signal"`
	Reason    string    `json:"reason"`
	Processes int       `json:"processes"`
}

type reportProcess struct {
	Pid     int      `json:"pid"`
	Ppid    int      `json:"ppid"`
	Command []string `json:"command"`
	Place   string   `json:"place"`
}

var reasonNames = map[runner.Reason]string{
	runner.Deadline:   "deadline",
	runner.Relay:      "relay",
	runner.Escalation: "escalation",
	runner.Cleanup:    "cleanup",
}

func newReport(args []string, timeout, grace time.Duration) *report {
	return &report{
		Schema: reportSchema, Command: args, Start: time.Now(),
		TimeoutSeconds: timeout.Seconds(), GraceSeconds: grace.Seconds(),
		Signals: []reportSignal{}, Killed: []reportProcess{},
	}
}

// record adds one signal sent, and for a KILL the processes it had to kill.
func (r *report) record(ev runner.Event) {
	r.Signals = append(r.Signals, reportSignal{
		Time: ev.At, Signal: signalName(ev.Signal), Reason: reasonNames[ev.Reason], Processes: len(ev.Tree),
	})
	if ev.Signal == syscall.SIGKILL {
		for _, p := range ev.Tree {
			r.Killed = append(r.Killed, reportProcess{Pid: p.Pid, Ppid: p.Ppid, Command: p.Command, Place: p.Place})
		}
	}
}

// finish fills in how the run ended.
func (r *report) finish(res runner.Result, err error, code int) {
	r.End = time.Now()
	r.DurationSeconds = r.End.Sub(r.Start).Seconds()
	r.ExitCode = code
	var execErr *killer.ExecError
	switch {
	case errors.As(err, &execErr):
		r.Outcome, r.Error = "start_failed", strerror(execErr.Err)
		return
	case err != nil:
		r.Outcome, r.Error = "failed", err.Error()
		return
	case res.TimedOut && res.Killed:
		r.Outcome = "killed_after_grace"
	case res.TimedOut:
		r.Outcome = "timed_out"
	case res.Status.Signaled():
		r.Outcome = "signaled"
	default:
		r.Outcome = "exited"
	}
	if res.Status.Signaled() {
		r.Signal = signalName(res.Status.Signal())
	}
	r.Containment = res.Containment.String()
	if res.Guardian != "" {
		r.Guardian = res.Guardian
	}
	r.Usage = usageOf(res.Rusage)
}

// write stores the report where t says, whole.
func (r *report) write(t *reportTarget) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // command lines are full of & and <
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	return t.write(b.Bytes())
}

// reportWriteTimeout bounds the write into a FIFO or a device: a reader
// that opened a FIFO but takes nothing, or a terminal held by flow
// control, must not keep pgrun from returning. (A variable for the tests.)
var reportWriteTimeout = 5 * time.Second

// reportTarget is where --report writes, checked by openReport before the
// command starts, so that a report that cannot be written is found before
// anything has run.
//
//   - A regular file, or a name that does not exist yet, is replaced
//     atomically: the document is written to a new file of an
//     unpredictable name in the same directory (O_EXCL, O_NOFOLLOW: never
//     through a link planted there), which is then renamed over it, so a
//     reader never sees half of it. The file keeps its permissions. The
//     check creates and removes such a file in the directory.
//   - /dev/stdout, /dev/stderr, /dev/stdin and /dev/fd/N are pgrun's own
//     descriptors, as a shell's redirections read them: the document is
//     written to the descriptor as it is, as the command's output is
//     (after it, at the descriptor's offset), never by opening the name,
//     which for a descriptor on a regular file would write over the
//     command's output, and never replacing the node. The descriptor must
//     be open for writing.
//   - A character device (/dev/null, a terminal) is opened before the
//     command starts and written into as it is.
//   - A FIFO is written into as it is, if a process has it open for
//     reading when pgrun ends; it is opened without blocking then, since
//     its reader may come while the command runs. With no reader nothing
//     is written; a reader that stops reading for reportWriteTimeout gets
//     only what it took (a pipe's buffer holds a report of a few hundred
//     processes). Either is one line on stderr, and the status stays the
//     run's.
//   - A symbolic link is followed to a device or a FIFO. One to a regular
//     file, or to nothing, is refused: writing its target atomically would
//     mean renaming over whatever it names, so a link planted in a shared
//     directory (/tmp) could have a root pgrun replace any file of the
//     system (the kernel's protected_symlinks guards open, not a rename
//     onto a resolved name), and replacing the link itself would quietly
//     undo it. Naming the file itself costs its user nothing.
//   - Anything else (a directory, a socket, a block device) is refused.
type reportTarget struct {
	path string
	kind reportKind
	file *os.File    // reportFD, reportDevice: the descriptor written to
	node os.FileInfo // reportFIFO: the FIFO checked at the start
}

type reportKind int

const (
	reportReplace reportKind = iota
	reportFD
	reportDevice
	reportFIFO
)

// reportError is a --report FILE that cannot be written: found by
// openReport before the command starts (pgrun then exits 125), or by
// write when pgrun ends (the status is the run's, whatever the report).
type reportError struct {
	Path string
	Err  error
}

func (e *reportError) Error() string {
	return "cannot write the report to " + quote(e.Path) + ": " + strerror(e.Err)
}

func (e *reportError) Unwrap() error { return e.Err }

// openReport checks that a report can be written to path and returns
// where it will go.
func openReport(path string) (*reportTarget, error) {
	t := &reportTarget{path: path}
	fail := func(err error) (*reportTarget, error) {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &reportError{path, err}
	}
	if fd, ok := descriptorPath(path); ok {
		f, err := dupForWriting(fd)
		if err != nil {
			return fail(err)
		}
		t.kind, t.file = reportFD, f
		return t, nil
	}
	if path == "" {
		return fail(syscall.ENOENT)
	}
	link, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.kind = reportReplace
		return t, t.probe()
	}
	if err != nil {
		return fail(err)
	}
	info := link
	if link.Mode()&fs.ModeSymlink != 0 {
		if info, err = os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return fail(errors.New("a symbolic link to nothing"))
		} else if err != nil {
			return fail(err)
		}
		if info.Mode().IsRegular() {
			return fail(errors.New("a symbolic link to a regular file"))
		}
	}
	switch m := info.Mode(); {
	case m.IsRegular():
		t.kind = reportReplace
		return t, t.probe()
	case m.IsDir():
		return fail(syscall.EISDIR)
	case m&fs.ModeNamedPipe != 0:
		if err := writable(path); err != nil {
			return fail(err)
		}
		t.kind, t.node = reportFIFO, info
		return t, nil
	case m&fs.ModeCharDevice != 0:
		f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
		if err != nil {
			return fail(err)
		}
		t.kind, t.file = reportDevice, f
		return t, nil
	case m&fs.ModeDevice != 0:
		return fail(errors.New("a block device"))
	case m&fs.ModeSocket != 0:
		return fail(errors.New("a socket"))
	}
	return fail(errors.New("not a file pgrun can write"))
}

// descriptorPath reports whether path names one of pgrun's descriptors
// (/dev/stdout, /dev/stderr, /dev/stdin, /dev/fd/N), and which.
func descriptorPath(path string) (int, bool) {
	switch p := filepath.Clean(path); p {
	case "/dev/stdin":
		return 0, true
	case "/dev/stdout":
		return 1, true
	case "/dev/stderr":
		return 2, true
	default:
		n, ok := strings.CutPrefix(p, "/dev/fd/")
		fd, err := strconv.Atoi(n)
		return fd, ok && err == nil && fd >= 0 && n == strconv.Itoa(fd)
	}
}

// probe checks that a new file can be created in the report's directory,
// by creating one as write will and removing it. Nothing is left there
// while the command runs, nor after a pgrun killed by SIGKILL.
func (t *reportTarget) probe() error {
	f, tmp, err := t.createTemp()
	if err != nil {
		return &reportError{t.path, err}
	}
	f.Close()
	os.Remove(tmp)
	return nil
}

// createTemp creates a new, empty file of an unpredictable name in the
// report's directory. O_EXCL makes it new (a file or link already there
// fails it) and O_NOFOLLOW says so again.
func (t *reportTarget) createTemp() (*os.File, string, error) {
	dir := filepath.Dir(t.path)
	for {
		tmp := filepath.Join(dir, fmt.Sprintf(".pgrun-report-%016x.tmp", rand.Uint64()))
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue // 2^64 names: another run's, or one planted
		}
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, "", err
		}
		return f, tmp, nil
	}
}

// write stores the document where t says: see reportTarget.
func (t *reportTarget) write(doc []byte) error {
	var err error
	switch t.kind {
	case reportReplace:
		err = t.replace(doc)
	case reportFD:
		_, err = t.file.Write(doc)
	case reportDevice:
		err = writeBounded(t.file, doc)
	case reportFIFO:
		err = t.writeFIFO(doc)
	}
	if t.file != nil {
		t.file.Close()
	}
	if err == nil {
		return nil
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &reportError{t.path, err}
}

// replace writes doc to a new file and renames it over the report's name.
func (t *reportTarget) replace(doc []byte) error {
	f, tmp, err := t.createTemp()
	if err != nil {
		return err
	}
	if old, err := os.Lstat(t.path); err == nil && old.Mode().IsRegular() {
		f.Chmod(old.Mode().Perm()) // a private report stays private
	}
	_, err = f.Write(doc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, t.path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// writeFIFO writes doc into the FIFO checked at the start, if a process
// reads it now: opened without blocking, with no reader the open fails at
// once (ENXIO), where a blocking open would wait for one forever.
func (t *reportTarget) writeFIFO(doc []byte) error {
	f, err := os.OpenFile(t.path, os.O_WRONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if errors.Is(err, syscall.ENXIO) {
		return errors.New("no process has the FIFO open for reading")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !os.SameFile(info, t.node) {
		return errors.New("no longer the FIFO it was when the command started")
	}
	return writeBounded(f, doc)
}

// writeBounded writes doc to f, a FIFO or a device opened without
// blocking, giving up after reportWriteTimeout: Go's poller waits for f
// to take more, where the poller can watch it (a device it cannot, such
// as /dev/null, never makes a write wait).
func writeBounded(f *os.File, doc []byte) error {
	f.SetWriteDeadline(time.Now().Add(reportWriteTimeout))
	_, err := f.Write(doc)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("nothing read it for %v", reportWriteTimeout)
	}
	return err
}
