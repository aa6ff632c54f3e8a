package proc

import (
	"bufio"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A children file longer than a page comes in several reads: every child
// is listed, not the first page of them.
func TestChildrenOfMany(t *testing.T) {
	const n = 1200 // at five digits and a space each, more than 4096 bytes
	sh := exec.Command("sh", "-c", `i=0; while [ $i -lt `+strconv.Itoa(n)+` ]; do sleep 60 & i=$((i+1)); done; echo ready; read x`)
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-sh.Process.Pid, syscall.SIGKILL)
		stdin.Close()
		sh.Wait()
	})
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("the shell said %q", line)
	}
	kids, err := ChildrenOf(sh.Process.Pid, make([]byte, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) != n {
		t.Errorf("ChildrenOf listed %d children; want %d", len(kids), n)
	}
}
