package killer

import "fmt"

// Mode is how a command's tree is contained: how pgrun finds every process
// of it, signals them and learns that they are gone. The zero value is
// Auto.
type Mode uint8

// Containment modes, weakest to strongest; Auto picks the strongest this
// system allows, and never Pidns.
const (
	Auto      Mode = iota
	Group          // the process group only
	Subreaper      // the group and every descendant that left it (Linux)
	Cgroup         // the same, born in a fresh cgroup: KILL is one atomic step (Linux)
	// Pidns runs the command under an init of pgrun's in a pid namespace
	// of its own, which the kernel ends when pgrun dies (Linux). Auto
	// never picks it: the command sees other pids and a /proc of its own.
	Pidns
)

var modeNames = [...]string{Auto: "auto", Group: "group", Subreaper: "subreaper", Cgroup: "cgroup", Pidns: "pidns"}

// String returns the mode's name as the command line spells it.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", m)
}

// ParseMode returns the mode that s names ("" is Auto).
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return Auto, nil
	}
	for m, name := range modeNames {
		if name == s {
			return Mode(m), nil
		}
	}
	return 0, fmt.Errorf("unknown containment %q", s)
}

// Modes lists every mode, in the order a user is offered them.
func Modes() []Mode { return []Mode{Auto, Cgroup, Subreaper, Group, Pidns} }
