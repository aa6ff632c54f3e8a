package jobobject

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// These run under Wine in CI (see the README): a job made by New, a
// process created suspended, assigned and resumed, its child asking to
// break away, TerminateJobObject and the completion port's messages.

func TestMain(m *testing.M) {
	switch os.Getenv("JOBOBJECT_TEST_HELPER") {
	case "breakaway":
		// Asks for a child out of the job, and starts one in the job
		// (that outlives this process), then writes what happened:
		// once the file is written, both children exist.
		err := startSelf("sleep", windows.CREATE_BREAKAWAY_FROM_JOB)
		result := "started"
		if err != nil {
			result = "refused"
		}
		if err := startSelf("sleep", 0); err != nil {
			os.Exit(3)
		}
		os.WriteFile(os.Getenv("JOBOBJECT_TEST_OUT"), []byte(result), 0o666)
		time.Sleep(time.Minute)
		os.Exit(0)
	case "sleep":
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startSelf starts the test binary as helper, with flags.
func startSelf(helper string, flags uint32) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "JOBOBJECT_TEST_HELPER="+helper)
	_, h, err := syscall.StartProcess(self, []string{self}, &syscall.ProcAttr{
		Env: env, Files: []uintptr{0, 0, 0}, Sys: &syscall.SysProcAttr{CreationFlags: flags},
	})
	if err == nil {
		syscall.CloseHandle(syscall.Handle(h))
	}
	return err
}

// startSuspended starts the test binary as helper, suspended, in j.
func startSuspended(t *testing.T, j *Job, helper string, env ...string) (uint32, windows.Handle) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env = append(append(os.Environ(), "JOBOBJECT_TEST_HELPER="+helper), env...)
	pid, h, err := syscall.StartProcess(self, []string{self}, &syscall.ProcAttr{
		Env: env, Files: []uintptr{0, 0, 0},
		Sys: &syscall.SysProcAttr{CreationFlags: windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Assign(windows.Handle(h)); err != nil {
		windows.TerminateProcess(windows.Handle(h), 1)
		t.Fatal(err)
	}
	if err := Resume(uint32(pid)); err != nil {
		t.Fatal(err)
	}
	return uint32(pid), windows.Handle(h)
}

// waitMessage reads the port until want comes, or fails after a while.
func waitMessage(t *testing.T, j *Job, want Message) {
	t.Helper()
	got := make(chan Message, 64)
	go func() {
		for {
			msg, _, err := j.Next()
			if err != nil {
				close(got)
				return
			}
			got <- msg
			if msg == want {
				return
			}
		}
	}()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case msg, ok := <-got:
			if !ok {
				t.Fatalf("the port closed before message %d", want)
			}
			if msg == want {
				return
			}
		case <-timeout:
			t.Fatalf("no message %d from the job", want)
		}
	}
}

func TestNoBreakawayAndTerminate(t *testing.T) {
	j, err := New()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "jobobject-test")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir) // fails under Wine ("Invalid function"): not checked
	out := filepath.Join(dir, "out")
	pid, h := startSuspended(t, j, "breakaway", "JOBOBJECT_TEST_OUT="+out)
	defer windows.CloseHandle(h)
	waitFile(t, out)
	if b, _ := os.ReadFile(out); string(b) != "refused" {
		t.Errorf("CREATE_BREAKAWAY_FROM_JOB: %q; want refused", b)
	}
	// The helper and the child it started in the job, which exists
	// since out was written.
	pids, err := j.Pids()
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 2 || !slices.Contains(pids, pid) {
		t.Fatalf("Pids() = %v; want %d and its child", pids, pid)
	}
	if n, err := j.Active(); err != nil || n != 2 {
		t.Errorf("Active() = %d, %v; want 2", n, err)
	}
	procs := Describe(pids)
	for _, p := range procs {
		if p.Pid != pid && p.Ppid != pid {
			t.Errorf("Describe: %+v is not the helper's child", p)
		}
	}
	if err := j.Terminate(137); err != nil {
		t.Fatal(err)
	}
	waitMessage(t, j, ActiveProcessZero)
	if n, err := j.Active(); err != nil || n != 0 {
		t.Errorf("Active() after Terminate = %d, %v; want 0", n, err)
	}
	var code uint32
	windows.WaitForSingleObject(h, windows.INFINITE)
	if err := windows.GetExitCodeProcess(h, &code); err != nil || code != 137 {
		t.Errorf("exit code %d, %v; want 137", code, err)
	}
	acct, err := j.Accounting()
	if err != nil || acct.Total != 2 || acct.Active != 0 {
		t.Errorf("Accounting() = %+v, %v; want 2 processes, none active", acct, err)
	}
	j.Close()
	j.ClosePort()
}

