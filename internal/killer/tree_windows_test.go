package killer

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgrun/pgrun/internal/killer/jobobject"
)

// These run under Wine in CI. What Wine cannot show (a console's
// CTRL_BREAK_EVENT, non-zero CPU times) is tested as the mapping that
// pgrun relies on.

func TestMain(m *testing.M) {
	// The test binary is its own command: it sleeps (pgrun's command,
	// to be killed), or exits with a code.
	switch os.Getenv("KILLER_TEST_HELPER") {
	case "sleep":
		time.Sleep(time.Minute)
		os.Exit(0)
	case "exit":
		os.Exit(7)
	case "leave": // exits at once, leaving a child
		spawn("leave-child")
		os.Exit(3)
	case "leave-child": // exits once released, leaving a grandchild
		spawn("linger")
		waitReleased()
		os.Exit(0)
	case "linger": // exits a moment after it
		waitReleased()
		time.Sleep(500 * time.Millisecond)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// waitReleased waits until the file $KILLER_TEST_RELEASE exists, for
// patience at most.
func waitReleased() {
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(os.Getenv("KILLER_TEST_RELEASE")); err == nil {
			return
		}
	}
}

// spawn starts the test binary as helper and leaves it.
func spawn(helper string) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "KILLER_TEST_HELPER="+helper)
	if err := cmd.Start(); err != nil {
		os.Exit(2)
	}
}

// patience bounds every wait for news from the job.
const patience = 20 * time.Second

