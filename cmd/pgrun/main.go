// Command pgrun runs a command with a time limit and, when the limit passes,
// kills the command's whole process tree: a drop-in for GNU coreutils
// timeout(1).
//
//	pgrun [OPTION]... DURATION COMMAND [ARG]...
//	pgrun [OPTION]... --timeout=DURATION [--] COMMAND [ARG]...
//
// See the README for the options, the exit statuses and how pgrun differs
// from timeout(1).
package main

import (
	"os"
	"runtime"

	"github.com/pgrun/pgrun/internal/runner"
)

// Set by the release build (-ldflags -X); see version.go.
var (
	version = ""
	commit  = ""
	date    = ""
)

func init() {
	// Keep main (and so the runner, which forks) on the main thread: the
	// kernel sends Pdeathsig when the forking *thread* ends, and only the
	// main thread lives exactly as long as pgrun.
	runtime.LockOSThread()
}

func main() {
	if code, ok := runner.Helper(os.Args); ok {
		os.Exit(code)
	}
	os.Exit(run(os.Args))
}
