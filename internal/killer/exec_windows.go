package killer

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/windows"
)

// notFoundError is a command that exec.LookPath did not find, or found
// only in the current directory (exec.ErrDot), which os/exec refuses to
// run and so does pgrun: 127, as for a missing command.
type notFoundError struct{ err error }

func (e *notFoundError) Error() string { return e.err.Error() }

func (e *notFoundError) Is(target error) bool { return target == fs.ErrNotExist }

// errBatchArgument is an argument that cannot reach a batch file as it
// is: cmd.exe expands % and treats " specially whatever the quoting, and
// a line break ends its command line.
var errBatchArgument = errors.New("an argument of a batch file contains \", %, or a line break, which cmd.exe would not pass on as it is")

// commandLine finds args[0] as os/exec does on Windows (exec.LookPath:
// the PATHEXT extensions, PATH, never the current directory implicitly)
// and returns what to start: the program, and the command line it gets,
// each argument quoted by the C runtime's rules (syscall.EscapeArg). A
// batch file (.bat, .cmd) runs under cmd.exe /d /s /c, its arguments
// quoted for cmd.exe; one that cmd.exe cannot be given safely is refused.
func commandLine(args []string) (path, line string, err error) {
	path, err = exec.LookPath(args[0])
	if err != nil {
		var execErr *exec.Error
		if errors.As(err, &execErr) {
			err = execErr.Err
		}
		return "", "", &notFoundError{err}
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".bat", ".cmd":
		return batchLine(path, args[1:])
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = syscall.EscapeArg(a)
	}
	return path, strings.Join(quoted, " "), nil
}

// batchLine runs the batch file at path with args under cmd.exe: /d (no
// AutoRun commands), /v:off (no delayed expansion of !), /s /c "...": cmd.exe strips the outer quotes and
// runs the rest. Each argument in it is quoted where cmd.exe would
// otherwise read a character of it as its own (& | < > ^ ( ) , ; = and
// white space), which inside quotes it does not.
func batchLine(path string, args []string) (string, string, error) {
	var parts []string
	for _, a := range append([]string{path}, args...) {
		if strings.ContainsAny(a, "\"%\r\n") {
			return "", "", errBatchArgument
		}
		parts = append(parts, cmdQuote(a))
	}
	comspec := os.Getenv("ComSpec")
	if comspec == "" {
		sys, err := windows.GetSystemDirectory()
		if err != nil {
			return "", "", err
		}
		comspec = filepath.Join(sys, "cmd.exe")
	}
	return comspec, syscall.EscapeArg(comspec) + ` /d /v:off /s /c "` + strings.Join(parts, " ") + `"`, nil
}

// cmdQuote quotes s for cmd.exe when it is empty or holds a character
// cmd.exe reads as its own.
func cmdQuote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t&|<>^(),;=!") {
		return `"` + s + `"`
	}
	return s
}
