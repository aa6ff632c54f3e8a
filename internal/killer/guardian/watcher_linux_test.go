package guardian

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The image is what watcher/build.sh makes of watcher/watcher_amd64.asm.
func TestWatcherImage(t *testing.T) {
	if len(watcherImage) == 0 {
		t.Skip("no watcher for this architecture")
	}
	for _, tool := range []string{"as", "ld", "od", "gofmt"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip("no", tool)
		}
	}
	dir := t.TempDir()
	for _, f := range []string{"watcher/build.sh", "watcher/watcher_amd64.asm"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, "watcher"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("sh", filepath.Join(dir, "watcher/build.sh")).CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}
	built, err := os.ReadFile(filepath.Join(dir, "watcher_linux_amd64.go"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := os.ReadFile("watcher_linux_amd64.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, ours) {
		t.Error("watcher_linux_amd64.go is not what watcher/build.sh makes of watcher_amd64.asm: run it")
	}
}

// startWatcher executes the watcher as pgrun does, with the lifeline's
// read end as fd 3, the directory cg (/dev/null if "") as fd 5, exe as fd
// 6, an extra file as fd 8 (which it must close), and argv.
func startWatcher(t *testing.T, exe, cg string, argv []string, env []string) (pid, lifeline int) {
	t.Helper()
	path := watcherPath()
	if path == "" {
		t.Skip("no watcher here")
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	exefd, err := unix.Open(exe, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(exefd)
	extra, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	null := extra.Fd()
	cgfd := null
	if cg != "" {
		d, err := os.Open(cg)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		cgfd = d.Fd()
	}
	files := []uintptr{null, null, null, uintptr(p[0]), null, cgfd, uintptr(exefd), null, null}
	pid, err = syscall.ForkExec(path, argv, &syscall.ProcAttr{Env: env, Files: files, Sys: &syscall.SysProcAttr{Setsid: true}})
	if err != nil {
		unix.Close(p[1])
		t.Fatal(err)
	}
	return pid, p[1]
}

// waitExit reaps pid and returns its exit status.
func waitExit(t *testing.T, pid int) int {
	t.Helper()
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	return ws.ExitStatus()
}

// Dismissed, the watcher exits 0; until then it has one thread, ignores
// what a terminal would send, and holds nothing from fd 8 up.
func TestWatcherDismissed(t *testing.T) {
	pid, lifeline := startWatcher(t, "/bin/sh", "", []string{Name}, nil)
	// Until it blocks in read, its state may still change.
	deadline := time.Now().Add(10 * time.Second)
	var status string
	for time.Now().Before(deadline) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/wchan")
		if err == nil && strings.Contains(string(b), "pipe_read") {
			st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
			status = string(st)
			break
		}
		time.Sleep(time.Millisecond)
	}
	if status == "" {
		t.Fatal("the watcher never blocked on its lifeline")
	}
	var ign uint64
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			ign, _ = strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGPIPE, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU} {
		if ign&(1<<(sig-1)) == 0 {
			t.Errorf("the watcher does not ignore %v (SigIgn %x)", sig, ign)
		}
	}
	if !strings.Contains(status, "Threads:\t1\n") {
		t.Error("the watcher has more than one thread")
	}
	if _, err := os.Lstat("/proc/" + strconv.Itoa(pid) + "/fd/8"); err == nil {
		t.Error("the watcher kept fd 8, which it inherited")
	}
	unix.Write(lifeline, []byte{'d'})
	unix.Close(lifeline)
	if code := waitExit(t, pid); code != 0 {
		t.Errorf("dismissed, the watcher exited %d", code)
	}
}

// When pgrun dies (the lifeline's end of file), the watcher writes 1 to
// cgroup.kill in fd 5 (here a directory that stands in for the run's
// cgroup), then executes fd 6 with its own argv and environment: here a
// shell that says so (its $0 is the argument after its script; that the
// guardian proper gets its name as argv[0] the guardian scripts show).
func TestWatcherExecutes(t *testing.T) {
	dir := t.TempDir()
	out, kill := filepath.Join(dir, "out"), filepath.Join(dir, "cgroup.kill")
	if err := os.WriteFile(kill, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pid, lifeline := startWatcher(t, "/bin/sh", dir, []string{Name, "-c", `echo "$0 $OUT" > "$OUT"`, "zero"}, []string{"OUT=" + out})
	unix.Close(lifeline)
	if code := waitExit(t, pid); code != 0 {
		t.Fatalf("the watcher's successor exited %d", code)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "zero " + out + "\n"; string(b) != want {
		t.Errorf("the successor said %q; want %q", b, want)
	}
	if b, _ := os.ReadFile(kill); string(b) != "1" {
		t.Errorf("cgroup.kill holds %q; want \"1\"", b)
	}
}
