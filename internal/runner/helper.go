//go:build unix

package runner

import (
	"path/filepath"

	"github.com/pgrun/pgrun/internal/killer"
)

// Helper runs one of pgrun's own helpers when pgrun was executed again as
// one (the guardian, the init of a pid namespace: chosen by argv[0]), and
// returns its exit status; ok is false for any other command line, which
// is pgrun's own to read. It must be called before anything else reads
// the command line, from the main goroutine locked to the main thread.
func Helper(argv []string) (code int, ok bool) {
	if len(argv) == 0 {
		return 0, false
	}
	switch filepath.Base(argv[0]) {
	case killer.GuardianName:
		return killer.Guard(argv[1:]), true
	case killer.InitName:
		return killer.Init(argv[1:]), true
	}
	return 0, false
}