func TestActionFor(t *testing.T) {
	for _, tt := range []struct {
		sig  syscall.Signal
		want action
	}{
		{0, sendNothing},
		{syscall.SIGTERM, ctrlBreak},
		{syscall.SIGINT, ctrlBreak},
		{syscall.SIGKILL, terminateJob},
	} {
		if got, err := actionFor(tt.sig); err != nil || got != tt.want {
			t.Errorf("actionFor(%v) = %v, %v; want %v", tt.sig, got, err, tt.want)
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGALRM, syscall.SIGPIPE, 10} {
		if _, err := actionFor(sig); err == nil {
			t.Errorf("actionFor(%v) succeeded; want an error", sig)
		}
	}
}

func TestUsageFrom(t *testing.T) {
	u := usageFrom(jobobject.Accounting{User: 15_000_000, Kernel: 2_500, Total: 3, PeakJobMemory: 5 << 20})
	want := Usage{User: 1500 * time.Millisecond, System: 250 * time.Microsecond, PeakMemory: 5 << 20, Processes: 3}
	if u != want {
		t.Errorf("usageFrom = %+v; want %+v", u, want)
	}
}

func TestModes(t *testing.T) {
	if got := Modes(); len(got) != 2 || got[0] != Auto || got[1] != Job {
		t.Errorf("Modes() = %v; want [auto job]", got)
	}
	if m, err := ParseMode("job"); err != nil || m != Job || m.String() != "job" {
		t.Errorf(`ParseMode("job") = %v, %v`, m, err)
	}
	if _, err := ParseMode("cgroup"); err == nil {
		t.Error(`ParseMode("cgroup") succeeded on Windows`)
	}
}

// start starts the test binary as helper in a fresh containment.
func start(t *testing.T, helper string) (Tree, Info) {
	t.Helper()
	c, err := Prepare(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tree, info, err := c.Start(Command{Args: []string{self}, Env: append(os.Environ(), "KILLER_TEST_HELPER="+helper)})
	if err != nil {
		t.Fatal(err)
	}
	return tree, info
}

// settle waits on the tree's news until the job is empty.
func settle(t *testing.T, tree Tree) {
	t.Helper()
	deadline := time.After(patience)
	for {
		if _, err := tree.Reap(); err != nil {
			t.Fatal(err)
		}
		alive, err := tree.Alive()
		if err != nil {
			t.Fatal(err)
		}
		if !alive {
			return
		}
		select {
		case <-tree.Changes():
		case <-deadline:
			t.Fatal("the job still has processes")
		}
	}
}

func TestStartExit(t *testing.T) {
	tree, info := start(t, "exit")
	if info.Mode != Job || info.Pid == 0 {
		t.Errorf("Info = %+v", info)
	}
	settle(t, tree)
	exit, err := tree.Release()
	if err != nil {
		t.Fatal(err)
	}
	if got := exit.Status.ExitStatus(); got != 7 {
		t.Errorf("exit status %d; want 7", got)
	}
	if exit.Rusage.Processes != 1 {
		t.Errorf("the job counted %d processes; want 1", exit.Rusage.Processes)
	}
}

// The job's news does not depend on its completion port, whose messages
// Windows does not promise: with them ignored, a command that exits and
// leaves a child, which leaves a grandchild, is seen to leave processes,
// and then the job is seen empty.
func TestLeftoversWithoutThePort(t *testing.T) {
	portNews = false
	t.Cleanup(func() { portNews = true })
	release := filepath.Join(tempDir(t), "release")
	t.Setenv("KILLER_TEST_RELEASE", release)
	tree, _ := start(t, "leave")
	deadline := time.After(patience)
	for exited := false; !exited; {
		var err error
		if exited, err = tree.Reap(); err != nil {
			t.Fatal(err)
		}
		if !exited {
			select {
			case <-tree.Changes():
			case <-deadline:
				t.Fatal("no news of the command's exit")
			}
		}
	}
	if alive, err := tree.Alive(); err != nil || !alive {
		t.Fatalf("Alive() after the command exited = %v, %v; want its child", alive, err)
	}
	if err := os.WriteFile(release, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	settle(t, tree)
	exit, err := tree.Release()
	if err != nil {
		t.Fatal(err)
	}
	if got, n := exit.Status.ExitStatus(), exit.Rusage.Processes; got != 3 || n != 3 {
		t.Errorf("exit status %d, %d processes; want 3 and 3", got, n)
	}
}

func TestKillEndsTheJob(t *testing.T) {
	tree, info := start(t, "sleep")
	procs := tree.Processes()
	if len(procs) != 1 || procs[0].Pid != info.Pid || procs[0].Depth != 0 || procs[0].Place != "group" {
		t.Errorf("Processes() = %+v; want the command alone", procs)
	}
	reached, err := tree.Signal(syscall.SIGKILL)
	if err != nil || !reached {
		t.Fatalf("Signal(KILL) = %v, %v", reached, err)
	}
	settle(t, tree)
	if reached, err := tree.Signal(syscall.SIGTERM); err != nil || reached {
		t.Errorf("Signal(TERM) to an empty job = %v, %v; want false, nil", reached, err)
	}
	exit, err := tree.Release()
	if err != nil {
		t.Fatal(err)
	}
	if got := exit.Status.ExitStatus(); got != exitKilled {
		t.Errorf("exit status %d; want %d", got, exitKilled)
	}
	if _, err := tree.Release(); !errors.Is(err, ErrReleased) {
		t.Errorf("second Release: %v", err)
	}
}

func TestLookup(t *testing.T) {
	c, err := Prepare(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Start(Command{Args: []string{"pgrun-no-such-command"}, Env: os.Environ()})
	var execErr *ExecError
	if !errors.As(err, &execErr) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing command: %v; want an *ExecError that is fs.ErrNotExist", err)
	}
	if _, err := Prepare(Spec{Foreground: true}); err == nil {
		t.Error("Prepare(Foreground) succeeded on Windows")
	}
}

func TestBatchLine(t *testing.T) {
	t.Setenv("ComSpec", `C:\Windows\System32\cmd.exe`)
	path, line, err := batchLine(`C:\t d\run.bat`, []string{"a b", "x&y", "", "plain", "^(1)"})
	if err != nil {
		t.Fatal(err)
	}
	want := `C:\Windows\System32\cmd.exe /d /v:off /s /c ""C:\t d\run.bat" "a b" "x&y" "" plain "^(1)""`
	if path != `C:\Windows\System32\cmd.exe` || line != want {
		t.Errorf("batchLine = %q, %q; want %q", path, line, want)
	}
	for _, bad := range []string{`say "hi"`, "%PATH%", "a\nb"} {
		if _, _, err := batchLine(`C:\run.cmd`, []string{bad}); !errors.Is(err, errBatchArgument) {
			t.Errorf("batchLine with %q: %v; want errBatchArgument", bad, err)
		}
	}
}

// A batch file is found by its name without extension (PATHEXT) and run
// by cmd.exe with its arguments as given.
func TestBatchFileRuns(t *testing.T) {
	if _, err := exec.LookPath("cmd"); err != nil {
		t.Skip("no cmd.exe:", err)
	}
	dir := tempDir(t)
	out := filepath.Join(dir, "out.txt")
	script := "@echo off\r\necho %1> \"" + out + "\"\r\nexit /b 3\r\n"
	if err := os.WriteFile(filepath.Join(dir, "hello.cmd"), []byte(script), 0o666); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	c, err := Prepare(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	tree, _, err := c.Start(Command{Args: []string{"hello", "a & b"}, Env: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	settle(t, tree)
	exit, err := tree.Release()
	if err != nil {
		t.Fatal(err)
	}
	if got := exit.Status.ExitStatus(); got != 3 {
		t.Errorf("exit status %d; want 3", got)
	}
	if b, _ := os.ReadFile(out); strings.TrimSpace(string(b)) != `"a & b"` {
		t.Errorf("the batch file wrote %q; want %q", b, `"a & b"`)
	}
}

// tempDir is t.TempDir without its check that the directory could be
// removed: under Wine, Go's removal of a file fails ("Invalid function").
func tempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "killer-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// A parent number that names a process started after the child is not
// its parent: the parent ended and its number was given again.
func TestParentOf(t *testing.T) {
	at := time.Unix(1000, 0)
	child := jobobject.Process{Pid: 20, Ppid: 10, Started: at}
	if !parentOf(jobobject.Process{Pid: 10, Started: at.Add(-time.Second)}, child) {
		t.Error("a parent started before its child was refused")
	}
	if parentOf(jobobject.Process{Pid: 10, Started: at.Add(time.Second)}, child) {
		t.Error("a process started after the child was taken for its parent")
	}
}
