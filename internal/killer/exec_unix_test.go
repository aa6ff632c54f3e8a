//go:build unix

package killer

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("exit 0\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("tool", 0o755)
	write("plain", 0o644)
	os.Mkdir(filepath.Join(dir, "adir"), 0o755)
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "plain"), []byte("exit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	tests := []struct {
		name, path string
		unset      bool
		want       string
		err        error
	}{
		{name: "tool", path: dir, want: dir + "/tool"},
		{name: "tool", path: "/nonexistent:" + dir, want: dir + "/tool"},
		{name: "tool", path: ":/nonexistent", want: "./tool"},            // empty entry: cwd
		{name: "tool", path: "/nonexistent:", want: "./tool"},            // trailing empty entry
		{name: "tool", path: "", want: "./tool"},                         // PATH= means cwd
		{name: "tool", path: ".", want: "./tool"},                        // "." is allowed
		{name: "plain", path: dir + ":" + other, want: other + "/plain"}, // skip the non-executable
		{name: "plain", path: dir, err: syscall.EACCES},
		{name: "adir", path: dir, err: syscall.EACCES},
		{name: "missing", path: dir, err: syscall.ENOENT},
		{name: "", path: dir, err: syscall.ENOENT},
		{name: "./plain", path: "/nonexistent", want: "./plain"}, // a slash: as is, exec decides
		{name: "sh", unset: true, want: "/bin/sh"},               // unset PATH: /bin:/usr/bin
	}
	for _, tt := range tests {
		if tt.unset {
			t.Setenv("PATH", "")
			os.Unsetenv("PATH")
		} else {
			t.Setenv("PATH", tt.path)
		}
		got, err := lookPath(tt.name)
		if !errors.Is(err, tt.err) || (tt.err == nil && got != tt.want) {
			t.Errorf("PATH=%q lookPath(%q) = %q, %v; want %q, %v", tt.path, tt.name, got, err, tt.want, tt.err)
		}
	}
}