// Closing the last handle to the job ends what it holds: what happens
// when pgrun dies.
func TestKillOnClose(t *testing.T) {
	j, err := New()
	if err != nil {
		t.Fatal(err)
	}
	_, h := startSuspended(t, j, "sleep")
	defer windows.CloseHandle(h)
	j.Close()
	j.ClosePort()
	if ev, _ := windows.WaitForSingleObject(h, 20_000); ev != windows.WAIT_OBJECT_0 {
		t.Fatal("the job's process outlived the job's last handle")
	}
}

// A process in one job can be put in another: nested jobs, as when
// pgrun runs under another pgrun or a CI runner's job.
func TestNested(t *testing.T) {
	outer, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { outer.Close(); outer.ClosePort() }()
	inner, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { inner.Close(); inner.ClosePort() }()
	_, h := startSuspended(t, outer, "sleep")
	defer windows.CloseHandle(h)
	if err := inner.Assign(h); err != nil {
		t.Fatalf("assigning a process of one job to another: %v", err)
	}
	if err := inner.Terminate(1); err != nil {
		t.Fatal(err)
	}
	if ev, _ := windows.WaitForSingleObject(h, 20_000); ev != windows.WAIT_OBJECT_0 {
		t.Fatal("terminating the inner job left its process")
	}
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return
		}
	}
	t.Fatalf("%s never written", path)
}

// OpenLive opens the job's processes and nothing else: Contains tells a
// process of the job from one outside it, and an ended process is
// counted as exited, not opened.
func TestOpenLive(t *testing.T) {
	j, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { j.Close(); j.ClosePort() }()
	pid, h := startSuspended(t, j, "sleep")
	defer windows.CloseHandle(h)
	if in, err := j.Contains(h); err != nil || !in {
		t.Errorf("Contains(the job's process) = %v, %v", in, err)
	}
	if in, err := j.Contains(windows.CurrentProcess()); err != nil || in {
		t.Errorf("Contains(the test itself) = %v, %v; want false", in, err)
	}
	live, err := j.OpenLive(62)
	if err != nil {
		t.Fatal(err)
	}
	if live.Listed != 1 || len(live.Handles) != 1 || live.Exited != 0 {
		t.Errorf("OpenLive = %+v; want the one process (pid %d) opened", live, pid)
	}
	live.Close()
	if live, err := j.OpenLive(0); err != nil || live.Listed != 1 || len(live.Handles) != 0 {
		t.Errorf("OpenLive(0) = %+v, %v; want it listed, not opened", live, err)
	}
	if err := j.Terminate(1); err != nil {
		t.Fatal(err)
	}
	if ev, _ := windows.WaitForSingleObject(h, 20_000); ev != windows.WAIT_OBJECT_0 {
		t.Fatal("the job's process outlived TerminateJobObject")
	}
	if live, err := j.OpenLive(62); err != nil || len(live.Handles) != 0 || live.Listed != live.Exited {
		t.Errorf("OpenLive after the end = %+v, %v; want nothing opened", live, err)
	}
}
