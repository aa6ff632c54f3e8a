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
	"path/filepath"
	"runtime"

	"github.com/pgrun/pgrun/internal/killer/guardian"
	"github.com/pgrun/pgrun/internal/killer/pidns"
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

// oneProcessor gives the Go runtime one processor: pgrun's work (and its
// helpers') is a sequence of waits, and a second P only kept threads
// spinning for work between them. Measured (interleaved, 150-400 runs):
// pgrun's CPU 0.5-1 ms less per run, its wall time a little less. The
// command's environment keeps whatever GOMAXPROCS it had.
func oneProcessor() { runtime.GOMAXPROCS(1) }

// helpers are the programs pgrun becomes when it executes itself again,
// chosen by argv[0] before anything reads the command line: names no user
// types, never subcommands (as moby's reexec does it). Each runs on the
// main goroutine, locked to the main thread, and returns its exit status.
var helpers = map[string]func(args []string) int{
	guardian.Name:  guardian.Main, // ends the tree if pgrun is killed
	pidns.InitName: pidns.Init,    // the init of a pid namespace of pgrun's
}

func main() {
	oneProcessor()
	if len(os.Args) > 0 {
		if helper := helpers[filepath.Base(os.Args[0])]; helper != nil {
			os.Exit(helper(os.Args[1:]))
		}
	}
	os.Exit(run(os.Args))
}
